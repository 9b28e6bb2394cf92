"""Vacations' retention purge (RULES.md §12; mechanism in shop/retention.py).

A paid registration goes with its order (``purged_with_orders``); one never paid goes two
years after it was made.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from orders.retention import purged_with_orders
from shop import clock
from shop.db import unit_of_work
from shop.jobs import due_task
from shop.retention import deleted, years_before
from vacations.models import PrixMiniPayment, PrixMiniRegistration

REGISTRATION_YEARS = 2  # « Inscriptions Prix mini sans commande : 2 ans »

purged_with_orders(PrixMiniRegistration)


@due_task("retention.registrations", "Supprime les inscriptions Prix mini de plus de 2 ans")
def purge_registrations() -> int:
    """Registrations never paid by an order (lost draws, lapsed places); a paid one goes
    with its order."""
    cutoff = years_before(clock.utcnow(), REGISTRATION_YEARS)
    old = select(PrixMiniRegistration.id).where(
        PrixMiniRegistration.order_id.is_(None), PrixMiniRegistration.created_at < cutoff
    )
    with unit_of_work() as s:
        # A payment received outside the store goes with its registration (foreign key).
        s.execute(delete(PrixMiniPayment).where(PrixMiniPayment.registration_id.in_(old)))
        return deleted(
            s,
            delete(PrixMiniRegistration).where(
                PrixMiniRegistration.order_id.is_(None),
                PrixMiniRegistration.created_at < cutoff,
            ),
        )
