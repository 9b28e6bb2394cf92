"""Extension point for the agent's order page (« Mes commandes », orders/views/account.py).

A domain above orders that has something to show on an order (partners: what was posted
and how, R-PAR-4) registers a section builder when its blueprint is wired into the app;
the page template reads the keys it returns. orders imports none of those domains.
"""

from __future__ import annotations

from collections.abc import Callable
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
