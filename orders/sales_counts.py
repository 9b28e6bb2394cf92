"""The counter behind ``catalog.sales``: quantities of active lines per offer or session,
paid apart from awaiting payment, in one grouped statement (R-PAR-5). Registered by the
partner API's blueprint (``partners/views/api_offers.py``), as extension points are."""

from __future__ import annotations

from sqlalchemy import case, func, select

from catalog.sales import Key, Sales
from orders.models import Order, OrderLine
from orders.status import LineStatus, OrderStatus
from shop.db import session

PAID = [
    OrderStatus.PAID.value,
    OrderStatus.PARTIALLY_SHIPPED.value,
    OrderStatus.SHIPPED.value,
    OrderStatus.PARTIALLY_REFUNDED.value,
]
AWAITING = [OrderStatus.PENDING_PAYMENT.value, OrderStatus.OPTION.value]


def count(key: Key, ids: list[int]) -> dict[int, Sales]:
    column = OrderLine.session_id if key == "session" else OrderLine.offer_id
    paid = func.coalesce(func.sum(case((Order.status.in_(PAID), OrderLine.quantity), else_=0)), 0)
    awaiting = func.coalesce(
        func.sum(case((Order.status.in_(AWAITING), OrderLine.quantity), else_=0)), 0
    )
    rows = session().execute(
        select(column, paid, awaiting)
        .join(Order, Order.id == OrderLine.order_id)
        .where(column.in_(ids), OrderLine.status == LineStatus.ACTIVE)
        .group_by(column)
    )
    return {row[0]: Sales(int(row[1]), int(row[2])) for row in rows}
