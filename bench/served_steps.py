"""CPU time of each request of a purchase as served: gunicorn from ``gunicorn.conf.py``
(one worker unless ``--workers``), a Celery worker, Redis, the load client of
``bench.run`` buying; each worker sums ``time.process_time()`` per kind of request
(``bench.timed_wsgi``). Says what ``bench.purchase_cpu`` says in process, but through
gunicorn, and the worker's whole CPU per purchase from ``/proc`` beside it.

Usage, on a database seeded by ``bench.run`` (its agents share ``BENCH_CODE``):

    python -m bench.served_steps --db postgres [--purchases 150] [--clients 1] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import tempfile
import time
from pathlib import Path

from bench.client import run_purchases
from bench.run import ROOT, CpuMeter, Servers, served_env
from bench.seed import BENCH_CODE, STOCK_OFFER_TITLE, bench_number

PORT = 8152
DATABASES = {
    "postgres": "postgresql+psycopg://postgres@127.0.0.1:5432/bench",
    "sqlite": f"sqlite:///{ROOT / 'instance' / 'bench' / 'bench.db'}",
}


def _stock_offer(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        offer = conn.execute(
            text("SELECT id FROM offers WHERE title LIKE :t ORDER BY id LIMIT 1"),
            {"t": STOCK_OFFER_TITLE + "%"},
        ).scalar()
    engine.dispose()
    if offer is None:
        raise SystemExit("base non préparée : lancez d'abord python -m bench.run")
    return int(offer)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=sorted(DATABASES), default="postgres")
    parser.add_argument("--purchases", type=int, default=150)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--agents", type=int, default=50_000, help="agents bench.run seeded")
    args = parser.parse_args()
    url = DATABASES[args.db]
    offer = _stock_offer(url)
    # Agents drawn at random between the first thousand (bench.run's buyers: the rush's
    # losers keep a sold-out seat in their carts) and the last hundred (bench.purchase_cpu's
    # and the statement counts'): repeated runs do not pile orders on the same households.
    drawn = random.sample(range(1_000, args.agents - 100), args.purchases + 20)
    numbers = [bench_number(k) for k in drawn]
    steps_dir = Path(tempfile.mkdtemp(prefix="served-steps-"))
    env = served_env(url, BENCH_STEPS_DIR=str(steps_dir))
    servers = Servers(env, PORT, args.workers, steps_dir, app="bench.timed_wsgi:app")
    base = f"http://127.0.0.1:{PORT}"
    try:
        servers.start()
        run_purchases(base, numbers[:20], BENCH_CODE, offer, 1, 60)  # warm-up
        workers = servers.worker_pids()
        for pid in workers:
            os.kill(pid, signal.SIGUSR2)
        time.sleep(0.5)
        warm = [json.loads(p.read_text()) for p in steps_dir.glob("steps-*.json")]
        meter = CpuMeter(servers)
        done = run_purchases(base, numbers[20:], BENCH_CODE, offer, args.clients, max_seconds=300)
        count = done["completed"]
        cpu = meter.per_purchase_ms(max(count, 1))
        for pid in workers:
            os.kill(pid, signal.SIGUSR2)
        time.sleep(0.5)
        after = [json.loads(p.read_text()) for p in steps_dir.glob("steps-*.json")]
    finally:
        servers.stop()
    if not count:
        raise SystemExit(f"aucun achat : {done['errors']}")
    sums: dict[str, float] = {}
    for snapshot, sign in ((after, 1), (warm, -1)):
        for worker in snapshot:
            for kind, (seconds, _n) in worker.items():
                sums[kind] = sums.get(kind, 0.0) + sign * seconds
    print(f"{count} purchases, {args.clients} client(s), {args.workers} worker(s), {args.db}")
    print(f"  {done['orders_per_s']} purchases/s, errors {done['errors'] or 'none'}")
    for kind, seconds in sums.items():
        if seconds > 0:
            print(f"  {kind:40} {seconds / count * 1000:6.2f} ms")
    print(f"  {'all requests':40} {sum(sums.values()) / count * 1000:6.2f} ms")
    print(f"  {'gunicorn, from /proc':40} {cpu['gunicorn']:6.2f} ms")


if __name__ == "__main__":
    main()
