"""The Stripe adapter (R-PAY-2, R-ORD-6): it only talks to Stripe — Checkout Sessions to pay,
webhook events read into the store's terms, captures and refunds sent. What an event or a
refund does to an order is decided by ``orders.payments`` and ``orders.refunds``.

The official ``stripe`` library is configured per call from the app's settings
(``STRIPE_SECRET_KEY``, ``STRIPE_API_BASE``) through a ``StripeClient``, never through its
module-level globals, so several apps (tests) can share one process. Card data never
reaches the store: the agent pays on Stripe's page and the order is paid only when a
signed webhook event says so.

No Stripe call while a lock is held: a session is created for an order that is already
committed, and a refund is sent after the unit of work that records it has committed. The
adapter reads no table and writes none.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import stripe
from flask import current_app, flash
from stripe.params.checkout import SessionCreateParamsPaymentIntentData

from orders.models import Order
from shop import clock

API_TIMEOUT_SECONDS = 15
NETWORK_RETRIES = 2  # safe: every POST carries an idempotency key
# Stripe refuses a Checkout Session that expires less than 30 minutes after its creation.
SESSION_MIN_LIFETIME = timedelta(minutes=31)
# expires_at is rounded up to this step (seconds) so that two attempts a moment apart send
# the very same parameters under the same idempotency key: Stripe answers a key reused
# with other parameters by an error, and with the same ones by the first session.
SESSION_EXPIRY_STEP = 300
SESSION_EVENTS = frozenset(
    {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
)
INTENT_EVENTS = frozenset({"payment_intent.succeeded"})
# Phone card payments are held, then captured in the evening batch (R-PAY-5).
HOLD_EVENTS = frozenset({"payment_intent.amount_capturable_updated"})
HANDLED_EVENTS = SESSION_EVENTS | INTENT_EVENTS | HOLD_EVENTS


@contextmanager
def _client() -> Iterator[stripe.StripeClient]:
    """A client for one operation, with a timeout; its connections are closed after."""
    config = current_app.config
    http = stripe.RequestsClient(timeout=API_TIMEOUT_SECONDS)
    base = config.get("STRIPE_API_BASE")
    try:
        yield stripe.StripeClient(
            config["STRIPE_SECRET_KEY"],
            base_addresses={"api": base} if base else None,
            http_client=http,
            max_network_retries=NETWORK_RETRIES,
        )
    finally:
        http.close()


# -- paying: the Checkout Session ---------------------------------------------------------


@dataclass(frozen=True)
class CheckoutLink:
    url: str
    created_session: str | None = None  # a new session, for the caller to record on the order


def checkout_link(order: Order, return_url: str, *, manual_capture: bool) -> CheckoutLink:
    """Where the agent pays ``order``: its Checkout Session while open, else a new one.

    A retry (double click, lost answer, the library's own retries) never makes a second
    session: the order's session is reused while open, and a new one is created under an
    idempotency key derived from the order number. If Stripe cannot be reached, the agent
    lands back on ``return_url``, still pending, with its « Payer » button (R-ORD-6).
    ``manual_capture``: the payment is held, captured by the evening batch (R-PAY-5).
    """
    log = current_app.logger
    try:
        with _client() as client:
            if order.payment_ref and order.payment_ref.startswith("cs_"):
                current = _retrieve_session(client, order.payment_ref)
                if current is not None and current.status == "open" and current.url:
                    log.info("Stripe : session %s réutilisée pour %s", current.id, order.number)
                    return CheckoutLink(current.url)
                if current is not None and current.status == "complete":
                    # Paid on Stripe, the webhook is on its way: never take a second payment.
                    log.info("Stripe : session %s déjà payée (%s)", current.id, order.number)
                    flash(
                        "Votre paiement a bien été reçu ; sa confirmation arrive dans un "
                        "instant. Rechargez cette page dans quelques secondes.",
                        "info",
                    )
                    return CheckoutLink(return_url)
            replaced = order.payment_ref or None
            created = _create_session(client, order, return_url, replaced, manual_capture)
    except stripe.StripeError:
        log.exception("Stripe : session de paiement impossible pour %s", order.number)
        flash(
            f"Le paiement par carte est momentanément indisponible. Votre commande "
            f"{order.number} est bien enregistrée : réessayez dans un instant avec le bouton "
            f"« Payer par carte bancaire ».",
            "error",
        )
        return CheckoutLink(return_url)
    log.info("Stripe : session %s créée pour %s", created.id, order.number)
    return CheckoutLink(created.url, created.id)


def _retrieve_session(client: stripe.StripeClient, session_id: str) -> Any:
    try:
        return client.v1.checkout.sessions.retrieve(session_id)
    except stripe.InvalidRequestError:
        current_app.logger.warning("Stripe : session %s introuvable", session_id)
        return None


def session_expiry(order: Order) -> int:
    """Unix time at which the session closes: about the order's 30-minute hold, but no
    sooner than Stripe accepts, rounded up to ``SESSION_EXPIRY_STEP``."""
    now = clock.now()
    hold_end = order.expires_at.replace(tzinfo=UTC) if order.expires_at else now
    expires = max(now + SESSION_MIN_LIFETIME, hold_end)
    return math.ceil(expires.timestamp() / SESSION_EXPIRY_STEP) * SESSION_EXPIRY_STEP


def _create_session(
    client: stripe.StripeClient,
    order: Order,
    return_url: str,
    replaced: str | None,
    manual_capture: bool,
) -> Any:
    assert order.number is not None, "numbered when placed"
    expires_at = session_expiry(order)
    key = f"checkout-{order.number}-{expires_at}"
    if replaced:  # the order's session expired: this one must not be answered by it
        key += f"-after-{replaced}"
    label = f"Commande {order.number}"
    metadata = {"order_number": order.number}
    # The PaymentIntent carries the order number too, for payment_intent.* events.
    intent_data: SessionCreateParamsPaymentIntentData = {
        "metadata": metadata,
        "description": f"CGOS Loisirs {label}",
    }
    if manual_capture:
        intent_data["capture_method"] = "manual"  # captured by the evening batch (R-PAY-5)
    return client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": order.total_cents,
                        "product_data": {"name": label},
                    },
                }
            ],
            "client_reference_id": order.number,
            "metadata": metadata,
            "payment_intent_data": intent_data,
            "customer_email": order.contact_email,
            "locale": "fr",
            "success_url": return_url,
            "cancel_url": return_url,
            "expires_at": expires_at,
        },
        {"idempotency_key": key},
    )


# -- settling: webhook events, read (applied by orders.payments) ------------------------


@dataclass(frozen=True)
class CardEvent:
    """A verified Stripe event that pays an order, in the store's terms."""

    event_id: str
    kind: str
    order_number: str | None
    session_id: str | None
    intent: str
    amount_cents: int
    currency: object
    held: bool  # a phone card payment authorised, to capture tonight (R-PAY-5)


def read_event(data: dict[str, Any]) -> CardEvent | str:
    """What a webhook event says about a card payment, or why it says nothing ("ignored",
    "unpaid", "malformed", "invalid"), logged.

    An event of ours whose shape is not Stripe's (``data``, ``data.object``, ``metadata``
    or the ids not of their type) is "malformed": logged as an error, nothing changed, and
    acknowledged, for Stripe retries every non-2xx answer for days and no retry mends it.
    """
    log = current_app.logger
    event_id = str(data.get("id") or "")
    kind = str(data.get("type") or "")
    if kind not in HANDLED_EVENTS:
        log.info("Stripe : évènement %s (%s) ignoré", event_id, kind)
        return "ignored"
    obj = _event_object(data)
    if obj is None:
        log.error("Stripe : évènement %s (%s) malformé, ignoré", event_id, kind)
        return "malformed"
    held = False
    if kind in SESSION_EVENTS:
        if obj.get("payment_status") != "paid":
            log.info("Stripe %s %s : session %s non payée", kind, event_id, obj.get("id"))
            return "unpaid"
        number = (obj.get("metadata") or {}).get("order_number") or obj.get("client_reference_id")
        session_id = obj.get("id")
        intent = obj.get("payment_intent") or session_id
        amount = obj.get("amount_total")
    elif kind in INTENT_EVENTS:
        number = (obj.get("metadata") or {}).get("order_number")
        session_id = None
        intent = obj.get("id")
        amount = obj.get("amount_received")
    elif kind in HOLD_EVENTS and obj.get("status") == "requires_capture":
        # A phone card payment authorised and held: the order is paid, captured tonight.
        number = (obj.get("metadata") or {}).get("order_number")
        session_id = None
        intent = obj.get("id")
        amount = obj.get("amount_capturable")
        held = True
    else:
        log.info("Stripe : évènement %s (%s) ignoré", event_id, kind)
        return "ignored"
    if not all(isinstance(v, str) or v is None for v in (number, session_id, intent)):
        log.error("Stripe : évènement %s (%s) malformé, ignoré", event_id, kind)
        return "malformed"
    if not event_id or not intent or not isinstance(amount, int) or isinstance(amount, bool):
        log.error("Stripe : évènement %s (%s) incomplet, ignoré", event_id, kind)
        return "invalid"
    return CardEvent(
        event_id=event_id,
        kind=kind,
        order_number=number,
        session_id=session_id,
        intent=intent,
        amount_cents=amount,
        currency=obj.get("currency"),
        held=held,
    )


def _event_object(event: dict[str, Any]) -> dict[str, Any] | None:
    """``data.object`` when it and its ``metadata`` are objects, as Stripe sends them."""
    payload = event.get("data")
    obj = payload.get("object") if isinstance(payload, dict) else None
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata", {}), dict):
        return None
    return obj


def capture(intent_id: str, payment_id: int) -> str:
    """R-PAY-5: capture a held phone payment (called with no lock held). Returns
    "captured", "already" (Stripe had captured it), or "failed:<status>" when the hold is
    gone (cancelled or expired); a network failure raises, for the next batch to retry."""
    with _client() as client:
        try:
            client.v1.payment_intents.capture(
                intent_id, None, {"idempotency_key": f"capture-{payment_id}"}
            )
            return "captured"
        except stripe.InvalidRequestError as exc:
            if exc.code != "payment_intent_unexpected_state":
                raise
            current = client.v1.payment_intents.retrieve(intent_id)
            return "already" if current.status == "succeeded" else f"failed:{current.status}"


# -- refunds ------------------------------------------------------------------------------


def refund(intent: str, amount_cents: int, *, order_number: str, idempotency_key: str) -> str:
    """Give ``amount_cents`` of the PaymentIntent ``intent`` back on its card; the key (the
    refund's ``provider_ref``) makes a retry refund nothing more. Returns Stripe's refund id."""
    with _client() as client:
        result = client.v1.refunds.create(
            {
                "payment_intent": intent,
                "amount": amount_cents,
                "metadata": {"order_number": order_number},
            },
            {"idempotency_key": idempotency_key},
        )
    current_app.logger.info(
        "Stripe : remboursement %s de %s centimes pour %s (%s)",
        result.id,
        amount_cents,
        order_number,
        intent,
    )
    return result.id
