"""Migration 0012 (order life) on the test backend, SQLite or PostgreSQL: the capture and
refund state moves from the payments' JSON into columns and back again, the database then
refuses unknown statuses, and the whole chain goes down to nothing and up again."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import DateTime, inspect, text
from sqlalchemy.exc import DBAPIError

from tests.services.helpers import ORDER, migrate

BEFORE = "4d8e2b6f1a93"
AFTER = "7a3c9e15b2d4"

# id: (kind, details before, status after, captured_at after, etickets_due_at after)
CAPTURED = "2027-03-01T20:05:00.123456"
PAYMENTS: dict[int, tuple[str, dict[str, Any] | None, str, Any, Any]] = {
    1: ("payment", {"event": "evt_1", "checkout_session": "cs_1"}, "received", None, None),
    2: ("payment", None, "received", None, None),
    3: ("payment", {"capture": "pending", "channel": "phone"}, "authorised", None, None),
    # Captured on 1 March at 21:05 Paris: e-billets due at midnight Paris (23:00 UTC).
    4: (
        "payment",
        {"capture": "done", "captured_at": CAPTURED},
        "captured",
        datetime.fromisoformat(CAPTURED),
        datetime(2027, 3, 1, 23, 0),
    ),
    5: (
        "payment",
        {"capture": "done", "captured_at": CAPTURED, "etickets": "sent"},
        "captured",
        datetime.fromisoformat(CAPTURED),
        None,
    ),
    6: ("payment", {"capture": "failed", "capture_status": "canceled"}, "hold_lost", None, None),
    7: ("refund", {"reason": "rétractation", "status": "to_pay"}, "refund_pending", None, None),
    8: ("refund", {"status": "done", "done_at": "2027-03-02T10:00:00"}, "refunded", None, None),
}
MOVED_KEYS = {"capture", "captured_at", "etickets", "status"}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_capture_state_moves_to_columns_and_back(scratch):
    engine, cfg = scratch
    migrate(engine, cfg, "upgrade", BEFORE)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO orders ({', '.join(ORDER)}) VALUES "
                f"({', '.join(':' + k for k in ORDER)})"
            ),
            ORDER,
        )
        for pid, (kind, details, *_rest) in PAYMENTS.items():
            conn.execute(
                text(
                    "INSERT INTO payments (id, order_id, method, kind, amount_cents, created_at,"
                    " details) VALUES (:id, 1, 'card', :kind, 100, :at, :details)"
                ),
                {
                    "id": pid,
                    "kind": kind,
                    "at": datetime(2027, 3, 1, 10, 0),
                    "details": None if details is None else json.dumps(details),
                },
            )

    migrate(engine, cfg, "upgrade", AFTER)
    with engine.connect() as conn:
        rows = {
            r.id: r
            for r in conn.execute(
                text(
                    "SELECT id, status, captured_at, etickets_due_at, details FROM payments"
                ).columns(captured_at=DateTime(), etickets_due_at=DateTime())
            )
        }
    for pid, (_kind, details, status, captured_at, due) in PAYMENTS.items():
        row = rows[pid]
        assert (row.status, row.captured_at, row.etickets_due_at) == (status, captured_at, due)
        left = {k: v for k, v in (details or {}).items() if k not in MOVED_KEYS}
        assert (_json(row.details) or {}) == left, pid
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("payments")}
    assert {"ix_payments_due", "ix_payments_etickets_due_at"} <= indexes
    for table in ("orders", "payments"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(f"UPDATE {table} SET status = 'unknown'"))  # noqa: S608
    with engine.begin() as conn:
        conn.execute(text("UPDATE orders SET status = 'shipped'"))  # a known one is fine

    migrate(engine, cfg, "downgrade", BEFORE)
    with engine.connect() as conn:
        back = {
            r.id: _json(r.details) for r in conn.execute(text("SELECT id, details FROM payments"))
        }
    assert back == {pid: details for pid, (_k, details, *_r) in PAYMENTS.items()}
    columns = {c["name"] for c in inspect(engine).get_columns("payments")}
    assert not columns & {"status", "captured_at", "etickets_due_at"}
    with engine.begin() as conn:
        conn.execute(text("UPDATE orders SET status = 'anything'"))  # no constraint any more


def test_downgrade_to_base_and_up_again(scratch):
    engine, cfg = scratch
    migrate(engine, cfg, "upgrade", "head")
    migrate(engine, cfg, "downgrade", "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine, cfg, "upgrade", "head")
    assert "payments" in inspect(engine).get_table_names()
