"""R-ORD-6: an order placed while the SMTP server is down loses no mail; it is sent once
when the server is back."""

from __future__ import annotations

from shop.db import session, unit_of_work
from shop.jobs import run_due
from shop.mail import MailStatus, OutboxMail, queue_mail
from tests.conftest import free_port


def test_mail_survives_an_smtp_outage_and_is_sent_once(ctx, app, mailbox, monkeypatch):
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

    # The server is back: the due job sends it, and a second run sends nothing more.
    monkeypatch.setattr(app.extensions["mail"], "port", live_port)
    run_due()
    run_due()
    assert len(mailbox.wait_for(1)) == 1
    session().refresh(row)
    assert row.status == MailStatus.SENT


class _Record:
    prenom = "Camille"
    nom = "Testeuse"
    cgos_number = "12345678A"


def test_the_mails_of_one_transaction_reach_the_workers_in_one_message(ctx, app, monkeypatch):
    """A payment queues two or three mails: one broker round trip after the commit, none
    when the transaction rolls back."""
    import shop.mail

    sent: list[tuple] = []
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setattr(shop.mail, "enqueue", lambda task, *ids: sent.append(ids) or True)
    with unit_of_work():
        first = queue_mail("a@exemple.fr", "auth/access_code", "Code 1", record=_Record(), code="A")
        second = queue_mail(
            "b@exemple.fr", "auth/access_code", "Code 2", record=_Record(), code="B"
        )
        assert sent == []  # nothing before the commit
    assert sent == [(first.id, second.id)]
    try:
        with unit_of_work():
            queue_mail("c@exemple.fr", "auth/access_code", "Code 3", record=_Record(), code="C")
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    with unit_of_work():
        third = queue_mail("d@exemple.fr", "auth/access_code", "Code 4", record=_Record(), code="D")
    assert sent == [(first.id, second.id), (third.id,)]
