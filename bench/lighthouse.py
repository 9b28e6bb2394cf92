"""Lighthouse on the agent's store, in one command (issue 21):
``python -m bench.lighthouse [--db sqlite|postgres] [--runs N] [--label L]``.

1. Lighthouse from npm, pinned by ``bench/lighthouse/package.json`` and its committed
   ``package-lock.json``; ``npm ci --prefix bench/lighthouse`` is run when
   ``node_modules`` is missing (nothing else is installed);
2. a fresh database (``bench.run.fresh_database``: the SQLite file
   ``instance/bench-lighthouse/lighthouse.db`` or the PostgreSQL database
   ``bench_lighthouse``), migrated, ``seed-demo``;
3. the production set-up on 127.0.0.1 (``bench.run.Servers``: gunicorn with
   ``gunicorn.conf.py`` serving ``wsgi:app``; no Celery, no page needs it);
4. a demonstration agent logs in (``bench.client``) and puts one seat of a dated show in
   the cart;
5. Lighthouse runs on Debian's Chromium (``--chrome-path``, ``CHROME_PATH``; headless,
   no sandbox) with its default mobile emulation and simulated throttling, categories
   performance and accessibility, the agent's session cookie sent with ``--extra-headers``,
   on the home page, a listing (a category), an offer page (a dated show with sessions),
   the cart and the checkout, ``--runs`` times each;
6. the JSON reports are written under ``bench/results/lighthouse-<label>/`` (git-ignored:
   open them with Lighthouse's viewer), a summary ``bench/results/lighthouse-<label>.json``
   beside them, and a table of the scores and main metrics is printed with the load
   average of the machine.

Every process it starts is bounded in time and stopped at the end (gunicorn by its
process group, each Lighthouse with the Chromium it launched); it talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NPM_DIR = ROOT / "bench" / "lighthouse"
LIGHTHOUSE_JS = NPM_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME_FLAGS = "--headless=new --no-sandbox"
RUN_LIMIT_S = 240  # one Lighthouse run on one page, Chromium included
NPM_LIMIT_S = 600
AGENT = "34567890D"  # Karim Benali of the demonstration: rights open, nothing bought
SHOW = "Le Lac des cygnes%"  # a dated show of the demonstration, sessions in 10 days and on
CATEGORY = "spectacles"

# Lighthouse audit id → (column, unit) of the metrics kept in the summary.
METRICS = {
    "first-contentful-paint": "fcp_ms",
    "largest-contentful-paint": "lcp_ms",
    "total-blocking-time": "tbt_ms",
    "cumulative-layout-shift": "cls",
    "speed-index": "si_ms",
    "total-byte-weight": "bytes",
}


# ---------------------------------------------------------------- pure parts (tested)


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """The scores (0–100), main metrics and what costs points in one Lighthouse JSON
    report (``lhr``)."""
    categories = report.get("categories", {})
    audits = report.get("audits", {})

    def score(name: str) -> int | None:
        value = categories.get(name, {}).get("score")
        return None if value is None else round(value * 100)

    def failing(name: str) -> list[str]:
        """Audits of a category that did not get full marks, worst first, with what
        Lighthouse shows beside them."""
        out = []
        for ref in categories.get(name, {}).get("auditRefs", []):
            if ref.get("group") == "metrics":
                continue
            audit = audits.get(ref["id"], {})
            value = audit.get("score")
            if audit.get("scoreDisplayMode") in ("numeric", "binary", "metricSavings") and (
                value is not None and value < 1
            ):
                shown = audit.get("displayValue")
                out.append((value, ref["id"] + (f" ({shown})" if shown else "")))
        return [label for _, label in sorted(out, key=lambda pair: pair[0])]

    metrics: dict[str, float | None] = {}
    for audit_id, column in METRICS.items():
        value = audits.get(audit_id, {}).get("numericValue")
        if value is None:
            metrics[column] = None
        elif column == "cls":
            metrics[column] = round(float(value), 3)
        else:
            metrics[column] = round(value)
    return {
        "url": report.get("finalDisplayedUrl") or report.get("requestedUrl"),
        "performance": score("performance"),
        "accessibility": score("accessibility"),
        **metrics,
        "form_factor": report.get("configSettings", {}).get("formFactor"),
        "runtime_error": (report.get("runtimeError") or {}).get("code"),
        "accessibility_failing": failing("accessibility"),
        "performance_failing": failing("performance"),
    }


def median_row(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per page: the median of each figure over the runs, and the spread (min–max) of
    the performance score."""
    row: dict[str, Any] = {}
    for column in ("performance", "accessibility", *METRICS.values()):
        values = [r[column] for r in runs if r.get(column) is not None]
        row[column] = statistics.median(values) if values else None
    perf = [r["performance"] for r in runs if r.get("performance") is not None]
    row["performance_min"] = min(perf) if perf else None
    row["performance_max"] = max(perf) if perf else None
    row["runs"] = len(runs)
    return row


def table(rows: dict[str, dict[str, Any]]) -> str:
    """The printed table: one line per page (medians, performance min–max)."""

    def cell(value: Any, digits: int = 0) -> str:
        if value is None:
            return "—"
        return f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    lines = [
        f"{'page':<10} {'perf':>9} {'a11y':>5} {'FCP ms':>7} {'LCP ms':>7} {'TBT ms':>7} "
        f"{'CLS':>6} {'kB':>6}"
    ]
    for page, row in rows.items():
        spread = f"{cell(row['performance_min'])}–{cell(row['performance_max'])}"
        perf = cell(row["performance"])
        if row["runs"] > 1:
            perf += f" {spread}"
        kb = None if row["bytes"] is None else row["bytes"] / 1024
        lines.append(
            f"{page:<10} {perf:>9} {cell(row['accessibility']):>5} {cell(row['fcp_ms']):>7} "
            f"{cell(row['lcp_ms']):>7} {cell(row['tbt_ms']):>7} {cell(row['cls'], 3):>6} "
            f"{cell(kb, 1):>6}"
        )
    return "\n".join(lines)


def failing_over_runs(runs: list[dict[str, Any]], category: str) -> list[str]:
    """The audits of ``category`` short of full marks in any run, once each, with what
    Lighthouse showed beside them in each run (``id (a / b)``)."""
    shown: dict[str, list[str]] = {}
    for run in runs:
        for item in run[f"{category}_failing"]:
            audit_id, _, value = item.partition(" (")
            values = shown.setdefault(audit_id, [])
            if value and value[:-1] not in values:
                values.append(value[:-1])
    return [f"{k} ({' / '.join(v)})" if v else k for k, v in sorted(shown.items())]


def lighthouse_argv(url: str, cookie: str, output: Path, chrome: str) -> list[str]:
    """The command line of one run: mobile emulation is Lighthouse's default form factor."""
    return [
        "node",
        str(LIGHTHOUSE_JS),
        url,
        "--output=json",
        f"--output-path={output}",
        f"--chrome-path={chrome}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--only-categories=performance,accessibility",
        "--extra-headers=" + json.dumps({"Cookie": cookie}),
        "--max-wait-for-load=60000",
        "--quiet",
    ]


# ---------------------------------------------------------------- processes


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


def ensure_lighthouse() -> None:
    if LIGHTHOUSE_JS.exists():
        return
    if not shutil.which("npm"):
        raise SystemExit("npm is missing: apt-get install npm")
    log("npm ci --prefix bench/lighthouse (the pinned package-lock.json)")
    subprocess.run(
        ["npm", "ci", "--prefix", str(NPM_DIR), "--no-audit", "--no-fund"],
        check=True,
        timeout=NPM_LIMIT_S,
    )


def _descendants(pid: int) -> list[int]:
    from bench.run import _children

    out, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


def run_lighthouse(argv: list[str], limit_s: float) -> None:
    """One Lighthouse run, killed with every process under it (the Chromium it launched
    runs in its own process group) if it lasts more than ``limit_s``."""
    proc = subprocess.Popen(
        argv,
        cwd=NPM_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, err = proc.communicate(timeout=limit_s)
    except subprocess.TimeoutExpired:
        err = f"Lighthouse still running after {limit_s:.0f} s: stopped"
        raise RuntimeError(err) from None
    finally:
        if proc.poll() is None:
            for pid in [*_descendants(proc.pid), proc.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait(timeout=10)
    if proc.returncode != 0:
        raise RuntimeError(f"Lighthouse failed ({proc.returncode}): {err[-2000:]}")


FIND_SHOW = """
import json
from sqlalchemy import select
from shop import create_app
from shop.db import session
from catalog.models import Offer, OfferSession
app = create_app()
with app.app_context():
    offer = session().scalar(select(Offer).where(Offer.title.like({show!r})))
    first = session().scalar(
        select(OfferSession.id)
        .where(OfferSession.offer_id == offer.id, OfferSession.stock > 0)
        .order_by(OfferSession.starts_at)
    )
print(json.dumps({{"offer": offer.id, "session": first}}))
"""


def agent_code(seed_output: str, number: str) -> str:
    """The access code ``seed-demo`` printed for ``number``."""
    for line in seed_output.splitlines():
        words = line.split()
        if len(words) > 2 and words[0] == number and words[1] == "code":
            return words[2]
    raise RuntimeError(f"seed-demo printed no code for {number}")


def fill_cart(base: str, number: str, code: str, offer_id: int, session_id: int) -> str:
    """Log in, put one seat of the show in the cart; the session cookie."""
    import asyncio

    from bench.client import Buyer

    async def go() -> str:
        buyer = Buyer(base, number, code)
        try:
            await buyer.login()
            html = await buyer.open_offer(offer_id, session_id)
            await buyer.add(offer_id, html, session_id)
        finally:
            buyer.http.close()
        return f"cgos_session={buyer.http.cookies['cgos_session']}"

    return asyncio.run(go())


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` shows them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    from bench.run import Servers, flask, fresh_database, in_child, machine

    parser = argparse.ArgumentParser(description="Lighthouse on the store (see module doc).")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--port", type=int, default=8160)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="Lighthouse runs per page")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    parser.add_argument("--label", default=datetime.now(UTC).strftime("%Y%m%d-%H%M"))
    args = parser.parse_args(argv)
    if not Path(args.chrome).exists():
        raise SystemExit(f"{args.chrome} is missing: apt-get install chromium")
    ensure_lighthouse()

    data_dir = ROOT / "instance" / "bench-lighthouse"
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        DATABASE_URL=fresh_database(args.db, data_dir, name="bench_lighthouse"),
        SECRET_KEY="bench-" + os.urandom(16).hex(),
        SESSION_COOKIE_SECURE="0",  # plain http on the loopback
        REDIS_URL=args.redis_url,
        PYTHONPATH=str(ROOT),
        CHROME_PATH=args.chrome,
    )
    env.pop("MAIL_SERVER", None)
    env.pop("STRIPE_SECRET_KEY", None)
    log(f"database {args.db}: migrate and seed-demo")
    flask(env, "db", "upgrade")
    code = agent_code(flask(env, "seed-demo"), AGENT)
    show = in_child(env, FIND_SHOW.format(show=SHOW))
    pages = {
        "home": "/",
        "listing": f"/categorie/{CATEGORY}",
        "offer": f"/offre/{show['offer']}",
        "cart": "/panier/",
        "checkout": "/commande/",
    }
    out_dir = ROOT / "bench" / "results" / f"lighthouse-{args.label}"
    out_dir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "label": args.label,
        "db": args.db,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {k: v for k, v in machine().items() if k != "argon2_verify_ms"},
        "chromium": subprocess.run(
            [args.chrome, "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip(),
        "lighthouse": json.loads((NPM_DIR / "package.json").read_text())["dependencies"],
        "command": " ".join(["python -m bench.lighthouse", *(argv or sys.argv[1:])]),
        "load_average": {},
        "pages": pages,
        "runs": {},
    }
    servers = Servers(env, args.port, args.workers, logs)
    base = f"http://127.0.0.1:{args.port}"
    try:
        log(f"gunicorn ({args.workers} workers) on {base}")
        servers.start(celery=False)
        cookie = fill_cart(base, AGENT, code, show["offer"], show["session"])
        result["load_average"]["start"] = load_average()
        log(f"load average {result['load_average']['start']}")
        for run in range(1, args.runs + 1):
            for page, path in pages.items():
                output = out_dir / f"{page}-{run}.json"
                log(f"lighthouse {page} {path} (run {run})")
                started = time.perf_counter()
                run_lighthouse(
                    lighthouse_argv(base + path, cookie, output, args.chrome), RUN_LIMIT_S
                )
                summary = summarize(json.loads(output.read_text()))
                summary["seconds"] = round(time.perf_counter() - started, 1)
                summary["load_average"] = load_average()
                if summary["url"] and not summary["url"].startswith(base + path.rstrip("/")):
                    raise RuntimeError(f"{path} ended on {summary['url']} (logged out?)")
                result["runs"].setdefault(page, []).append(summary)
                log(
                    f"   performance {summary['performance']} accessibility "
                    f"{summary['accessibility']} LCP {summary['lcp_ms']} ms"
                )
        result["load_average"]["end"] = load_average()
    finally:
        log("stopping gunicorn")
        servers.stop()

    rows = {page: median_row(runs) for page, runs in result["runs"].items()}
    result["medians"] = rows
    path = ROOT / "bench" / "results" / f"lighthouse-{args.label}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print()
    print(table(rows))
    print(f"load average (1, 5, 15 min): {result['load_average']}")
    for page, runs in result["runs"].items():
        for category in ("accessibility", "performance"):
            failing = failing_over_runs(runs, category)
            if failing:
                print(f"{page} {category}: {'; '.join(failing)}")
    log(f"summary in {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
