"""Extension point for the agent's order page (« Mes commandes », orders/views/account.py).

A domain above orders that has something to show on an order (partners: what was posted
and how, R-PAR-4) registers a section builder when its blueprint is wired into the app;
the page template reads the keys it returns. orders imports none of those domains.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from orders.models import Order

OrderSection = Callable[[Order], dict[str, Any]]
# The page's keys when no section is registered.
_DEFAULTS: dict[str, Any] = {"shipments": [], "mode_labels": {}}
_SECTIONS: dict[str, OrderSection] = {}


def add_order_section(name: str, build: OrderSection) -> None:
    """``build(order)``'s keys are added to the agent's order page (idempotent by name)."""
    _SECTIONS[name] = build


def order_sections(order: Order) -> dict[str, Any]:
    context = dict(_DEFAULTS)
    for build in _SECTIONS.values():
        context.update(build(order))
    return context


# -- lists of orders (the operators' agent record, R-OPS-1) --------------------------------
# The same idea for a page listing many orders: one builder call per page, which reads what
# it shows for all of them at once (partners: the shipments and tracking numbers).
OrdersSection = Callable[[Sequence[Order]], dict[str, Any]]
_LIST_DEFAULTS: dict[str, Any] = {"shipments_by_order": {}, "mode_labels": {}}
_LIST_SECTIONS: dict[str, OrdersSection] = {}


def add_orders_section(name: str, build: OrdersSection) -> None:
    """``build(orders)``'s keys are added to pages listing orders (idempotent by name)."""
    _LIST_SECTIONS[name] = build


def orders_sections(orders: Sequence[Order]) -> dict[str, Any]:
    context = dict(_LIST_DEFAULTS)
    for build in _LIST_SECTIONS.values():
        context.update(build(orders))
    return context
