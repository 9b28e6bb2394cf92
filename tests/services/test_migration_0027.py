"""Migration 0027 (report rollup, issue 22, R-REP-1) on the test backend, SQLite or
PostgreSQL: the orders already placed take their agent's region from the dossier (none
for an agent the dossier no longer knows), the closed days' tables and the rollup's state
row exist; all gone again on the way down."""

from __future__ import annotations

from datetime import date

from sqlalchemy import inspect, text

from tests.services.helpers import AGENT, ORDER, migrate

BEFORE = "9d4e6f7a8b25"
AFTER = "4b7e1c9d2f27"
TABLES = {"report_day_orders", "report_day_lines", "report_rollup_state"}


def _insert(conn, table, row):
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)


def test_order_region_backfilled_and_rollup_tables_up_and_down(scratch):
    engine, cfg = scratch
    migrate(engine, cfg, "upgrade", BEFORE)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO households (id) VALUES ('H-1')"))
        agent = dict(AGENT, search_key="le gall jean-pierre")
        _insert(conn, "dossier_agents", agent)
        _insert(conn, "orders", dict(ORDER, cgos_number=AGENT["cgos_number"]))
        unknown = dict(ORDER, id=2, number="L27-000002", checkout_token="tok-2")
        _insert(conn, "orders", dict(unknown, cgos_number="99999999Z"))
    migrate(engine, cfg, "upgrade", AFTER)
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.begin() as conn:
        regions = dict(conn.execute(text("SELECT id, region FROM orders")).all())
        assert regions == {1: "Île-de-France", 2: None}
        assert conn.execute(text("SELECT id, rolled_through FROM report_rollup_state")).all() == [
            (1, None)
        ]
        # One row per day, region, channel and method; amounts beyond an INTEGER of cents.
        conn.execute(
            text(
                "INSERT INTO report_day_orders VALUES (:day, '', 'web', 'card', 1, 1, "
                ":big, :big, 0, 0)"
            ),
            {"day": date(2027, 3, 1), "big": 3_000_000_000},
        )
        assert conn.scalar(text("SELECT paid_total_cents FROM report_day_orders")) == (
            3_000_000_000
        )
    migrate(engine, cfg, "downgrade", BEFORE)
    assert not TABLES & set(inspect(engine).get_table_names())
    assert "region" not in {c["name"] for c in inspect(engine).get_columns("orders")}
