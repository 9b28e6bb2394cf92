"""R-ORD-6: an order placed while the SMTP server is down loses no mail; it is sent once
when the server is back."""

from __future__ import annotations

from datetime import UTC
from unittest.mock import patch

import pytest

from shop.db import session, unit_of_work
from shop.jobs import run_due
from shop.mail import (
    DRAIN_FLAG,
    DRAIN_FLAG_SECONDS,
    DRAIN_OUTBOX,
    MailStatus,
    OutboxMail,
    _TimeoutConnection,
    drain_outbox,
    queue_mail,
)
from shop.speed.shared import PREFIX
from tests.harness import free_port, wait_until

FLAG_KEY = f"{PREFIX}{DRAIN_FLAG}"


def test_mail_survives_an_smtp_outage_and_is_sent_once(ctx, app, mailbox, clock, monkeypatch):
    live_port = app.extensions["mail"].port
    monkeypatch.setattr(app.extensions["mail"], "port", free_port())  # nobody listens there
    with unit_of_work():
        mail = queue_mail(
            "agent@exemple.fr", "auth/access_code", "Votre code", record=_Record(), code="ABCD2345"
        )
    row = session().get(OutboxMail, mail.id)
    session().refresh(row)
    assert row.status == MailStatus.PENDING and row.attempts == 1 and row.last_error
    assert mailbox.messages == []

    # The server is back: once its next try is due (a minute later) the job sends it,
    # and a second run sends nothing more.
    monkeypatch.setattr(app.extensions["mail"], "port", live_port)
    clock.set(row.next_attempt_at.replace(tzinfo=UTC))
    run_due()
    run_due()
    assert len(mailbox.wait_for(1)) == 1
    session().refresh(row)
    assert row.status == MailStatus.SENT


class _Record:
    prenom = "Camille"
    nom = "Testeuse"
    cgos_number = "12345678A"


@pytest.fixture
def queue(app, fake_redis, monkeypatch):
    """REDIS_URL set, the drain flag in fakeredis, broker messages recorded."""
    import shop.mail

    sent: list[str] = []
    delays: list[float | None] = []

    def enqueue(task, *args, countdown=None):
        delays.append(countdown)
        sent.append(task)
        return True

    monkeypatch.setattr(shop.mail, "enqueue", enqueue)
    yield sent, fake_redis()
    assert set(delays) <= {app.config["MAIL_DRAIN_DELAY_SECONDS"]}  # run a moment later


def _code_mail(to: str) -> OutboxMail:
    return queue_mail(to, "auth/access_code", f"Code {to}", record=_Record(), code="ABCD2345")


def test_r_ord_3_one_drain_serves_the_commits_made_while_it_is_queued(ctx, app, queue, mailbox):
    """At the rush, one broker message and one worker task serve many orders: a commit
    queues a drain only when none is queued; the drain sends every mail, oldest first."""
    sent, fake = queue
    with unit_of_work():
        first = _code_mail("a@exemple.fr")
        second = _code_mail("b@exemple.fr")
        assert sent == []  # nothing before the commit
    assert sent == [DRAIN_OUTBOX]
    assert 0 < fake.pttl(FLAG_KEY) <= DRAIN_FLAG_SECONDS * 1000  # lapses if a drain is lost
    try:
        with unit_of_work():
            _code_mail("c@exemple.fr")
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    with unit_of_work():
        third = _code_mail("d@exemple.fr")
    assert sent == [DRAIN_OUTBOX]  # the queued drain will find it

    opened = []
    real_configure = _TimeoutConnection.configure_host

    def counting(self):
        opened.append(1)
        return real_configure(self)

    with patch.object(_TimeoutConnection, "configure_host", counting):
        assert drain_outbox() == 3
    assert [m["To"] for m in mailbox.wait_for(3)] == [
        "a@exemple.fr",
        "b@exemple.fr",
        "d@exemple.fr",
    ]
    assert opened == [1]  # one SMTP connection for the batch
    for mail in (first, second, third):
        session().refresh(mail)
        assert mail.status == MailStatus.SENT
    assert not fake.exists(FLAG_KEY)

    with unit_of_work():  # the drain has run: the next commit queues the next one
        _code_mail("e@exemple.fr")
    assert sent == [DRAIN_OUTBOX, DRAIN_OUTBOX]


def test_r_ord_6_the_drain_leaves_failed_mails_to_the_retry_job(ctx, app, queue, mailbox):
    """R-ORD-6: a mail that already failed waits for ``mail.retry_pending`` and its pace;
    the drain takes only fresh mails."""
    with unit_of_work():
        failed = _code_mail("failed@exemple.fr")
        failed.attempts = 1
        fresh = _code_mail("fresh@exemple.fr")
    assert drain_outbox() == 1
    assert [m["To"] for m in mailbox.wait_for(1)] == ["fresh@exemple.fr"]
    session().refresh(failed)
    session().refresh(fresh)
    assert (failed.status, fresh.status) == (MailStatus.PENDING, MailStatus.SENT)


def test_r_ord_6_broker_down_the_mails_go_from_the_request_and_the_flag_is_freed(
    ctx, app, queue, mailbox, monkeypatch
):
    import shop.mail

    sent, fake = queue
    monkeypatch.setattr(shop.mail, "enqueue", lambda task, *args, countdown=None: False)
    with unit_of_work():
        mail = _code_mail("a@exemple.fr")
    assert [m["To"] for m in mailbox.wait_for(1)] == ["a@exemple.fr"]
    session().refresh(mail)
    assert mail.status == MailStatus.SENT
    assert not fake.exists(FLAG_KEY)  # the next commit tries the broker again


def test_redis_down_every_commit_queues_its_drain(ctx, app, queue, fake_redis):
    """Without the flag's answer a commit queues a drain rather than risk none."""
    sent, _ = queue
    fake_redis(connected=False)
    for to in ("a@exemple.fr", "b@exemple.fr"):
        with unit_of_work():
            _code_mail(to)
    assert sent == [DRAIN_OUTBOX, DRAIN_OUTBOX]


def test_r_ord_3_a_lost_drain_only_holds_the_queue_until_its_flag_lapses(
    ctx, app, queue, monkeypatch
):
    """Should a queued drain be lost (a worker killed), its flag expires on its own in
    Redis and the next commit queues a drain again."""
    import shop.mail

    sent, fake = queue
    # Long enough for the second commit to land inside it on a slow machine, short
    # enough to wait out; the wait polls rather than guessing the machine's speed.
    monkeypatch.setattr(shop.mail, "DRAIN_FLAG_SECONDS", 2)
    with unit_of_work():
        _code_mail("a@exemple.fr")
    assert 0 < fake.pttl(FLAG_KEY) <= 2000
    with unit_of_work():
        _code_mail("b@exemple.fr")
    assert fake.exists(FLAG_KEY)
    assert sent == [DRAIN_OUTBOX]  # the (lost) drain is still taken as queued
    assert wait_until(lambda: not fake.exists(FLAG_KEY))
    with unit_of_work():
        _code_mail("c@exemple.fr")
    assert sent == [DRAIN_OUTBOX, DRAIN_OUTBOX]
