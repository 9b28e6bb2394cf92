"""The dashboard's figures (R-REP-1): participation committed, paid and refunded against the
budget; sales by day, channel, payment method, category, offer, partner and region; the
households' cap use; stock running low.

Every figure is an aggregate computed by the database (GROUP BY), in a fixed number of
statements whatever the number of orders (``STATEMENTS``), through the indexes on
``orders.placed_at``, ``orders.paid_at`` and ``order_lines.refunded_at``. Days are Paris
days: PostgreSQL groups by the Paris day itself; SQLite, which knows no time zones, groups
by UTC hour and the hours are folded into Paris days here, exactly, since Paris is a whole
number of hours from UTC. An order's region is its agent's, from the dossier record
(``dossier_agents.region``).

What each word means is written in docs/RULES.md R-REP-1: *committed* is the participation
of orders placed in the period and still awaiting payment; *paid* the participation of
orders paid in the period (as they were paid); *refunded* the participation of order lines
refunded or withdrawn in the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    distinct,
    func,
    literal_column,
    or_,
    select,
)

from catalog.categories import BY_SLUG
from catalog.models import Offer, OfferSession
from catalog.rules import LOW_STOCK_SHOWN
from members.models import DossierAgent, DossierChild, Household
from orders.models import HouseholdYear, Order, OrderLine, Payment
from orders.pricing import BASE_CAP_CENTS, PER_CHILD_CAP_CENTS
from orders.status import PAID_STATES, UNPAID, LineStatus, OrderStatus, PaymentStatus
from partners.models import Partner
from reports import budgets
from reports.rules import (
    CAP_BUCKET_LABELS,
    CAP_EDGES,
    BudgetState,
    CapBucket,
    Period,
    child_born_on_or_after,
    consumed_cents,
    paris_day,
    parse_hour_key,
)
from shop import clock
from shop.db import session

# Statuses of an order that was paid (refunded in whole included): its paid_at is set.
WAS_PAID = (*PAID_STATES, OrderStatus.REFUNDED)
GIVEN_BACK = (LineStatus.REFUNDED, LineStatus.WITHDRAWN)
REFUND_STATES = (PaymentStatus.REFUND_PENDING, PaymentStatus.REFUNDED)
LOW_STOCK = LOW_STOCK_SHOWN  # 10 seats or items left, as agents see « Plus que … »
LOW_STOCK_ROWS = 50
UNKNOWN_REGION = "Région inconnue"
CHANNEL_LABELS = {"web": "Internet", "phone": "Téléphone", "post": "Courrier"}
METHOD_LABELS = {"card": "Carte bancaire", "cheque": "Chèque"}
STATEMENTS = 16  # the most the dashboard sends, whatever the data (tests count them)


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


def _day_key(column: Any) -> ColumnElement[Any]:
    """The UTC hour of a naive UTC column, which ``_fold_days`` puts in its Paris day (Paris
    is a whole number of hours from UTC). Both databases group by the hour: a time zone
    conversion per row (PostgreSQL's ``timezone`` and ``to_char``) costs twice the
    grouping itself on a year of orders (bench.back_office, 200 000 orders)."""
    if session().get_bind().dialect.name == "postgresql":
        return func.date_trunc(literal_column("'hour'"), column)
    return func.strftime(literal_column("'%Y-%m-%d %H'"), column)


def _agents_of(region: str) -> Select[Any]:
    return select(DossierAgent.cgos_number).where(DossierAgent.region == region)


def _orders_where(filters: Filters, *criteria: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    where = list(criteria)
    if filters.region is not None:
        where.append(Order.cgos_number.in_(_agents_of(filters.region)))
    return where


def _between(column: Any, period: Period) -> ColumnElement[bool]:
    lo, hi = period.utc_bounds()
    return and_(column >= lo, column < hi)


def committed_where(filters: Filters) -> list[ColumnElement[bool]]:
    """Orders placed in the period and still awaiting payment (card or cheque option)."""
    return _orders_where(
        filters, _between(Order.placed_at, filters.period), Order.status.in_(list(UNPAID))
    )


def paid_where(filters: Filters) -> list[ColumnElement[bool]]:
    """Orders paid in the period (whatever was refunded of them since)."""
    return _orders_where(
        filters, _between(Order.paid_at, filters.period), Order.status.in_(list(WAS_PAID))
    )


def refunded_where(filters: Filters) -> list[ColumnElement[bool]]:
    """Order lines refunded or withdrawn in the period (joined to their order)."""
    return _orders_where(
        filters,
        _between(OrderLine.refunded_at, filters.period),
        OrderLine.status.in_(list(GIVEN_BACK)),
    )


def _fold_days(rows: Iterable[tuple[Any, ...]]) -> dict[date, list[int]]:
    """Rows of (day or hour key, *sums) to Paris days with the sums added."""
    days: dict[date, list[int]] = {}
    for key, *values in rows:
        hour = key if isinstance(key, datetime) else parse_hour_key(str(key))
        day = paris_day(hour)
        acc = days.setdefault(day, [0] * len(values))
        for i, v in enumerate(values):
            acc[i] += _int(v)
    return days


# -- the dashboard -------------------------------------------------------------------------


def dashboard(filters: Filters) -> Dashboard:
    """R-REP-1: every figure of the page for ``filters``, in at most ``STATEMENTS``."""
    board = Dashboard(filters=filters)
    _participation(board)
    _days(board)
    _lines(board)
    if filters.region is None:
        _regions(board)
    _cap_use(board)
    _low_stock(board)
    year = filters.period.year
    if year is not None:
        board.budget = budgets.budget_for(year, filters.region)
    return board


def _participation(board: Dashboard) -> None:
    """Committed, paid (by channel and method), refunded, refund payments: 4 statements."""
    s = session()
    f = board.filters
    count, committed = s.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.participation_cents), 0)).where(
            *committed_where(f)
        )
    ).one()
    board.committed_orders, board.committed_cents = _int(count), _int(committed)

    rows = s.execute(
        select(
            Order.channel,
            Order.payment_method,
            func.count(Order.id),
            func.coalesce(func.sum(Order.total_cents), 0),
            func.coalesce(func.sum(Order.goods_cents), 0),
            func.coalesce(func.sum(Order.fees_cents), 0),
            func.coalesce(func.sum(Order.participation_cents), 0),
        )
        .where(*paid_where(f))
        .group_by(Order.channel, Order.payment_method)
    ).all()
    channels: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    methods: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for channel, method, n, total, goods, fees, participation in rows:
        n, total, participation = _int(n), _int(total), _int(participation)
        board.paid_orders += n
        board.paid_total_cents += total
        board.paid_goods_cents += _int(goods)
        board.paid_fees_cents += _int(fees)
        board.paid_cents += participation
        for acc, key in ((channels, channel), (methods, method)):
            acc[key][0] += n
            acc[key][1] += total
            acc[key][2] += participation
    board.by_channel = _order_rows(channels, CHANNEL_LABELS)
    board.by_method = _order_rows(methods, METHOD_LABELS)

    lines, participation, amount = s.execute(
        select(
            func.count(OrderLine.id),
            func.coalesce(func.sum(OrderLine.participation_cents), 0),
            func.coalesce(func.sum(OrderLine.amount_cents), 0),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(*refunded_where(f))
    ).one()
    board.refunded_lines = _int(lines)
    board.refunded_cents = _int(participation)
    board.refunded_amount_cents = _int(amount)

    n, cents = s.execute(
        select(func.count(Payment.id), func.coalesce(func.sum(Payment.amount_cents), 0))
        .join(Order, Order.id == Payment.order_id)
        .where(
            *_orders_where(
                f,
                Payment.kind == "refund",
                # Every refund row is in one of these two states: the condition lets the
                # database read ``ix_payments_due`` (status, created_at) for the period.
                Payment.status.in_(list(REFUND_STATES)),
                _between(Payment.created_at, f.period),
            )
        )
    ).one()
    board.refund_payments, board.refund_payments_cents = _int(n), _int(cents)


def _order_rows(acc: dict[str, list[int]], labels: dict[str, str]) -> list[OrderRow]:
    rows = [OrderRow(k, labels.get(k, k), *v) for k, v in acc.items()]
    return sorted(rows, key=lambda r: (-r.total_cents, r.label))


def _days(board: Dashboard) -> None:
    """Orders placed, orders paid and participation refunded by Paris day: 3 statements."""
    s = session()
    f = board.filters
    placed_day = _day_key(Order.placed_at)
    placed = _fold_days(
        s.execute(
            select(placed_day, func.count(Order.id))
            .where(*_orders_where(f, _between(Order.placed_at, f.period)))
            .group_by(placed_day)
        ).all()
    )
    paid_day = _day_key(Order.paid_at)
    paid = _fold_days(
        s.execute(
            select(
                paid_day,
                func.count(Order.id),
                func.coalesce(func.sum(Order.total_cents), 0),
                func.coalesce(func.sum(Order.participation_cents), 0),
            )
            .where(*paid_where(f))
            .group_by(paid_day)
        ).all()
    )
    refunded_day = _day_key(OrderLine.refunded_at)
    refunded = _fold_days(
        s.execute(
            select(refunded_day, func.coalesce(func.sum(OrderLine.participation_cents), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(*refunded_where(f))
            .group_by(refunded_day)
        ).all()
    )
    board.placed_orders = sum(v[0] for v in placed.values())
    rows = []
    for day in f.period.each_day():
        p = paid.get(day, [0, 0, 0])
        rows.append(
            DayRow(
                day,
                placed_orders=placed.get(day, [0])[0],
                paid_orders=p[0],
                paid_total_cents=p[1],
                paid_participation_cents=p[2],
                refunded_participation_cents=refunded.get(day, [0])[0],
            )
        )
    board.by_day = rows


def _lines(board: Dashboard) -> None:
    """Lines of the orders paid in the period by offer (with its category and partner),
    folded into categories and partners: 1 statement."""
    rows = (
        session()
        .execute(
            select(
                Offer.id,
                Offer.title,
                Offer.category,
                Partner.id,
                Partner.name,
                func.count(distinct(Order.id)),
                func.coalesce(func.sum(OrderLine.quantity), 0),
                func.coalesce(func.sum(OrderLine.amount_cents), 0),
                func.coalesce(func.sum(OrderLine.participation_cents), 0),
            )
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .join(Offer, Offer.id == OrderLine.offer_id)
            .join(Partner, Partner.id == OrderLine.partner_id)
            .where(*paid_where(board.filters))
            .group_by(Offer.id, Offer.title, Offer.category, Partner.id, Partner.name)
        )
        .all()
    )
    offers: list[LineRow] = []
    categories: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    partners: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    partner_names: dict[str, str] = {}
    # An order with lines of two categories counts once in each: a category's « orders »
    # are the orders that bought in it (their sum may pass the number of orders).
    category_orders: dict[str, int] = defaultdict(int)
    for offer_id, title, category, partner_id, partner_name, n, qty, amount, part in rows:
        values = [_int(n), _int(qty), _int(amount), _int(part)]
        offers.append(LineRow(str(offer_id), title, *values))
        for acc, key in ((categories, category), (partners, str(partner_id))):
            for i in (1, 2, 3):
                acc[key][i] += values[i]
        category_orders[category] += values[0]
        partners[str(partner_id)][0] += values[0]
        partner_names[str(partner_id)] = partner_name
    board.by_offer = sorted(offers, key=lambda r: (-r.amount_cents, r.label))
    board.by_category = sorted(
        (
            LineRow(k, BY_SLUG[k].name if k in BY_SLUG else k, category_orders[k], *v[1:])
            for k, v in categories.items()
        ),
        key=lambda r: (-r.amount_cents, r.label),
    )
    board.by_partner = sorted(
        (LineRow(k, partner_names[k], *v) for k, v in partners.items()),
        key=lambda r: (-r.amount_cents, r.label),
    )


def _regions(board: Dashboard) -> None:
    """Committed, paid and refunded participation by the agents' region, with each
    region's budget: 3 statements (orders, lines, budgets)."""
    s = session()
    f = board.filters
    committed = and_(*committed_where(f))
    paid = and_(*paid_where(f))
    region = func.coalesce(DossierAgent.region, literal_column(f"'{UNKNOWN_REGION}'"))
    rows = s.execute(
        select(
            region,
            func.coalesce(func.sum(case((committed, Order.participation_cents), else_=0)), 0),
            func.coalesce(func.sum(case((paid, Order.participation_cents), else_=0)), 0),
        )
        .select_from(Order)
        .outerjoin(DossierAgent, DossierAgent.cgos_number == Order.cgos_number)
        .where(or_(committed, paid))
        .group_by(region)
    ).all()
    by_region: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for name, c, p in rows:
        by_region[name][0] += _int(c)
        by_region[name][1] += _int(p)
    refunded = s.execute(
        select(region, func.coalesce(func.sum(OrderLine.participation_cents), 0))
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(DossierAgent, DossierAgent.cgos_number == Order.cgos_number)
        .where(*refunded_where(f))
        .group_by(region)
    ).all()
    for name, r in refunded:
        by_region[name][2] += _int(r)
    year = f.period.year
    regional = {}
    if year is not None:
        regional = {b.region: b for b in budgets.budgets_of(year) if b.region is not None}
    for name in regional:
        by_region.setdefault(name, [0, 0, 0])
    board.by_region = sorted(
        (RegionRow(name, v[0], v[1], v[2], regional.get(name)) for name, v in by_region.items()),
        key=lambda r: (r.region == UNKNOWN_REGION, r.region),
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
