"""The cheque desk (R-PAY-3, R-PAY-4, R-OPS-3): registering the cheques that arrive by post
and listing the options still waiting for theirs.

A cheque pays its option only for the exact total; any other amount refuses it and cancels
the order, the agent being told why. A cheque that arrives after its option expired is
accepted only while the stock is still there: the order is re-placed at the same price
(stock taken again with the same conditional UPDATE, participation under the household
lock), otherwise the cheque goes back to the agent. Every registration is audited, and the
same cheque registered twice changes nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from auth.principals import agent_user
from members.dossiers import dossier_source
from orders import line_kinds, services
from orders.models import Order, Payment
from orders.pricing import household_cap
from orders.status import (
    EXPIRED_CHEQUE_OPTION,
    UNPAID,
    LineStatus,
    OrderStatus,
    PaymentStatus,
    Step,
)
from orders.transitions import transition
from shop import audit, clock
from shop.audit import AuditEntry
from shop.db import for_update, session, unit_of_work
from shop.errors import DomainError
from shop.mail import queue_mail
from shop.money import format_eur

ACTION = "order.cheque_registered"
CHEQUE_NUMBER = re.compile(r"^[0-9A-Za-z-]{1,30}$")
RETURN_NOTE = "chèque à retourner à l'agent"


class ChequeOutcome(StrEnum):
    PAID = "paid"  # the option is paid, its e-billets issued
    REPLACED = "replaced"  # late cheque: the expired order was re-placed and paid
    REFUSED = "refused"  # wrong amount: refused, order cancelled, agent told
    RETURNED = "returned"  # nothing to pay (stock gone, already paid…): cheque to return


@dataclass(frozen=True)
class ChequeResult:
    outcome: ChequeOutcome
    order: Order
    message: str
    already: bool = False  # the same cheque had been registered before: nothing done

    @property
    def accepted(self) -> bool:
        return self.outcome in (ChequeOutcome.PAID, ChequeOutcome.REPLACED)


def normalise_order_number(value: str) -> str:
    return (value or "").replace("\x00", "").strip().upper()


def normalise_cheque_number(value: str) -> str:
    return re.sub(r"\s+", "", (value or "").replace("\x00", ""))


def _previous(order: Order, cheque_number: str) -> AuditEntry | None:
    """The earlier registration of this very cheque on this order, if any (idempotency:
    read under the order's lock, so two operators cannot both register it)."""
    entries = session().scalars(
        select(AuditEntry)
        .where(AuditEntry.action == ACTION, AuditEntry.subject == f"order:{order.number}")
        .order_by(AuditEntry.id)
    )
    return next((e for e in entries if (e.after or {}).get("cheque_number") == cheque_number), None)


def _expired_option(order: Order) -> bool:
    """Cancelled by the expiry job (at or after the end of day 8), not by anyone before."""
    return (
        order.payment_method == "cheque"
        and order.status == OrderStatus.CANCELLED
        and order.cancelled_at is not None
        and order.cancelled_at >= services.option_deadline(order.placed_at)
    )


class AmountMismatch(DomainError):
    """R-OPS-10: the amount typed differs from the order's total and the operator has not
    confirmed the refusal yet: nothing was written."""

    def __init__(self, order: Order, amount_cents: int) -> None:
        super().__init__(
            f"{format_eur(order.total_cents)} attendus, {format_eur(amount_cents)} saisis : "
            f"vérifiez le montant du chèque. Si le chèque est bien de "
            f"{format_eur(amount_cents)}, confirmez le refus : la commande {order.number} "
            "sera annulée et l'agent prévenu.",
            field="amount",
            rule="R-OPS-10",
        )
        self.order = order
        self.amount_cents = amount_cents


@dataclass(frozen=True)
class ChequeCheck:
    """What the desk shows before a cheque is registered (R-OPS-10)."""

    order: Order
    expected_cents: int
    payable: bool  # an option waiting for its cheque (or an expired one a cheque may revive)
    note: str

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.order.number,
            "agent": self.order.holder_name,
            "cgos_number": self.order.cgos_number,
            "expected_cents": self.expected_cents,
            "expected": format_eur(self.expected_cents),
            "payable": self.payable,
            "note": self.note,
        }


def check_order(order_number: str) -> ChequeCheck:
    """The order a cheque is for, its agent and expected amount; a French DomainError when
    no cheque order has that number."""
    number = normalise_order_number(order_number)
    order = session().scalar(select(Order).where(Order.number == number)) if number else None
    if order is None:
        raise DomainError("Aucune commande ne porte ce numéro.", field="order_number")
    if order.payment_method != "cheque":
        raise DomainError(
            f"Cette commande se règle par carte bancaire, pas par chèque : {RETURN_NOTE}.",
            field="order_number",
            rule="R-PAY-1",
        )
    if order.status == OrderStatus.OPTION:
        note = "Option en attente de ce chèque."
    elif _expired_option(order):
        note = (
            "Option expirée : le chèque n'est accepté que si les places sont encore "
            "disponibles, sinon il est retourné."
        )
    elif order.status == OrderStatus.CANCELLED:
        note = f"Commande annulée : {RETURN_NOTE}."
    else:
        note = f"Commande déjà payée : {RETURN_NOTE}."
    payable = order.status == OrderStatus.OPTION or _expired_option(order)
    return ChequeCheck(order, order.total_cents, payable, note)


@dataclass(frozen=True)
class ReturnedCheque:
    at: datetime
    cheque_number: str
    amount_cents: int
    why: str


def returned_cheques(order: Order) -> list[ReturnedCheque]:
    """Cheques received for ``order`` and not cashed (refused or returned), from the desk's
    audit entries: shown on the order in the back office and to the agent (GAP-13)."""
    if order.payment_method != "cheque":
        return []
    entries = session().scalars(
        select(AuditEntry)
        .where(AuditEntry.action == ACTION, AuditEntry.subject == f"order:{order.number}")
        .order_by(AuditEntry.id)
    )
    rows = []
    for e in entries:
        after = e.after or {}
        if after.get("outcome") in (ChequeOutcome.REFUSED, ChequeOutcome.RETURNED):
            rows.append(
                ReturnedCheque(
                    e.at,
                    str(after.get("cheque_number") or ""),
                    int(after.get("amount") or 0),
                    str(after.get("why") or "chèque non encaissé, retourné à l'agent"),
                )
            )
    return rows


def register_cheque(
    order_number: str,
    amount_cents: int,
    cheque_number: str,
    actor: Any,
    *,
    confirmed: bool = True,
    bank: str = "",
) -> ChequeResult:
    """R-PAY-4: record a received cheque against its order and settle the order:
    paid, re-placed (late cheque, R-PAY-3), refused and cancelled, or to be returned.
    R-OPS-10: ``confirmed`` False stops before refusing an option for a different amount
    (``AmountMismatch``), so that a typo never cancels an order unconfirmed.
    ``bank``, when the desk noted it, is kept with the payment for the remittance slip."""
    number = normalise_order_number(order_number)
    cheque = normalise_cheque_number(cheque_number)
    if not CHEQUE_NUMBER.match(cheque):
        raise DomainError(
            "Numéro de chèque invalide : chiffres et lettres, 30 caractères au plus.",
            field="cheque_number",
        )
    if amount_cents <= 0:
        raise DomainError("Le montant du chèque doit être positif.", field="amount")
    found = session().scalar(select(Order).where(Order.number == number)) if number else None
    if found is None:
        raise DomainError("Aucune commande ne porte ce numéro.", field="order_number")
    if found.payment_method != "cheque":
        raise DomainError(
            f"Cette commande se règle par carte bancaire, pas par chèque : {RETURN_NOTE}.",
            field="order_number",
            rule="R-PAY-1",
        )
    with unit_of_work() as s:
        # Household first, then the order: the lock order of place_order and cancel_order.
        hh = services._lock_household_year(found.household_id, found.year)
        order = services._locked_order(found.id)
        earlier = _previous(order, cheque)
        if earlier is not None:
            after = earlier.after or {}
            return ChequeResult(
                ChequeOutcome(after.get("outcome", ChequeOutcome.RETURNED)),
                order,
                "Ce chèque a déjà été enregistré le "
                f"{clock.format_datetime_fr(earlier.at)} : rien n'a été modifié.",
                already=True,
            )
        if not confirmed and order.status in UNPAID and amount_cents != order.total_cents:
            raise AmountMismatch(order, amount_cents)
        before = {"status": order.status}
        total = order.total_cents
        outcome, message = _settle(order, hh, amount_cents, cheque, actor, bank.strip()[:60])
        why = None
        if outcome == ChequeOutcome.REFUSED:
            why = (
                f"montant différent de celui de la commande ({format_eur(total)}) : chèque "
                "refusé et retourné, commande annulée"
            )
        elif outcome == ChequeOutcome.RETURNED:
            why = message.removesuffix(f" : {RETURN_NOTE}.").removesuffix(".")
            _tell_returned(order, amount_cents, cheque, why)
        audit.record(
            actor,
            ACTION,
            f"order:{order.number}",
            before=before,
            after={
                "status": order.status,
                "outcome": outcome.value,
                "cheque_number": cheque,
                "amount": amount_cents,
                "expected": total,
                **({"why": why} if why else {}),
            },
        )
        s.flush()
    return ChequeResult(outcome, order, message)


def _settle(
    order: Order, hh: Any, amount_cents: int, cheque: str, actor: Any, bank: str
) -> tuple[ChequeOutcome, str]:
    total = order.total_cents
    status = order.status
    if status in UNPAID and amount_cents != total:
        reason = (
            f"Chèque n° {cheque} de {format_eur(amount_cents)} refusé : le montant doit être "
            f"exactement celui de la commande, {format_eur(total)}."
        )
        services.cancel_order(order.id, reason=reason, actor=actor)
        return ChequeOutcome.REFUSED, (
            f"Chèque refusé : {format_eur(amount_cents)} reçus pour {format_eur(total)} "
            f"attendus. La commande {order.number} est annulée et l'agent prévenu par "
            f"e-mail ; {RETURN_NOTE}."
        )
    if status == OrderStatus.OPTION:
        _pay(order, amount_cents, cheque, actor, bank, late=False)
        return ChequeOutcome.PAID, (
            f"Chèque enregistré : la commande {order.number} est payée"
            " et ses e-billets éventuels envoyés."
        )
    if status == OrderStatus.CANCELLED and _expired_option(order):
        if amount_cents != total:
            return ChequeOutcome.RETURNED, (
                f"Option expirée et montant différent ({format_eur(amount_cents)} reçus pour "
                f"{format_eur(total)}) : {RETURN_NOTE}."
            )
        refusal = _replace(order, hh, actor)
        if refusal:
            return ChequeOutcome.RETURNED, f"Option expirée et {refusal} : {RETURN_NOTE}."
        _pay(order, amount_cents, cheque, actor, bank, late=True)
        return ChequeOutcome.REPLACED, (
            f"Chèque arrivé après l'expiration de l'option : les places étaient encore "
            f"disponibles, la commande {order.number} est reprise au même prix et payée."
        )
    if status == OrderStatus.CANCELLED:
        why = "la commande est annulée"
    else:
        why = "la commande est déjà payée"
    return ChequeOutcome.RETURNED, f"Chèque non encaissé, {why} : {RETURN_NOTE}."


def _tell_returned(order: Order, amount_cents: int, cheque: str, why: str) -> None:
    """GAP-13: the agent learns that the cheque comes back, why, and what to do."""
    queue_mail(
        order.contact_email,
        "orders/cheque_returned",
        f"Commande {order.number} : votre chèque vous est retourné",
        order=order,
        amount_cents=amount_cents,
        cheque_number=cheque,
        why=why,
    )


def _replace(order: Order, hh: Any, actor: Any) -> str | None:
    """R-PAY-3: take the stock and the participation again for an expired option, as it
    was priced; the reason it cannot be (in French) otherwise. Nothing is written then.
    The step cancelled → option is in the table only for an option cancelled by its expiry."""
    facts = frozenset({EXPIRED_CHEQUE_OPTION}) if _expired_option(order) else frozenset()
    record = dossier_source().get(order.cgos_number)
    if record is not None:
        cap = household_cap(agent_user(record).children_count)
        if hh.used_cents + order.participation_cents > cap:
            return "le plafond de participation du foyer ne le permet plus"
    refusal = line_kinds.late_payment_refusal(order)
    if refusal is not None:
        return refusal
    s = session()
    try:
        with s.begin_nested():
            services._take_stock([ln for ln in order.lines if ln.status == LineStatus.ACTIVE])
    except DomainError:
        return "les places ne sont plus disponibles"
    # Back to an option, which the cheque then pays through mark_paid (same code path); a
    # step the table refuses raises and rolls the whole registration back.
    transition(order, OrderStatus.OPTION, step=Step.REPLACE, actor=actor, facts=facts)
    hh.used_cents += order.participation_cents
    order.cancelled_at = None
    order.cancel_reason = None
    order.expires_at = clock.utcnow()
    s.flush()
    return None


def _pay(
    order: Order, amount_cents: int, cheque: str, actor: Any, bank: str, *, late: bool
) -> None:
    details: dict[str, Any] = {"cheque_number": cheque}
    if bank:
        details["bank"] = bank
    if late:
        details["replaced_after_expiry"] = True
    services.mark_paid(
        order.id,
        method="cheque",
        amount_cents=amount_cents,
        provider_ref=f"cheque-{order.number}-{cheque}",
        actor=actor,
        details=details,
    )


# -- refunds owed by bank transfer (R-OPS-4) -----------------------------------------------


def mark_transfer_done(
    order_number: str, payment_id: int, actor: Any, *, done_on: date | None = None
) -> Payment:
    """A cheque order's refund is a bank transfer made outside the store: the operator
    records it as done once sent, on ``done_on`` (Paris day, default today; R-ORD-5,
    R-OPS-6, R-OPS-8). Doing it twice changes nothing."""
    today = clock.today()
    if done_on is not None and done_on > today:
        raise DomainError("La date du virement ne peut pas être dans le futur.", field="done_on")
    with unit_of_work() as s:
        payment = s.scalar(
            for_update(
                select(Payment)
                .join(Order, Order.id == Payment.order_id)
                .where(
                    Payment.id == payment_id,
                    Order.number == normalise_order_number(order_number),
                    Payment.kind == "refund",
                    Payment.method == "transfer",
                )
            ).execution_options(populate_existing=True)
        )
        if payment is None:
            raise DomainError("Remboursement introuvable pour cette commande.")
        if payment.status == PaymentStatus.REFUNDED:
            return payment
        before = {"payment": payment.id, "status": "to_pay"}
        transition(payment, PaymentStatus.REFUNDED, step=Step.REFUND, actor=actor)
        details = dict(payment.details or {})
        details.update(done_at=clock.utcnow().isoformat(timespec="seconds"))
        details["done_on"] = (done_on or today).isoformat()
        details["done_by"] = audit.actor_label(actor)
        payment.details = details
        audit.record(
            actor,
            "order.refund_transfer_done",
            f"order:{normalise_order_number(order_number)}",
            before=before,
            after={
                "payment": payment.id,
                "status": "done",
                "amount": payment.amount_cents,
                "done_on": details["done_on"],
            },
        )
    return payment


# -- options waiting for their cheque (R-OPS-3) ------------------------------------------


@dataclass(frozen=True)
class WaitingOption:
    order: Order
    last_day: date  # the option holds until the end of this day (Paris)
    days_left: int  # 0: last day today


def waiting_options(limit: int = 200) -> list[WaitingOption]:
    """Options still held, soonest expiry first, with the last day a cheque is awaited."""
    today = clock.today()
    orders = session().scalars(
        select(Order)
        .where(Order.status == OrderStatus.OPTION, Order.expires_at.is_not(None))
        .order_by(Order.expires_at, Order.id)
        .limit(limit)
    )
    rows = []
    for order in orders:
        assert order.expires_at is not None, "selected so"
        last_day = _last_day(order.expires_at)
        rows.append(WaitingOption(order, last_day, (last_day - today).days))
    return rows


def _last_day(expires_at: datetime) -> date:
    return clock.to_paris(expires_at - timedelta(microseconds=1)).date()
