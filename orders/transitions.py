"""The one writer of statuses (R-ORD-1): every change of an order's, line's, payment's or
shipment's status is checked against the table of ``orders.status`` here, then set.

Placing, paying, expiring, cancelling, re-placing a late cheque, refunding, capturing and
shipping all call ``transition``; a step the table does not allow is a ``DomainError`` and
the caller's unit of work rolls back.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any, TypeVar

from orders import events
from orders.status import Step, check_transition
from shop import audit
from shop.errors import DomainError

log = logging.getLogger(__name__)
T = TypeVar("T", bound=StrEnum)

# By table, so the shipments of ``partners`` need no import of that domain here.
_KINDS: dict[str, str] = {
    "orders": "order",
    "order_lines": "line",
    "payments": "payment",
    "shipments": "shipment",
}


def transition(
    target: Any,
    to: T,
    *,
    step: Step,
    actor: Any = None,
    facts: frozenset[str] = frozenset(),
) -> T:
    """Move ``target`` (a row, or a model class for rows inserted in bulk, which start from
    no status) to ``to`` by ``step`` if the table allows it; returns ``to``."""
    kind = _KINDS[target.__tablename__]
    current = None if isinstance(target, type) else target.status
    check = check_transition(current, to, step, kind=kind, facts=facts)
    if not check.allowed:
        raise DomainError(check.reason or "Changement de statut refusé.", rule="R-ORD-1")
    if not isinstance(target, type):
        audit.remember(target, "status", current)  # R-OPS-6: the true before value
        target.status = to
        events.status_changed(target, current, to, step)
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "%s %s: %s -> %s (%s, %s)",
            kind,
            getattr(target, "id", None),
            current,
            to,
            step,
            audit.actor_label(actor) if actor is not None else "-",
        )
    return to
