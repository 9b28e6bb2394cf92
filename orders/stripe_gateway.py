"""Stripe for card orders: Checkout Sessions to pay, webhook events to settle (R-PAY-2, R-ORD-6).

The official ``stripe`` library is configured per call from the app's settings
(``STRIPE_SECRET_KEY``, ``STRIPE_API_BASE``) through a ``StripeClient``, never through its
module-level globals, so several apps (tests) can share one process. Card data never
reaches the store: the agent pays on Stripe's page and the order is paid only when a
signed webhook event says so.

No Stripe call while a lock is held: a session is created for an order that is already
committed, and a refund is sent after the unit of work that records it has committed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from typing import Any

import stripe
from flask import current_app, flash, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from orders import services
from orders.models import Order, Payment, ProcessedEvent
from orders.status import OrderStatus
from orders.terms import is_phone_card
from shop import audit, clock
from shop.db import after_commit, session, unit_of_work
from shop.errors import DomainError
from shop.jobs import due_task
from shop.mail import queue_mail

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
REFUND_RETRY_DAYS = 30
ACTOR = "stripe"


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


def checkout_url(order: Order, return_url: str | None = None) -> str:
    """Where the agent pays ``order``: its Checkout Session while open, else a new one.

    A retry (double click, lost answer, the library's own retries) never makes a second
    session: the order's session is reused while open, and a new one is created under an
    idempotency key derived from the order number. If Stripe cannot be reached, the agent
    lands back on ``return_url`` (default: the order's page), still pending, with its
    « Payer » button (R-ORD-6).
    """
    log = current_app.logger
    if return_url is None:
        return_url = url_for("agent.checkout.confirmation", number=order.number, _external=True)
    try:
        with _client() as client:
            if order.payment_ref and order.payment_ref.startswith("cs_"):
                current = _retrieve_session(client, order.payment_ref)
                if current is not None and current.status == "open" and current.url:
                    log.info("Stripe : session %s réutilisée pour %s", current.id, order.number)
                    return current.url
                if current is not None and current.status == "complete":
                    # Paid on Stripe, the webhook is on its way: never take a second payment.
                    log.info("Stripe : session %s déjà payée (%s)", current.id, order.number)
                    flash(
                        "Votre paiement a bien été reçu ; sa confirmation arrive dans un "
                        "instant. Rechargez cette page dans quelques secondes.",
                        "info",
                    )
                    return return_url
            replaced = order.payment_ref or None
            created = _create_session(client, order, return_url, replaced)
    except stripe.StripeError:
        log.exception("Stripe : session de paiement impossible pour %s", order.number)
        flash(
            f"Le paiement par carte est momentanément indisponible. Votre commande "
            f"{order.number} est bien enregistrée : réessayez dans un instant avec le bouton "
            f"« Payer par carte bancaire ».",
            "error",
        )
        return return_url
    with unit_of_work() as s:
        s.get(Order, order.id).payment_ref = created.id
    log.info("Stripe : session %s créée pour %s", created.id, order.number)
    return created.url


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
    client: stripe.StripeClient, order: Order, return_url: str, replaced: str | None
) -> Any:
    expires_at = session_expiry(order)
    key = f"checkout-{order.number}-{expires_at}"
    if replaced:  # the order's session expired: this one must not be answered by it
        key += f"-after-{replaced}"
    label = f"Commande {order.number}"
    metadata = {"order_number": order.number}
    # The PaymentIntent carries the order number too, for payment_intent.* events.
    intent_data: dict[str, Any] = {"metadata": metadata, "description": f"CGOS Loisirs {label}"}
    if is_phone_card(order):
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


# -- settling: webhook events -------------------------------------------------------------


def handle_event(data: dict[str, Any]) -> str:
    """Apply one verified webhook event, once (R-PAY-2); returns what was done, for the log.

    The event id is inserted in a savepoint of the same unit of work as its effect: a
    duplicate is "already done", and a failure rolls both back so Stripe's retry redoes it.
    A payment and its session arrive as two events in any order; both name the same
    PaymentIntent, which ``mark_paid`` records once. A payment that cannot be applied (the
    order was released meanwhile, or was already paid) is refunded (R-ORD-6).

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
    with unit_of_work() as s:
        try:
            with s.begin_nested():
                s.add(ProcessedEvent(id=event_id, kind=kind[:80], received_at=clock.utcnow()))
                s.flush()
        except IntegrityError:
            log.info("Stripe : évènement %s (%s) déjà traité", event_id, kind)
            return "duplicate"
        order = _find_order(number, session_id, intent)
        if order is None:
            log.warning("Stripe : évènement %s (%s) sans commande connue", event_id, kind)
            return "unknown_order"
        if _payment_recorded(intent):
            log.info("Stripe : %s (%s) déjà enregistré pour %s", intent, kind, order.number)
            return "already_paid"
        problem = None
        if obj.get("currency") != "eur":
            problem = f"devise {obj.get('currency')!r}"
        else:
            try:
                services.mark_paid(
                    order.id,
                    method="card",
                    amount_cents=amount,
                    provider_ref=intent,
                    actor=ACTOR,
                    details={"event": event_id, "checkout_session": session_id}
                    | ({"capture": "pending"} if held else {}),
                )
            except DomainError as exc:
                problem = exc.message
        if problem is None and _payment_recorded(intent):
            log.info("Stripe : commande %s payée (%s, %s)", order.number, intent, event_id)
            return "paid"
        order = s.get(Order, order.id)
        log.warning(
            "Stripe : paiement %s non applicable à %s (%s, statut %s) : remboursement",
            intent,
            order.number,
            problem or "déjà réglée",
            order.status,
        )
        return _refund_unapplied(order, intent, amount)


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


def _find_order(number: str | None, session_id: str | None, intent: str) -> Order | None:
    s = session()
    if number:
        return s.scalar(select(Order).where(Order.number == number))
    if session_id:
        found = s.scalar(select(Order).where(Order.payment_ref == session_id))
        if found is not None:
            return found
    order_id = s.scalar(select(Payment.order_id).where(Payment.provider_ref == intent))
    return s.get(Order, order_id) if order_id else None


def _payment_recorded(intent: str) -> bool:
    return (
        session().scalar(
            select(Payment.id).where(Payment.provider_ref == intent, Payment.kind == "payment")
        )
        is not None
    )


def _refund_unapplied(order: Order, intent: str, amount_cents: int) -> str:
    """Record the refund of a payment the order cannot take, tell the agent; the money goes
    back through Stripe after commit (and ``retry_card_refunds`` if Stripe is down)."""
    s = session()
    ref = f"refund-{intent}"
    if s.scalar(select(Payment.id).where(Payment.provider_ref == ref)) is not None:
        current_app.logger.info("Stripe : %s déjà remboursé (%s)", intent, order.number)
        return "already_refunded"
    if order.status == OrderStatus.CANCELLED:
        case = "cancelled"
    elif order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.OPTION):
        case = "amount"
    else:
        case = "already_paid"
    payment = Payment(
        order_id=order.id,
        method="card",
        kind="refund",
        provider_ref=ref,
        amount_cents=amount_cents,
        created_at=clock.utcnow(),
        details={"status": "to_pay", "payment_intent": intent, "reason": f"late:{case}"},
    )
    try:
        with s.begin_nested():
            s.add(payment)
            s.flush()
    except IntegrityError:
        return "already_refunded"
    payment_id = payment.id
    after_commit(lambda: _send_refund(payment_id))
    audit.record(
        ACTOR,
        "order.late_payment_refunded",
        f"order:{order.number}",
        after={"payment_intent": intent, "amount": amount_cents, "case": case},
    )
    queue_mail(
        order.contact_email,
        "orders/late_payment_refunded",
        f"Commande {order.number} : votre paiement vous est remboursé",
        order=order,
        amount_cents=amount_cents,
        case=case,
    )
    return "refunded"


def _send_refund(payment_id: int) -> None:
    from orders.refunds import execute_card_refund

    try:
        execute_card_refund(payment_id)
    except (stripe.StripeError, LookupError):
        current_app.logger.exception(
            "Stripe : remboursement %s non transmis, la tâche payments.card_refunds le relancera",
            payment_id,
        )


# -- refunds ------------------------------------------------------------------------------


def refund(order: Order, amount_cents: int, *, idempotency_key: str) -> str:
    """Give ``amount_cents`` back on the card that paid ``order``; the key (the refund's
    ``provider_ref``) makes a retry refund nothing more. Returns Stripe's refund id."""
    intent = _payment_intent_for(order, idempotency_key)
    with _client() as client:
        result = client.v1.refunds.create(
            {
                "payment_intent": intent,
                "amount": amount_cents,
                "metadata": {"order_number": order.number},
            },
            {"idempotency_key": idempotency_key},
        )
    current_app.logger.info(
        "Stripe : remboursement %s de %s centimes pour %s (%s)",
        result.id,
        amount_cents,
        order.number,
        intent,
    )
    return result.id


def _payment_intent_for(order: Order, refund_ref: str) -> str:
    """The PaymentIntent to refund: named on the refund row (a late payment the order never
    took), otherwise the one that paid the order."""
    s = session()
    row = s.scalar(select(Payment).where(Payment.provider_ref == refund_ref))
    intent = (row.details or {}).get("payment_intent") if row is not None else None
    if not intent:
        intent = s.scalar(
            select(Payment.provider_ref)
            .where(
                Payment.order_id == order.id,
                Payment.kind == "payment",
                Payment.method == "card",
            )
            .order_by(Payment.id.desc())
        )
    if not intent:
        raise LookupError(f"no card payment to refund for order {order.number}")
    return intent


@due_task("payments.card_refunds", "Relance les remboursements carte non transmis à Stripe")
def retry_card_refunds() -> int:
    """Card refunds recorded but not yet accepted by Stripe (it was unreachable): sent
    again under their own idempotency key, so one already received is not repeated."""
    if not current_app.config.get("STRIPE_SECRET_KEY"):
        return 0
    from orders.refunds import execute_card_refund

    since = clock.utcnow() - timedelta(days=REFUND_RETRY_DAYS)
    rows = session().scalars(
        select(Payment)
        .where(Payment.kind == "refund", Payment.method == "card", Payment.created_at >= since)
        .order_by(Payment.id)
    )
    pending = [p.id for p in rows if (p.details or {}).get("status") != "done"]
    done = 0
    for payment_id in pending:
        try:
            execute_card_refund(payment_id)
        except (stripe.StripeError, LookupError):
            current_app.logger.exception("Stripe : remboursement %s toujours en échec", payment_id)
            continue
        done += 1
    return done
