"""Card payments as order services (R-PAY-2, R-ORD-6): starting a payment, applying the
card provider's events to orders, refunding a payment an order cannot take.

Stripe when configured (``orders.stripe_gateway`` only talks to it), otherwise a clearly
labelled demonstration payment that succeeds or declines on request (never in production).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import stripe
from flask import current_app, url_for
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from orders import services, stripe_gateway
from orders.models import Order, Payment, ProcessedEvent
from orders.refunds import execute_card_refund
from orders.status import UNPAID, OrderStatus, PaymentStatus, Step
from orders.terms import is_phone_card
from orders.transitions import transition
from shop import audit, clock
from shop.db import after_commit, session, unit_of_work
from shop.errors import DomainError
from shop.jobs import due_task
from shop.mail import queue_mail

REFUND_RETRY_DAYS = 30
ACTOR = "stripe"


def stripe_enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def start_card_payment(order: Order, return_url: str | None = None) -> str:
    """Where to send the agent's browser to pay ``order`` (no Stripe call under a lock:
    the order is already committed); Stripe sends it back to ``return_url`` (default: the
    agent's order page). A new Checkout Session is recorded on the order."""
    if not stripe_enabled():
        return url_for("agent.checkout.demo_payment", number=order.number)
    if return_url is None:
        return_url = url_for("agent.checkout.confirmation", number=order.number, _external=True)
    link = stripe_gateway.checkout_link(order, return_url, manual_capture=is_phone_card(order))
    if link.created_session is not None:
        with unit_of_work() as s:
            s.get_one(Order, order.id).payment_ref = link.created_session
    return link.url


# -- settling: the provider's events --------------------------------------------------------


def apply_card_event(data: dict[str, object]) -> str:
    """Apply one verified webhook event, once (R-PAY-2); returns what was done, for the log.

    The event id is inserted in a savepoint of the same unit of work as its effect: a
    duplicate is "already done", and a failure rolls both back so Stripe's retry redoes it.
    A payment and its session arrive as two events in any order; both name the same
    PaymentIntent, which ``mark_paid`` records once. A payment that cannot be applied (the
    order was released meanwhile, or was already paid) is refunded (R-ORD-6).
    """
    log = current_app.logger
    event = stripe_gateway.read_event(data)
    if isinstance(event, str):
        return event
    event_id, kind, intent = event.event_id, event.kind, event.intent
    with unit_of_work() as s:
        try:
            with s.begin_nested():
                s.add(ProcessedEvent(id=event_id, kind=kind[:80], received_at=clock.utcnow()))
                s.flush()
        except IntegrityError:
            log.info("Stripe : évènement %s (%s) déjà traité", event_id, kind)
            return "duplicate"
        order = _find_order(event.order_number, event.session_id, intent)
        if order is None:
            log.warning("Stripe : évènement %s (%s) sans commande connue", event_id, kind)
            return "unknown_order"
        if _payment_recorded(intent):
            log.info("Stripe : %s (%s) déjà enregistré pour %s", intent, kind, order.number)
            return "already_paid"
        problem = None
        if event.currency != "eur":
            problem = f"devise {event.currency!r}"
        else:
            try:
                services.mark_paid(
                    order.id,
                    method="card",
                    amount_cents=event.amount_cents,
                    provider_ref=intent,
                    actor=ACTOR,
                    details={"event": event_id, "checkout_session": event.session_id},
                    held=event.held,
                )
            except DomainError as exc:
                problem = exc.message
        if problem is None and _payment_recorded(intent):
            log.info("Stripe : commande %s payée (%s, %s)", order.number, intent, event_id)
            return "paid"
        order = s.get_one(Order, order.id)
        log.warning(
            "Stripe : paiement %s non applicable à %s (%s, statut %s) : remboursement",
            intent,
            order.number,
            problem or "déjà réglée",
            order.status,
        )
        return _refund_unapplied(order, intent, event.amount_cents)


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
    elif order.status in UNPAID:
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
        status=transition(Payment, PaymentStatus.REFUND_PENDING, step=Step.REFUND, actor=ACTOR),
        details={"payment_intent": intent, "reason": f"late:{case}"},
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
    try:
        execute_card_refund(payment_id)
    except (stripe.StripeError, LookupError):
        current_app.logger.exception(
            "Stripe : remboursement %s non transmis, la tâche payments.card_refunds le relancera",
            payment_id,
        )


def pending_card_refunds(since: datetime) -> Select[int]:
    """Card refunds recorded since ``since``, not yet accepted: through ``ix_payments_due``."""
    return (
        select(Payment.id)
        .where(
            Payment.status == PaymentStatus.REFUND_PENDING,
            Payment.created_at >= since,
            Payment.method == "card",
        )
        .order_by(Payment.id)
    )


@due_task("payments.card_refunds", "Relance les remboursements carte non transmis à Stripe")
def retry_card_refunds() -> int:
    """Card refunds recorded but not yet accepted by Stripe (it was unreachable): sent
    again under their own idempotency key, so one already received is not repeated. Only
    the due rows are read, through ``ix_payments_due`` (status, created_at)."""
    if not stripe_enabled():
        return 0
    since = clock.utcnow() - timedelta(days=REFUND_RETRY_DAYS)
    pending = session().scalars(pending_card_refunds(since)).all()
    done = 0
    for payment_id in pending:
        try:
            execute_card_refund(payment_id)
        except (stripe.StripeError, LookupError):
            current_app.logger.exception("Stripe : remboursement %s toujours en échec", payment_id)
            continue
        done += 1
    return done
