"""Migration 0013 (price change requests, R-PAR-10) on the test backend, SQLite or
PostgreSQL: the table comes and goes, and the database refuses an unknown status or kind,
or a requested C.G.O.S price above the requested négocié; offers get their approval state
(existing ones approved, an unknown state refused), taken away again on the way down."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from tests.services.helpers import migrate

BEFORE = "7a3c9e15b2d4"
AFTER = "c41e7a2b9d01"
NOW = datetime(2027, 3, 1, 9, 0)


def _request(conn: Any, rid: int, status: str, negotiated: int, cgos: int) -> None:
    conn.execute(
        text(
            "INSERT INTO price_change_requests (id, offer_id, partner_id, "
            "current_negotiated_cents, current_cgos_cents, requested_negotiated_cents, "
            "requested_cgos_cents, reason, status, requested_by, requested_at, decision_note) "
            "VALUES (:id, 1, 1, 4000, 2500, :n, :c, '', :s, 'test', :at, '')"
        ),
        {"id": rid, "n": negotiated, "c": cgos, "s": status, "at": NOW},
    )


def test_price_requests_table_up_checks_and_down(scratch):
    engine, cfg = scratch
    migrate(engine, cfg, "upgrade", AFTER)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO partners (id, slug, name, created_at) VALUES (1, 'p', 'P', :at)"),
            {"at": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO offers (id, partner_id, kind, category, title, summary, "
                "description, public_price_cents, negotiated_price_cents, cgos_price_cents, "
                "per_order_max, regional_ticketing, physical, deliveries, supply_state, "
                "featured, published, search_text, created_at, updated_at) VALUES (1, 1, "
                "'carte', 'c', 'T', '', '', 4000, 4000, 2500, 10, false, true, 'poste', "
                "'en_stock', false, true, '', :at, :at)"
            ),
            {"at": NOW},
        )
        _request(conn, 1, "pending", 3800, 2000)
    for rid, status, negotiated, cgos in ((2, "lost", 3800, 2000), (3, "pending", 2000, 2100)):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            _request(conn, rid, status, negotiated, cgos)
    migrate(engine, cfg, "downgrade", BEFORE)
    assert "price_change_requests" not in inspect(engine).get_table_names()
    migrate(engine, cfg, "upgrade", AFTER)
    assert "price_change_requests" in inspect(engine).get_table_names()


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_offer_approval_and_request_kind_up_checks_and_down(scratch):
    engine, cfg = scratch
    migrate(engine, cfg, "upgrade", BEFORE)
    with engine.begin() as conn:  # an offer of the store, there before the revision
        conn.execute(
            text("INSERT INTO partners (id, slug, name, created_at) VALUES (1, 'p', 'P', :at)"),
            {"at": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO offers (id, partner_id, kind, category, title, summary, "
                "description, public_price_cents, negotiated_price_cents, cgos_price_cents, "
                "per_order_max, regional_ticketing, physical, deliveries, supply_state, "
                "featured, published, search_text, created_at, updated_at) VALUES (1, 1, "
                "'carte', 'c', 'T', '', '', 4000, 4000, 2500, 10, false, true, 'poste', "
                "'en_stock', false, true, '', :at, :at)"
            ),
            {"at": NOW},
        )
    migrate(engine, cfg, "upgrade", AFTER)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT approval FROM offers")).scalar_one() == "approved"
        conn.execute(text("UPDATE offers SET approval = 'pending' WHERE id = 1"))
        _request(conn, 1, "pending", 3800, 2000)
        kind = conn.execute(text("SELECT kind FROM price_change_requests")).scalar_one()
        assert kind == "price_change"
        conn.execute(text("UPDATE price_change_requests SET kind = 'new_offer'"))
    for bad in (
        "UPDATE offers SET approval = 'maybe' WHERE id = 1",
        "UPDATE price_change_requests SET kind = 'other'",
    ):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(bad))
    migrate(engine, cfg, "downgrade", BEFORE)
    assert "approval" not in _columns(engine, "offers")
    with engine.begin() as conn:  # the offer survived the way down
        assert conn.execute(text("SELECT title FROM offers")).scalar_one() == "T"
    migrate(engine, cfg, "upgrade", AFTER)
    assert "approval" in _columns(engine, "offers")
    assert "kind" in _columns(engine, "price_change_requests")
