"""« Me rétracter » on the order page (R-ORD-5)."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import NOW_PARIS, add, checkout_form, order_of, text


def test_r_ord_5_withdraw_button_within_15_days(buyer, make_offer, app, clock, mailbox):
    oid = make_offer(
        kind="carte",
        category="cartes-et-cheques",
        title="E-carte cinéma",
        stock=20,
        public_price_cents=5000,
        negotiated_price_cents=5000,
        cgos_price_cents=4000,
        deliveries=("email",),
        physical=False,
    )
    add(buyer, oid, 1, "email")
    resp = buyer.post("/commande/", data=checkout_form(buyer) | {"payment_method": "card"})
    buyer.post(resp.location, data={"outcome": "succeed"})
    number = order_of(app).number
    page = text(buyer.get(f"/mes-commandes/{number}"))
    assert "Me rétracter" in page
    from orders.models import OrderLine
    from shop.db import session

    with app.app_context():
        line_id = session().query(OrderLine.id).filter_by(offer_id=oid).scalar()
    clock.set(NOW_PARIS + timedelta(days=16))
    buyer.relogin()
    assert "Me rétracter" not in text(buyer.get(f"/mes-commandes/{number}"))
    refused = buyer.post(f"/mes-commandes/{number}/retractation/{line_id}", follow_redirects=True)
    assert "ne s&#39;applique pas ou plus" in text(refused) or "ne s'applique pas ou plus" in text(
        refused
    )
    clock.set(NOW_PARIS + timedelta(days=14))
    buyer.relogin()
    done = buyer.post(f"/mes-commandes/{number}/retractation/{line_id}", follow_redirects=True)
    assert "Votre rétractation est enregistrée" in text(done)
    assert order_of(app).status == "refunded"
