"""The household's yearly cap as « Mon espace » shows it (R-AGT-1, R-CAP-1…3).

Read only: the cap, what the household's row says is used, what remains, and each order
of the year that holds participation (placed, option, paid…; not cancelled), with the
share of its lines still counted (a refunded or withdrawn line gave its share back). An
order placed by the couple's other agent is marked as theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auth.principals import AgentUser
from orders.models import HouseholdYear, Order
from orders.pricing import household_cap
from orders.status import HOLDING, STATUS_LABELS, LineStatus, OrderStatus
from shop.db import session


@dataclass(frozen=True)
class CapOrder:
    number: str
    placed_at: datetime
    status_label: str
    participation_cents: int
    mine: bool
    holder_name: str


@dataclass(frozen=True)
class CapUse:
    year: int
    cap_cents: int
    used_cents: int
    children: int
    orders: tuple[CapOrder, ...]

    @property
    def remaining_cents(self) -> int:
        return max(0, self.cap_cents - self.used_cents)

    @property
    def used_percent(self) -> int:
        """For the gauge: 0…100, rounded down."""
        if self.cap_cents <= 0:
            return 100
        return min(100, self.used_cents * 100 // self.cap_cents)

    @property
    def others(self) -> bool:
        return any(not o.mine for o in self.orders)


def cap_use(agent: AgentUser) -> CapUse:
    """R-AGT-1: this year's cap for ``agent``'s household, in two queries."""
    year = agent.today.year
    household = agent.record.household_id
    s = session()
    row = s.get(HouseholdYear, (household, year))
    orders = s.scalars(
        select(Order)
        .where(
            Order.household_id == household,
            Order.year == year,
            Order.status.in_(HOLDING),
            Order.participation_cents > 0,
        )
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .options(selectinload(Order.lines))
    )
    shown = []
    for order in orders:
        share = sum(li.participation_cents for li in order.lines if li.status == LineStatus.ACTIVE)
        if share <= 0:
            continue
        shown.append(
            CapOrder(
                number=order.number or "",
                placed_at=order.placed_at,
                status_label=STATUS_LABELS[OrderStatus(order.status)],
                participation_cents=share,
                mine=order.cgos_number == agent.cgos_number,
                holder_name=order.holder_name,
            )
        )
    return CapUse(
        year=year,
        cap_cents=household_cap(agent.children_count),
        used_cents=row.used_cents if row else 0,
        children=agent.children_count,
        orders=tuple(shown),
    )
