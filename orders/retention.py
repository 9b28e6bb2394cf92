"""Orders' retention purges (RULES.md §12; mechanism in shop/retention.py).

An order goes with every row that belongs to it, its own and those other domains keep
about it: each such domain names its table once with ``purged_with_orders`` (partners'
shipments, vacations' Prix mini registrations), so this module imports none of them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from orders.models import (
    AlertState,
    Cart,
    CartLine,
    ETicket,
    HouseholdYear,
    Order,
    OrderFee,
    OrderLine,
    Payment,
    SeatAlert,
)
from shop import clock
from shop.db import unit_of_work
from shop.jobs import due_task
from shop.retention import deleted

ORDER_YEARS = 10  # « Commandes et factures : 10 ans à compter de la clôture de l'exercice »
CART_DAYS = 180  # « Panier non commandé : 6 mois après sa dernière modification »

# Other domains' models with an ``order_id`` column, deleted before the order's own rows.
_DEPENDANTS: list[Any] = []


def purged_with_orders(model: Any) -> None:
    """Delete ``model``'s rows of an order when the order passes its retention period."""
    if model not in _DEPENDANTS:
        _DEPENDANTS.append(model)


def orders_cutoff(now: datetime) -> datetime:
    """Orders placed before this (naive UTC) are past their 10 years: those of a
    financial year (the calendar year, in Paris) go on the 1st of January that follows
    the 10th anniversary of its close."""
    paris_year = clock.to_paris(now).year
    start = datetime(paris_year - ORDER_YEARS, 1, 1, tzinfo=clock.PARIS)
    return start.astimezone(UTC).replace(tzinfo=None)


@due_task("retention.orders", "Supprime les commandes dont l'exercice est clos depuis 10 ans")
def purge_orders() -> int:
    """With everything they hold: lines, fees, payments, e-billets, and the other domains'
    rows (shipments, the Prix mini registration they paid); the household's yearly cap
    rows of those years."""
    now = clock.utcnow()
    cutoff = orders_cutoff(now)
    with unit_of_work() as s:
        ids = list(s.scalars(select(Order.id).where(Order.placed_at < cutoff)))
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            for model in (*_DEPENDANTS, ETicket, Payment, OrderFee, OrderLine):
                s.execute(delete(model).where(model.order_id.in_(chunk)))
            s.execute(delete(Order).where(Order.id.in_(chunk)))
        s.execute(
            delete(HouseholdYear).where(HouseholdYear.year < clock.to_paris(now).year - ORDER_YEARS)
        )
    return len(ids)


@due_task("retention.carts", "Vide les paniers non commandés depuis 6 mois")
def purge_carts() -> int:
    cutoff = clock.utcnow() - timedelta(days=CART_DAYS)
    with unit_of_work() as s:
        ids = list(s.scalars(select(Cart.id).where(Cart.updated_at < cutoff)))
        if not ids:
            return 0
        s.execute(delete(CartLine).where(CartLine.cart_id.in_(ids)))
        return deleted(s, delete(Cart).where(Cart.id.in_(ids)))


ALERT_DAYS = 180  # « Alerte Prévenez-moi close : 6 mois après sa clôture »


@due_task("retention.seat_alerts", "Supprime les alertes « Prévenez-moi » closes depuis 6 mois")
def purge_seat_alerts() -> int:
    """R-AGT-2 alerts hold an e-mail address: gone 6 months after they ended; a waiting
    alert or a live hold is never purged (the job closes it when its session passes)."""
    cutoff = clock.utcnow() - timedelta(days=ALERT_DAYS)
    with unit_of_work() as s:
        return deleted(
            s,
            delete(SeatAlert).where(
                SeatAlert.state.not_in((AlertState.WAITING, AlertState.HELD)),
                SeatAlert.closed_at < cutoff,
            ),
        )
