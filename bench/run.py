"""The benchmark, in one command:  ``python -m bench.run --db sqlite|postgres [--pretix DIR]``.

1. a fresh database (SQLite file under ``instance/bench/`` or the PostgreSQL database
   ``bench``), migrated, ``seed-demo``, the due jobs measured (``bench.jobs_due``), the
   bench population (``bench.seed``), the due jobs measured again on that long history,
   statements counted on that small catalog, then ``seed-demo --large`` and statements
   counted again;
2. the production set-up on 127.0.0.1: gunicorn with ``gunicorn.conf.py`` serving
   ``wsgi:app``, a Celery worker and beat on Redis (database 13), rate limits in Redis;
3. wrk on the trivial page ``/sante`` and on the four catalog pages with an agent's
   session cookie; complete purchases with 1 then 8 clients; the on-sale rush (200 buyers,
   100 seats) checked against the database; peak memory of each web worker;
4. optionally pretix's own bench script in the same run (``--pretix``);
5. everything it started is stopped, results written to ``bench/results/``.

Every load step is bounded in count and in time; every process it starts runs under
``timeout`` so it ends by itself even if this script dies.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench.client import agent_cookie, run_purchases, run_rush

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_DB_URL = "redis://127.0.0.1:6379/13"
PROCESS_LIMIT_S = 1800  # any server started here dies after 30 minutes whatever happens


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------- database and data


def fresh_database(db: str, data_dir: Path, name: str = "bench") -> str:
    """An empty database: the SQLite file ``data_dir/<name>.db`` or the PostgreSQL
    database ``name`` (dropped and created again)."""
    if db == "sqlite":
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def served_env(url: str, **extra: str) -> dict[str, str]:
    """The environment the served store runs in for the bench: production's, but for the
    load clients' two settings (README of the bench) and no SMTP or Stripe."""
    env = dict(
        os.environ,
        DATABASE_URL=url,
        SECRET_KEY="bench-" + os.urandom(16).hex(),
        SESSION_COOKIE_SECURE="0",  # plain http on the loopback
        REDIS_URL=REDIS_DB_URL,
        # Every purchase logs in from 127.0.0.1: the per-address login limit (30/min in
        # production) would stop the clients after 30 purchases; the per-number lock stays.
        RATELIMIT_LOGIN="100000 per minute",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    env.pop("MAIL_SERVER", None)
    env.pop("STRIPE_SECRET_KEY", None)
    return env


def flask(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    out = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return out.stdout


ROLLUP = """
import json, time
from shop import create_app
from reports.rollup import roll_due
app = create_app()
with app.app_context():
    t = time.perf_counter()
    days = roll_due()
print(json.dumps({"days": days, "seconds": round(time.perf_counter() - t, 1)}))
"""


def in_child(env: dict[str, str], code: str, timeout: float = 900) -> Any:
    """Run ``code`` (which prints one JSON document last) in a fresh interpreter with
    ``env``: the app reads its configuration from the environment at start."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


STATEMENTS = """
import json
from bench.statements import count_statements
print(json.dumps(count_statements({pages!r}, {numbers!r}, {code!r}, {offers!r})))
"""

JOBS_DUE = """
import json
from bench.jobs_due import measure
print(json.dumps(measure()))
"""


# ---------------------------------------------------------------- processes


class Servers:
    def __init__(
        self,
        env: dict[str, str],
        port: int,
        workers: int | None,
        logs: Path,
        app: str = "wsgi:app",
    ):
        self.env, self.port, self.workers, self.logs, self.app = env, port, workers, logs, app
        self.procs: dict[str, subprocess.Popen] = {}

    def _start(self, name: str, argv: list[str]) -> None:
        out = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 - kept open for the child
        self.procs[name] = subprocess.Popen(
            ["timeout", "-s", "TERM", "-k", "10", str(PROCESS_LIMIT_S), *argv],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped without touching others
        )

    def start(self, celery: bool = True) -> None:
        env = dict(self.env, GUNICORN_BIND=f"127.0.0.1:{self.port}")
        self.env = env
        # Without --workers, gunicorn.conf.py's own count: the production set-up's.
        count = ["--workers", str(self.workers)] if self.workers else []
        self._start("gunicorn", [str(VENV_BIN / "gunicorn"), *count, self.app])
        if celery:
            app = [str(VENV_BIN / "celery"), "-A", "shop.celery_app"]
            self._start("celery-worker", [*app, "worker", "-l", "WARNING"])
            self._start("celery-beat", [*app, "beat", "-l", "WARNING"])
        base = f"http://127.0.0.1:{self.port}"
        for _ in range(150):
            try:
                if requests.get(base + "/sante", timeout=1).status_code == 200:
                    time.sleep(1.0)  # let every worker finish booting
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer on /sante within 30 s")

    def worker_pids(self) -> list[int]:
        master = _children(self.procs["gunicorn"].pid)
        return _children(master[0]) if master else []

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()


def _proc_stats() -> Iterator[tuple[int, str, list[str]]]:
    """(pid, command name, the fields after the name) of every process in ``/proc``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        yield int(entry.name), name, stat.rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    return sorted(child for child, _, fields in _proc_stats() if int(fields[1]) == pid)


def peak_memory_mib(pids: list[int]) -> list[float]:
    peaks = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        m = re.search(r"VmHWM:\s+(\d+) kB", status)
        if m:
            peaks.append(round(int(m.group(1)) / 1024, 1))
    return peaks


def _cpu_ticks() -> dict[str, int]:
    """CPU ticks (user + system) so far of every process, summed by process group and by
    name for the database and Redis servers, which this script did not start."""
    ticks: dict[str, int] = {}
    for _, name, fields in _proc_stats():
        used = int(fields[11]) + int(fields[12])
        key = name if name in ("postgres", "redis-server") else f"pgrp:{fields[2]}"
        ticks[key] = ticks.get(key, 0) + used
    return ticks


class CpuMeter:
    """CPU time per purchase of each process of the set-up, from ``/proc`` before and
    after a load: where a purchase's cost goes, the load client included."""

    def __init__(self, servers: Servers):
        self.groups = {f"pgrp:{proc.pid}": name for name, proc in servers.procs.items()}
        self.start = _cpu_ticks()
        self.client = sum(os.times()[:2])

    def per_purchase_ms(self, purchases: int) -> dict[str, float]:
        end = _cpu_ticks()
        tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        names = {**self.groups, "postgres": "postgresql", "redis-server": "redis"}
        out = {
            label: round((end.get(key, 0) - self.start.get(key, 0)) * tick_ms / purchases, 1)
            for key, label in names.items()
            if key in end
        }
        out["load client"] = round((sum(os.times()[:2]) - self.client) * 1000 / purchases, 1)
        out["total"] = round(sum(out.values()), 1)
        return out


# ---------------------------------------------------------------- load


def wrk(url: str, cookie: str | None, connections: int, seconds: int) -> dict[str, Any]:
    header = ["-H", f"Cookie: {cookie}"] if cookie else []
    base = ["wrk", "-t2", f"-c{connections}", *header]
    subprocess.run(
        ["timeout", "30", *base, "-d3s", url], capture_output=True, timeout=40, check=False
    )
    out = subprocess.run(
        ["timeout", str(seconds + 30), *base, f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 40,
        check=False,
    ).stdout

    def ms(label: str) -> float | None:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
        return round(float(m.group(1)) * factor, 2)

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "rps": float(rps.group(1)) if rps else None,
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "requests": int(total.group(1)) if total else None,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else None,
    }


def check_page(base: str, path: str, cookie: str, expect: str) -> None:
    r = requests.get(base + path, headers={"Cookie": cookie}, allow_redirects=False, timeout=10)
    if r.status_code != 200 or expect not in r.text:
        raise RuntimeError(f"{path}: HTTP {r.status_code}, '{expect}' absent")


def rush_database_check(env: dict[str, str], offer_id: int, session_id: int) -> dict[str, Any]:
    code = f"""
import json
from sqlalchemy import func, select
from shop import create_app
from shop.db import session
from catalog.models import OfferSession
from orders.models import Order, OrderLine
app = create_app()
with app.app_context():
    stock = session().scalar(select(OfferSession.stock).where(OfferSession.id == {session_id}))
    rows = session().execute(
        select(Order.status, func.count(Order.id), func.sum(OrderLine.quantity))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.session_id == {session_id})
        .group_by(Order.status)
    ).all()
print(json.dumps({{"stock_left": stock,
                  "by_status": {{s: {{"orders": n, "seats": int(q)}} for s, n, q in rows}}}}))
"""
    return in_child(env, code)


# ---------------------------------------------------------------- pretix


def run_pretix(pretix_dir: Path, db: str, label: str) -> dict[str, Any]:
    """pretix's own measurement script (its set-up must have been run once)."""
    env = dict(os.environ, PRETIX_PORT="8145", FLASK_PORT="8146")
    log(f"pretix: {pretix_dir / 'bench.sh'} {db} {label}")
    subprocess.run(
        ["timeout", "1500", str(pretix_dir / "bench.sh"), db, label],
        cwd=pretix_dir,
        env=env,
        capture_output=True,
        timeout=1560,
        check=False,
    )
    out = pretix_dir / "results" / f"{db}-{label}"

    def wrk_file(name: str) -> dict[str, Any]:
        text = (out / name).read_text() if (out / name).exists() else ""
        rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
        p = {}
        for pct in ("50", "99"):
            m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
            if m:
                p[pct] = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
        return {
            "rps": float(rps.group(1)) if rps else None,
            "p50_ms": p.get("50"),
            "p99_ms": p.get("99"),
        }

    def json_file(name: str) -> dict[str, Any]:
        try:
            return json.loads((out / name).read_text().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError):
            return {}

    return {
        "label": f"{db}-{label}",
        "event_page": wrk_file("wrk_pretix.txt"),
        "flask_ceiling": wrk_file("wrk_flask.txt"),
        "checkout_1": json_file("checkout1.json"),
        "checkout_8": json_file("checkout8.json"),
    }


# ---------------------------------------------------------------- main


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().split()[1]
    except OSError:
        mem = "0"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "argon2_verify_ms": argon2_verify_ms(),
    }


def argon2_verify_ms() -> float:
    """CPU of one access-code verification in this environment: about 19 ms with PyPI's
    portable wheel here, 7 ms once ``bin/build-argon2`` has built it for the CPU."""
    from argon2 import PasswordHasher

    from auth.services import _code_hasher

    stored = _code_hasher.hash("3EZKP3MF")
    PasswordHasher().verify(stored, "3EZKP3MF")
    start = time.process_time()
    for _ in range(20):
        _code_hasher.verify(stored, "3EZKP3MF")
    return round((time.process_time() - start) / 20 * 1000, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark of the store (see module doc).")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--port", type=int, default=8150)
    parser.add_argument(
        "--workers", type=int, default=None, help="default: gunicorn.conf.py's (production)"
    )
    parser.add_argument("--agents", type=int, default=50_000)
    parser.add_argument("--past-orders", type=int, default=200_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per page")
    parser.add_argument("--orders-1", type=int, default=150, help="purchases with 1 client")
    parser.add_argument("--orders-8", type=int, default=400, help="purchases with 8 clients")
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--pretix", type=Path, help="pretix anchor folder: run its bench.sh too")
    parser.add_argument("--pretix-db", choices=("sqlite", "postgres"))
    parser.add_argument("--label", default=datetime.now(UTC).strftime("%Y%m%d-%H%M"))
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    started = time.perf_counter()
    data_dir = ROOT / "instance" / "bench"
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    url = fresh_database(args.db, data_dir)
    env = served_env(url)
    import redis

    redis.Redis.from_url(REDIS_DB_URL).flushdb()
    result: dict[str, Any] = {
        "db": args.db,
        "label": args.label,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "workers": args.workers,
        "connections": args.connections,
    }
    timings: dict[str, float] = {}
    log(f"Argon2id verification: {result['machine']['argon2_verify_ms']} ms of CPU")

    log(f"database {args.db}: migrate and seed-demo")
    t = time.perf_counter()
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")
    timings["migrate_and_seed_demo_s"] = round(time.perf_counter() - t, 1)
    log("due jobs on the demo data (no order yet)")
    due_small = in_child(env, JOBS_DUE)
    log("bench population")
    seeded = in_child(
        env,
        "import sys; from bench.seed import main; "
        f"sys.exit(main(['--agents', '{args.agents}', '--orders', '{args.past_orders}']))",
    )
    result["seed"] = seeded
    log(f"due jobs on {args.past_orders} past orders and their payments")
    result["due_jobs"] = {"small_history": due_small, "large_history": in_child(env, JOBS_DUE)}
    # The reports' closed days, rolled up as cron's first minute would on such a history
    # (once; afterwards a day a day): not while the pages are measured below.
    log("report rollup of the closed days")
    result["due_jobs"]["report_rollup"] = in_child(env, ROLLUP)
    code = seeded["code"]
    from bench.seed import bench_number

    pages = {
        "trivial": "/sante",
        "home": "/",
        "category": "/categorie/concerts",
        "offer": f"/offre/{seeded['rush_offer']}",
        "search": "/recherche?q=concert+lyon",
    }
    catalog_pages = {k: v for k, v in pages.items() if k != "trivial"}
    stmt_numbers = [bench_number(args.agents - k) for k in range(1, 7)]
    log("statements on the demo catalog")
    small = in_child(
        env,
        STATEMENTS.format(
            pages=catalog_pages,
            numbers=stmt_numbers[:3],
            code=code,
            offers=seeded["cart_offers"],
        ),
    )
    log("seed-demo --large")
    t = time.perf_counter()
    flask(env, "seed-demo", "--large")
    timings["seed_large_s"] = round(time.perf_counter() - t, 1)
    log("statements on the large catalog")
    large = in_child(
        env,
        STATEMENTS.format(
            pages=catalog_pages, numbers=stmt_numbers[3:], code=code, offers=seeded["cart_offers"]
        ),
    )
    result["statements"] = {"demo_catalog": small, "large_catalog": large}

    redis.Redis.from_url(REDIS_DB_URL).flushdb()  # no cached page of the small catalog
    servers = Servers(env, args.port, args.workers, logs)
    base = f"http://127.0.0.1:{args.port}"
    try:
        servers.start()
        result["workers"] = len(servers.worker_pids())
        log(f"gunicorn ({result['workers']} workers), celery worker and beat on {base}")
        cookie = agent_cookie(base, bench_number(0), code)
        expect = {
            "trivial": "ok",
            "home": "Mon panier",
            "category": "Concerts",
            "offer": "Concert de mesure",
            # Results (the ranking of issue 21 puts concerts titled « … Lyon » first).
            "search": 'class="offer-card"',
        }
        reads: dict[str, Any] = {}
        for name, path in pages.items():
            check_page(base, path, cookie, expect[name])
            log(f"wrk {name} {path}")
            reads[name] = wrk(base + path, cookie, args.connections, args.seconds)
            log(f"   {reads[name]}")
        trivial = reads["trivial"]["rps"] or 1.0
        for row in reads.values():
            row["ratio_to_trivial"] = round((row["rps"] or 0) / trivial, 3)
        result["reads"] = reads

        next_agent = 1
        checkout: dict[str, Any] = {}
        for clients, count, limit in ((1, args.orders_1, 120), (8, args.orders_8, 180)):
            warm = [bench_number(next_agent + k) for k in range(4)]
            next_agent += 4
            run_purchases(
                base, warm, code, seeded["stock_offer"], clients=min(clients, 4), max_seconds=60
            )
            numbers = [bench_number(next_agent + k) for k in range(count)]
            next_agent += count
            log(f"purchases: {count} with {clients} client(s)")
            meter = CpuMeter(servers)
            run = run_purchases(
                base, numbers, code, seeded["stock_offer"], clients=clients, max_seconds=limit
            )
            run["cpu_ms_per_purchase"] = meter.per_purchase_ms(max(run["completed"], 1))
            checkout[f"{clients}_client{'s' if clients > 1 else ''}"] = run
            log(f"   {checkout}")
        result["checkout"] = checkout

        log(f"rush: {args.buyers} buyers on {seeded['rush_session']} (100 seats)")
        numbers = [bench_number(next_agent + k) for k in range(args.buyers)]
        next_agent += args.buyers
        rush = run_rush(
            base, numbers, code, seeded["rush_offer"], seeded["rush_session"], max_seconds=120
        )
        rush["database"] = rush_database_check(env, seeded["rush_offer"], seeded["rush_session"])
        sold = sum(v["seats"] for v in rush["database"]["by_status"].values())
        rush["seats_sold"] = sold
        rush["oversold"] = sold > 100 or (rush["database"]["stock_left"] or 0) < 0
        rush["exact"] = sold == 100 and rush["database"]["stock_left"] == 0
        result["rush"] = rush
        log(f"   {rush}")

        result["memory_mib"] = {
            "web_workers_peak_rss": peak_memory_mib(servers.worker_pids()),
        }
    finally:
        log("stopping gunicorn and celery")
        servers.stop()
        redis.Redis.from_url(REDIS_DB_URL).flushdb()

    if args.pretix:
        result["pretix"] = run_pretix(args.pretix.resolve(), args.pretix_db or args.db, args.label)

    result["timings"] = timings
    result["total_s"] = round(time.perf_counter() - started, 1)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"{args.db}-{args.label}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    log(f"results in {path.relative_to(ROOT)}")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
