"""The dashboard's figures (R-REP-1): participation committed, paid and refunded against the
budget; sales by day, channel, payment method, category, offer, partner and region; the
households' cap use; stock running low.

Every figure is an aggregate computed by the database (GROUP BY), in a fixed number of
statements whatever the number of orders (``STATEMENTS``): the orders placed and paid on
closed days from the rows ``reports.rollup`` keeps per day, the other days through the
indexes on ``orders.placed_at``, ``orders.paid_at`` and ``order_lines.refunded_at``. Days
are Paris days (UTC hours folded into them, see ``reports.rollup``). An order's region is
its agent's when it was placed (``orders.region``, from the dossier record): an agent who
moves leaves their past orders in the region that paid for them.

What each word means is written in docs/RULES.md R-REP-1: *committed* is the participation
of orders placed in the period and still awaiting payment; *paid* the participation of
orders paid in the period (as they were paid); *refunded* the participation of order lines
refunded or withdrawn in the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    or_,
    select,
)

from catalog.categories import BY_SLUG
from catalog.models import Offer, OfferSession
from catalog.rules import LOW_STOCK_SHOWN
from members.models import DossierAgent, DossierChild, Household
from members.search_key import normalise
from orders.models import HouseholdYear, Order, OrderLine, Payment
from orders.pricing import BASE_CAP_CENTS, PER_CHILD_CAP_CENTS
from orders.status import UNPAID, LineStatus, PaymentStatus
from reports import budgets, rollup
from reports.rollup import WAS_PAID, between
from reports.rules import (
    CAP_BUCKET_LABELS,
    CAP_EDGES,
    BudgetState,
    CapBucket,
    Period,
    child_born_on_or_after,
    consumed_cents,
)
from shop import clock
from shop.db import session

GIVEN_BACK = (LineStatus.REFUNDED, LineStatus.WITHDRAWN)
REFUND_STATES = (PaymentStatus.REFUND_PENDING, PaymentStatus.REFUNDED)
LOW_STOCK = LOW_STOCK_SHOWN  # 10 seats or items left, as agents see « Plus que … »
LOW_STOCK_ROWS = 50
UNKNOWN_REGION = "Région inconnue"
CHANNEL_LABELS = {"web": "Internet", "phone": "Téléphone", "post": "Courrier"}
METHOD_LABELS = {"card": "Carte bancaire", "cheque": "Chèque"}
STATEMENTS = 14  # the most the dashboard sends, whatever the data (tests count them)


@dataclass(frozen=True)
class Filters:
    period: Period
    region: str | None = None


@dataclass(frozen=True)
class DayRow:
    day: date
    placed_orders: int = 0
    paid_orders: int = 0
    paid_total_cents: int = 0
    paid_participation_cents: int = 0
    refunded_participation_cents: int = 0


@dataclass(frozen=True)
class OrderRow:
    """Orders paid in the period, by one key (channel, payment method)."""

    key: str
    label: str
    orders: int
    total_cents: int
    participation_cents: int


@dataclass(frozen=True)
class LineRow:
    """Lines of the orders paid in the period, by one key (category, offer, partner)."""

    key: str
    label: str
    orders: int
    quantity: int
    amount_cents: int
    participation_cents: int


@dataclass(frozen=True)
class RegionRow:
    region: str
    committed_cents: int
    paid_cents: int
    refunded_cents: int
    budget: budgets.Budget | None

    @property
    def consumed_cents(self) -> int:
        return consumed_cents(self.committed_cents, self.paid_cents, self.refunded_cents)

    @property
    def state(self) -> BudgetState | None:
        if self.budget is None:
            return None
        return BudgetState(self.budget.amount_cents, self.budget.alert_percent, self.consumed_cents)


@dataclass(frozen=True)
class CapRow:
    bucket: CapBucket
    label: str
    households: int


@dataclass(frozen=True)
class LowStockRow:
    offer_id: int
    title: str
    starts_at: datetime | None  # a dated session; None for the offer's own stock
    stock: int


@dataclass
class Dashboard:
    filters: Filters
    committed_orders: int = 0
    committed_cents: int = 0
    placed_orders: int = 0
    paid_orders: int = 0
    paid_cents: int = 0  # participation of the orders paid
    paid_total_cents: int = 0  # what the agents paid for them (goods + fees)
    paid_goods_cents: int = 0
    paid_fees_cents: int = 0
    refunded_lines: int = 0
    refunded_cents: int = 0  # participation given back
    refunded_amount_cents: int = 0  # the refunded lines' prices
    refund_payments: int = 0
    refund_payments_cents: int = 0  # money given back to agents (refund rows)
    by_day: list[DayRow] = field(default_factory=list)
    by_channel: list[OrderRow] = field(default_factory=list)
    by_method: list[OrderRow] = field(default_factory=list)
    by_category: list[LineRow] = field(default_factory=list)
    by_offer: list[LineRow] = field(default_factory=list)
    by_partner: list[LineRow] = field(default_factory=list)
    by_region: list[RegionRow] = field(default_factory=list)
    cap_year: int = 0
    cap_use: list[CapRow] = field(default_factory=list)
    low_stock: list[LowStockRow] = field(default_factory=list)
    budget: budgets.Budget | None = None

    @property
    def net_paid_cents(self) -> int:
        return self.paid_cents - self.refunded_cents

    @property
    def consumed_cents(self) -> int:
        return consumed_cents(self.committed_cents, self.paid_cents, self.refunded_cents)

    @property
    def budget_state(self) -> BudgetState | None:
        if self.budget is None:
            return None
        return BudgetState(self.budget.amount_cents, self.budget.alert_percent, self.consumed_cents)

    @property
    def households(self) -> int:
        return sum(r.households for r in self.cap_use)


# -- building blocks -----------------------------------------------------------------------


def _int(value: Any) -> int:
    """SUM of an INTEGER is a BIGINT (int) or, of a BIGINT, a NUMERIC (Decimal)."""
    return int(value or 0)


def _orders_where(filters: Filters, *criteria: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    where = list(criteria)
    if filters.region is not None:
        where.append(Order.region == filters.region)
    return where


def committed_where(filters: Filters) -> list[ColumnElement[bool]]:
    """Orders placed in the period and still awaiting payment (card or cheque option)."""
    return _orders_where(
        filters, between(Order.placed_at, filters.period), Order.status.in_(list(UNPAID))
    )


def paid_where(filters: Filters) -> list[ColumnElement[bool]]:
    """Orders paid in the period (whatever was refunded of them since)."""
    return _orders_where(
        filters, between(Order.paid_at, filters.period), Order.status.in_(list(WAS_PAID))
    )


def refunded_where(filters: Filters) -> list[ColumnElement[bool]]:
    """Order lines refunded or withdrawn in the period (joined to their order)."""
    return _orders_where(
        filters,
        between(OrderLine.refunded_at, filters.period),
        OrderLine.status.in_(list(GIVEN_BACK)),
    )


def _region_name(region: str | None) -> str:
    return region or UNKNOWN_REGION


# -- the dashboard -------------------------------------------------------------------------


def dashboard(filters: Filters) -> Dashboard:
    """R-REP-1: every figure of the page for ``filters``, in at most ``STATEMENTS``: the
    closed days from ``reports.rollup``'s rows, the others from the orders."""
    board = Dashboard(filters=filters)
    rolled, live = rollup.split(filters.period)
    regions: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # committed, paid, refunded
    _committed(board, regions)
    _orders(board, rolled, live, regions)
    _refunded(board, regions)
    _refund_payments(board)
    _lines(board, rolled, live)
    if filters.region is None:
        _regions(board, regions)
    _cap_use(board)
    _low_stock(board)
    year = filters.period.year
    if year is not None:
        board.budget = budgets.budget_for(year, filters.region)
    return board


def _committed(board: Dashboard, regions: dict[str, list[int]]) -> None:
    """Orders placed in the period and still awaiting payment, by region: 1 statement."""
    for region, n, cents in session().execute(
        select(Order.region, func.count(Order.id), func.sum(Order.participation_cents))
        .where(*committed_where(board.filters))
        .group_by(Order.region)
    ):
        board.committed_orders += _int(n)
        board.committed_cents += _int(cents)
        regions[_region_name(region)][0] += _int(cents)


def _orders(
    board: Dashboard,
    rolled: Period | None,
    live: Period | None,
    regions: dict[str, list[int]],
) -> None:
    """Orders placed and paid, by day, channel, method and region: the rolled days' rows
    (1 statement) and the other days' orders (2 statements)."""
    region = board.filters.region
    facts: dict[rollup.OrderKey, list[int]] = {}
    if rolled is not None:
        rollup.add_order_facts(facts, rollup.rolled_order_facts(rolled, region))
    if live is not None:
        rollup.add_order_facts(facts, rollup.live_order_facts(live, region))
    channels: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    methods: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (day, reg, channel, method), v in facts.items():
        placed, paid, total, goods, fees, participation = v
        board.placed_orders += placed
        board.paid_orders += paid
        board.paid_total_cents += total
        board.paid_goods_cents += goods
        board.paid_fees_cents += fees
        board.paid_cents += participation
        if paid:
            for acc, key in ((channels, channel), (methods, method)):
                acc[key][0] += paid
                acc[key][1] += total
                acc[key][2] += participation
            regions[_region_name(reg)][1] += participation
        d = days[day]
        d[0] += placed
        d[1] += paid
        d[2] += total
        d[3] += participation
    board.by_channel = _order_rows(channels, CHANNEL_LABELS)
    board.by_method = _order_rows(methods, METHOD_LABELS)
    board.by_day = [
        DayRow(day, *days.get(day, [0, 0, 0, 0])) for day in board.filters.period.each_day()
    ]


def _refunded(board: Dashboard, regions: dict[str, list[int]]) -> None:
    """Order lines refunded or withdrawn in the period, by UTC hour and region (folded into
    Paris days): 1 statement."""
    hour = rollup.hour_key(OrderLine.refunded_at)
    by_day: dict[date, int] = defaultdict(int)
    for key, region, n, participation, amount in session().execute(
        select(
            hour,
            Order.region,
            func.count(OrderLine.id),
            func.sum(OrderLine.participation_cents),
            func.sum(OrderLine.amount_cents),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(*refunded_where(board.filters))
        .group_by(hour, Order.region)
    ):
        board.refunded_lines += _int(n)
        board.refunded_cents += _int(participation)
        board.refunded_amount_cents += _int(amount)
        by_day[rollup.paris_day_of(key)] += _int(participation)
        regions[_region_name(region)][2] += _int(participation)
    board.by_day = [
        replace(row, refunded_participation_cents=by_day.get(row.day, 0)) for row in board.by_day
    ]


def _refund_payments(board: Dashboard) -> None:
    """Money given back to agents in the period (refund rows): 1 statement."""
    f = board.filters
    n, cents = (
        session()
        .execute(
            select(func.count(Payment.id), func.coalesce(func.sum(Payment.amount_cents), 0))
            .join(Order, Order.id == Payment.order_id)
            .where(
                *_orders_where(
                    f,
                    Payment.kind == "refund",
                    # Every refund row is in one of these two states: the condition lets the
                    # database read ``ix_payments_due`` (status, created_at) for the period.
                    Payment.status.in_(list(REFUND_STATES)),
                    between(Payment.created_at, f.period),
                )
            )
        )
        .one()
    )
    board.refund_payments, board.refund_payments_cents = _int(n), _int(cents)


def _order_rows(acc: dict[str, list[int]], labels: dict[str, str]) -> list[OrderRow]:
    rows = [OrderRow(k, labels.get(k, k), *v) for k, v in acc.items()]
    return sorted(rows, key=lambda r: (-r.total_cents, r.label))


def _lines(board: Dashboard, rolled: Period | None, live: Period | None) -> None:
    """Lines of the orders paid in the period by offer (with its category and partner),
    folded into categories and partners: the rolled days' rows and the other days' lines,
    1 statement each."""
    region = board.filters.region
    facts: dict[tuple[int, int], rollup.LineFacts] = {}
    if rolled is not None:
        rollup.add_line_facts(facts, rollup.rolled_line_facts(rolled, region))
    if live is not None:
        rollup.add_line_facts(facts, rollup.live_line_facts(live, region))
    offers: dict[int, LineRow] = {}
    categories: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    partners: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    partner_names: dict[str, str] = {}
    # An order with lines of two categories counts once in each: a category's « orders »
    # are the orders that bought in it (their sum may pass the number of orders).
    for (offer_id, partner_id), fact in facts.items():
        values = [fact.orders, fact.quantity, fact.amount_cents, fact.participation_cents]
        row = offers.get(offer_id)
        if row is None:
            offers[offer_id] = LineRow(str(offer_id), fact.title, *values)
        else:  # one offer sold for two partners (its partner changed): one row
            offers[offer_id] = LineRow(
                row.key, row.label, *(a + b for a, b in zip(_line_values(row), values, strict=True))
            )
        for acc, key in ((categories, fact.category), (partners, str(partner_id))):
            for i in range(4):
                acc[key][i] += values[i]
        partner_names[str(partner_id)] = fact.partner_name
    board.by_offer = sorted(offers.values(), key=lambda r: (-r.amount_cents, r.label))
    board.by_category = sorted(
        (LineRow(k, BY_SLUG[k].name if k in BY_SLUG else k, *v) for k, v in categories.items()),
        key=lambda r: (-r.amount_cents, r.label),
    )
    board.by_partner = sorted(
        (LineRow(k, partner_names[k], *v) for k, v in partners.items()),
        key=lambda r: (-r.amount_cents, r.label),
    )


def _line_values(row: LineRow) -> list[int]:
    return [row.orders, row.quantity, row.amount_cents, row.participation_cents]


def _regions(board: Dashboard, regions: dict[str, list[int]]) -> None:
    """Committed, paid and refunded participation by the order's region (its agent's when
    placed), with each region's budget: 1 statement (the budgets)."""
    year = board.filters.period.year
    regional = {}
    if year is not None:
        regional = {b.region: b for b in budgets.budgets_of(year) if b.region is not None}
    for name in regional:
        regions.setdefault(name, [0, 0, 0])
    board.by_region = sorted(
        (RegionRow(name, v[0], v[1], v[2], regional.get(name)) for name, v in regions.items()),
        key=lambda r: (r.region == UNKNOWN_REGION, normalise(r.region)),  # Île- among the I
    )


def _cap_use(board: Dashboard) -> None:
    """Households by the share of their cap used in the period's last year: 1 statement.
    The cap (R-CAP-1: 500 € + 250 € per child counted that year, R-DOS-6) and the bucket
    are computed by the database with the edges of ``reports.rules``."""
    f = board.filters
    year = f.period.end.year
    board.cap_year = year
    kids = (
        select(DossierChild.household_id.label("hid"), func.count().label("n"))
        .where(DossierChild.birth_date >= child_born_on_or_after(year))
        .group_by(DossierChild.household_id)
        .subquery()
    )
    cap = BASE_CAP_CENTS + PER_CHILD_CAP_CENTS * func.coalesce(kids.c.n, 0)
    used = func.coalesce(HouseholdYear.used_cents, 0)
    low, high = CAP_EDGES
    bucket = case(
        (used <= 0, CapBucket.NONE.value),
        (used * 100 < low * cap, CapBucket.LOW.value),
        (used * 100 < high * cap, CapBucket.MID.value),
        else_=CapBucket.HIGH.value,
    )
    households = (
        select(bucket.label("bucket"))
        .select_from(Household)
        .outerjoin(
            HouseholdYear,
            and_(HouseholdYear.household_id == Household.id, HouseholdYear.year == year),
        )
        .outerjoin(kids, kids.c.hid == Household.id)
    )
    if f.region is not None:
        households = households.where(
            Household.id.in_(
                select(DossierAgent.household_id).where(DossierAgent.region == f.region)
            )
        )
    inner = households.subquery()
    counts: dict[str, int] = dict(
        session().execute(select(inner.c.bucket, func.count()).group_by(inner.c.bucket)).all()
    )
    board.cap_use = [CapRow(b, CAP_BUCKET_LABELS[b], _int(counts.get(b.value))) for b in CapBucket]


def _low_stock(board: Dashboard) -> None:
    """Offers on sale and sessions to come with ``LOW_STOCK`` or fewer left, fewest
    first: 2 statements. With a region: its regional offers and the national ones."""
    s = session()
    now = clock.utcnow()
    on_sale = [
        Offer.published.is_(True),
        or_(Offer.sale_closes_at.is_(None), Offer.sale_closes_at > now),
    ]
    if board.filters.region is not None:
        on_sale.append(or_(Offer.region.is_(None), Offer.region == board.filters.region))
    offers = s.execute(
        select(Offer.id, Offer.title, Offer.stock)
        .where(*on_sale, Offer.stock.is_not(None), Offer.stock <= LOW_STOCK)
        .order_by(Offer.stock, Offer.title, Offer.id)
        .limit(LOW_STOCK_ROWS)
    ).all()
    sessions = s.execute(
        select(Offer.id, Offer.title, OfferSession.starts_at, OfferSession.stock)
        .join(Offer, Offer.id == OfferSession.offer_id)
        .where(
            *on_sale,
            OfferSession.cancelled.is_(False),
            OfferSession.starts_at > now,
            OfferSession.stock <= LOW_STOCK,
        )
        .order_by(OfferSession.stock, OfferSession.starts_at, OfferSession.id)
        .limit(LOW_STOCK_ROWS)
    ).all()
    rows = [LowStockRow(i, t, None, _int(n)) for i, t, n in offers]
    rows += [LowStockRow(i, t, at, _int(n)) for i, t, at, n in sessions]
    board.low_stock = sorted(rows, key=lambda r: (r.stock, r.title))[:LOW_STOCK_ROWS]
