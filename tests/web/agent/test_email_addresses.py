"""R-ORD-6 (defect: CR/LF addresses poisoned the outbox): every e-mail address entering the
store goes through email-validator (``shop.email_address``), with a French message beside
the field; a mail that can never be sent fails at once and stops nothing else."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from members.emails import InvalidEmail, normalise_email
from orders.models import Order
from shop.db import session, unit_of_work
from shop.jobs import run_due
from shop.mail import MailStatus, OutboxMail, queue_mail
from tests.factories import add, agent_json, checkout_form, login_agent, text

BAD = [
    "x@exemple.fr\r\nBcc: victime@exemple.fr",
    "x\r\nBcc: victime@exemple.fr",
    "sans-arobase.exemple.fr",
    "a@exemple",
    "a b@exemple.fr",
    "a@@exemple.fr",
    "é@exemple.fr",
]
FIELD_ERROR = str(escape("Adresse e-mail invalide."))


@pytest.mark.parametrize("raw", BAD)
def test_r_ord_6_email_validator_refuses(raw):
    with pytest.raises(InvalidEmail):
        normalise_email(raw)


def test_r_ord_6_email_is_trimmed_and_its_domain_lowered():
    assert normalise_email("  Camille.Martin@Exemple.FR ") == "Camille.Martin@exemple.fr"


@pytest.fixture
def buyer(client, make_agent, clock):
    number, code = make_agent(email="acheteur@exemple.fr")
    login_agent(client, number, code)
    return client


@pytest.mark.parametrize("raw", BAD[:3])
def test_r_ord_6_checkout_refuses_a_bad_contact_email_beside_the_field(buyer, make_offer, app, raw):
    offer = make_offer(kind="billet_ouvert", title="Parc", stock=10)
    add(buyer, offer, 1)
    orders_before = _count(app, Order)
    resp = buyer.post(
        "/commande/", data=checkout_form(buyer) | {"email": raw, "payment_method": "cheque"}
    )
    assert resp.status_code == 422
    html = text(resp)
    assert FIELD_ERROR in html and 'aria-invalid="true"' in html
    assert _count(app, Order) == orders_before  # nothing committed
    assert _count(app, OutboxMail) == 0


def test_r_ord_6_digital_magazine_reader_email_is_checked(buyer, make_offer, app):
    offer = make_offer(
        kind="abonnement",
        category="abonnements-magazines",
        title="Cuisine Facile — 1 an",
        deliveries=("email",),
        physical=False,
        stock=100,
    )
    add(buyer, offer, 1, delivery="email")
    line_id = re.search(r"/panier/ligne/(\d+)/magazine", text(buyer.get("/panier/"))).group(1)
    resp = buyer.post(
        f"/panier/ligne/{line_id}/magazine", data={"reader_email": "lecteur@exemple.fr\r\nX: y"}
    )
    assert resp.status_code == 422
    assert str(escape("Adresse e-mail du lecteur invalide.")) in text(resp)
    ok = buyer.post(
        f"/panier/ligne/{line_id}/magazine", data={"reader_email": "Lecteur@Exemple.FR"}
    )
    assert ok.status_code == 302
    assert 'value="Lecteur@exemple.fr"' in text(buyer.get("/panier/"))


def test_r_ord_6_contact_form_refuses_a_bad_email_beside_the_field(client, make_agent):
    from tests.factories import form_data

    number, code = make_agent()
    login_agent(client, number, code)
    resp = client.post("/nous-contacter/", data=form_data(email="x@exemple.fr\r\nBcc: v@e.fr"))
    assert resp.status_code == 422
    assert FIELD_ERROR in text(resp)


def test_r_ord_6_dossier_import_names_the_line_and_the_bad_address(app, db, tmp_path):
    import json

    runner = app.test_cli_runner()
    good, bad = agent_json(), agent_json(email="x@exemple.fr\r\nBcc: v@exemple.fr")
    path = tmp_path / "dossiers.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    result = runner.invoke(args=["dossier", "import", str(path)])
    assert result.exit_code == 1
    assert "ligne 2 : email : adresse e-mail invalide" in result.stderr
    assert "rien n'a été importé" in result.stderr


def test_r_ord_6_staff_create_refuses_a_bad_email(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "staff",
            "create",
            "ope@cgos.example\nBcc: x@y.fr",
            "--role",
            "operator",
            "--password",
            "mot-de-passe-solide-42",
        ]
    )
    assert result.exit_code == 1
    assert "Adresse e-mail invalide." in result.stderr


def test_r_ord_6_a_poison_mail_fails_at_once_and_stops_nothing(ctx, app, mailbox, clock):
    """An address from before the check (or any mail no server takes): failed at once,
    logged, and the other mails of the run still go; ``jobs run-due`` does not fail."""
    with unit_of_work():
        poison = queue_mail(
            "x@exemple.fr\r\nBcc: victime@exemple.fr",
            "support/acknowledgement",
            "Poison",
            message=_message(),
        )
        good = queue_mail("ok@exemple.fr", "support/acknowledgement", "Bon", message=_message())
    assert [m["To"] for m in mailbox.wait_for(1)] == ["ok@exemple.fr"]
    for row in (poison, good):
        session().refresh(row)
    assert poison.status == MailStatus.FAILED and "BadHeaderError" in poison.last_error
    assert good.status == MailStatus.SENT

    # A poison row left « sending » by a crash before the fix: the job frees and fails it.
    with unit_of_work() as s:
        s.get(OutboxMail, poison.id).status = MailStatus.SENDING
        later = queue_mail("ok2@exemple.fr", "support/acknowledgement", "Bon", message=_message())
    mailbox.wait_for(2)
    clock.advance(minutes=11)
    results = run_due()
    assert results["mail.retry_pending"] == 0 and all(v >= 0 for v in results.values())
    session().refresh(poison)
    session().refresh(later)
    assert poison.status == MailStatus.FAILED and later.status == MailStatus.SENT
    result = app.test_cli_runner().invoke(args=["jobs", "run-due"])
    assert result.exit_code == 0, result.output


def _message():
    from datetime import datetime
    from types import SimpleNamespace

    return SimpleNamespace(
        id=1,
        prenom="Paul",
        nom="Martin",
        created_at=datetime(2027, 3, 1, 8, 0),
        topic_label="Expédition",
        order_number=None,
        body="Où en est mon colis ?",
    )


def _count(app, model):
    with app.app_context():
        return session().scalar(select(func.count()).select_from(model))
