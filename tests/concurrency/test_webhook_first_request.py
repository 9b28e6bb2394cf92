"""Stripe's webhook as the first request a fresh process serves (issue « production truth »,
defect 2, the card payment's case; R-PAY-2): its first database access is a write.

A new app has a new engine that has never connected, as in a gunicorn worker just started
(after a deploy, a HUP or a crash); the order is placed by another app that commits for
real, as another worker would.
"""

from __future__ import annotations

from typing import Any

from orders import services
from orders.models import Order, Payment
from shop import create_app
from shop.db import session
from tests.concurrency.helpers import fill_cart, load_agent, seed_agents, seed_offer
from tests.harness import Clock, Mailbox, base_overrides, dispose_engine
from tests.stripe_standin import StripeStandin, delivery, make_event

WEBHOOK_SECRET = "whsec_test_fresh"


def test_defect_2_webhook_first_request_of_a_fresh_process_pays_the_order(
    committing_app: Any, smtp_server: tuple[Mailbox, int]
) -> None:
    [number] = seed_agents(committing_app, 1)
    offer_id, session_id = seed_offer(committing_app, session_stock=10)
    total = fill_cart(committing_app, number, offer_id, session_id)
    with committing_app.app_context():
        agent = load_agent(number)
        order = services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact("camille@exemple.fr", True),
            expected_total_cents=total,
            checkout_token="fresh-process-card-order",
            actor=agent,
        )
        order_id, order_number = order.id, order.number

    with StripeStandin() as standin:
        fresh = create_app(
            base_overrides(
                smtp_server[1],
                STRIPE_SECRET_KEY=standin.secret_key,
                STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                STRIPE_API_BASE=standin.url,
            )
        )
        fresh.extensions["clock"] = Clock()
        try:
            intent = standin.charge(total, {"order_number": order_number})
            body, headers = delivery(make_event("payment_intent.succeeded", intent), WEBHOOK_SECRET)
            resp = fresh.test_client().post("/paiement/webhook", data=body, headers=headers)
        finally:
            dispose_engine(fresh)

    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.get_json()["outcome"] == "paid"
    with committing_app.app_context():
        assert session().get(Order, order_id).status == "paid"
        [payment] = session().query(Payment).filter_by(order_id=order_id).all()
        assert payment.provider_ref == intent["id"] and payment.amount_cents == total
