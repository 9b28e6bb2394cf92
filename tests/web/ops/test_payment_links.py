"""Payment links of phone card orders resent or renewed (R-OPS-7, R-PAY-5), 24 hours said
everywhere, and the payment state on the back-office order page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.web.ops.helpers import order_of, text
from tests.web.ops.phone import _audit, card_order, payment_of, run_due


@pytest.fixture
def agent(make_agent):
    number, _ = make_agent(household_id="H-TEL", email="tel@exemple.fr")
    return number


@pytest.fixture
def parc(make_offer):
    return make_offer(kind="billet_ouvert", title="Parc des Oiseaux", stock=10, per_order_max=4)


def _link_in(mailbox, mail):
    return re.search(r"https?://[^/\s]+(/paiement/lien/\S+)", mailbox.text_of(mail)).group(1)


def test_bug_5_placed_mail_of_a_phone_card_order_says_24_hours(operator, app, agent, parc, mailbox):
    card_order(operator, app, agent, parc, mailbox)
    placed = next(m for m in mailbox.messages if m["Subject"].startswith("Votre commande"))
    body = mailbox.text_of(placed)
    assert "24 heures" in body and "30 minutes" not in body


def test_r_ops_7_payment_link_resent_keeps_its_deadline(operator, app, agent, parc, mailbox, clock):
    order, link = card_order(operator, app, agent, parc, mailbox)
    page = text(operator.get(f"/gestion/commandes/{order.number}"))
    assert "Renvoyer le lien de paiement" in page and "Renouveler le lien" in page
    clock.advance(hours=2)
    operator.relogin()
    mailbox.clear()
    resp = operator.post(f"/gestion/commandes/{order.number}/lien-de-paiement", data={})
    assert resp.status_code == 302
    assert "Lien de paiement renvoyé à tel@exemple.fr" in text(operator.get(resp.location))
    [mail] = mailbox.wait_for(1)
    assert "Payez" in mail["Subject"]
    again = _link_in(mailbox, mail)
    assert order_of(app, order.number).expires_at == order.expires_at  # same deadline
    anonymous = app.test_client()
    assert anonymous.get(again).status_code == 200 and anonymous.get(link).status_code == 200
    [entry] = [e for e in _audit(app) if e.action == "payment_link.resent"]
    assert entry.subject == f"order:{order.number}"
    assert entry.before == {"expires_at": order.expires_at.isoformat()}
    assert entry.after["expires_at"] == order.expires_at.isoformat()


def test_r_ops_7_payment_link_renewed_kills_the_old_one(operator, app, agent, parc, mailbox, clock):
    order, old = card_order(operator, app, agent, parc, mailbox)
    clock.advance(hours=23)
    operator.relogin()
    mailbox.clear()
    resp = operator.post(
        f"/gestion/commandes/{order.number}/lien-de-paiement", data={"mode": "renouveler"}
    )
    assert "l'ancien lien ne fonctionne plus" in text(operator.get(resp.location))
    new = _link_in(mailbox, mailbox.wait_for(1)[0])
    renewed = order_of(app, order.number)
    assert renewed.expires_at > order.expires_at + timedelta(hours=22)
    anonymous = app.test_client()
    assert anonymous.get(old).status_code == 410
    assert anonymous.get(new).status_code == 200
    clock.advance(hours=2)  # past the first deadline: the renewed hold keeps the order
    assert run_due(app) is not None
    assert order_of(app, order.number).status == "pending_payment"
    [entry] = [e for e in _audit(app) if e.action == "payment_link.renewed"]
    assert entry.before == {"expires_at": order.expires_at.isoformat()}
    assert entry.after["expires_at"] == renewed.expires_at.isoformat()
    assert anonymous.post(new, data={"outcome": "succeed"}).status_code == 302
    assert order_of(app, order.number).status == "paid"


def test_r_pay_5_a_released_order_link_cannot_be_renewed(
    operator, app, agent, parc, mailbox, clock
):
    order, _ = card_order(operator, app, agent, parc, mailbox)
    clock.advance(hours=25)
    operator.relogin()
    run_due(app)
    assert order_of(app, order.number).status == "cancelled"
    page = text(operator.get(f"/gestion/commandes/{order.number}"))
    assert "Renvoyer le lien de paiement" not in page
    resp = operator.post(
        f"/gestion/commandes/{order.number}/lien-de-paiement", data={"mode": "renouveler"}
    )
    page = text(operator.get(resp.location))
    assert "annulée faute de paiement dans les 24 heures" in page
    assert "Passez une nouvelle commande" in page


def test_ux_7_authorised_then_captured_payment_shown_as_such(
    operator, app, agent, parc, mailbox, clock
):
    order, link = card_order(operator, app, agent, parc, mailbox)
    app.test_client().post(link, data={"outcome": "succeed"})
    page = text(operator.get(f"/gestion/commandes/{order.number}"))
    assert "Autorisé, pas encore encaissé : capture prévue le" in page
    assert "Encaissé" not in page
    clock.advance(hours=12)  # past 21:00 Paris
    operator.relogin()
    run_due(app)
    assert payment_of(app, order.id).status == "captured"
    page = text(operator.get(f"/gestion/commandes/{order.number}"))
    assert "Encaissé (capturé le" in page and "Autorisé" not in page
