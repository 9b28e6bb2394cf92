"""Migration 0026 (report budgets, issue 22, R-REP-1) on the test backend, SQLite or
PostgreSQL: the budgets' table with one national row per year, the indexes the
dashboard's periods read through; all gone again on the way down."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tests.services.helpers import migrate

BEFORE = "1c5d9e2f3a25"
AFTER = "9d4e6f7a8b25"
NOW = datetime(2027, 3, 1, 9, 0)
INSERT = text(
    "INSERT INTO participation_budgets (year, region, amount_cents, alert_percent, "
    "updated_at, updated_by) VALUES (:year, :region, :amount, 80, :now, 'test')"
)


def _indexes(engine, table):
    return {ix["name"] for ix in inspect(engine).get_indexes(table)}


def test_budgets_table_and_period_indexes_up_and_down(scratch):
    engine, cfg = scratch
    migrate(engine, cfg, "upgrade", BEFORE)
    assert "participation_budgets" not in inspect(engine).get_table_names()
    migrate(engine, cfg, "upgrade", AFTER)
    assert "ix_orders_paid_at" in _indexes(engine, "orders")
    assert "ix_order_lines_refunded_at" in _indexes(engine, "order_lines")
    assert {"uq_participation_budgets_national", "uq_participation_budgets_year_region"} <= (
        _indexes(engine, "participation_budgets")
    )
    with engine.begin() as conn:
        # A national budget beyond an INTEGER of cents (30 million euros).
        conn.execute(INSERT, {"year": 2027, "region": None, "amount": 3_000_000_000, "now": NOW})
        conn.execute(INSERT, {"year": 2027, "region": "Bretagne", "amount": 1, "now": NOW})
        conn.execute(INSERT, {"year": 2028, "region": None, "amount": 1, "now": NOW})
    for region in (None, "Bretagne"):  # one national row per year, one per region
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(INSERT, {"year": 2027, "region": region, "amount": 2, "now": NOW})
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT max(amount_cents) FROM participation_budgets")) == (
            3_000_000_000
        )
    migrate(engine, cfg, "downgrade", BEFORE)
    assert "participation_budgets" not in inspect(engine).get_table_names()
    assert "ix_orders_paid_at" not in _indexes(engine, "orders")
    assert "ix_order_lines_refunded_at" not in _indexes(engine, "order_lines")
