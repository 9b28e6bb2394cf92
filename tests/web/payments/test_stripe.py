"""Card payments through Stripe (R-PAY-2, R-ORD-6), against the local stand-in."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.factories import order_of, stock_of, text
from tests.stripe_standin import make_event, sign
from tests.web.payments.helpers import (
    WEBHOOK_SECRET,
    pay_by_card,
    payments,
    post_event,
    rows,
    stripe_url,
    subjects,
)


@pytest.fixture
def paid_session(buyer, parc, app, stripe_api):
    """A card order whose Stripe session the agent has just paid: (order, session, intent)."""
    pay_by_card(buyer, parc, 2)
    order = order_of(app)
    session, intent = stripe_api.complete(order.payment_ref)
    return order, session, intent


# -- paying -------------------------------------------------------------------------------


def test_r_pay_2_card_checkout_redirects_to_the_stripe_session(buyer, parc, app, stripe_api, clock):
    resp = pay_by_card(buyer, parc, 2)

    order = order_of(app)
    [call] = stripe_api.calls("POST", "/v1/checkout/sessions")
    session = stripe_api.sessions[order.payment_ref]
    assert stripe_url(resp) == session["url"]
    assert session["url"].startswith("https://checkout.stripe.com/")
    p = call.params
    assert p["mode"] == "payment"
    [item] = p["line_items"]
    assert item["quantity"] == 1
    assert item["price_data"]["unit_amount"] == order.total_cents > 0
    assert item["price_data"]["currency"] == "eur"
    assert item["price_data"]["product_data"]["name"] == f"Commande {order.number}"
    assert p["client_reference_id"] == order.number
    assert p["metadata"] == {"order_number": order.number}
    assert p["payment_intent_data"]["metadata"] == {"order_number": order.number}
    assert p["success_url"] == p["cancel_url"] == f"http://localhost/commande/{order.number}"
    # About the order's 30-minute hold, but never under Stripe's 30-minute minimum.
    assert 31 * 60 <= p["expires_at"] - clock().timestamp() <= 36 * 60
    assert call.idempotency_key == f"checkout-{order.number}-{p['expires_at']}"
    assert call.headers["authorization"] == "Bearer sk_test_standin"
    assert order.status == "pending_payment"


def test_r_ord_6_a_second_payer_reuses_the_open_session(buyer, parc, app, stripe_api):
    first = pay_by_card(buyer, parc)
    order = order_of(app)

    again = buyer.post(f"/commande/{order.number}/payer")

    assert stripe_url(again) == stripe_url(first)
    assert len(stripe_api.calls("POST", "/v1/checkout/sessions")) == 1
    assert [c.path for c in stripe_api.calls("GET", "/v1/checkout/sessions/")] == [
        f"/v1/checkout/sessions/{order.payment_ref}"
    ]


def test_r_ord_6_a_retried_creation_answers_the_same_session(buyer, parc, app, stripe_api):
    """Stripe created the session but its answer was lost: the retry (same key, same
    parameters) gets that session, not a second one."""
    from shop.db import session, unit_of_work

    first = pay_by_card(buyer, parc)
    order = order_of(app)
    with app.app_context(), unit_of_work():
        session().get(type(order), order.id).payment_ref = None  # as if never stored

    again = buyer.post(f"/commande/{order.number}/payer")

    assert stripe_url(again) == stripe_url(first)
    calls = stripe_api.calls("POST", "/v1/checkout/sessions")
    assert len(calls) == 2
    assert calls[0].idempotency_key == calls[1].idempotency_key
    assert len(stripe_api.sessions) == 1


def test_an_expired_session_is_replaced_by_a_new_one(buyer, parc, app, stripe_api):
    first = pay_by_card(buyer, parc)
    old = order_of(app).payment_ref
    stripe_api.expire(old)

    again = buyer.post(f"/commande/{order_of(app).number}/payer")

    new = order_of(app).payment_ref
    assert new != old
    assert stripe_url(again) != stripe_url(first)
    assert stripe_url(again) == stripe_api.sessions[new]["url"]
    keys = [c.idempotency_key for c in stripe_api.calls("POST", "/v1/checkout/sessions")]
    assert len(set(keys)) == 2


def test_r_ord_6_stripe_unreachable_keeps_the_order_and_offers_to_retry(
    buyer, parc, app, stripe_api
):
    stripe_api.fail_next(500)

    resp = pay_by_card(buyer, parc)

    order = order_of(app)
    assert resp.location.endswith(f"/commande/{order.number}")
    page = text(buyer.get(resp.location))
    assert "momentanément indisponible" in page
    assert "En attente de paiement" in page
    assert order.status == "pending_payment" and order.payment_ref is None
    retry = buyer.post(f"/commande/{order.number}/payer")
    assert stripe_url(retry) == stripe_api.sessions[order_of(app).payment_ref]["url"]


def test_payer_after_paying_on_stripe_never_opens_a_second_payment(
    buyer, app, stripe_api, paid_session
):
    order, _session, _intent = paid_session

    resp = buyer.post(f"/commande/{order.number}/payer")

    assert resp.location.endswith(f"/commande/{order.number}")
    assert "sa confirmation arrive" in text(buyer.get(resp.location))
    assert len(stripe_api.calls("POST", "/v1/checkout/sessions")) == 1


def test_demo_payment_page_is_404_with_stripe(buyer, parc, app, stripe_api):
    pay_by_card(buyer, parc)
    number = order_of(app).number

    demo = f"/commande/{number}/paiement-demo"
    assert buyer.get(demo).status_code == 404
    assert buyer.post(demo, data={"outcome": "succeed"}).status_code == 404
    assert order_of(app).status == "pending_payment"


# -- webhook: paying once -----------------------------------------------------------------


def test_r_pay_2_signed_session_completed_pays_the_order(
    buyer, app, stripe_api, mailbox, paid_session
):
    order, session, intent = paid_session

    resp = post_event(app, make_event("checkout.session.completed", session))

    assert resp.status_code == 200
    assert resp.get_json()["outcome"] == "paid"
    assert order_of(app).status == "paid"
    [payment] = payments(app, order)
    assert (payment.kind, payment.method) == ("payment", "card")
    assert payment.provider_ref == intent["id"]
    assert payment.amount_cents == order.total_cents
    mailbox.wait_for(2)
    assert subjects(mailbox, "payée") == [f"Commande {order.number} payée"]
    assert "Payée" in text(buyer.get(f"/commande/{order.number}"))


def test_r_pay_2_the_same_event_twice_changes_nothing_more(
    buyer, app, stripe_api, mailbox, paid_session
):
    order, session, _intent = paid_session
    event = make_event("checkout.session.completed", session)

    first = post_event(app, event)
    mails_after_first = len(mailbox.wait_for(2))
    second = post_event(app, event)

    assert first.status_code == second.status_code == 200
    assert second.get_json()["outcome"] == "duplicate"
    assert len(payments(app, order)) == 1
    assert len(subjects(mailbox, "payée")) == 1
    assert len(mailbox.messages) == mails_after_first  # mails go out before the answer


@pytest.mark.parametrize("intent_first", [True, False], ids=["intent-first", "session-first"])
def test_r_pay_2_events_in_any_order_pay_once(
    buyer, app, stripe_api, mailbox, paid_session, intent_first
):
    order, session, intent = paid_session
    events = [
        make_event("checkout.session.completed", session),
        make_event("payment_intent.succeeded", intent),
    ]
    if intent_first:
        events.reverse()

    outcomes = [post_event(app, e).get_json()["outcome"] for e in events]

    assert outcomes == ["paid", "already_paid"]
    assert order_of(app).status == "paid"
    [payment] = payments(app, order)
    assert payment.provider_ref == intent["id"]
    mailbox.wait_for(2)
    assert len(subjects(mailbox, "payée")) == 1
    assert stripe_api.calls("POST", "/v1/refunds") == []


def test_session_not_yet_paid_changes_nothing(buyer, parc, app, stripe_api):
    pay_by_card(buyer, parc)
    order = order_of(app)
    unpaid = stripe_api.sessions[order.payment_ref] | {"status": "complete"}

    resp = post_event(app, make_event("checkout.session.completed", unpaid))

    assert resp.get_json()["outcome"] == "unpaid"
    assert order_of(app).status == "pending_payment"


def test_other_event_types_are_acknowledged_and_ignored(app, stripe_api, db):
    from orders.models import ProcessedEvent

    resp = post_event(app, make_event("customer.created", {"id": "cus_1", "object": "customer"}))

    assert resp.status_code == 200
    assert resp.get_json()["outcome"] == "ignored"
    assert rows(app, ProcessedEvent) == []


# -- webhook: trust ------------------------------------------------------------------------


def _bad_deliveries(event: dict[str, Any]) -> dict[str, tuple[str, dict[str, str]]]:
    body = json.dumps(event)
    good = sign(body, WEBHOOK_SECRET)
    garbage = "{not json"
    return {
        "wrong secret": (body, {"Stripe-Signature": sign(body, "whsec_someone_else")}),
        "no header": (body, {}),
        "malformed header": (body, {"Stripe-Signature": "v1=abc"}),
        "tampered body": (body.replace("paid", "paid "), {"Stripe-Signature": good}),
        "too old": (body, {"Stripe-Signature": sign(body, WEBHOOK_SECRET, int(time.time()) - 600)}),
        "signed garbage": (garbage, {"Stripe-Signature": sign(garbage, WEBHOOK_SECRET)}),
    }


def test_r_pay_2_bad_signature_is_400_and_changes_nothing(
    buyer, app, stripe_api, mailbox, paid_session
):
    from orders.models import ProcessedEvent

    order, session, _intent = paid_session
    event = make_event("checkout.session.completed", session)

    for case, (body, headers) in _bad_deliveries(event).items():
        resp = app.test_client().post(
            "/paiement/webhook", data=body, headers=headers, content_type="application/json"
        )
        assert resp.status_code == 400, case

    assert order_of(app).status == "pending_payment"
    assert payments(app, order) == []
    assert rows(app, ProcessedEvent) == []
    mailbox.wait_for(1)
    assert subjects(mailbox, "payée") == []


def test_webhook_is_exempt_from_csrf_but_not_from_its_signature(
    app, stripe_api, monkeypatch, paid_session
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    _order, session, _intent = paid_session

    resp = post_event(app, make_event("checkout.session.completed", session))

    assert resp.status_code == 200
    assert resp.get_json()["outcome"] == "paid"


def test_webhook_is_404_without_stripe(app, db):
    resp = post_event(app, make_event("checkout.session.completed", {"id": "cs_x"}))
    assert resp.status_code == 404


# -- payments the order cannot take are refunded (R-ORD-6) -------------------------------


def test_r_pay_2_payment_after_expiry_is_refunded_once(
    buyer, parc, app, stripe_api, clock, mailbox
):
    from orders.models import Payment
    from shop.jobs import run_due

    pay_by_card(buyer, parc, 2)
    order = order_of(app)
    clock.advance(minutes=31)
    with app.app_context():
        run_due()
    assert order_of(app).status == "cancelled"
    assert stock_of(app, parc) == 10
    session, intent = stripe_api.complete(order.payment_ref)  # paid in the last minute

    outcomes = [
        post_event(app, make_event("checkout.session.completed", session)).get_json()["outcome"],
        post_event(app, make_event("payment_intent.succeeded", intent)).get_json()["outcome"],
    ]

    assert outcomes == ["refunded", "already_refunded"]
    [call] = stripe_api.calls("POST", "/v1/refunds")
    assert call.params["payment_intent"] == intent["id"]
    assert call.params["amount"] == order.total_cents
    assert call.idempotency_key == f"refund-{intent['id']}"
    assert len(stripe_api.refunds) == 1
    assert order_of(app).status == "cancelled"
    assert stock_of(app, parc) == 10
    [refund] = payments(app, order)
    assert (refund.kind, refund.method) == ("refund", "card")
    assert refund.provider_ref == f"refund-{intent['id']}"
    assert refund.amount_cents == order.total_cents
    assert refund.status == "refunded"
    assert rows(app, Payment, kind="payment") == []
    mailbox.wait_for(3)  # placed, cancelled, refunded
    [mail] = [m for m in mailbox.messages if "remboursé" in m["Subject"]]
    assert mail["To"] == "acheteur@exemple.fr"
    body = mailbox.text_of(mail)
    assert "annulée avant l'arrivée du paiement" in body
    assert "intégralement remboursé" in body


def test_r_ord_6_a_second_payment_of_a_paid_order_is_refunded(
    buyer, app, stripe_api, mailbox, paid_session
):
    order, session, intent = paid_session
    post_event(app, make_event("checkout.session.completed", session))
    other = stripe_api.charge(order.total_cents, {"order_number": order.number})

    resp = post_event(app, make_event("payment_intent.succeeded", other))

    assert resp.get_json()["outcome"] == "refunded"
    [call] = stripe_api.calls("POST", "/v1/refunds")
    assert call.params["payment_intent"] == other["id"]
    assert order_of(app).status == "paid"
    kinds = [(p.kind, p.provider_ref) for p in payments(app, order)]
    assert kinds == [("payment", intent["id"]), ("refund", f"refund-{other['id']}")]
    mailbox.wait_for(3)
    [mail] = [m for m in mailbox.messages if "remboursé" in m["Subject"]]
    assert "déjà payée par un autre paiement" in mailbox.text_of(mail)


def test_refund_stripe_could_not_take_is_sent_again_by_the_job(buyer, parc, app, stripe_api, clock):
    from shop.jobs import run_due

    pay_by_card(buyer, parc)
    order = order_of(app)
    clock.advance(minutes=31)
    with app.app_context():
        run_due()
    session, intent = stripe_api.complete(order.payment_ref)
    stripe_api.fail_next(500)

    resp = post_event(app, make_event("checkout.session.completed", session))

    assert resp.status_code == 200
    [refund] = payments(app, order)
    assert refund.status == "refund_pending"
    assert stripe_api.refunds == {}
    with app.app_context():
        results = run_due()
    assert results["payments.card_refunds"] == 1
    [refund] = payments(app, order)
    assert refund.status == "refunded"
    assert len(stripe_api.refunds) == 1
    keys = {c.idempotency_key for c in stripe_api.calls("POST", "/v1/refunds")}
    assert keys == {f"refund-{intent['id']}"}
    with app.app_context():
        assert run_due()["payments.card_refunds"] == 0


def test_defect_1_the_page_to_stripe_keeps_form_action_self(buyer, parc, app, stripe_api):
    """Stripe is reached by a GET from our own page: the CSP allows no form elsewhere."""
    resp = pay_by_card(buyer, parc)

    csp = dict(d.strip().split(" ", 1) for d in resp.headers["Content-Security-Policy"].split(";"))
    assert csp["form-action"] == "'self'"
    assert stripe_url(resp) == stripe_api.sessions[order_of(app).payment_ref]["url"]
