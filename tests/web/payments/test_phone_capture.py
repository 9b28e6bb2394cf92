"""R-PAY-5 with Stripe: a phone card payment is held when the agent pays the link, then
captured by the evening batch (and only then do its e-billets go out, the next day)."""

from __future__ import annotations

from datetime import datetime

from orders.models import Payment
from tests.factories import YEAR
from tests.stripe_standin import make_event
from tests.web.ops.helpers import order_of
from tests.web.ops.phone import _audit, card_order, payment_of, run_due, ticket_count
from tests.web.payments.helpers import post_event, stripe_url


def _pay_link(app, stripe_api, link):
    """The agent follows the link to Stripe, pays, and Stripe tells us the hold."""
    resp = app.test_client().post(link)
    url = stripe_url(resp)
    assert url.startswith("https://checkout.stripe.com/")
    [call] = stripe_api.calls("POST", "/v1/checkout/sessions")
    assert call.params["payment_intent_data"]["capture_method"] == "manual"
    session_id = url.rsplit("/", 1)[1]
    success = f"http://localhost{link}"  # back to the link's page: no login needed
    assert call.params["success_url"] == call.params["cancel_url"] == success
    session, intent = stripe_api.complete(session_id)
    assert session["payment_status"] == "unpaid" and intent["status"] == "requires_capture"
    # The session's own event says "unpaid": nothing happens on it.
    assert post_event(app, make_event("checkout.session.completed", session)).status_code == 200
    hold = make_event("payment_intent.amount_capturable_updated", intent)
    assert post_event(app, hold).status_code == 200
    return intent


def test_r_pay_5_held_then_captured_by_the_evening_batch(
    operator, app, agent, parc, mailbox, clock, stripe_api
):
    order, link = card_order(operator, app, agent, parc, mailbox)
    intent = _pay_link(app, stripe_api, link)
    assert order_of(app, order.number).status == "paid"
    payment = payment_of(app, order.id)
    assert payment.provider_ref == intent["id"] and payment.status == "authorised"
    assert payment.amount_cents == order.total_cents

    clock.set(datetime(YEAR, 3, 1, 20, 59))
    assert run_due(app)["payments.capture_batch"] == 0
    assert stripe_api.calls("POST", f"/v1/payment_intents/{intent['id']}/capture") == []
    clock.set(datetime(YEAR, 3, 1, 21, 5))
    assert run_due(app)["payments.capture_batch"] == 1
    [capture] = stripe_api.calls("POST", f"/v1/payment_intents/{intent['id']}/capture")
    assert capture.headers["idempotency-key"] == f"capture-{payment.id}"
    assert stripe_api.intents[intent["id"]]["status"] == "succeeded"
    assert payment_of(app, order.id).status == "captured"
    # Stripe then reports the capture: already recorded, nothing changes.
    captured = make_event("payment_intent.succeeded", stripe_api.intents[intent["id"]])
    assert post_event(app, captured).status_code == 200
    assert len([p for p in _payments(app, order.id) if p.kind == "payment"]) == 1
    assert run_due(app)["payments.capture_batch"] == 0  # once
    clock.set(datetime(YEAR, 3, 2, 0, 30))  # J+1
    assert run_due(app)["etickets.release_phone"] == 1
    assert ticket_count(app, order.id) == 2


def test_r_pay_5_a_lost_hold_is_flagged_and_issues_no_etickets(
    operator, app, agent, parc, mailbox, clock, stripe_api
):
    order, link = card_order(operator, app, agent, parc, mailbox)
    intent = _pay_link(app, stripe_api, link)
    stripe_api.cancel_hold(intent["id"])
    clock.set(datetime(YEAR, 3, 1, 21, 5))
    stripe_api.fail_next(503)  # first an outage: left for the next run
    assert run_due(app)["payments.capture_batch"] == 0
    assert payment_of(app, order.id).status == "authorised"
    assert run_due(app)["payments.capture_batch"] == 0
    payment = payment_of(app, order.id)
    assert payment.status == "hold_lost" and payment.details["capture_status"] == "canceled"
    assert any(e.action == "payment.capture_failed" for e in _audit(app))
    clock.set(datetime(YEAR, 3, 2, 0, 30))
    assert run_due(app)["etickets.release_phone"] == 0 and ticket_count(app, order.id) == 0


def _payments(app, order_id):
    from sqlalchemy import select

    from shop.db import session

    with app.app_context():
        return list(session().scalars(select(Payment).where(Payment.order_id == order_id)))


def test_r_ord_6_stripe_unreachable_from_the_link_keeps_the_payer_on_the_link(
    operator, app, agent, parc, mailbox, stripe_api
):
    """The payer of a link is not logged in: back to the link's page, not to a login."""
    order, link = card_order(operator, app, agent, parc, mailbox)
    stripe_api.fail_next(500)
    payer = app.test_client()

    resp = payer.post(link)

    assert resp.status_code == 302 and resp.location == f"http://localhost{link}"
    page = payer.get(link).get_data(as_text=True)
    assert "momentanément indisponible" in page
    assert order_of(app, order.number).status == "pending_payment"
