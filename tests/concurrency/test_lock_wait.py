"""R-ORD-6 under contention: a checkout queued behind a stuck transaction is answered
« réessayez » within the lock timeout instead of hanging, nothing is half-written, and the
same checkout goes through once the lock is released."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from tests.concurrency.helpers import (
    Buyer,
    fill_cart,
    household_used,
    order_count,
    rush,
    seed_agents,
    seed_offer,
    session_stock,
)


@pytest.mark.postgres_only
def test_r_ord_6_a_stuck_household_lock_gives_a_french_retry(
    committing_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = committing_app
    monkeypatch.setitem(app.config, "DB_LOCK_TIMEOUT_MS", 500)
    year = date.today().year
    offer_id, session_id = seed_offer(app, session_stock=5)
    (number,) = seed_agents(app, 1, household_id="H-STUCK")
    total = fill_cart(app, number, offer_id, session_id)

    engine = app.extensions["db"].engine
    with engine.connect() as stuck:
        # Another transaction (a hung request) holds the household's yearly row.
        stuck.execute(
            text(
                "INSERT INTO household_years (household_id, year, used_cents) "
                "VALUES ('H-STUCK', :y, 0)"
            ),
            {"y": year},
        )
        started = time.perf_counter()
        blocked = rush(app, [Buyer(number, total)], timeout=10)
        waited = time.perf_counter() - started
        stuck.rollback()

    assert not blocked.errors, blocked.describe_errors()
    (out,) = blocked.refused
    assert "réessayez" in out.refusal.message
    assert waited < 5, f"waited {waited:.1f} s for a 0.5 s lock timeout"
    assert order_count(app) == 0 and session_stock(app, session_id) == 5

    again = rush(app, [Buyer(number, total)], timeout=10)
    assert not again.errors and len(again.placed) == 1, again.describe_errors()
    assert session_stock(app, session_id) == 4
    assert household_used(app, "H-STUCK", year) == 1500


@pytest.mark.postgres_only
def test_every_connection_has_the_lock_timeout_without_a_statement(committing_app: Any) -> None:
    """The timeout is part of the connection (set when it opens): a unit of work does
    not spend a round trip on SET LOCAL, yet no lock wait is unbounded."""
    from sqlalchemy import event

    from shop.db import unit_of_work

    app = committing_app
    engine = app.extensions["db"].engine
    seen: list[str] = []

    def _seen(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _seen)
    try:
        with app.app_context(), unit_of_work() as s:
            assert s.execute(text("SHOW lock_timeout")).scalar() == "5s"
    finally:
        event.remove(engine, "before_cursor_execute", _seen)
    assert not [st for st in seen if "SET LOCAL" in st]
