"""Extension point: domains above orders are told of an order's life (R-PAR-6, R-PAR-10).

``transition`` reports every status it sets here; an order becoming paid, cancelled or
(partly) refunded is published as an ``OrderEvent``, and ``cancel_event`` publishes a
``SessionsCancelled``. A domain subscribes a handler when its blueprint is wired into the
app (partners: webhooks and mails to the partner); orders imports none of them.

Order events are published when the caller's unit of work commits (SQLAlchemy's
``before_commit``), so a handler sees the change whole (``paid_at`` set, every line of a
refund refunded); a unit rolled back publishes nothing. Handlers run in that transaction,
each in a savepoint: what they write (a delivery row, a mail) commits with the change
itself and is sent after the commit. A handler that fails is logged and its writes are
rolled back to the savepoint; the order's change never fails because of it.
``session.cancelled`` is published at once (``cancel_event`` calls it in its unit).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, object_session

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
_PENDING = "events:pending"
_LINE_REFUNDED = "line.refunded"  # gathered for its order's ORDER_REFUNDED, not published


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
    """Called by ``transition`` once a status is set. Lines refunded are gathered, and an
    order's event is kept on the session until its unit of work commits: by then the rest
    of the change (``paid_at``, ``cancelled_at``, every line refunded) is written too."""
    if not _HANDLERS or isinstance(target, type):
        return
    table = target.__tablename__
    kind = None
    if table == "order_lines" and to in (LineStatus.REFUNDED, LineStatus.WITHDRAWN):
        kind = _LINE_REFUNDED
    elif table == "orders":
        if to == OrderStatus.PAID and step == Step.PAY and before != to:
            kind = ORDER_PAID
        elif to == OrderStatus.CANCELLED and before != to:
            kind = ORDER_CANCELLED
        elif step == Step.REFUND and to in (OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED):
            kind = ORDER_REFUNDED
    if kind is not None:
        s = object_session(target) or session()
        s.info.setdefault(_PENDING, []).append((kind, target, str(step)))


@event.listens_for(Session, "before_commit")
def _publish_pending(s: Session) -> None:
    """The events of the unit of work now committing, built from its final state; their
    subscribers' writes are flushed by this same commit."""
    pending = s.info.pop(_PENDING, None)
    if not pending:
        return
    refunded: dict[int, list[OrderLine]] = {}
    for kind, target, _step in pending:
        if kind == _LINE_REFUNDED:
            refunded.setdefault(target.order_id, []).append(target)
    seen: set[tuple[str, int]] = set()
    for kind, target, step in pending:
        if kind == _LINE_REFUNDED or (kind, target.id) in seen:
            continue
        seen.add((kind, target.id))
        lines = refunded.pop(target.id, []) if kind == ORDER_REFUNDED else []
        publish(OrderEvent(kind, target, step, lines))


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(s: Session, transaction: SessionTransaction) -> None:
    """A unit of work rolled back publishes nothing."""
    if transaction.parent is None:
        s.info.pop(_PENDING, None)


def sessions_cancelled(session_ids: list[int], offer_id: int | None, reason: str) -> None:
    publish(SessionsCancelled(SESSION_CANCELLED, list(session_ids), offer_id, reason))
