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
