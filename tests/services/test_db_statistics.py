"""SQLite's planner statistics (shop/db_statistics.py, the due task « db.statistics »):
a table is analysed once it has rows and again only when it has doubled, and with them a
month's order list reads the date index, not the status one (issue 20, back office)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, text

from orders.models import Order
from orders.search import OrderFilters, order_search
from shop import jobs
from shop.audit import AuditEntry
from shop.db import get_db, session
from shop.db_statistics import MIN_ROWS, refresh_statistics, stale_tables


@pytest.fixture(autouse=True)
def _sqlite_only(ctx: None) -> None:
    if get_db().dialect != "sqlite":
        pytest.skip("PostgreSQL's autovacuum analyses its own tables")


def _entries(n: int) -> None:
    at = datetime(2027, 3, 1, 9, 0)
    session().execute(
        insert(AuditEntry),
        [{"at": at, "actor": "t", "action": "x", "subject": f"s:{k}"} for k in range(n)],
    )


def _analysed(table: str) -> int:
    stats = (
        session().scalars(text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t"), {"t": table}).all()
    )
    return max((int(s.split()[0]) for s in stats), default=0)


def test_a_table_is_analysed_when_it_has_rows_then_when_it_has_doubled() -> None:
    assert "db.statistics" in {t.name for t in jobs.registered()}
    _entries(MIN_ROWS - 1)
    assert "audit_entries" not in stale_tables(session().connection())
    _entries(1)
    assert "audit_entries" in stale_tables(session().connection())
    assert refresh_statistics() >= 1
    assert _analysed("audit_entries") == MIN_ROWS
    assert refresh_statistics() == 0  # nothing new
    _entries(MIN_ROWS - 1)  # 199 rows: not yet twice 100
    assert "audit_entries" not in stale_tables(session().connection())
    _entries(1)
    assert refresh_statistics() == 1
    assert _analysed("audit_entries") == 2 * MIN_ROWS


def test_purged_rows_do_not_make_a_table_look_doubled() -> None:
    _entries(3 * MIN_ROWS)
    refresh_statistics()
    session().execute(text("DELETE FROM audit_entries WHERE id % 3 != 0"))  # gaps of rowids
    _entries(1)  # max(rowid) is now far above twice the count
    assert "audit_entries" not in stale_tables(session().connection())


def _orders(n: int) -> None:
    start = datetime(2026, 1, 1, 8, 0)
    rows = []
    for k in range(n):
        placed = start + timedelta(hours=3 * k)
        rows.append(
            {
                "number": f"L26-{k + 1:06d}",
                "checkout_token": f"stat-{k}",
                "cgos_number": "100000001",
                "household_id": "H-STAT",
                "year": 2026,
                "status": "paid",
                "payment_method": "card" if k % 2 else "cheque",
                "channel": "phone" if k % 10 == 0 else "web",
                "placed_by": "agent:100000001",
                "placed_at": placed,
                "paid_at": placed,
                "goods_cents": 1000,
                "participation_cents": 0,
                "fees_cents": 0,
                "total_cents": 1000,
                "holder_name": "Agent",
                "contact_email": "agent@exemple.fr",
                "ship_address": {"name": "Agent"},
                "cgv_accepted_at": placed,
            }
        )
    session().execute(insert(Order), rows)


def _plan(stmt) -> str:  # type: ignore[no-untyped-def]
    compiled = stmt.compile(
        dialect=session().get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    return " ".join(str(r[-1]) for r in session().execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


def test_with_statistics_a_month_of_orders_is_read_through_the_date_index() -> None:
    """Nearly every order is « paid »: the date range is the selective condition."""
    _orders(2900)  # a year of orders, one every three hours
    f = OrderFilters(q="", start="", end="", status="paid", channel="phone", method="card")
    f.start_day = datetime(2026, 3, 1).date()
    f.end_day = datetime(2026, 3, 31).date()
    stmt = order_search(f)
    assert stmt is not None
    refresh_statistics()
    assert "ix_orders_placed_at" in _plan(stmt)
