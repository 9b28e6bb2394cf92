"""Card orders taken by phone or by post (R-OPS-2, R-PAY-5).

Operators never see a card: the order gets a signed payment link valid 24 hours, mailed to
the agent, and is held 24 hours instead of 30 minutes. Phone card payments are captured in
one end-of-day batch and their e-billets are released the next day (J+1).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import stripe
from flask import current_app, url_for
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import Select, select

from orders import etickets, services, stripe_gateway
from orders.models import Order, Payment
from orders.status import OrderStatus, PaymentStatus, Step
from orders.terms import is_phone_card
from orders.transitions import transition
from shop import audit, clock
from shop.clock import PARIS
from shop.db import for_update, session, unit_of_work
from shop.errors import DomainError, NotFound
from shop.jobs import due_task
from shop.mail import queue_mail

LINK_SALT = "payment-link"
LINK_VALIDITY = timedelta(hours=24)  # R-PAY-5
CHANNEL_LABELS = {"phone": "Téléphone", "post": "Courrier (bon de commande reçu par la poste)"}
DEFAULT_CAPTURE_HOUR = 21
INVALID_LINK = "Ce lien de paiement a expiré ou est invalide."


class InvalidLink(DomainError):
    """An expired, tampered or no longer payable link."""


class _ClockSigner(TimestampSigner):
    """Signs and checks ages with the store's clock (settable in tests)."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=LINK_SALT, signer=_ClockSigner
    )


def link_token(order: Order) -> str:
    """Signed and time-stamped: unguessable without the app's secret key."""
    return _serializer().dumps({"order": order.number})


def order_from_link(token: str) -> Order:
    """The order a link pays, or InvalidLink (expired after 24 h, tampered, unknown, or
    signed before the order's current hold began: a renewed link kills the older ones)."""
    try:
        data, signed = _serializer().loads(
            token, max_age=int(LINK_VALIDITY.total_seconds()), return_timestamp=True
        )
    except (BadSignature, ValueError, TypeError):
        raise InvalidLink(INVALID_LINK, rule="R-PAY-5") from None
    number = data.get("order") if isinstance(data, dict) else None
    order = session().scalar(select(Order).where(Order.number == str(number)))
    if order is None or not is_phone_card(order):
        raise InvalidLink(INVALID_LINK, rule="R-PAY-5")
    if order.expires_at is not None and order.status == OrderStatus.PENDING_PAYMENT:
        hold_start = order.expires_at - LINK_VALIDITY
        if int(signed.timestamp()) < int(hold_start.replace(tzinfo=UTC).timestamp()):
            raise InvalidLink(INVALID_LINK, rule="R-PAY-5")
        if clock.utcnow() >= order.expires_at:
            raise InvalidLink(INVALID_LINK, rule="R-PAY-5")
    return order


def issue_payment_link(order_id: int, actor: Any, *, mode: str = "sent") -> str:
    """R-PAY-5: hold the order 24 hours from its placing and mail the agent its link.

    R-OPS-7: ``mode`` "resent" mails the link again (same hold, same deadline); "renewed"
    gives a fresh 24-hour link from now and holds the order until then, every older link
    being dead from that moment (``order_from_link``). Only an order still waiting for
    its card payment: a released order stays cancelled (R-PAY-5), to be ordered again."""
    with unit_of_work() as s:
        order = s.scalar(
            for_update(select(Order).where(Order.id == order_id)).execution_options(
                populate_existing=True
            )
        )
        if order is None:
            raise NotFound()
        if not is_phone_card(order) or order.status != OrderStatus.PENDING_PAYMENT:
            if order.status == OrderStatus.CANCELLED and is_phone_card(order):
                raise DomainError(
                    "Cette commande a été annulée faute de paiement dans les 24 heures : "
                    "son lien ne peut plus être renouvelé. Passez une nouvelle commande "
                    "pour l'agent.",
                    rule="R-PAY-5",
                )
            raise DomainError("Cette commande n'attend pas de paiement par carte.", rule="R-PAY-5")
        before_expiry = order.expires_at
        if mode == "renewed":
            order.expires_at = clock.utcnow() + LINK_VALIDITY
        elif mode == "sent":
            order.expires_at = order.placed_at + LINK_VALIDITY
        assert order.expires_at is not None, "a phone card order is held until its link expires"
        token = link_token(order)
        url = url_for("public.payment_link.show", token=token, _external=True)
        audit.record(
            actor,
            "order.payment_link_sent"
            if mode == "sent"
            else ("payment_link.renewed" if mode == "renewed" else "payment_link.resent"),
            f"order:{order.number}",
            before=(
                {"expires_at": before_expiry.isoformat()}
                if before_expiry and mode != "sent"
                else None
            ),
            after={"to": order.contact_email, "expires_at": order.expires_at.isoformat()},
        )
        queue_mail(
            order.contact_email,
            "orders/payment_link",
            f"Payez votre commande {order.number} par carte bancaire",
            order=order,
            url=url,
            expires_at=order.expires_at,
            secrets=(token,),
        )
    return url


def pay_demo_from_link(token: str, reference: str) -> Order:
    """Demonstration payment from the link page (no Stripe configured): the capture is left
    to the end-of-day batch (R-PAY-5)."""
    order = order_from_link(token)
    return services.mark_paid(
        order.id,
        method="demo",
        amount_cents=order.total_cents,
        provider_ref=reference,
        actor="agent:payment-link",
        details={"channel": order.channel},
        held=True,
    )


def _capture_hour() -> int:
    return int(current_app.config.get("CAPTURE_HOUR") or DEFAULT_CAPTURE_HOUR)


def _locked_payment(payment_id: int) -> Payment:
    return session().scalar(
        for_update(select(Payment).where(Payment.id == payment_id)).execution_options(
            populate_existing=True
        )
    )


def capture_expected_at(authorised_at: datetime) -> datetime:
    """R-PAY-5: when the evening batch captures a payment held at ``authorised_at`` (naive
    UTC): that Paris day at CAPTURE_HOUR, or at once if authorised after it."""
    day = clock.to_paris(authorised_at).date()
    batch = datetime.combine(day, time(_capture_hour()), tzinfo=PARIS)
    batch_utc = batch.astimezone(UTC).replace(tzinfo=None)
    return max(batch_utc, authorised_at)


def held_payments() -> Select[int, str | None]:
    """The payments the evening batch captures: found through ``ix_payments_due``."""
    return (
        select(Payment.id, Payment.provider_ref)
        .where(Payment.status == PaymentStatus.AUTHORISED)
        .order_by(Payment.id)
    )


def etickets_due(now: datetime) -> Select[int]:
    """Captured payments whose e-billets are due: through ``ix_payments_etickets_due_at``."""
    return (
        select(Payment.id)
        .where(Payment.etickets_due_at <= now)
        .order_by(Payment.etickets_due_at, Payment.id)
    )


def etickets_release_time(captured_at: datetime) -> datetime:
    """R-PAY-5: the start (naive UTC) of the Paris day after the capture, when the order's
    e-billets go out."""
    day = clock.to_paris(captured_at).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


@due_task("payments.capture_batch", "Capture en lot, après 21 h, des paiements carte par téléphone")
def capture_batch() -> int:
    """R-PAY-5: once Paris time is past CAPTURE_HOUR, every held phone card payment is
    captured at Stripe (idempotency key per payment) and marked captured with the time;
    each is re-checked under its row lock, so a second run (or a second process) captures
    nothing more. A hold that Stripe no longer has is marked lost and audited. Only the
    held payments are read, through ``ix_payments_due``."""
    now = clock.now()
    if clock.to_paris(now).hour < _capture_hour():
        return 0
    done = 0
    for payment_id, provider_ref in session().execute(held_payments()).all():
        outcome = "recorded"  # the demonstration payment has nothing to capture
        if provider_ref is not None and provider_ref.startswith("pi_"):
            try:  # no lock held while Stripe answers
                outcome = stripe_gateway.capture(provider_ref, payment_id)
            except stripe.StripeError:
                current_app.logger.exception("Capture Stripe impossible (paiement %s)", payment_id)
                continue  # the next run retries, under the same idempotency key
        with unit_of_work():
            row = _locked_payment(payment_id)
            if row.status != PaymentStatus.AUTHORISED:
                continue
            if outcome.startswith("failed:"):
                # The hold is gone: no money, no e-billets; the back office must call the agent.
                transition(row, PaymentStatus.HOLD_LOST, step=Step.CAPTURE, actor="system")
                stripe_status = outcome.partition(":")[2]
                row.details = {**(row.details or {}), "capture_status": stripe_status}
                order = session().get_one(Order, row.order_id)
                current_app.logger.error("Capture refusée pour la commande %s", order.number)
                audit.record(
                    "system",
                    "payment.capture_failed",
                    f"order:{order.number}",
                    after={"payment": row.id, "stripe_status": stripe_status},
                )
            else:
                transition(row, PaymentStatus.CAPTURED, step=Step.CAPTURE, actor="system")
                row.captured_at = clock.utcnow()
                row.etickets_due_at = etickets_release_time(row.captured_at)
                done += 1
    return done


@due_task("etickets.release_phone", "Émet à J+1 les e-billets des commandes carte par téléphone")
def release_phone_etickets() -> int:
    """R-PAY-5: e-billets of phone card orders go out the day after their capture. Only the
    due payments are read, through the index on ``etickets_due_at``."""
    now = clock.utcnow()
    due = session().scalars(etickets_due(now)).all()
    done = 0
    for payment_id in due:
        with unit_of_work() as s:
            row = _locked_payment(payment_id)
            if row.etickets_due_at is None or row.etickets_due_at > now:
                continue
            order = s.get_one(Order, row.order_id)
            if order.status in etickets.TICKET_STATES:
                etickets.issue_for_order(order)
            row.etickets_due_at = None
            done += 1
    return done
