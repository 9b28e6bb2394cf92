"""Migration 0016 (agent search key, R-OPS-1) on the test backend, SQLite or PostgreSQL:
the dossiers already imported get their normalised key, the same the store writes when it
saves a dossier; the column goes away on the way down."""

from __future__ import annotations

from sqlalchemy import inspect, text

from members.search_key import search_key
from tests.services.helpers import AGENT, migrate

BEFORE = "f74bad5ec034"
AFTER = "1e0f5a6b7c16"


def test_search_key_backfilled_as_the_store_writes_it_and_dropped_down(scratch):
    engine, cfg = scratch
    migrate(engine, cfg, "upgrade", BEFORE)
    columns = ", ".join(AGENT)
    values = ", ".join(f":{name}" for name in AGENT)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO households (id) VALUES ('H-1')"))
        conn.execute(text(f"INSERT INTO dossier_agents ({columns}) VALUES ({values})"), AGENT)
        second = dict(AGENT, cgos_number="23456789B", nom="Žofie Ærø", email=None, phone=None)
        conn.execute(text(f"INSERT INTO dossier_agents ({columns}) VALUES ({values})"), second)
    migrate(engine, cfg, "upgrade", AFTER)
    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT cgos_number, search_key FROM dossier_agents")).all())
    assert keys["12345678A"] == search_key(AGENT)
    assert " hopital lariboisiere " in keys["12345678A"] and "0612345678" in keys["12345678A"]
    assert keys["23456789B"] == search_key(second) and "zofie aero" in keys["23456789B"]
    migrate(engine, cfg, "downgrade", BEFORE)
    names = {c["name"] for c in inspect(engine).get_columns("dossier_agents")}
    assert "search_key" not in names and "nom" in names
