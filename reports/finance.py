"""Finance for the people who keep C.G.O.S's accounts (R-REP-2): card payments by day and
capture batch, Stripe payouts, cheques cashed per day (the remittance slip), refunds made
and transfers to make, each partner's monthly settlement.

Definitions (docs/RULES.md R-REP-2a…e), each a query aggregated in SQL:

- Money is in when a payment row (kind ``payment``) is ``received`` or ``captured``. Its
  day is the Europe/Paris day of the moment the money moved: ``captured_at`` for a phone
  card payment captured by the evening batch (R-PAY-5), ``created_at`` for anything else
  (a web card payment is captured by Stripe at once; a cheque is cashed when the desk
  registers it). A held payment (``authorised``) is not money yet; a lost hold never is.
- A capture batch is how card money was captured: « immédiate » (web card payments,
  captured by Stripe when the agent pays) or the evening batch of a Paris day (phone and
  post card payments, ``orders.phone.capture_batch``, which runs once past CAPTURE_HOUR
  and stamps ``captured_at``). The demonstration payment counts as a card.
- A refund belongs to the Paris day it was recorded (``created_at``), made or not.
- A partner's settlement for a month: the lines of the partner sold that month (order paid
  that Paris month), minus the lines refunded or withdrawn that month (``refunded_at``),
  whatever the month they were sold, each at prix négocié × quantity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import stripe
from flask import current_app
from sqlalchemy import ColumnElement, case, exists, func, literal, select

from orders import refunds as order_refunds
from orders.models import Order, OrderLine, Payment
from orders.status import PAID_STATES, LineStatus, OrderStatus, PaymentStatus
from partners.models import Partner
from reports.periods import Month, bounds_utc, days
from reports.rules import paris_day
from shop.db import session

MONEY_IN = (PaymentStatus.RECEIVED, PaymentStatus.CAPTURED)
CARD_METHODS = ("card", "demo")
# Orders whose lines were sold: paid once, whatever happened to them since.
SOLD_STATES = (*PAID_STATES, OrderStatus.REFUNDED)
REFUNDED_LINES = (LineStatus.REFUNDED, LineStatus.WITHDRAWN)
BATCH_LABELS = {
    "immediate": "Capture immédiate (paiements en ligne)",
    "evening": "Lot du soir (paiements par téléphone ou courrier)",
}
METHOD_LABELS = {
    "card": "Carte bancaire",
    "demo": "Carte bancaire (démonstration)",
    "cheque": "Chèque",
    "transfer": "Virement",
}
STRIPE_TIMEOUT_SECONDS = 10
STRIPE_NOT_CONFIGURED = (
    "Stripe n'est pas configuré sur ce site : aucun virement Stripe à afficher "
    "(les paiements par carte sont des paiements de démonstration)."
)
STRIPE_UNREACHABLE = (
    "Stripe ne répond pas pour le moment : les virements Stripe ne peuvent pas être "
    "affichés. Les paiements ci-dessus, lus dans la base du site, restent exacts."
)


def money_instant() -> ColumnElement[Any]:
    """When a payment's money moved: the capture of a held card payment, else its creation."""
    return func.coalesce(Payment.captured_at, Payment.created_at)


def day_of(column: Any, first: date, last: date) -> ColumnElement[Any]:
    """The Paris day (``AAAA-MM-JJ``) of ``column`` for rows already inside the period: one
    CASE over the days' UTC bounds, the same SQL on SQLite and PostgreSQL."""
    whens = []
    for d in days(first, last):
        _, end = bounds_utc(d, d)
        whens.append((column < end, literal(d.isoformat())))
    return case(*whens, else_=literal(last.isoformat()))


# -- card payments ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CardDay:
    day: date
    count: int
    amount_cents: int


@dataclass(frozen=True)
class CardBatch:
    day: date
    batch: str  # immediate | evening
    count: int
    amount_cents: int

    @property
    def label(self) -> str:
        return BATCH_LABELS[self.batch]


@dataclass(frozen=True)
class Pending:
    count: int
    amount_cents: int


def _card_money(first: date, last: date) -> list[ColumnElement[bool]]:
    start, end = bounds_utc(first, last)
    instant = money_instant()
    return [
        Payment.kind == "payment",
        Payment.method.in_(CARD_METHODS),
        Payment.status.in_(MONEY_IN),
        instant >= start,
        instant < end,
    ]


def card_payments_by_batch(first: date, last: date) -> list[CardBatch]:
    """R-REP-2: card money in per Paris day and capture batch (one grouped statement)."""
    instant = money_instant()
    batch = case((Payment.captured_at.is_(None), literal("immediate")), else_=literal("evening"))
    inner = (
        select(
            day_of(instant, first, last).label("day"),
            batch.label("batch"),
            Payment.amount_cents.label("cents"),
        )
        .where(*_card_money(first, last))
        .subquery()
    )
    rows = session().execute(
        select(inner.c.day, inner.c.batch, func.count(), func.sum(inner.c.cents))
        .group_by(inner.c.day, inner.c.batch)
        .order_by(inner.c.day, inner.c.batch)
    )
    return [
        CardBatch(date.fromisoformat(d), str(b), int(n), int(cents or 0)) for d, b, n, cents in rows
    ]


def card_payments_by_day(first: date, last: date) -> list[CardDay]:
    """R-REP-2: card money in per Paris day, every batch together."""
    inner = (
        select(
            day_of(money_instant(), first, last).label("day"),
            Payment.amount_cents.label("cents"),
        )
        .where(*_card_money(first, last))
        .subquery()
    )
    rows = session().execute(
        select(inner.c.day, func.count(), func.sum(inner.c.cents))
        .group_by(inner.c.day)
        .order_by(inner.c.day)
    )
    return [CardDay(date.fromisoformat(d), int(n), int(cents or 0)) for d, n, cents in rows]


def card_awaiting_capture() -> Pending:
    """Phone card payments held, to be captured by tonight's batch: not money yet."""
    n, cents = (
        session()
        .execute(
            select(func.count(), func.coalesce(func.sum(Payment.amount_cents), 0)).where(
                Payment.status == PaymentStatus.AUTHORISED
            )
        )
        .one()
    )
    return Pending(int(n), int(cents))


# -- Stripe payouts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payout:
    ident: str
    arrival: date
    amount_cents: int
    currency: str
    status: str


@dataclass(frozen=True)
class PayoutReport:
    configured: bool
    rows: list[Payout] = field(default_factory=list)
    message: str | None = None
    more: bool = False  # Stripe holds more than the page shown


def stripe_payouts(first: date, last: date, limit: int = 100) -> PayoutReport:
    """The bank transfers Stripe made to C.G.O.S (payouts) arriving in the period, read
    through the official library; a French sentence instead when Stripe is not configured
    or cannot be reached — never an error page."""
    config = current_app.config
    key = config.get("STRIPE_SECRET_KEY")
    if not key:
        return PayoutReport(False, message=STRIPE_NOT_CONFIGURED)
    start, end = bounds_utc(first, last)
    base = config.get("STRIPE_API_BASE")
    http = stripe.RequestsClient(timeout=STRIPE_TIMEOUT_SECONDS)
    try:
        client = stripe.StripeClient(
            key,
            base_addresses={"api": base} if base else None,
            http_client=http,
            max_network_retries=0,
        )
        page = client.v1.payouts.list(
            params={
                "arrival_date": {"gte": _epoch(start), "lt": _epoch(end)},
                "limit": limit,
            }
        )
        rows = [
            Payout(
                str(p.id),
                paris_day(datetime.fromtimestamp(int(p.arrival_date), UTC).replace(tzinfo=None)),
                int(p.amount),
                str(p.currency).upper(),
                str(p.status),
            )
            for p in page.data
        ]
        return PayoutReport(True, rows=rows, more=bool(page.has_more))
    except Exception:  # noqa: BLE001 — Stripe down or answering nonsense: say so in French
        current_app.logger.warning("Stripe : virements illisibles", exc_info=True)
        return PayoutReport(True, message=STRIPE_UNREACHABLE)
    finally:
        http.close()


def _epoch(naive_utc: datetime) -> int:
    return int((naive_utc - datetime(1970, 1, 1)).total_seconds())


# -- cheques -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CashedCheque:
    payment_id: int
    order_number: str
    drawer: str
    cheque_number: str
    bank: str
    amount_cents: int


@dataclass(frozen=True)
class ChequeDay:
    day: date
    count: int
    amount_cents: int


def _cheques_in(first: date, last: date) -> list[ColumnElement[bool]]:
    start, end = bounds_utc(first, last)
    return [
        Payment.kind == "payment",
        Payment.method == "cheque",
        Payment.status.in_(MONEY_IN),
        Payment.created_at >= start,
        Payment.created_at < end,
    ]


def cheque_days(first: date, last: date) -> list[ChequeDay]:
    """R-REP-2: cheques cashed per Paris day (the day the desk registered them)."""
    inner = (
        select(
            day_of(Payment.created_at, first, last).label("day"),
            Payment.amount_cents.label("cents"),
        )
        .where(*_cheques_in(first, last))
        .subquery()
    )
    rows = session().execute(
        select(inner.c.day, func.count(), func.sum(inner.c.cents))
        .group_by(inner.c.day)
        .order_by(inner.c.day)
    )
    return [ChequeDay(date.fromisoformat(d), int(n), int(c or 0)) for d, n, c in rows]


def cheques_cashed(day: date) -> list[CashedCheque]:
    """R-REP-2: the day's remittance slip, one row per cheque cashed that Paris day, in the
    order they were registered. The drawer is the order's holder (the agent who pays); the
    bank is written only when the desk noted it (``details["bank"]``)."""
    rows = session().execute(
        select(Payment.id, Payment.amount_cents, Payment.details, Order.number, Order.holder_name)
        .join(Order, Order.id == Payment.order_id)
        .where(*_cheques_in(day, day))
        .order_by(Payment.created_at, Payment.id)
    )
    result = []
    for pid, cents, details, number, holder in rows:
        info = details or {}
        result.append(
            CashedCheque(
                int(pid),
                str(number or ""),
                str(info.get("drawer") or holder or ""),
                str(info.get("cheque_number") or ""),
                str(info.get("bank") or ""),
                int(cents),
            )
        )
    return result


# -- refunds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundDay:
    day: date
    method: str  # card | transfer
    made: bool  # sent (card) or marked done (transfer)
    count: int
    amount_cents: int

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)


def refunds_by_day(first: date, last: date) -> list[RefundDay]:
    """R-REP-2: refunds recorded per Paris day, by method, made or still to make."""
    start, end = bounds_utc(first, last)
    made = case((Payment.status == PaymentStatus.REFUNDED, literal(1)), else_=literal(0))
    inner = (
        select(
            day_of(Payment.created_at, first, last).label("day"),
            Payment.method.label("method"),
            made.label("made"),
            Payment.amount_cents.label("cents"),
        )
        .where(Payment.kind == "refund", Payment.created_at >= start, Payment.created_at < end)
        .subquery()
    )
    rows = session().execute(
        select(inner.c.day, inner.c.method, inner.c.made, func.count(), func.sum(inner.c.cents))
        .group_by(inner.c.day, inner.c.method, inner.c.made)
        .order_by(inner.c.day, inner.c.method, inner.c.made)
    )
    return [
        RefundDay(date.fromisoformat(d), str(m), bool(k), int(n), int(c or 0))
        for d, m, k, n, c in rows
    ]


def transfers_to_make() -> tuple[list[order_refunds.TransferDue], Pending]:
    """« Virements à effectuer », the back office's own list (orders.refunds), with the
    count and total of all of them in one more statement."""
    n, cents = (
        session()
        .execute(
            select(func.count(), func.coalesce(func.sum(Payment.amount_cents), 0)).where(
                Payment.kind == "refund",
                Payment.method == "transfer",
                Payment.status == PaymentStatus.REFUND_PENDING,
            )
        )
        .one()
    )
    return order_refunds.transfers_to_make(), Pending(int(n), int(cents))


# -- partners' settlements ---------------------------------------------------------------------


@dataclass(frozen=True)
class SettlementLine:
    """One offer of the partner: sold (positive) or refunded (kept positive, subtracted)."""

    offer_id: int
    title: str
    sold_quantity: int = 0
    sold_negotiated_cents: int = 0
    sold_participation_cents: int = 0
    sold_paid_cents: int = 0
    refunded_quantity: int = 0
    refunded_negotiated_cents: int = 0
    refunded_participation_cents: int = 0
    refunded_paid_cents: int = 0

    @property
    def due_cents(self) -> int:
        return self.sold_negotiated_cents - self.refunded_negotiated_cents


@dataclass(frozen=True)
class Settlement:
    partner_id: int
    partner_name: str
    month: Month
    lines: list[SettlementLine]

    def _sum(self, name: str) -> int:
        return sum(int(getattr(line, name)) for line in self.lines)

    @property
    def sold_negotiated_cents(self) -> int:
        return self._sum("sold_negotiated_cents")

    @property
    def refunded_negotiated_cents(self) -> int:
        return self._sum("refunded_negotiated_cents")

    @property
    def due_cents(self) -> int:
        """What C.G.O.S owes the partner for the month."""
        return self.sold_negotiated_cents - self.refunded_negotiated_cents

    @property
    def participation_cents(self) -> int:
        """The participation C.G.O.S that funds it (net of the lines refunded)."""
        return self._sum("sold_participation_cents") - self._sum("refunded_participation_cents")

    @property
    def agents_cents(self) -> int:
        """What the agents paid for those lines (net of what was given back)."""
        return self._sum("sold_paid_cents") - self._sum("refunded_paid_cents")

    @property
    def sold_quantity(self) -> int:
        return self._sum("sold_quantity")

    @property
    def refunded_quantity(self) -> int:
        return self._sum("refunded_quantity")


def _not_lost() -> ColumnElement[bool]:
    """An order whose phone card hold was lost never brought money: not sold."""
    return ~exists().where(Payment.order_id == Order.id, Payment.status == PaymentStatus.HOLD_LOST)


def sold_lines_where(first: date, last: date) -> list[ColumnElement[bool]]:
    """Lines sold in the Paris days ``first`` … ``last``: their order was paid then (and
    still counts as paid: a refunded order's lines were sold, then refunded)."""
    start, end = bounds_utc(first, last)
    return [
        Order.status.in_(SOLD_STATES),
        Order.paid_at >= start,
        Order.paid_at < end,
        _not_lost(),
    ]


def refunded_lines_where(first: date, last: date) -> list[ColumnElement[bool]]:
    """Lines refunded or withdrawn in the period (their ``refunded_at``), of a paid order."""
    start, end = bounds_utc(first, last)
    return [
        OrderLine.status.in_(REFUNDED_LINES),
        OrderLine.refunded_at >= start,
        OrderLine.refunded_at < end,
        Order.paid_at.is_not(None),
        _not_lost(),
    ]


def _aggregate(where: Sequence[ColumnElement[bool]], partner_id: int | None) -> list[Any]:
    conditions = list(where)
    if partner_id is not None:
        conditions.append(OrderLine.partner_id == partner_id)
    return list(
        session().execute(
            select(
                OrderLine.partner_id,
                OrderLine.offer_id,
                func.min(OrderLine.title),
                func.sum(OrderLine.quantity),
                func.sum(OrderLine.quantity * OrderLine.unit_negotiated_cents),
                func.sum(OrderLine.participation_cents),
                func.sum(OrderLine.amount_cents),
            )
            .join(Order, Order.id == OrderLine.order_id)
            .where(*conditions)
            .group_by(OrderLine.partner_id, OrderLine.offer_id)
        )
    )


def settlement_lines(
    first: date, last: date, partner_id: int | None = None
) -> dict[int, list[SettlementLine]]:
    """Two grouped statements (sold, refunded) per partner and offer."""
    merged: dict[tuple[int, int], dict[str, Any]] = {}
    for prefix, where in (
        ("sold", sold_lines_where(first, last)),
        ("refunded", refunded_lines_where(first, last)),
    ):
        for pid, oid, title, qty, neg, part, paid in _aggregate(where, partner_id):
            row = merged.setdefault((int(pid), int(oid)), {"title": str(title)})
            row[f"{prefix}_quantity"] = int(qty or 0)
            row[f"{prefix}_negotiated_cents"] = int(neg or 0)
            row[f"{prefix}_participation_cents"] = int(part or 0)
            row[f"{prefix}_paid_cents"] = int(paid or 0)
    by_partner: dict[int, list[SettlementLine]] = {}
    for (pid, oid), values in sorted(merged.items(), key=lambda kv: (kv[0][0], kv[1]["title"])):
        title = values.pop("title")
        by_partner.setdefault(pid, []).append(SettlementLine(oid, title, **values))
    return by_partner


def settlement(partner_id: int, month: Month) -> Settlement | None:
    """R-REP-2: the partner's statement for ``month``; None for an unknown partner."""
    partner = session().get(Partner, partner_id)
    if partner is None:
        return None
    lines = settlement_lines(month.first, month.last, partner_id).get(partner_id, [])
    return Settlement(partner.id, partner.name, month, lines)


def settlements(month: Month) -> list[Settlement]:
    """Every partner with something sold or refunded in ``month`` (three statements)."""
    by_partner = settlement_lines(month.first, month.last)
    if not by_partner:
        return []
    names = {
        pid: name
        for pid, name in session().execute(
            select(Partner.id, Partner.name).where(Partner.id.in_(by_partner))
        )
    }
    rows = [
        Settlement(pid, str(names.get(pid, pid)), month, lines) for pid, lines in by_partner.items()
    ]
    return sorted(rows, key=lambda s: s.partner_name.lower())


def partner_name(partner_id: int) -> str | None:
    name = session().scalar(select(Partner.name).where(Partner.id == partner_id))
    return None if name is None else str(name)


def partner_choices() -> list[tuple[int, str]]:
    return [
        (int(pid), str(name))
        for pid, name in session().execute(select(Partner.id, Partner.name).order_by(Partner.name))
    ]
