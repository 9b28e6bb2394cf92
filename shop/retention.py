"""Retention periods of « Données personnelles » (RULES.md §12): the mechanism.

Each period is enforced by a due task (``shop.jobs.due_task``) named ``retention.<what>``,
registered by the module that owns the table, beside the period it enforces; each period is
a row of the page's « Durées de conservation » table
(shop/templates/public/pages/donnees_personnelles.html): change both together.

- ``retention.outbox`` (shop/mail.py), ``retention.audit`` (shop/audit.py);
- ``retention.sessions``, ``retention.login_failures`` and ``retention.security_log``
  (auth/retention.py);
- ``retention.contact`` (support/retention.py);
- ``retention.orders`` and ``retention.carts`` (orders/retention.py); the other domains'
  rows that belong to an order go with it (``orders.retention.purged_with_orders``:
  partners/retention.py, vacations/retention.py);
- ``retention.registrations`` (vacations/retention.py);
- ``retention.webhooks`` (partners/retention.py).

Each task deletes in one statement per table what has outlived its period, so running it
twice, or from two processes, deletes nothing more. Periods kept elsewhere by construction:
the access code (replaced), the rate limiter's IP windows (an hour at most, in Redis or
memory).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Delete
from sqlalchemy.orm import Session


def years_before(moment: datetime, years: int) -> datetime:
    """The same day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def deleted(s: Session, statement: Delete) -> int:
    """Run a purge's DELETE; how many rows it removed."""
    return cast(CursorResult[Any], s.execute(statement)).rowcount
