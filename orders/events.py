"""Extension point: domains above orders are told of an order's life (R-PAR-6, R-PAR-10).

``transition`` reports every status it sets here; an order becoming paid, cancelled or
(partly) refunded is published as an ``OrderEvent``, and ``cancel_event`` publishes a
``SessionsCancelled``. A domain subscribes a handler when its blueprint is wired into the
app (partners: webhooks and mails to the partner); orders imports none of them.

Handlers run inside the caller's unit of work, each in a savepoint: what they write (a
delivery row, a mail) commits with the change itself and is sent after the commit. A
handler that fails is logged and its writes are rolled back to the savepoint; the order's
change never fails because of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import object_session

from orders.models import Order, OrderLine
from orders.status import LineStatus, OrderStatus, Step
from shop.db import session

log = logging.getLogger(__name__)

ORDER_PAID = "order.paid"
ORDER_CANCELLED = "order.cancelled"
ORDER_REFUNDED = "order.refunded"
SESSION_CANCELLED = "session.cancelled"
KINDS = (ORDER_PAID, ORDER_CANCELLED, ORDER_REFUNDED, SESSION_CANCELLED)


@dataclass
class OrderEvent:
    """``order`` reached ``kind``; for a refund, ``lines`` are the lines refunded by it."""

    kind: str
    order: Order
    step: str
    lines: list[OrderLine] = field(default_factory=list)


@dataclass
class SessionsCancelled:
    """C.G.O.S cancelled these sessions (one, or every session of an offer) (R-OPS-4)."""

    kind: str
    session_ids: list[int]
    offer_id: int | None
    reason: str


Event = OrderEvent | SessionsCancelled
Handler = Callable[[Any], None]
_HANDLERS: dict[str, dict[str, Handler]] = {}
_REFUNDED_LINES = "events:refunded_lines"


def subscribe(kind: str, name: str, handler: Handler) -> None:
    """Call ``handler(event)`` for each event of ``kind`` (idempotent by name)."""
    if kind not in KINDS:
        raise ValueError(f"unknown order event {kind!r}")
    _HANDLERS.setdefault(kind, {})[name] = handler


def unsubscribe(kind: str, name: str) -> None:
    _HANDLERS.get(kind, {}).pop(name, None)


def publish(event: Event) -> None:
    """Hand ``event`` to its handlers, each in a savepoint of the current unit of work."""
    handlers = list(_HANDLERS.get(event.kind, {}).items())
    if not handlers:
        return
    s = session()
    for name, handler in handlers:
        try:
            with s.begin_nested():
                handler(event)
        except Exception:  # noqa: BLE001 - a subscriber must never fail the order's change
            log.exception("Abonné %s en échec pour %s", name, event.kind)


def status_changed(target: Any, before: str | None, to: str, step: str) -> None:
    """Called by ``transition`` once a status is set: lines refunded are gathered on the
    session until their order's status follows; order statuses become events."""
    if not _HANDLERS or isinstance(target, type):
        return
    table = target.__tablename__
    if table == "order_lines" and to in (LineStatus.REFUNDED, LineStatus.WITHDRAWN):
        s = object_session(target) or session()
        s.info.setdefault(_REFUNDED_LINES, {}).setdefault(target.order_id, []).append(target)
        return
    if table != "orders":
        return
    if to == OrderStatus.PAID and step == Step.PAY and before != to:
        publish(OrderEvent(ORDER_PAID, target, step))
    elif to == OrderStatus.CANCELLED and before != to:
        publish(OrderEvent(ORDER_CANCELLED, target, step))
    elif step == Step.REFUND and to in (OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED):
        s = object_session(target) or session()
        lines = s.info.get(_REFUNDED_LINES, {}).pop(target.id, [])
        publish(OrderEvent(ORDER_REFUNDED, target, step, lines))


def sessions_cancelled(session_ids: list[int], offer_id: int | None, reason: str) -> None:
    publish(SessionsCancelled(SESSION_CANCELLED, list(session_ids), offer_id, reason))
