"""R-SEC-3: an SMTP outage loses no mail. A mail is retried with a growing delay for 48
hours from its creation (moved clock, the due job run every 10 minutes), then marked
failed and shown to operators, who can send it again (« Renvoyer », audit-logged).

The SMTP server is a private aiosmtpd on its own port, stopped for the outage and started
again on the same port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from markupsafe import escape
from sqlalchemy import select

from shop.audit import AuditEntry
from shop.clock import utcnow
from shop.db import session, unit_of_work
from shop.jobs import run_due, run_task
from shop.mail import REDACTED, MailStatus, OutboxMail, queue_mail
from tests.factories import login_staff
from tests.harness import Mailbox, free_port

START = datetime(2027, 3, 1, 9, 0)  # Paris
STEP = timedelta(minutes=10)  # one cron run of `jobs run-due` every 10 minutes


class PrivateSmtp:
    """An SMTP server on a fixed loopback port that a test can stop and start again."""

    def __init__(self) -> None:
        self.box = Mailbox()
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateSmtp]:
    """The app sends to the private server, which starts stopped (the outage)."""
    server = PrivateSmtp()
    monkeypatch.setattr(app.extensions["mail"], "port", server.port)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def in_app(app: Any) -> Iterator[None]:
    with app.app_context():
        yield


def _acknowledgement(app: Any, to: str) -> int:
    """A mail holding no secret (the « Nous contacter » acknowledgement)."""
    message = SimpleNamespace(
        id=7,
        prenom="Paul",
        nom="Martin",
        created_at=datetime(2027, 3, 1, 8, 0),
        topic_label="Expédition",
        order_number=None,
        body="Où en est mon colis ?",
    )
    with in_app(app):
        with unit_of_work():
            mail = queue_mail(
                to, "support/acknowledgement", "Nous avons bien reçu votre message", message=message
            )
        return mail.id


def _code_mail(app: Any, make_agent: Any) -> tuple[int, str]:
    """An access code issued for real: a mail holding a working secret."""
    from auth.services import issue_access_code

    number, _ = make_agent(code=None, email="karim.benali@exemple.fr")
    with in_app(app):
        code = issue_access_code(number, actor="test")
        mail_id = session().scalar(select(OutboxMail.id).where(OutboxMail.to.like("karim%")))
    return mail_id, code


def _row(app: Any, mail_id: int) -> OutboxMail:
    with in_app(app):
        return session().get(OutboxMail, mail_id, populate_existing=True)


def _run_until(app: Any, clock: Any, until: datetime, stop: Any = None) -> None:
    """Cron every 10 minutes up to ``until``: the whole registry every 3 hours, the mail
    job alone otherwise (same code path, less time)."""
    runs = 0
    while clock() < until.astimezone(clock().tzinfo):
        clock.advance(minutes=STEP.total_seconds() / 60)
        runs += 1
        with in_app(app):
            if runs % 18 == 0:
                results = run_due()
                assert all(count >= 0 for count in results.values()), results
            else:
                run_task("mail.retry_pending")
        if stop is not None and stop():
            return


def _at(hours: float) -> datetime:
    from shop.clock import PARIS

    return (START + timedelta(hours=hours)).replace(tzinfo=PARIS)


def test_r_sec_3_smtp_down_47_hours_then_back_the_mails_arrive(app, db, clock, smtp, make_agent):
    clock.set(START)
    ack_id = _acknowledgement(app, "paul.martin@exemple.fr")
    code_id, code = _code_mail(app, make_agent)
    first = _row(app, ack_id)
    assert (first.status, first.attempts) == (MailStatus.PENDING, 1)
    with in_app(app):
        assert first.next_attempt_at == utcnow() + timedelta(minutes=1)

    _run_until(app, clock, _at(47))
    for mail_id in (ack_id, code_id):
        row = _row(app, mail_id)
        assert row.status == MailStatus.PENDING, row.last_error
        # 1, 2, 4 … minutes, then hourly: about 52 tries in 47 hours, not one per run.
        assert 40 <= row.attempts <= 60, row.attempts
    assert smtp.box.messages == []

    smtp.start()
    _run_until(app, clock, _at(48.5), stop=lambda: len(smtp.box.messages) == 2)
    assert clock() <= _at(48.2)  # within the hourly pace once the server is back
    received = {m["To"]: Mailbox.text_of(m) for m in smtp.box.wait_for(2)}
    assert code in received["karim.benali@exemple.fr"]
    for mail_id in (ack_id, code_id):
        assert _row(app, mail_id).status == MailStatus.SENT
    # RULES.md §12: the sent code is no longer readable in the outbox; the trace stays.
    sent_code = _row(app, code_id)
    assert code not in sent_code.body_text and REDACTED in sent_code.body_text
    assert code not in (sent_code.body_html or "") and sent_code.secrets is None
    with in_app(app):
        run_task("mail.retry_pending")
    assert len(smtp.box.messages) == 2  # sent once


def test_r_sec_3_smtp_down_49_hours_failed_shown_to_operators_and_resent(
    app, db, client, clock, smtp, make_agent, make_staff
):
    clock.set(START)
    ack_id = _acknowledgement(app, "paul.martin@exemple.fr")
    code_id, code = _code_mail(app, make_agent)

    _run_until(app, clock, _at(47.9))
    assert _row(app, ack_id).status == MailStatus.PENDING
    _run_until(app, clock, _at(49))
    ack, code_mail = _row(app, ack_id), _row(app, code_id)
    assert ack.status == code_mail.status == MailStatus.FAILED
    assert "Connection refused" in ack.last_error or "111" in ack.last_error
    # A code that will never be sent is not kept readable either.
    assert code not in code_mail.body_text and REDACTED in code_mail.body_text

    smtp.start()  # back, but a failed mail is not picked up on its own
    _run_until(app, clock, _at(50))
    assert smtp.box.messages == []

    email, password = make_staff("operator")
    login_staff(client, email, password)
    page = client.get("/gestion/")
    assert 'href="/gestion/courriels/"' in page.get_data(as_text=True)  # on the navigation
    page = client.get("/gestion/courriels/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "paul.martin@exemple.fr" in html and "karim.benali@exemple.fr" in html
    assert f"/gestion/courriels/{ack_id}/renvoyer" in html

    resp = client.post(f"/gestion/courriels/{ack_id}/renvoyer", follow_redirects=True)
    assert resp.status_code == 200
    assert "remis en envoi vers paul.martin@exemple.fr" in resp.get_data(as_text=True)
    (msg,) = smtp.box.wait_for(1)
    assert msg["To"] == "paul.martin@exemple.fr"
    assert _row(app, ack_id).status == MailStatus.SENT
    with in_app(app):
        entry = session().scalar(select(AuditEntry).where(AuditEntry.action == "mail.resent"))
    assert entry.subject == f"mail:{ack_id}" and entry.actor.endswith(email)
    assert entry.before["status"] == MailStatus.FAILED

    # A masked code is not sent as it is: the operator is told what to do instead.
    resp = client.post(f"/gestion/courriels/{code_id}/renvoyer", follow_redirects=True)
    assert str(escape("« Code oublié ? »")) in resp.get_data(as_text=True)
    assert _row(app, code_id).status == MailStatus.FAILED
    assert len(smtp.box.messages) == 1


def test_r_sec_3_a_late_mail_is_listed_before_it_fails(app, db, client, clock, smtp, make_staff):
    clock.set(START)
    ack_id = _acknowledgement(app, "late@exemple.fr")
    email, password = make_staff("operator")
    login_staff(client, email, password)
    assert "late@exemple.fr" not in client.get("/gestion/courriels/").get_data(as_text=True)
    clock.advance(minutes=31)
    html = client.get("/gestion/courriels/").get_data(as_text=True)
    assert "late@exemple.fr" in html and f"/gestion/courriels/{ack_id}/renvoyer" in html

    # Its sender died mid-way (a claim left « sending »): the operator can still send it.
    with in_app(app), unit_of_work() as s:
        row = s.get(OutboxMail, ack_id)
        row.status, row.claimed_at = MailStatus.SENDING, utcnow() - timedelta(minutes=20)
    assert "late@exemple.fr" in client.get("/gestion/courriels/").get_data(as_text=True)
    smtp.start()
    client.post(f"/gestion/courriels/{ack_id}/renvoyer")
    assert [m["To"] for m in smtp.box.wait_for(1)] == ["late@exemple.fr"]
    assert _row(app, ack_id).status == MailStatus.SENT


def test_r_sec_3_the_mails_page_is_for_operators_only(app, db, client, make_agent):
    number, code = make_agent()
    from tests.factories import login_agent

    login_agent(client, number, code)
    assert client.get("/gestion/courriels/").status_code in (302, 404)


def test_r_sec_3_an_unreachable_server_is_tried_once_per_batch(app, db, clock, smtp):
    """A down or hung server costs one connection attempt (one ``MAIL_TIMEOUT``) per run,
    not one per mail: the rest of the batch is rescheduled with the same error."""
    from unittest.mock import patch

    from shop.mail import _TimeoutConnection

    clock.set(START)
    opened = []
    real_configure = _TimeoutConnection.configure_host

    def counting(self):
        opened.append(1)
        return real_configure(self)

    patched = patch.object(_TimeoutConnection, "configure_host", counting)
    with patched, in_app(app), unit_of_work():
        for n in range(3):
            queue_mail(f"m{n}@exemple.fr", "support/acknowledgement", "Bonjour", message=_msg())
    assert opened == [1]
    with in_app(app):
        rows = session().scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert [(r.status, r.attempts) for r in rows] == [(MailStatus.PENDING, 1)] * 3
        assert all("refused" in r.last_error or "111" in r.last_error for r in rows)


def _msg() -> SimpleNamespace:
    return SimpleNamespace(
        id=8,
        prenom="Paul",
        nom="Martin",
        created_at=datetime(2027, 3, 1, 8, 0),
        topic_label="Expédition",
        order_number=None,
        body="Bonjour",
    )
