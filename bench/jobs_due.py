"""The minute jobs on a long history (issue 18): each due task timed, its statements
counted and its due-row query explained, at a moment when nothing is due.

Run by ``bench.run`` right after ``seed-demo`` (no order yet) and again after the bench
population (200 000 paid orders and their payments): the job must cost the same on both,
with the same statements, because it reads only due rows, through an index.
``python -m bench.jobs_due`` (DATABASE_URL as for the app) measures the database as it is.

The clock stands at 21:30 Paris today, past the capture hour, so ``capture_batch`` runs its
query instead of returning early; ``STRIPE_SECRET_KEY`` is a dummy so that
``retry_card_refunds`` runs its query too (nothing is pending, Stripe is never called).
Each run is one job call in a fresh app context, as a Celery worker runs it.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, event, func, select, text

from orders.models import Order, Payment
from orders.payments import REFUND_RETRY_DAYS, pending_card_refunds, retry_card_refunds
from orders.phone import capture_batch, etickets_due, held_payments, release_phone_etickets
from orders.services import due_orders, expire_due
from shop import create_app
from shop.clock import PARIS
from shop.db import get_db, session

RUNS = 20
BENCH_CONFIG = {"STRIPE_SECRET_KEY": "sk_test_bench_never_called", "RATELIMIT_ENABLED": False}


def _moment() -> datetime:
    """21:30 in Paris today, as an aware UTC datetime: past the 21:00 capture hour."""
    paris = datetime.now(PARIS).replace(hour=21, minute=30, second=0, microsecond=0)
    return paris.astimezone(UTC)


def _tasks(now: datetime) -> list[tuple[str, Callable[[], int], Select[*tuple[Any, ...]]]]:
    """(task name, job function, its due-row query) at ``now`` (naive UTC)."""
    since = now - timedelta(days=REFUND_RETRY_DAYS)
    return [
        ("orders.expire", expire_due, due_orders(now)),
        ("payments.capture_batch", capture_batch, held_payments()),
        ("etickets.release_phone", release_phone_etickets, etickets_due(now)),
        ("payments.card_refunds", retry_card_refunds, pending_card_refunds(since)),
    ]


def _plan(query: Select[*tuple[Any, ...]]) -> dict[str, Any]:
    """The planner's scans of ``query``, and whether each is an index search on the due
    condition (PostgreSQL: an index scan with an ``Index Cond``; SQLite: ``SEARCH``), not
    a read of the whole table or of a whole index."""
    db = get_db()
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.dialect == "postgresql":
        rows = session().execute(text(f"EXPLAIN {compiled}")).scalars().all()
        scans = [r.strip().lstrip("-> ").strip() for r in rows if " Scan " in r or "Scan on" in r]
        conds = [r.strip() for r in rows if "Index Cond:" in r]
        searched = not any("Seq Scan" in r for r in scans) and len(conds) >= len(scans)
        scans += conds
    else:
        rows = [r[-1] for r in session().execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
        scans = [r for r in rows if r.startswith(("SCAN", "SEARCH"))]
        searched = not any(r.startswith("SCAN") for r in scans)
    return {"scans": scans, "index_search": bool(scans) and searched}


def measure(runs: int = RUNS) -> dict[str, Any]:
    """Median ms and statements of each due task, and the plan and time of its query."""
    app = create_app(BENCH_CONFIG)
    moment = _moment()
    app.extensions["clock"] = lambda: moment
    engine = app.extensions["db"].engine
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    out: dict[str, Any] = {"runs": runs}
    with app.app_context():
        out["orders"] = session().scalar(select(func.count(Order.id)))
        out["payments"] = session().scalar(select(func.count(Payment.id)))
        out["dialect"] = get_db().dialect
    jobs: dict[str, Any] = {}
    for name, job, query in _tasks(moment.replace(tzinfo=None)):
        job_ms, query_ms, statements, handled = [], [], [], set()
        for _ in range(runs + 2):  # two warm-up runs (first connection, compiled caches)
            with app.app_context():
                seen.clear()
                event.listen(engine, "before_cursor_execute", count)
                t = time.perf_counter()
                handled.add(job())
                job_ms.append((time.perf_counter() - t) * 1000)
                event.remove(engine, "before_cursor_execute", count)
                statements.append(len(seen))
            with app.app_context():
                t = time.perf_counter()
                rows = len(session().execute(query).all())
                query_ms.append((time.perf_counter() - t) * 1000)
        with app.app_context():
            plan = _plan(query)
        jobs[name] = {
            "job_ms": round(statistics.median(job_ms[2:]), 3),
            "statements": sorted(set(statements[2:])),
            "handled": sorted(handled),
            "query_ms": round(statistics.median(query_ms[2:]), 3),
            "due_rows": rows,
            **plan,
        }
    out["jobs"] = jobs
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    runs = int(argv[0]) if argv else RUNS
    print(json.dumps(measure(runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
