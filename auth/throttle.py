"""Failed-attempt counters of the gate (R-GATE-4, R-GATE-5, R-SEC-2).

Why locks are tied to the client: a lock per N° C.G.O.S alone let anyone who knows a number
(printed on pay slips and cards) or a staff e-mail keep its owner out with 5 requests every
15 minutes. R-GATE-5's « 5 consecutive failures lock it for 15 minutes » is therefore kept
per (identifier, client address): the attacker's client is locked, the agent from another
address still gets in. Against an attacker with many addresses, every client's failures
on an identifier are also counted: past ``LOGIN_MAX_FAILURES_PER_NUMBER`` within
``LOGIN_LOCK_MINUTES``, each client is locked at its first failure. That throttles guessing
to one try per address per lock period, yet never locks the identifier itself: the right
code (or password) from an address that has not failed still logs in. The per-address rate
limit (``RATELIMIT_LOGIN``) bounds each address on top, and ``TRUSTED_PROXY_COUNT`` makes
the address the client's own behind the deployment's proxies.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import case, delete, or_, select, update

from auth.models import LoginThrottle
from shop import clock
from shop.db import session, unit_of_work, upsert


def _pair(key: str, client: str) -> str:
    return f"{key}@{client}"


def client_state(key: str, client: str) -> tuple[int, bool] | None:
    """This client's (consecutive failures, locked now) on ``key``; None when clean (the
    only read a clean login needs)."""
    row = (
        session()
        .execute(
            select(LoginThrottle.failures, LoginThrottle.locked_until).where(
                LoginThrottle.key == _pair(key, client)
            )
        )
        .first()
    )
    if row is None:
        return None
    return row.failures, bool(row.locked_until and row.locked_until > clock.utcnow())


def _bump(s, key: str, restart, now) -> int:
    """Count one failure on ``key`` in one statement (no lost update, no duplicate key
    when two failures race); ``restart`` says when the old count no longer counts."""
    t = LoginThrottle.__table__.c
    stmt = (
        upsert(LoginThrottle)
        .values(key=key, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[t.key],
            set_={
                "failures": case((restart, 1), else_=t.failures + 1),
                "locked_until": case((restart, None), else_=t.locked_until),
                "last_failure_at": now,
            },
        )
        .returning(t.failures)
    )
    return s.execute(stmt).scalar_one()


def register_failure(
    key: str, client: str, *, max_failures: int | None = None, lock: timedelta | None = None
) -> bool:
    """Count a failure of ``client`` on ``key``; True when it locks that client out."""
    cfg = current_app.config
    window = timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
    max_failures = max_failures or cfg["LOGIN_MAX_FAILURES"]
    now = clock.utcnow()
    t = LoginThrottle.__table__.c
    with unit_of_work() as s:
        everyone = _bump(s, key, t.last_failure_at <= now - window, now)
        if everyone > cfg["LOGIN_MAX_FAILURES_PER_NUMBER"]:
            max_failures = 1  # many addresses at once: one try each
        pair = _pair(key, client)
        locked = _bump(s, pair, t.locked_until <= now, now) >= max_failures
        if locked:
            s.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == pair)
                .values(failures=0, locked_until=now + (lock or window))
            )
    return locked


def clear_client(key: str, client: str) -> None:
    """A success from this client resets its count (R-GATE-5)."""
    with unit_of_work() as s:
        s.execute(delete(LoginThrottle).where(LoginThrottle.key == _pair(key, client)))


def clear_all(s, key: str) -> None:
    """Inside a unit of work: every client's counters and locks on ``key`` (a new code)."""
    s.execute(
        delete(LoginThrottle).where(
            or_(LoginThrottle.key == key, LoginThrottle.key.startswith(key + "@", autoescape=True))
        )
    )
