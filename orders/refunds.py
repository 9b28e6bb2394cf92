"""Refunds: an event cancelled (R-ORD-5, R-OPS-4) and the 15-day withdrawal right on
Avantages goods (R-ORD-5). Tickets are otherwise firm and final; fees are never refunded
for a cancelled show.

A refund is recorded in the same transaction as the change (Payment kind "refund",
status "refund_pending"); the money itself moves after commit — through the card provider,
or as a bank transfer for a cheque order, which the back office marks done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import distinct, func, select, update
from sqlalchemy.orm import selectinload

from catalog.models import Offer, OfferSession
from orders import events, stripe_gateway
from orders.models import ETicket, Order, OrderLine, Payment
from orders.services import _lock_household_year, _locked_order, cancel_order
from orders.status import PAID_STATES, UNPAID, LineStatus, OrderStatus, PaymentStatus, Step
from orders.transitions import transition
from shop import audit, clock
from shop.db import after_commit, rowcount, session, unit_of_work
from shop.errors import DomainError
from shop.mail import queue_mail
from shop.money import format_eur

WITHDRAWAL_DAYS = 15
AVANTAGES_KINDS = {"carte", "abonnement"}


def delivered_at(order: Order, line: OrderLine) -> datetime | None:
    """When the goods reached the agent: e-mailed cards at payment; posted goods at
    shipment (None until shipped: the window has not started)."""
    if line.delivery == "email":
        return order.paid_at
    shipped = (line.options or {}).get("shipped_at")
    return shipped and datetime.fromisoformat(shipped)


def withdrawal_open_until(order: Order, line: OrderLine) -> datetime | None:
    """Last instant of the withdrawal right, or None when the line has none (R-ORD-5)."""
    if line.kind not in AVANTAGES_KINDS or line.status != LineStatus.ACTIVE:
        return None
    if order.status not in PAID_STATES:
        return None
    start = delivered_at(order, line)
    if start is None:
        return datetime.max  # not delivered yet: the right is open
    return start + timedelta(days=WITHDRAWAL_DAYS)


def can_withdraw(order: Order, line: OrderLine, now: datetime) -> bool:
    until = withdrawal_open_until(order, line)
    return until is not None and now <= until


def _refund_payment(order: Order, amount_cents: int, reason: str, ref: str) -> Payment:
    """Record the money owed back; card refunds go through the provider after commit."""
    method = "transfer" if order.payment_method == "cheque" else "card"
    payment = Payment(
        order_id=order.id,
        method=method,
        kind="refund",
        provider_ref=ref,
        amount_cents=amount_cents,
        created_at=clock.utcnow(),
        status=transition(Payment, PaymentStatus.REFUND_PENDING, step=Step.REFUND),
        details={"reason": reason},
    )
    session().add(payment)
    session().flush()
    if method == "card":
        payment_id = payment.id
        after_commit(lambda: execute_card_refund(payment_id))
    return payment


def execute_card_refund(payment_id: int) -> None:
    """Send a recorded card refund to the provider (Stripe), or mark a demo one done."""
    payment = session().get(Payment, payment_id)
    if payment is None or payment.status != PaymentStatus.REFUND_PENDING:
        return
    order = session().get_one(Order, payment.order_id)
    if current_app.config.get("STRIPE_SECRET_KEY"):
        ref = payment.provider_ref or ""
        stripe_gateway.refund(
            _payment_intent_for(order, payment),
            payment.amount_cents,
            order_number=order.number or "",
            idempotency_key=ref,
        )
    with unit_of_work() as s:
        row = s.get_one(Payment, payment_id)
        if row.status == PaymentStatus.REFUND_PENDING:
            transition(row, PaymentStatus.REFUNDED, step=Step.REFUND, actor="system")


def _payment_intent_for(order: Order, refund: Payment) -> str:
    """The PaymentIntent to refund: named on the refund row (a late payment the order never
    took), otherwise the one that paid the order."""
    intent = (refund.details or {}).get("payment_intent")
    if not intent:
        intent = session().scalar(
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
    return str(intent)


def _settle_status(order: Order, actor: Any) -> None:
    active = [line for line in order.lines if line.status == LineStatus.ACTIVE]
    target = OrderStatus.PARTIALLY_REFUNDED if active else OrderStatus.REFUNDED
    transition(order, target, step=Step.REFUND, actor=actor)


def withdraw(agent_cgos_number: str, order_number: str, line_id: int, actor: Any) -> Order:
    """« Me rétracter »: the line's price and participation come back; acknowledged by mail."""
    order = session().scalar(
        select(Order).where(Order.number == order_number, Order.cgos_number == agent_cgos_number)
    )
    if order is None:
        raise DomainError("Commande introuvable.")
    with unit_of_work():
        hh = _lock_household_year(order.household_id, order.year)
        order = _locked_order(order.id)
        line = next((x for x in order.lines if x.id == line_id), None)
        if line is None:
            raise DomainError("Article introuvable dans cette commande.")
        now = clock.utcnow()
        if not can_withdraw(order, line, now):
            raise DomainError(
                "Le droit de rétractation de 15 jours ne s'applique pas ou plus à cet article "
                "(les billets de loisirs datés en sont exclus).",
                rule="R-ORD-5",
            )
        transition(line, LineStatus.WITHDRAWN, step=Step.REFUND, actor=actor)
        line.refunded_at = now
        hh.used_cents = max(0, hh.used_cents - line.participation_cents)
        _refund_payment(order, line.amount_cents, "rétractation", f"withdraw-{line.id}")
        _settle_status(order, actor)
        audit.record(
            actor,
            "order.withdrawn",
            f"order:{order.number}",
            after={"line": line.id, "refund": line.amount_cents},
        )
        queue_mail(
            order.contact_email,
            "orders/withdrawal",
            f"Rétractation enregistrée — commande {order.number}",
            order=order,
            line=line,
        )
    return order


SUMMARY_ACTION = "event.cancellation_summary"


@dataclass
class CancellationSummary:
    orders_refunded: int = 0
    orders_cancelled: int = 0
    refunded_cents: int = 0
    participation_returned_cents: int = 0
    tickets_cancelled: int = 0
    numbers: list[str] = field(default_factory=list)
    record_id: int | None = None  # the audit entry that keeps this summary

    def as_dict(self) -> dict[str, Any]:
        return {
            "orders_refunded": self.orders_refunded,
            "orders_cancelled": self.orders_cancelled,
            "refunded_cents": self.refunded_cents,
            "participation_returned_cents": self.participation_returned_cents,
            "tickets_cancelled": self.tickets_cancelled,
            "numbers": self.numbers,
        }


@dataclass
class CancellationImpact:
    """What cancelling a session or an offer would do, shown before the confirmation
    (R-OPS-4): orders refunded or cancelled, tickets, agents, money back."""

    orders_refunded: int = 0
    orders_cancelled: int = 0
    tickets: int = 0
    agents: int = 0
    card_cents: int = 0
    transfer_cents: int = 0
    participation_cents: int = 0

    @property
    def orders(self) -> int:
        return self.orders_refunded + self.orders_cancelled


def cancellation_impact(
    *, session_id: int | None = None, offer_id: int | None = None
) -> CancellationImpact:
    """Three aggregate statements, whatever the number of orders: the paid and unpaid
    lines hit, the unpaid orders' whole participation (cancelling an unpaid order releases
    all of it), and the agents concerned. Mirrors what ``cancel_event`` does."""
    if (session_id is None) == (offer_id is None):
        raise ValueError("give a session or an offer")
    hit = (
        OrderLine.session_id == session_id
        if session_id is not None
        else OrderLine.offer_id == offer_id
    )
    s = session()
    impact = CancellationImpact()
    unpaid = Order.status.in_(list(UNPAID))
    by_card = Order.payment_method != "cheque"
    rows = s.execute(
        select(
            unpaid.label("unpaid"),
            by_card.label("by_card"),
            func.count(distinct(Order.id)),
            func.coalesce(func.sum(OrderLine.quantity), 0),
            func.coalesce(func.sum(OrderLine.amount_cents), 0),
            func.coalesce(func.sum(OrderLine.participation_cents), 0),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            hit,
            OrderLine.status == LineStatus.ACTIVE,
            Order.status.in_([*PAID_STATES, *UNPAID]),
        )
        .group_by(unpaid, by_card)
    ).all()
    for is_unpaid, is_card, orders, tickets, amount, participation in rows:
        impact.tickets += int(tickets)
        if is_unpaid:
            impact.orders_cancelled += int(orders)
            continue
        impact.orders_refunded += int(orders)
        impact.participation_cents += int(participation)
        if is_card:
            impact.card_cents += int(amount)
        else:
            impact.transfer_cents += int(amount)
    hit_orders = select(OrderLine.order_id).where(hit)
    impact.participation_cents += int(
        s.scalar(
            select(func.coalesce(func.sum(Order.participation_cents), 0)).where(
                unpaid, Order.id.in_(hit_orders)
            )
        )
        or 0
    )
    impact.agents = int(
        s.scalar(
            select(func.count(distinct(Order.cgos_number)))
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(
                hit,
                OrderLine.status == LineStatus.ACTIVE,
                Order.status.in_([*PAID_STATES, *UNPAID]),
            )
        )
        or 0
    )
    return impact


def cancel_event(
    actor: Any,
    *,
    session_id: int | None = None,
    offer_id: int | None = None,
    reason: str = "Annulation de l'événement par l'organisateur.",
) -> CancellationSummary:
    """R-OPS-4 / R-ORD-5: every affected order refunded the ticket price (not the fees),
    participation back to the cap, e-billets cancelled, agents e-mailed."""
    if (session_id is None) == (offer_id is None):
        raise ValueError("give a session or an offer")
    s = session()
    if session_id is not None:
        sess = s.get(OfferSession, session_id)
        if sess is None:
            raise DomainError("Séance introuvable.")
        session_ids = [session_id]
        subject = f"session:{session_id}"
    else:
        offer = s.get(Offer, offer_id)
        if offer is None:
            raise DomainError("Offre introuvable.")
        session_ids = list(
            s.scalars(select(OfferSession.id).where(OfferSession.offer_id == offer_id))
        )
        subject = f"offer:{offer_id}"
    if session_id is not None:
        line_filter = OrderLine.session_id == session_id
    else:
        line_filter = OrderLine.offer_id == offer_id
    order_ids = sorted(set(s.scalars(select(OrderLine.order_id).where(line_filter))))
    summary = CancellationSummary()
    with unit_of_work() as uow:
        if session_ids:
            uow.execute(
                update(OfferSession).where(OfferSession.id.in_(session_ids)).values(cancelled=True)
            )
        if offer_id is not None:
            uow.execute(update(Offer).where(Offer.id == offer_id).values(published=False))
        audit.record(actor, "event.cancelled", subject, after={"reason": reason})
        events.sessions_cancelled(session_ids, offer_id, reason)  # R-PAR-10: partners told
    for order_id in order_ids:
        order = s.scalar(
            select(Order).where(Order.id == order_id).options(selectinload(Order.lines))
        )
        assert order is not None, "one of its lines was just read"
        assert order.number is not None, "numbered when placed"
        if order.status in UNPAID:
            cancel_order(order_id, reason=reason, actor=actor, event_cancelled=True)
            summary.orders_cancelled += 1
            summary.numbers.append(order.number)
            continue
        if order.status not in PAID_STATES:
            continue
        with unit_of_work() as uow:
            hh = _lock_household_year(order.household_id, order.year)
            order = _locked_order(order_id)
            hit = [
                line
                for line in order.lines
                if line.status == LineStatus.ACTIVE
                and (
                    line.session_id in session_ids
                    if session_id is not None
                    else line.offer_id == offer_id
                )
            ]
            if not hit:
                continue
            now = clock.utcnow()
            amount = sum(line.amount_cents for line in hit)
            participation = sum(line.participation_cents for line in hit)
            for line in hit:
                transition(line, LineStatus.REFUNDED, step=Step.REFUND, actor=actor)
                line.refunded_at = now
            cancelled = rowcount(
                uow.execute(
                    update(ETicket)
                    .where(
                        ETicket.order_line_id.in_([x.id for x in hit]), ETicket.status == "valid"
                    )
                    .values(status="cancelled")
                )
            )
            hh.used_cents = max(0, hh.used_cents - participation)
            _refund_payment(order, amount, reason, f"cancel-{subject}-{order.id}")
            _settle_status(order, actor)
            audit.record(
                actor,
                "order.refunded",
                f"order:{order.number}",
                after={"amount": amount, "participation": participation},
            )
            queue_mail(
                order.contact_email,
                "orders/event_cancelled",
                f"Événement annulé — remboursement de la commande {order.number}",
                order=order,
                lines=hit,
                amount=amount,
                reason=reason,
            )
            summary.orders_refunded += 1
            summary.refunded_cents += amount
            summary.participation_returned_cents += participation
            summary.tickets_cancelled += cancelled
            assert order.number is not None, "numbered when placed"
            summary.numbers.append(order.number)
    # Kept so the summary page is a plain GET: reloading it never cancels again.
    with unit_of_work():
        entry = audit.record(actor, SUMMARY_ACTION, subject, after=summary.as_dict())
        session().flush()
        summary.record_id = entry.id
    return summary


# -- refunds decided by an operator (R-OPS-8) ----------------------------------------------

REFUND_REASONS = {
    "retractation": "Rétractation demandée par téléphone ou par courrier",
    "doublon": "Commande passée en double",
    "geste": "Geste commercial",
}
# Money that reached the store for an order (a held phone payment is not money yet).
_MONEY_IN = (PaymentStatus.RECEIVED, PaymentStatus.CAPTURED)


@dataclass(frozen=True)
class Refundable:
    paid_cents: int
    refunded_cents: int

    @property
    def left_cents(self) -> int:
        return max(0, self.paid_cents - self.refunded_cents)


def refundable(order: Order) -> Refundable:
    """What the order paid and what was already given back (every refund row, made or not)."""
    rows = session().execute(
        select(Payment.kind, Payment.status, Payment.amount_cents).where(
            Payment.order_id == order.id
        )
    )
    paid = refunded = 0
    for kind, status, cents in rows:
        if kind == "refund":
            refunded += cents
        elif status in _MONEY_IN:
            paid += cents
    return Refundable(paid, refunded)


def held_payment(order: Order) -> bool:
    return (
        session().scalar(
            select(Payment.id).where(
                Payment.order_id == order.id, Payment.status == PaymentStatus.AUTHORISED
            )
        )
        is not None
    )


ALREADY_REFUNDED = (
    "Ce remboursement est déjà enregistré (le formulaire a été envoyé deux fois) : "
    "rien n'a été remboursé de plus."
)


class AlreadyRefunded(DomainError):
    """The same refund form posted again (a double click, a reload): nothing was done."""


def _form_token_used(order: Order, token: str) -> bool:
    """Has a refund of ``order`` already been recorded from the form carrying ``token``?
    Read under the order's lock, so two posts at once see each other's commit."""
    afters = session().scalars(
        select(audit.AuditEntry.after).where(
            audit.AuditEntry.action == "order.refunded",
            audit.AuditEntry.subject == f"order:{order.number}",
        )
    )
    return any((after or {}).get("form") == token for after in afters)


def refund_order(
    order_number: str,
    line_ids: list[int],
    reason: str,
    actor: Any,
    *,
    amount_cents: int | None = None,
    form_token: str | None = None,
) -> Payment:
    """R-OPS-8: refund chosen lines of a paid order (their price, not the fees: R-ORD-5),
    or for a goodwill gesture an amount; participation back to the cap, e-billets of the
    lines cancelled, card refunded through the provider after commit, cheque by a bank
    transfer listed until marked done; the agent told by mail. Never more than was paid.
    ``form_token``, the one-time token of the operator's form, makes a second post of the
    same form refund nothing (R-OPS-8a): checked under the order's lock against the audit."""
    if reason not in REFUND_REASONS:
        raise DomainError("Choisissez le motif du remboursement.", field="reason")
    found = session().scalar(select(Order).where(Order.number == order_number))
    if found is None:
        raise DomainError("Commande introuvable.")
    with unit_of_work() as uow:
        hh = _lock_household_year(found.household_id, found.year)
        order = _locked_order(found.id)
        if form_token and _form_token_used(order, form_token):
            raise AlreadyRefunded(ALREADY_REFUNDED, rule="R-OPS-8a")
        if order.status not in PAID_STATES:
            raise DomainError(
                "Seule une commande payée peut être remboursée ; une commande non payée s'annule.",
                rule="R-OPS-8",
            )
        if held_payment(order):
            raise DomainError(
                "Le paiement par carte de cette commande n'est pas encore encaissé (capture "
                "ce soir) : remboursez-la après la capture.",
                rule="R-PAY-5",
            )
        chosen = [line for line in order.lines if line.id in set(line_ids)]
        if len(chosen) != len(set(line_ids)):
            raise DomainError("Article introuvable dans cette commande.", field="lines")
        for line in chosen:
            if line.status != LineStatus.ACTIVE:
                raise DomainError(f"L'article « {line.title} » est déjà remboursé.", field="lines")
        if not chosen and (reason != "geste" or amount_cents is None):
            raise DomainError("Cochez au moins un article à rembourser.", field="lines")
        now = clock.utcnow()
        if reason == "retractation":
            late = [line for line in chosen if not can_withdraw(order, line, now)]
            if late:
                raise DomainError(
                    f"« {late[0].title} » : le droit de rétractation de 15 jours ne s'applique "
                    "pas ou plus à cet article (les billets de loisirs datés en sont exclus). "
                    "Choisissez un autre motif si un remboursement est décidé.",
                    field="reason",
                    rule="R-ORD-5",
                )
        lines_cents = sum(line.amount_cents for line in chosen)
        amount = lines_cents if amount_cents is None else amount_cents
        if amount <= 0:
            raise DomainError("Le montant à rembourser doit être positif.", field="amount")
        if chosen and amount != lines_cents:
            raise DomainError(
                f"Les articles cochés sont remboursés à leur prix ({format_eur(lines_cents)}) ; "
                "pour un geste commercial d'un autre montant, ne cochez aucun article.",
                field="amount",
            )
        money = refundable(order)
        if amount > money.left_cents:
            raise DomainError(
                f"Le remboursement dépasse ce qui a été payé : {format_eur(money.paid_cents)} "
                f"payés, {format_eur(money.refunded_cents)} déjà remboursés, "
                f"{format_eur(money.left_cents)} au plus.",
                field="amount",
                rule="R-OPS-8",
            )
        before = {"status": str(order.status), "refunded": money.refunded_cents}
        participation = sum(line.participation_cents for line in chosen)
        target = LineStatus.WITHDRAWN if reason == "retractation" else LineStatus.REFUNDED
        for line in chosen:
            transition(line, target, step=Step.REFUND, actor=actor)
            line.refunded_at = now
        cancelled = 0
        if chosen:
            cancelled = rowcount(
                uow.execute(
                    update(ETicket)
                    .where(
                        ETicket.order_line_id.in_([x.id for x in chosen]),
                        ETicket.status == "valid",
                    )
                    .values(status="cancelled")
                )
            )
        hh.used_cents = max(0, hh.used_cents - participation)
        label = REFUND_REASONS[reason]
        serial = money.refunded_cents + amount  # unique per order: the running total grows
        payment = _refund_payment(order, amount, label, f"ops-refund-{order.id}-{serial}")
        _settle_status(order, actor)
        audit.record(
            actor,
            "order.refunded",
            f"order:{order.number}",
            before=before,
            after={
                "status": str(order.status),
                "refunded": money.refunded_cents + amount,
                "amount": amount,
                "participation": participation,
                "lines": [line.id for line in chosen],
                "method": payment.method,
                "reason": label,
                "tickets_cancelled": cancelled,
                **({"form": form_token} if form_token else {}),
            },
        )
        queue_mail(
            order.contact_email,
            "orders/refunded",
            f"Remboursement de votre commande {order.number}",
            order=order,
            lines=chosen,
            amount=amount,
            participation=participation,
            reason=label,
            method=payment.method,
        )
        uow.flush()
    return payment


@dataclass(frozen=True)
class TransferDue:
    payment: Payment
    order: Order


def transfers_to_make(limit: int = 500) -> list[TransferDue]:
    """« Virements à effectuer »: cheque orders' refunds not yet marked done, oldest first
    (session cancellations and operators' refunds alike)."""
    rows = session().execute(
        select(Payment, Order)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.kind == "refund",
            Payment.method == "transfer",
            Payment.status == PaymentStatus.REFUND_PENDING,
        )
        .order_by(Payment.created_at, Payment.id)
        .limit(limit)
    )
    return [TransferDue(p, o) for p, o in rows]
