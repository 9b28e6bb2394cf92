"""R-OPS-8: an operator refunds a card order through Stripe (the stand-in), never more
than was paid, the agent told."""

from __future__ import annotations

import pytest

from tests.stripe_standin import make_event
from tests.web.ops.helpers import order_of, place, text, used_of
from tests.web.payments.helpers import payments, post_event


@pytest.fixture
def parc(make_offer):
    return make_offer(kind="billet_ouvert", title="Parc des Oiseaux", stock=10)


def _paid_by_card(app, agent, parc, stripe_api):
    number = place(app, agent, parc, 2, method="card")
    order = order_of(app, number)
    intent = stripe_api.charge(order.total_cents, {"order_number": number})
    assert (
        post_event(app, make_event("payment_intent.succeeded", intent)).get_json()["outcome"]
        == "paid"
    )
    return order_of(app, number), intent


def test_r_ops_8_card_order_refunded_through_stripe(
    operator, app, agent, parc, stripe_api, mailbox
):
    from orders.models import OrderLine
    from shop.db import session

    order, intent = _paid_by_card(app, agent, parc, stripe_api)
    assert order.status == "paid" and used_of(app, "H-TEL") == 3000
    with app.app_context():
        line = session().query(OrderLine).filter_by(order_id=order.id).one()
    page = text(operator.get(f"/gestion/commandes/{order.number}"))
    assert "Remboursement sur la carte bancaire utilisée" in page
    mailbox.clear()
    resp = operator.post(
        f"/gestion/commandes/{order.number}/rembourser",
        data={"lines": [str(line.id)], "reason": "doublon"},
    )
    assert resp.status_code == 302, text(resp)
    assert "sur la carte bancaire de l'agent" in text(operator.get(resp.location))
    [call] = stripe_api.calls("POST", "/v1/refunds")
    assert call.params["payment_intent"] == intent["id"]
    assert int(call.params["amount"]) == line.amount_cents
    [refund_obj] = stripe_api.refunds.values()
    assert refund_obj["payment_intent"] == intent["id"]
    refund = [p for p in payments(app, order) if p.kind == "refund"][0]
    assert (refund.method, refund.status) == ("card", "refunded")
    assert call.idempotency_key == refund.provider_ref
    assert order_of(app, order.number).status == "refunded"
    assert used_of(app, "H-TEL") == 0
    body = mailbox.text_of(next(m for m in mailbox.wait_for(1) if "Remboursement" in m["Subject"]))
    assert "carte bancaire utilisée" in body and "Commande passée en double" in body
    page = text(operator.get(f"/gestion/commandes/{order.number}"))
    assert "Remboursé" in page and "Rembourser</button>" not in page


def test_r_ops_8_card_refund_caps_at_what_was_paid(operator, app, agent, parc, stripe_api):
    order, _ = _paid_by_card(app, agent, parc, stripe_api)
    over = order.total_cents + 1
    resp = operator.post(
        f"/gestion/commandes/{order.number}/rembourser",
        data={"reason": "geste", "amount": f"{over // 100},{over % 100:02d}"},
    )
    assert resp.status_code == 422 and "dépasse ce qui a été payé" in text(resp)
    assert stripe_api.calls("POST", "/v1/refunds") == []
