"""An operator's pages on the bench's data (issue 20): the back office timed and its SQL
statements counted, at two data sizes, so a page whose cost grows with the data shows.

``python -m bench.back_office`` seeds a fresh database twice (``--database-url`` for
PostgreSQL: an empty database, migrated here) with ``bench.seed`` (agents, households and
past orders) plus what an operator's pages read and the seed has none of: options waiting
for a cheque, transfers to make and one audit entry per order. Then, as an operator logged
in with the second factor, each page is requested through the real views (Flask test
client, CSRF and rate limits off): ``REPEAT`` times after a warm-up, the median and the
slowest time kept, with the trivial page ``/sante`` measured the same way for a ratio.
Only the statements of the request's own thread are counted.

The large size is the issue's data (50 000 agents, 200 000 orders); the small one a tenth
of it. Statement counts must be equal at both sizes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import func, insert, select, text

from auth import second_factor, staff
from auth.models import StaffUser
from auth.services import create_staff
from bench.parcels import counting
from bench.seed import bench_number, seed_bench
from demo import seed as demo_seed
from members.models import DossierAgent
from orders.models import Order, Payment
from orders.services import order_number
from orders.status import OrderStatus, PaymentStatus
from reports.budgets import set_budget
from reports.rollup import roll_due
from shop import clock, create_app
from shop.audit import AuditEntry
from shop.db import get_db, session, unit_of_work
from shop.db_statistics import refresh_statistics
from shop.migrate import upgrade

SIZES = ((5_000, 20_000), (50_000, 200_000))  # (agents, orders)
REPEAT = 15
OPTIONS = 400  # cheque orders waiting for their cheque
TRANSFERS = 300  # cheque orders refunded, transfer not yet made
EMAIL = "guichet@cgos-loisirs.example"
MANAGER_EMAIL = "direction@cgos-loisirs.example"  # a gestionnaire: the reports (issue 22)
PASSWORD = "mot-de-passe-de-mesure-42"  # noqa: S105 - a bench account on a throwaway database
APP_CONFIG = {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}


def _batched(s: Any, stmt: Any, rows: list[dict[str, Any]], size: int = 5000) -> None:
    for k in range(0, len(rows), size):
        s.execute(stmt, rows[k : k + size])


def seed_back_office(agents: int, orders: int) -> dict[str, Any]:
    """The demo data and the bench population (as ``bench.run`` seeds them), then cheque
    options, transfers due and the audit trail."""
    for _line in demo_seed.seed():
        pass
    seeded = seed_bench(agents, orders)
    now = clock.utcnow()
    with unit_of_work() as s:
        start = (s.scalar(select(func.max(Order.id))) or 0) + 1
        rows, refunds = [], []
        for k in range(OPTIONS + TRANSFERS):
            oid = start + k
            number = bench_number(k * 7 % agents)
            option = k < OPTIONS
            placed = now - timedelta(days=k % 8, hours=k % 24)
            rows.append(
                {
                    "id": oid,
                    "number": order_number(oid, now.year),
                    "checkout_token": f"bench-desk-{oid}",
                    "cgos_number": number,
                    "household_id": f"H-DESK-{k}",
                    "year": now.year,
                    "status": OrderStatus.OPTION if option else OrderStatus.REFUNDED,
                    "payment_method": "cheque",
                    "channel": "phone" if k % 3 else "web",
                    "placed_by": f"agent:{number}",
                    "placed_at": placed,
                    "expires_at": placed + timedelta(days=8) if option else None,
                    "paid_at": None if option else placed + timedelta(days=2),
                    "goods_cents": 5000,
                    "participation_cents": 2000,
                    "fees_cents": 0,
                    "total_cents": 5000,
                    "holder_name": f"Agent Mesure{k:06d}",
                    "contact_email": f"agent{k}@bench.example",
                    "ship_address": {"name": f"Mesure{k:06d}", "line1": "1 rue de l'Hôpital"},
                    "cgv_accepted_at": placed,
                }
            )
            if not option:
                refunds.append(
                    {
                        "order_id": oid,
                        "method": "transfer",
                        "kind": "refund",
                        "amount_cents": 5000,
                        "created_at": placed + timedelta(days=3),
                        "status": PaymentStatus.REFUND_PENDING,
                        "details": {"reason": "annulation"},
                    }
                )
        _batched(s, insert(Order), rows)
        _batched(s, insert(Payment), refunds)
    t = time.perf_counter()
    with unit_of_work() as s:
        found = s.execute(select(Order.number, Order.placed_by, Order.paid_at, Order.placed_at))
        entries = [
            {
                "at": paid or placed,
                "actor": by,
                "action": "order.paid" if paid else "order.placed",
                "subject": f"order:{number}",
                "before": {"status": "pending_payment"} if paid else None,
                "after": {"status": "paid"} if paid else {"status": "option"},
            }
            for number, by, paid, placed in found
        ]
        entries.sort(key=lambda e: e["at"])  # the log is written as things happen
        _batched(s, insert(AuditEntry), entries)
    if get_db().dialect == "postgresql":
        with unit_of_work() as s:
            s.execute(
                text("SELECT setval(pg_get_serial_sequence('orders', 'id'), max(id)) FROM orders")
            )
            s.execute(text("ANALYZE"))
    seeded["analysed_tables"] = refresh_statistics()  # cron's first minute (SQLite)
    # Cron's first minute too: the closed days' report figures (reports.rollup), which the
    # dashboard reads instead of every order; today's orders stay read from the orders.
    t = time.perf_counter()
    seeded["rolled_days"] = roll_due()
    seeded["rollup_s"] = round(time.perf_counter() - t, 1)
    seeded["audit_entries"] = len(entries)
    seeded["audit_s"] = round(time.perf_counter() - t, 2)
    seeded["totp_secret"] = _enrolled(EMAIL, "Guichet", "operator")
    # Issue 22: the reports are read by a gestionnaire, against the past year's budget.
    seeded["manager_totp_secret"] = _enrolled(MANAGER_EMAIL, "Direction", "gestionnaire")
    set_budget("bench", year=clock.today().year - 1, region=None, amount_cents=4_000_000_00)
    return seeded


def _enrolled(email: str, name: str, role: str) -> str:
    """A staff account with its second factor enrolled; returns its TOTP secret."""
    create_staff(email, name, role, PASSWORD, actor="bench")
    user = session().scalar(select(StaffUser).where(StaffUser.email == email))
    assert user is not None, "the bench account was just created"
    secret = staff.start_enrolment(user)
    step = second_factor.current_step() - 1  # this step stays free for the login
    staff.confirm_enrolment(user, pyotp.TOTP(secret).at(step * second_factor.STEP_SECONDS))
    return secret


def pages(seeded: dict[str, Any]) -> dict[str, str]:
    """The operator's pages, with ids read from the seeded data: the busiest agent's record
    and phone entry, searches that match many and few, each list unfiltered and filtered,
    a page far down each list, the exports read to their end."""
    couples = (
        select(DossierAgent.household_id)
        .group_by(DossierAgent.household_id)
        .having(func.count() == 2)
    )
    busiest = (
        session()
        .execute(  # one of a couple: the record reads the other member too
            select(Order.cgos_number, func.count())
            .join(DossierAgent, DossierAgent.cgos_number == Order.cgos_number)
            .where(DossierAgent.household_id.in_(couples))
            .group_by(Order.cgos_number)
            .order_by(func.count().desc(), Order.cgos_number)
            .limit(1)
        )
        .one()[0]
    )
    option = session().scalar(
        select(Order.number).where(Order.status == OrderStatus.OPTION).order_by(Order.id).limit(1)
    )
    some_order = session().scalar(
        select(Order.number).where(Order.status == OrderStatus.PAID).order_by(Order.id).limit(1)
    )
    name = session().scalar(select(DossierAgent.nom).where(DossierAgent.cgos_number == busiest))
    assert busiest and option and some_order and name, "seeded"
    year = clock.today().year - 1  # the bench's past orders
    month = f"du={year}-03-01&au={year}-03-31"
    partial = some_order[-4:]
    return {
        "trivial /sante": "/sante",
        "agent search, name (1 match)": f"/gestion/?q={name.lower()}",
        "agent search, établissement (many)": "/gestion/?q=centre+hospitalier+12",
        "agent record (busiest agent)": f"/gestion/?q={busiest}",
        "phone entry (busiest agent)": f"/gestion/saisie/{busiest}",
        "order list, unfiltered": "/gestion/commandes",
        "order list, partial number": f"/gestion/commandes?q={partial}",
        "order list, month + phone + card": (
            f"/gestion/commandes?{month}&canal=phone&paiement=card&statut=paid"
        ),
        "order list, page 200": "/gestion/commandes?page=200",
        "order detail": f"/gestion/commandes/{some_order}",
        "audit log, unfiltered": "/gestion/journal",
        "audit log, one agent": f"/gestion/journal?agent={busiest}",
        "audit log, action + month": f"/gestion/journal?action=order.paid&{month}",
        "audit log, page 200": "/gestion/journal?page=200",
        "audit log CSV, a month": f"/gestion/journal.csv?{month}",
        "cheque desk": "/gestion/cheques",
        "cheque lookup (script)": f"/gestion/cheques/commande?numero={option}",
        "transfers to make": "/gestion/virements",
        "transfers CSV": "/gestion/virements.csv",
        # Issue 22 (R-REP-1), as the gestionnaire: the dashboard for the past year (every
        # order of the bench), for one region, and a month's tables downloaded.
        "reports dashboard, a year": f"/gestion/rapports/?du={year}-01-01&au={year}-12-31",
        "reports dashboard, a year, one region": (
            f"/gestion/rapports/?du={year}-01-01&au={year}-12-31&region=Bretagne"
        ),
        "reports CSV, a month by day": f"/gestion/rapports/jours.csv?{month}",
        "reports XLSX, a month by offer": f"/gestion/rapports/offres.xlsx?{month}",
    }


def _login(client: Any, secret: str, email: str = EMAIL) -> None:
    response = client.post("/gestion/connexion", data={"email": email, "password": PASSWORD})
    assert response.location == "/gestion/connexion/code", response.status_code
    code = pyotp.TOTP(secret).at(second_factor.current_step() * second_factor.STEP_SECONDS)
    response = client.post("/gestion/connexion/code", data={"code": code})
    assert response.status_code == 302, f"second factor refused: {response.status_code}"


def measure(app: Any, agents: int, orders: int) -> dict[str, Any]:
    with app.app_context():
        seeded = seed_back_office(agents, orders)
        urls = pages(seeded)
    engine = app.extensions["db"].engine
    client = app.test_client()
    _login(client, seeded.pop("totp_secret"))
    manager = app.test_client()
    _login(manager, seeded.pop("manager_totp_secret"), MANAGER_EMAIL)
    out: dict[str, Any] = {"agents": agents, "orders": orders, "seed": seeded, "pages": {}}
    for name, url in urls.items():
        browser = manager if url.startswith("/gestion/rapports") else client
        response = browser.get(url)  # warm-up: templates, compiled statements
        assert response.status_code == 200, f"{name}: {response.status_code} {url}"
        times = []
        for _ in range(REPEAT):
            with counting(engine) as seen:
                t = time.perf_counter()
                body = browser.get(url).get_data()  # a streamed body is read to its end
                times.append(time.perf_counter() - t)
        out["pages"][name] = {
            "url": url,
            "median_ms": round(statistics.median(times) * 1000, 1),
            "max_ms": round(max(times) * 1000, 1),
            "statements": len(seen),
            "bytes": len(body),
        }
    trivial = out["pages"]["trivial /sante"]["median_ms"]
    for row in out["pages"].values():
        row["x_trivial"] = round(row["median_ms"] / trivial, 1)
    return out


def _database(url: str | None, tmp: Path, k: int) -> str:
    if url is None:
        return f"sqlite:///{tmp / f'back-office-{k}.db'}"
    # PostgreSQL: the given database emptied (it is the bench's own, never the app's).
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


def table(results: list[dict[str, Any]]) -> str:
    """The Markdown table of docs/BENCHMARKS.md: per page, each size's median, ratio to
    the trivial page and statements."""
    head = "| Page | " + " | ".join(
        f"{r['orders'] // 1000}k orders: median ms (× trivial), statements" for r in results
    )
    lines = [head + " |", "|---" * (1 + len(results)) + "|"]
    for name in results[0]["pages"]:
        cells = [
            f"{r['pages'][name]['median_ms']} (× {r['pages'][name]['x_trivial']}), "
            f"{r['pages'][name]['statements']}"
            for r in results
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument(
        "--sizes",
        default=",".join(f"{a}:{o}" for a, o in SIZES),
        help="agents:orders pairs, comma-separated",
    )
    args = parser.parse_args(argv)
    results = []
    started = datetime.now()
    with tempfile.TemporaryDirectory() as tmp:
        for k, pair in enumerate(args.sizes.split(",")):
            agents, orders = (int(x) for x in pair.split(":"))
            url = _database(args.database_url, Path(tmp), k)
            app = create_app({**APP_CONFIG, "DATABASE_URL": url})
            upgrade(app)
            results.append(measure(app, agents, orders))
            app.extensions["db"].engine.dispose()
    counts = {
        name: {r["orders"]: r["pages"][name]["statements"] for r in results}
        for name in results[0]["pages"]
    }
    grown = {  # an export reads its rows in batches: its statements follow the rows
        name: c
        for name, c in counts.items()
        if len(set(c.values())) > 1 and "CSV" not in name and "XLSX" not in name
    }
    json.dump(
        {"started": started.isoformat(timespec="seconds"), "runs": results, "grown": grown},
        sys.stdout,
        indent=2,
        ensure_ascii=False,
        default=lambda v: v.isoformat() if isinstance(v, date) else str(v),
    )
    sys.stdout.write("\n\n" + table(results) + "\n")
    return 1 if grown else 0


if __name__ == "__main__":
    raise SystemExit(main())
