"""Orders taken by phone or post for an agent (R-OPS-2) and card by phone (R-PAY-5)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.factories import NOW_PARIS, YEAR, stay_fields
from tests.web.ops.helpers import count_of, order_of, stock_of, text, used_of
from tests.web.ops.phone import (
    _audit,
    add,
    card_order,
    last_order,
    payment_of,
    place,
    run_due,
    ticket_count,
)


@pytest.fixture
def agent(make_agent):
    number, _ = make_agent(household_id="H-TEL", email="tel@exemple.fr")
    return number


@pytest.fixture
def parc(make_offer):
    return make_offer(kind="billet_ouvert", title="Parc des Oiseaux", stock=10, per_order_max=4)


def test_r_ops_2_operator_places_a_cheque_order_like_the_web(operator, app, agent, parc):
    from shop.audit import AuditEntry

    start = operator.get("/gestion/saisie/")
    assert 'id="q" name="q" type="search" value="" autofocus' in text(start)
    resp = operator.get(f"/gestion/saisie/?q={agent}")
    assert resp.status_code == 302 and resp.location.endswith(f"/gestion/saisie/{agent}")
    page = text(operator.get(f"/gestion/saisie/{agent}?t=oiseaux"))
    assert 'id="t" name="t" type="search" value="oiseaux" autofocus' in page
    assert "Parc des Oiseaux" in page and "Le panier est vide" in page
    assert add(operator, agent, parc, 3).status_code == 302
    page = text(operator.get(f"/gestion/saisie/{agent}"))
    line_id = re.search(r"/lignes/(\d+)/supprimer", page).group(1)
    assert operator.post(f"/gestion/saisie/{agent}/lignes/{line_id}", data={"quantity": "2"})
    assert "50,00" in text(operator.get(f"/gestion/saisie/{agent}"))  # 2 × (40 - 15)
    resp = place(operator, agent)
    assert resp.status_code == 302
    order = last_order(app, agent)
    assert order.channel == "phone" and order.status == "option"
    assert order.payment_method == "cheque" and order.contact_email == "tel@exemple.fr"
    assert order.placed_by.startswith("staff:")
    assert stock_of(app, parc) == 8 and used_of(app, "H-TEL") == 3000
    entry = next(
        e
        for e in _audit(app)
        if e.action == "order.placed" and e.subject == f"order:{order.number}"
    )
    assert entry.actor == order.placed_by and entry.after["agent"] == agent
    assert count_of(app, AuditEntry, action="order.placed") == 1
    assert "Commande " + order.number in text(operator.get(resp.location))
    # The operator's basket for the agent is now empty.
    assert "Le panier est vide" in text(operator.get(f"/gestion/saisie/{agent}"))


def test_r_ops_2_same_limits_and_cap_as_the_web(operator, app, agent, parc):
    from orders.models import HouseholdYear
    from shop.db import unit_of_work

    resp = add(operator, agent, parc, 5)
    assert resp.status_code == 422
    assert "Au plus 4 par commande pour « Parc des Oiseaux »." in text(resp)
    assert "Saisissez une quantité en chiffres." in text(add(operator, agent, parc, "deux"))
    # Cap: 500 € with 490 € used leaves 10 € of participation, not 4 × 15 €.
    with app.app_context(), unit_of_work() as s:
        s.add(HouseholdYear(household_id="H-TEL", year=YEAR, used_cents=49_000))
    assert add(operator, agent, parc, 4).status_code == 302
    page = text(operator.get(f"/gestion/saisie/{agent}"))
    assert "plafond atteint : 50,00" in page
    assert place(operator, agent).status_code == 302
    order = last_order(app, agent)
    assert order.participation_cents == 1000 and order.total_cents == 15_000
    assert used_of(app, "H-TEL") == 50_000


def test_r_dos_3_agent_without_rights_and_without_email(operator, app, make_agent, parc):
    closed, _ = make_agent(dossier_year=YEAR - 2)
    resp = add(operator, closed, parc, 1)
    assert resp.status_code == 422 and "constituez votre dossier C.G.O.S" in text(resp)
    no_mail, _ = make_agent(email="")
    assert add(operator, no_mail, parc, 1).status_code == 302
    # Without e-mail the payment link could not be sent: card is refused, cheque works
    # (R-OPS-9, the confirmation then goes by letter).
    resp = place(operator, no_mail, method="card")
    assert resp.status_code == 422 and "pas d'adresse e-mail" in text(resp)
    assert last_order(app, no_mail) is None
    assert operator.get("/gestion/saisie/00000000X").status_code == 404


def test_r_pay_5_card_by_phone_mails_a_24h_link_paid_without_login(
    operator, app, agent, parc, mailbox, clock
):
    order, link = card_order(operator, app, agent, parc, mailbox)
    assert order.channel == "phone" and order.status == "pending_payment"
    assert order.expires_at == order.placed_at + timedelta(hours=24)
    assert any(e.action == "order.payment_link_sent" for e in _audit(app))
    anonymous = app.test_client()
    page = text(anonymous.get(link))
    assert order.number in page and "démonstration" in page and "50,00" in page
    mailbox.clear()
    resp = anonymous.post(link, data={"outcome": "succeed"})
    assert resp.status_code == 302
    paid = order_of(app, order.number)
    assert paid.status == "paid"
    assert payment_of(app, order.id).status == "authorised"
    assert ticket_count(app, order.id) == 0  # J+1, after the capture
    assert "paiement est bien reçu" in text(anonymous.get(link))


def test_r_pay_5_tampered_or_old_link_refused(operator, app, agent, parc, mailbox, clock):
    order, link = card_order(operator, app, agent, parc, mailbox)
    anonymous = app.test_client()
    # A character inside the signature: the last one of a base64 text may carry bits the
    # decoder ignores, so changing it does not always change the signature.
    middle = len(link) - 10
    tampered = link[:middle] + ("A" if link[middle] != "A" else "B") + link[middle + 1 :]
    resp = anonymous.get(tampered)
    assert resp.status_code == 410 and "Lien expiré ou invalide" in text(resp)
    assert anonymous.get("/paiement/lien/nimportequoi").status_code == 410
    clock.advance(hours=24, seconds=1)
    resp = anonymous.post(link, data={"outcome": "succeed"})
    assert resp.status_code == 410 and "Lien expiré ou invalide" in text(resp)
    assert order_of(app, order.number).status == "pending_payment"


def test_r_pay_5_unpaid_phone_order_released_after_24h(operator, app, agent, parc, mailbox, clock):
    order, _ = card_order(operator, app, agent, parc, mailbox)
    assert stock_of(app, parc) == 8
    clock.advance(minutes=31)
    run_due(app)
    assert order_of(app, order.number).status == "pending_payment"  # not the web's 30 min
    clock.advance(hours=24)
    run_due(app)
    assert order_of(app, order.number).status == "cancelled"
    assert stock_of(app, parc) == 10 and used_of(app, "H-TEL") == 0


def test_r_pay_5_capture_at_end_of_day_and_etickets_next_day(
    operator, app, agent, parc, mailbox, clock
):
    from orders import phone

    order, link = card_order(operator, app, agent, parc, mailbox)
    app.test_client().post(link, data={"outcome": "succeed"})
    clock.set(datetime(YEAR, 3, 1, 20, 59))
    assert run_due(app)["payments.capture_batch"] == 0
    assert payment_of(app, order.id).status == "authorised"
    clock.set(datetime(YEAR, 3, 1, 21, 5))
    results = run_due(app)
    assert results["payments.capture_batch"] == 1
    captured = payment_of(app, order.id)
    assert captured.status == "captured" and captured.captured_at
    with app.app_context():
        assert phone.capture_batch() == 0  # twice: captured once
    assert payment_of(app, order.id).captured_at == captured.captured_at
    assert results["etickets.release_phone"] == 0 and ticket_count(app, order.id) == 0
    clock.set(datetime(YEAR, 3, 1, 23, 59))
    assert run_due(app)["etickets.release_phone"] == 0  # same day: still nothing
    mailbox.clear()
    clock.set(datetime(YEAR, 3, 2, 0, 30))  # J+1
    assert run_due(app)["etickets.release_phone"] == 1
    assert ticket_count(app, order.id) == 2
    assert any("e-billets" in m["Subject"] for m in mailbox.wait_for(1))
    assert run_due(app)["etickets.release_phone"] == 0
    assert ticket_count(app, order.id) == 2


def test_web_card_orders_still_get_etickets_at_once(app, agent, parc, clock):
    """The J+1 rule is for phone/post card orders only."""
    from orders import services
    from tests.web.ops.helpers import place as place_web

    clock.set(NOW_PARIS)
    number = place_web(app, agent, parc, 1, method="card")
    order = order_of(app, number)
    with app.app_context():
        services.mark_paid(
            order.id, method="demo", amount_cents=order.total_cents, provider_ref="d-1", actor=None
        )
    assert ticket_count(app, order.id) == 1


def test_r_vac_5_operator_books_a_stay_with_the_household_by_phone(
    operator, make_agent, make_offer, app
):
    number, _ = make_agent(
        household_id="H-TEL-SEJOUR",
        email="sejour@exemple.fr",
        qf=696.0,
        children=[{"prenom": "Inès", "birth_date": "2016-03-01", "fiscal_status": "a_charge"}],
    )
    starts = (NOW_PARIS + timedelta(days=90)).date()
    offer_id = make_offer(
        **stay_fields(
            starts=starts,
            title="Village vacances — Gruissan",
            public_price_cents=50000,
            negotiated_price_cents=50000,
            cgos_price_cents=50000,
            child_public_price_cents=30000,
            stock=10,
            sale_closes_at=None,
        )
    )
    page = text(operator.get(f"/gestion/saisie/{number}?t={offer_id}"))
    assert "Ajouter le séjour" in page and "Inès" in page
    url = f"/gestion/saisie/{number}/sejour"
    # No adult and a child under 18: refused with the rule, nothing added.
    refused = operator.post(url, data={"offer_id": str(offer_id), "adults": "0", "children": "0"})
    assert refused.status_code == 422
    assert "doit être majeur" in text(refused)
    ok = operator.post(url, data={"offer_id": str(offer_id), "adults": "1", "children": "0"})
    assert ok.status_code == 302
    page = text(operator.get(f"/gestion/saisie/{number}"))
    assert "Participants : 1 adulte, 1 enfant (Inès) (35 %)" in page
    assert place(operator, number).status_code == 302
    order = last_order(app, number)
    # 500 € and 300 € at 35 %: 325 € + 195 €; no participation from the cap.
    assert order.total_cents == 52_000 and order.participation_cents == 0
    assert stock_of(app, offer_id) == 8
