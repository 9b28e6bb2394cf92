"""Checkout and order life (R-PAY-1…3, R-ORD-1, R-ORD-2, R-ORD-4, R-CAP-2)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.factories import (
    NOW_PARIS,
    add,
    checkout_form,
    login_agent,
    order_of,
    session_id_of,
    set_used,
    stock_of,
    text,
    utc,
)

YEAR = NOW_PARIS.year


def used_of(app, household="H-BUY"):
    from orders.models import HouseholdYear
    from shop.db import session

    with app.app_context():
        row = session().get(HouseholdYear, (household, YEAR))
        return row.used_cents if row else 0


def test_r_pay_3_cheque_option_holds_stock_and_participation(buyer, parc, app, mailbox):
    add(buyer, parc, 3)
    form = checkout_form(buyer) | {"payment_method": "cheque"}
    resp = buyer.post("/commande/", data=form)
    assert resp.status_code == 302
    page = text(buyer.get(resp.location))
    assert "Option (chèque attendu)" in page
    assert "Billetterie C.G.O.S - SOGEC GESTION" in page
    assert "48 heures" in page
    assert stock_of(app, parc) == 7
    assert used_of(app) == 3_000
    [mail] = mailbox.wait_for(1)
    assert "Postez votre chèque sous 48 heures" in mail.get_body(("plain",)).get_content()
    assert "Votre panier est vide" in text(buyer.get("/panier/"))


def test_r_pay_1_a_payment_method_is_required(buyer, parc):
    add(buyer, parc, 1)
    resp = buyer.post("/commande/", data=checkout_form(buyer))
    assert resp.status_code == 422
    assert "Choisissez un moyen de paiement" in text(resp)


def test_r_pay_1_every_error_at_once_in_a_focused_summary(buyer, parc, app):
    """Issue 21 (GOV.UK error summary): one submit lists every refused field, each a link
    to its field, the summary focused on load; an empty e-mail asks for one."""
    add(buyer, parc, 1)
    form = checkout_form(buyer) | {"email": ""}
    del form["accept_cgv"]
    resp = buyer.post("/commande/", data=form)
    assert resp.status_code == 422
    page = text(resp)
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert 'tabindex="-1"' in summary and "autofocus" in summary and "3 points" in summary
    assert '<a href="#email">Saisissez votre adresse e-mail.</a>' in summary
    assert '<a href="#accept_cgv">Acceptez les conditions générales de vente' in summary
    assert '<a href="#pm-card">Choisissez un moyen de paiement' in summary
    assert summary.index("#email") < summary.index("#accept_cgv") < summary.index("#pm-card")
    assert 'id="email-erreur">Saisissez votre adresse e-mail.' in page  # beside the field too
    bad = checkout_form(buyer) | {"email": "pas-un-email", "payment_method": "card"}
    page = text(buyer.post("/commande/", data=bad))
    assert '<a href="#email">Adresse e-mail invalide.</a>' in page and "1 point " in page


def test_cgv_must_be_accepted_and_typed_email_kept(buyer, parc):
    add(buyer, parc, 1)
    form = checkout_form(buyer) | {"payment_method": "card", "email": "moi@ailleurs.fr"}
    del form["accept_cgv"]
    resp = buyer.post("/commande/", data=form)
    assert resp.status_code == 422
    page = text(resp)
    assert "Acceptez les conditions générales de vente" in page
    assert 'value="moi@ailleurs.fr"' in page
    assert 'id="pm-card" name="payment_method" value="card" checked' in page


def test_double_submission_places_one_order(buyer, parc, app):
    add(buyer, parc, 2)
    form = checkout_form(buyer) | {"payment_method": "cheque"}
    first = buyer.post("/commande/", data=form)
    second = buyer.post("/commande/", data=form)
    assert first.location == second.location
    assert stock_of(app, parc) == 8


def test_a_checkout_submitted_again_after_the_cart_was_refilled_is_the_first_order(
    buyer, parc, app
):
    """The checkout token is unique: the first order is shown again, nothing else placed
    and the new cart is kept."""
    add(buyer, parc, 2)
    form = checkout_form(buyer) | {"payment_method": "cheque"}
    first = buyer.post("/commande/", data=form)
    add(buyer, parc, 1)
    again = buyer.post(
        "/commande/", data=form | {"expected_total": checkout_form(buyer)["expected_total"]}
    )
    assert again.location == first.location
    assert stock_of(app, parc) == 8
    assert "Parc" in text(buyer.get("/panier/"))


def test_an_order_the_database_refuses_is_a_message_not_an_error_page(
    buyer, parc, app, monkeypatch
):
    from sqlalchemy.exc import IntegrityError

    import orders.services

    add(buyer, parc, 1)
    form = checkout_form(buyer) | {"payment_method": "cheque"}

    def refused(*args, **kwargs):
        raise IntegrityError("INSERT INTO orders …", {}, Exception("contrainte"))

    monkeypatch.setattr(orders.services, "_place", refused)
    resp = buyer.post("/commande/", data=form)
    assert resp.status_code == 422
    assert "pas pu être enregistrée : réessayez" in text(resp)
    assert stock_of(app, parc) == 10


def test_r_cap_4_total_changed_meanwhile_is_not_placed(buyer, parc, app):
    add(buyer, parc, 1)  # participation 10 €
    form = checkout_form(buyer) | {"payment_method": "cheque"}
    set_used(app, "H-BUY", 49_500)  # the other member of the household used the cap
    resp = buyer.post("/commande/", data=form)
    assert resp.status_code == 422
    assert "Le montant de votre commande a changé" in text(resp)
    assert stock_of(app, parc) == 10


def test_r_pay_2_demo_card_payment_pays_the_order(buyer, parc, app, mailbox):
    add(buyer, parc, 1)
    resp = buyer.post("/commande/", data=checkout_form(buyer) | {"payment_method": "card"})
    assert "/paiement-demo" in resp.location
    page = text(buyer.get(resp.location))
    assert "Mode démonstration" in page
    declined = buyer.post(resp.location, data={"outcome": "decline"})
    assert declined.status_code == 402
    assert order_of(app).status == "pending_payment"
    paid = buyer.post(resp.location, data={"outcome": "succeed"})
    assert "Payée" in text(buyer.get(paid.location))
    assert order_of(app).status == "paid"
    subjects = [m["Subject"] for m in mailbox.wait_for(2)]
    assert any("payée" in s for s in subjects)


def test_another_agent_cannot_pay_or_see_an_order_on_the_demo_card_page(
    buyer, parc, app, make_agent
):
    add(buyer, parc, 1)
    pay_page = buyer.post("/commande/", data=checkout_form(buyer) | {"payment_method": "card"})
    other = app.test_client()
    number, code = make_agent(household_id="H-OTHER")
    assert login_agent(other, number, code).status_code == 302
    assert other.post(pay_page.location, data={"outcome": "succeed"}).status_code == 404
    assert other.get(pay_page.location).status_code == 404
    assert order_of(app).status == "pending_payment"
    # Paid once by its owner; paying again only shows the confirmation.
    assert buyer.post(pay_page.location, data={"outcome": "succeed"}).status_code == 302
    again = buyer.post(pay_page.location, data={"outcome": "succeed"})
    assert again.status_code == 302 and order_of(app).status == "paid"


def test_r_pay_2_unpaid_card_order_released_after_30_minutes(buyer, parc, app, clock):
    from shop.jobs import run_due

    add(buyer, parc, 2)
    buyer.post("/commande/", data=checkout_form(buyer) | {"payment_method": "card"})
    assert stock_of(app, parc) == 8
    clock.advance(minutes=29)
    with app.app_context():
        run_due()
    assert order_of(app).status == "pending_payment"
    clock.advance(minutes=1)
    with app.app_context():
        run_due()
    assert order_of(app).status == "cancelled"
    assert stock_of(app, parc) == 10
    assert used_of(app) == 0


@pytest.mark.parametrize(("days", "status"), [(7, "option"), (8, "cancelled")])
def test_r_pay_3_option_cancelled_at_the_end_of_day_8(buyer, parc, app, clock, days, status):
    from shop.jobs import run_due

    add(buyer, parc, 1)
    buyer.post("/commande/", data=checkout_form(buyer) | {"payment_method": "cheque"})
    # Ordered on day 1 (1 March); day 8 is 8 March; its last minute still holds.
    clock.set(datetime(2027, 3, 1, 23, 59) + timedelta(days=days - 1))
    with app.app_context():
        run_due()
    assert order_of(app).status == "option"
    clock.advance(minutes=1, seconds=1)
    with app.app_context():
        run_due()
    assert order_of(app).status == status
    assert stock_of(app, parc) == (9 if status == "option" else 10)


def test_someone_elses_order_is_404(buyer, parc, app, make_agent):
    add(buyer, parc, 1)
    resp = buyer.post("/commande/", data=checkout_form(buyer) | {"payment_method": "cheque"})
    intruder = app.test_client()
    number, code = make_agent()
    login_agent(intruder, number, code)
    assert intruder.get(resp.location).status_code == 404


def test_r_ord_4_last_seats_cannot_be_sold_twice(buyer, make_offer, app, make_agent):
    oid = make_offer(title="Gala", sessions=[(utc(NOW_PARIS + timedelta(days=30)), 2)])
    sid = session_id_of(app, oid)
    other = app.test_client()
    number, code = make_agent()
    login_agent(other, number, code)
    add(buyer, oid, 2, session_id=sid)
    add(other, oid, 2, session_id=sid)
    form_a = checkout_form(buyer) | {"payment_method": "cheque"}
    form_b = checkout_form(other) | {"payment_method": "cheque"}
    assert buyer.post("/commande/", data=form_a).status_code == 302
    refused = other.post("/commande/", data=form_b)
    assert refused.status_code == 422
    assert "épuisé" in text(refused).lower()


def test_r_ord_4_one_sold_out_line_refuses_the_whole_order(buyer, make_offer, app, make_agent):
    """The sold-out line is named, and the lines that had stock keep it."""
    plenty = make_offer(kind="billet_ouvert", title="Musée", stock=10)
    scarce = make_offer(kind="billet_ouvert", title="Aquarium", stock=1)
    other = app.test_client()
    number, code = make_agent()
    login_agent(other, number, code)
    add(buyer, plenty, 2)
    add(buyer, scarce, 1)
    add(other, scarce, 1)
    form_b = checkout_form(other) | {"payment_method": "cheque"}
    form_a = checkout_form(buyer) | {"payment_method": "cheque"}
    assert other.post("/commande/", data=form_b).status_code == 302
    refused = buyer.post("/commande/", data=form_a)
    assert refused.status_code == 422
    assert "« Aquarium » : Épuisé" in text(refused)
    assert stock_of(app, plenty) == 10
    assert stock_of(app, scarce) == 0


def test_r_ord_4_stock_taken_in_one_update_names_the_short_row(make_offer, app):
    """When stock runs out between the cart check and the UPDATE, the one conditional
    UPDATE takes nothing from the short row, names it, and the rollback restores the rest."""
    from orders.models import OrderLine
    from orders.services import _take_stock
    from shop.db import unit_of_work
    from shop.errors import DomainError

    plenty = make_offer(kind="billet_ouvert", title="Musée", stock=10)
    scarce = make_offer(kind="billet_ouvert", title="Aquarium", stock=1)
    lines = [
        OrderLine(offer_id=plenty, session_id=None, quantity=2, title="Musée"),
        OrderLine(offer_id=scarce, session_id=None, quantity=3, title="Aquarium"),
    ]
    refused = pytest.raises(DomainError, match="« Aquarium » : épuisé")
    with app.app_context(), refused, unit_of_work():
        _take_stock(lines)
    assert stock_of(app, plenty) == 10
    assert stock_of(app, scarce) == 1
    with app.app_context(), unit_of_work():
        _take_stock(lines[:1])
    assert stock_of(app, plenty) == 8
