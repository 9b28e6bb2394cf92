"""The dashboard's figures by closed Paris day (R-REP-1), so that a year reads a few
thousand rows instead of every order and line.

Two sources give the same facts:

- *live*: the orders themselves, grouped by UTC hour (folded into Paris days here, exactly:
  Paris is a whole number of hours from UTC) with their region, channel and method, or by
  offer and partner for their lines;
- *rolled*: ``report_day_orders`` and ``report_day_lines``, written by the due job
  ``reports.rollup`` for each Paris day once it is over (``GRACE`` after its last instant),
  from the live source, once. Nothing they hold changes after the day: an order is placed
  once and paid once (a paid order stays paid or refunded), and keeps its region, channel,
  method and amounts. Refunds, orders awaiting payment, caps and stock are always read live
  (they change, and they are few or indexed).

``split`` cuts a period at the last rolled day; the dashboard adds both parts. A rollup
that is late, or never ran, only makes the page slower, never different (tests compare
both ways). The rows of days whose orders have passed their retention are kept: they hold
no personal data, and the years' figures stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, distinct, func, insert, literal_column, select
from sqlalchemy.exc import IntegrityError

from catalog.models import Offer
from orders.models import Order, OrderLine
from orders.status import PAID_STATES, OrderStatus
from partners.models import Partner
from reports.models import DayLineFacts, DayOrderFacts, RollupState
from reports.rules import Period, paris_day, parse_hour_key
from shop import clock
from shop.db import session, unit_of_work
from shop.jobs import due_task

# Statuses of an order that was paid (refunded in whole included): its paid_at is set.
WAS_PAID = (*PAID_STATES, OrderStatus.REFUNDED)
GRACE = timedelta(minutes=10)  # a day is rolled this long after it ends (transactions end)
CHUNK_DAYS = 31  # days rolled per transaction
NO_REGION = ""  # an agent without a region in the dossier, in the rolled rows' key

OrderKey = tuple[date, str, str, str]  # Paris day, region, channel, payment method
# placed, paid, paid total, goods, fees, participation
ORDER_MEASURES = 6


@dataclass
class LineFacts:
    """The lines of one offer and partner in the orders paid in a period."""

    title: str
    category: str
    partner_name: str
    orders: int = 0
    quantity: int = 0
    amount_cents: int = 0
    participation_cents: int = 0

    def add(self, orders: Any, quantity: Any, amount: Any, participation: Any) -> None:
        self.orders += int(orders or 0)
        self.quantity += int(quantity or 0)
        self.amount_cents += int(amount or 0)
        self.participation_cents += int(participation or 0)


def hour_key(column: Any) -> ColumnElement[Any]:
    """The UTC hour of a naive UTC column, which ``paris_day_of`` puts in its Paris day.
    Both databases group by the hour: a time zone conversion per row (PostgreSQL's
    ``timezone`` and ``to_char``) costs twice the grouping itself on a year of orders."""
    if session().get_bind().dialect.name == "postgresql":
        return func.date_trunc(literal_column("'hour'"), column)
    return func.strftime(literal_column("'%Y-%m-%d %H'"), column)


def paris_day_of(key: Any) -> date:
    hour = key if isinstance(key, datetime) else parse_hour_key(str(key))
    return paris_day(hour)


def between(column: Any, period: Period) -> ColumnElement[bool]:
    lo, hi = period.utc_bounds()
    return and_(column >= lo, column < hi)


def _region_is(region: str | None) -> list[ColumnElement[bool]]:
    return [] if region is None else [Order.region == region]


def split(period: Period) -> tuple[Period | None, Period | None]:
    """(the period's rolled days, its days to read live): 1 statement."""
    through = session().scalar(select(RollupState.rolled_through).where(RollupState.id == 1))
    if through is None or through < period.start:
        return None, period
    if through >= period.end:
        return period, None
    return Period(period.start, through), Period(through + timedelta(days=1), period.end)


# -- orders --------------------------------------------------------------------------------


def live_order_facts(period: Period, region: str | None) -> dict[OrderKey, list[int]]:
    """Orders placed and orders paid in ``period``, by Paris day, region, channel and
    method, from the orders: 2 statements."""
    s = session()
    where = _region_is(region)
    facts: dict[OrderKey, list[int]] = {}
    keys = (func.coalesce(Order.region, NO_REGION), Order.channel, Order.payment_method)
    placed_hour = hour_key(Order.placed_at)
    for hour, reg, channel, method, n in s.execute(
        select(placed_hour, *keys, func.count(Order.id))
        .where(between(Order.placed_at, period), *where)
        .group_by(placed_hour, *keys)
    ):
        _acc(facts, (paris_day_of(hour), reg, channel, method))[0] += int(n)
    paid_hour = hour_key(Order.paid_at)
    for hour, reg, channel, method, *sums in s.execute(
        select(
            paid_hour,
            *keys,
            func.count(Order.id),
            func.sum(Order.total_cents),
            func.sum(Order.goods_cents),
            func.sum(Order.fees_cents),
            func.sum(Order.participation_cents),
        )
        .where(*_paid_in(period), *where)
        .group_by(paid_hour, *keys)
    ):
        acc = _acc(facts, (paris_day_of(hour), reg, channel, method))
        for i, v in enumerate(sums, start=1):
            acc[i] += int(v or 0)
    return facts


def rolled_order_facts(period: Period, region: str | None) -> dict[OrderKey, list[int]]:
    """The same facts from the rolled days: 1 statement."""
    f = DayOrderFacts
    stmt = select(
        f.day,
        f.region,
        f.channel,
        f.payment_method,
        f.placed_orders,
        f.paid_orders,
        f.paid_total_cents,
        f.paid_goods_cents,
        f.paid_fees_cents,
        f.paid_participation_cents,
    ).where(f.day >= period.start, f.day <= period.end)
    if region is not None:
        stmt = stmt.where(f.region == region)
    return {
        (d, r, c, m): [int(v) for v in values] for d, r, c, m, *values in session().execute(stmt)
    }


def _acc(facts: dict[OrderKey, list[int]], key: OrderKey) -> list[int]:
    return facts.setdefault(key, [0] * ORDER_MEASURES)


def add_order_facts(into: dict[OrderKey, list[int]], more: dict[OrderKey, list[int]]) -> None:
    for key, values in more.items():
        acc = _acc(into, key)
        for i, v in enumerate(values):
            acc[i] += v


# -- lines ---------------------------------------------------------------------------------


# The orders that bought (each once), quantity, amount and participation of a group of lines.
_LINE_SUMS = (
    func.count(distinct(Order.id)),
    func.sum(OrderLine.quantity),
    func.sum(OrderLine.amount_cents),
    func.sum(OrderLine.participation_cents),
)


def _paid_in(period: Period) -> list[ColumnElement[bool]]:
    return [between(Order.paid_at, period), Order.status.in_(list(WAS_PAID))]


def live_line_facts(period: Period, region: str | None) -> dict[tuple[int, int], LineFacts]:
    """Lines of the orders paid in ``period`` by offer and partner, from the orders: 1
    statement. « Orders » counts each order once per offer and partner."""
    rows = session().execute(
        select(
            Offer.id,
            Partner.id,
            Offer.title,
            Offer.category,
            Partner.name,
            *_LINE_SUMS,
        )
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Offer, Offer.id == OrderLine.offer_id)
        .join(Partner, Partner.id == OrderLine.partner_id)
        .where(*_paid_in(period), *_region_is(region))
        .group_by(Offer.id, Partner.id, Offer.title, Offer.category, Partner.name)
    )
    return _line_facts(rows)


def rolled_line_facts(period: Period, region: str | None) -> dict[tuple[int, int], LineFacts]:
    """The same from the rolled days: 1 statement."""
    f = DayLineFacts
    stmt = (
        select(
            f.offer_id,
            f.partner_id,
            Offer.title,
            Offer.category,
            Partner.name,
            func.sum(f.orders),
            func.sum(f.quantity),
            func.sum(f.amount_cents),
            func.sum(f.participation_cents),
        )
        .select_from(f)
        .outerjoin(Offer, Offer.id == f.offer_id)
        .outerjoin(Partner, Partner.id == f.partner_id)
        .where(f.day >= period.start, f.day <= period.end)
        .group_by(f.offer_id, f.partner_id, Offer.title, Offer.category, Partner.name)
    )
    if region is not None:
        stmt = stmt.where(f.region == region)
    return _line_facts(session().execute(stmt))


def _line_facts(rows: Iterable[Any]) -> dict[tuple[int, int], LineFacts]:
    out: dict[tuple[int, int], LineFacts] = {}
    for offer_id, partner_id, title, category, partner_name, *sums in rows:
        fact = LineFacts(
            title or f"Offre n° {offer_id}", category or "", partner_name or f"n° {partner_id}"
        )
        fact.add(*sums)
        out[(int(offer_id), int(partner_id))] = fact
    return out


def add_line_facts(
    into: dict[tuple[int, int], LineFacts], more: dict[tuple[int, int], LineFacts]
) -> None:
    for key, fact in more.items():
        acc = into.setdefault(key, LineFacts(fact.title, fact.category, fact.partner_name))
        acc.add(fact.orders, fact.quantity, fact.amount_cents, fact.participation_cents)


def _day_line_rows(period: Period) -> list[dict[str, Any]]:
    """The rows of ``report_day_lines`` for ``period``, from the orders: 1 statement. An
    order is paid at one instant, so its distinct count per hour adds up per day."""
    paid_hour = hour_key(Order.paid_at)
    region = func.coalesce(Order.region, NO_REGION)
    rows: dict[tuple[date, str, int, int], list[int]] = {}
    for hour, reg, offer_id, partner_id, *sums in session().execute(
        select(
            paid_hour,
            region,
            OrderLine.offer_id,
            OrderLine.partner_id,
            *_LINE_SUMS,
        )
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(*_paid_in(period))
        .group_by(paid_hour, region, OrderLine.offer_id, OrderLine.partner_id)
    ):
        acc = rows.setdefault((paris_day_of(hour), reg, offer_id, partner_id), [0, 0, 0, 0])
        for i, v in enumerate(sums):
            acc[i] += int(v or 0)
    return [
        {
            "day": day,
            "region": reg,
            "offer_id": offer_id,
            "partner_id": partner_id,
            "orders": v[0],
            "quantity": v[1],
            "amount_cents": v[2],
            "participation_cents": v[3],
        }
        for (day, reg, offer_id, partner_id), v in rows.items()
    ]


# -- the job -------------------------------------------------------------------------------


def last_closed_day(now: datetime) -> date:
    """The last Paris day over for at least ``GRACE`` at ``now`` (naive UTC)."""
    return paris_day(now - GRACE) - timedelta(days=1)


def _locked_state() -> RollupState | None:
    """The state row, locked; None when another runner holds it. Made again if it is
    missing (the migration writes it; a restore of some tables may not)."""
    s = session()
    locked = select(RollupState).where(RollupState.id == 1).with_for_update(skip_locked=True)
    state = s.scalar(locked)
    if state is None and s.scalar(select(func.count()).select_from(RollupState)) == 0:
        try:
            with s.begin_nested():
                s.add(RollupState(id=1, rolled_through=None))
        except IntegrityError:  # another runner made it first, and holds it
            return None
        state = s.scalar(locked)
    return state


@due_task("reports.rollup", "Consolide les chiffres des jours clos pour le tableau de bord")
def roll_due() -> int:
    """Write the facts of every closed day not yet written, ``CHUNK_DAYS`` per transaction
    with the state row locked (a second runner finds it locked and stops); the number of
    days written."""
    last = last_closed_day(clock.utcnow())
    written = 0
    while True:
        with unit_of_work() as s:
            state = _locked_state()
            if state is None:  # another runner holds it (PostgreSQL)
                return written
            if state.rolled_through is None:
                first = s.scalar(select(func.min(Order.placed_at)))
                state.rolled_through = (paris_day(first) if first else last) - timedelta(days=1)
            start = state.rolled_through + timedelta(days=1)
            if start > last:
                return written
            end = min(last, start + timedelta(days=CHUNK_DAYS - 1))
            chunk = Period(start, end)
            orders = [
                {
                    "day": day,
                    "region": reg,
                    "channel": channel,
                    "payment_method": method,
                    "placed_orders": v[0],
                    "paid_orders": v[1],
                    "paid_total_cents": v[2],
                    "paid_goods_cents": v[3],
                    "paid_fees_cents": v[4],
                    "paid_participation_cents": v[5],
                }
                for (day, reg, channel, method), v in live_order_facts(chunk, None).items()
            ]
            if orders:
                s.execute(insert(DayOrderFacts), orders)
            lines = _day_line_rows(chunk)
            if lines:
                s.execute(insert(DayLineFacts), lines)
            state.rolled_through = end
            written += chunk.days
