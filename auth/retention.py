"""The gate's retention purges (RULES.md §12; mechanism in shop/retention.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from auth.models import LoginThrottle, SecurityEvent, WebSession
from shop import clock
from shop.db import unit_of_work
from shop.jobs import due_task
from shop.retention import deleted

FAILURE_HOURS = 1  # « Compteur de tentatives … : 1 heure après la dernière tentative »


@due_task("retention.sessions", "Supprime les sessions de connexion expirées")
def purge_sessions() -> int:
    with unit_of_work() as s:
        return deleted(s, delete(WebSession).where(WebSession.expires_at <= clock.utcnow()))


@due_task("retention.login_failures", "Supprime les compteurs d'échecs de connexion périmés")
def purge_login_failures() -> int:
    """The gate's failure counters name the client's address (``auth.throttle``): each goes
    an hour after its last failure, unless it still locks someone out (a code request's
    lock lasts 24 hours)."""
    now = clock.utcnow()
    with unit_of_work() as s:
        return deleted(
            s,
            delete(LoginThrottle).where(
                LoginThrottle.last_failure_at < now - timedelta(hours=FAILURE_HOURS),
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
            ),
        )


SECURITY_LOG_DAYS = 365  # « Journal de sécurité du personnel : 1 an » (R-SEC-1)


@due_task("retention.security_log", "Supprime les événements de sécurité de plus d'un an")
def purge_security_log() -> int:
    limit = clock.utcnow() - timedelta(days=SECURITY_LOG_DAYS)
    with unit_of_work() as s:
        return deleted(s, delete(SecurityEvent).where(SecurityEvent.at < limit))
