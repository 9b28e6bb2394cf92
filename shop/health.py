"""``flask --app wsgi health``: is each part of the deployment up (RULES.md §13, R-SEC-3)?

One check per component, each bounded by ``HEALTH_TIMEOUT_SECONDS``; a component that is
not configured (no Redis: cron runs the jobs; no SMTP server; embedded dossiers) is not a
failure. The worker proves it is alive with a heartbeat: ``worker.heartbeat`` is a due
task like the others, so beat enqueues it every ``JOBS_INTERVAL_SECONDS``, a worker runs
it, and its timestamp in Redis says that beat, the queue and a worker all work.
"""

from __future__ import annotations

import smtplib
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import text

from shop.jobs import DEFAULT_INTERVAL_SECONDS, due_task, queue_enabled
from shop.speed import shared

HEARTBEAT_KEY = "worker:heartbeat"


def _interval() -> float:
    return float(current_app.config.get("JOBS_INTERVAL_SECONDS") or DEFAULT_INTERVAL_SECONDS)


@due_task("worker.heartbeat", "Signale que beat et les workers tournent (commande health)")
def heartbeat() -> int:
    """Write the time of this run; without Redis (cron) there is no worker to vouch for."""
    if not queue_enabled():
        return 0
    return int(shared.put_value(HEARTBEAT_KEY, repr(time.time()), 10 * _interval()))


class Status(NamedTuple):
    ok: bool | None  # None: not configured
    detail: str = ""


def _database() -> Status:
    with current_app.extensions["db"].engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return Status(True)


def _redis_client() -> Any:
    import redis

    timeout = current_app.config["HEALTH_TIMEOUT_SECONDS"]
    return redis.Redis.from_url(
        current_app.config["REDIS_URL"], socket_connect_timeout=timeout, socket_timeout=timeout
    )


def _redis() -> Status:
    if not current_app.config.get("REDIS_URL"):
        return Status(None)
    client = _redis_client()
    try:
        client.ping()
    finally:
        client.close()
    return Status(True)


def _worker() -> Status:
    if not queue_enabled():
        return Status(None, "cron lance jobs run-due")
    raw = shared.get_value(HEARTBEAT_KEY)
    if raw is None:
        return Status(False, "aucun signe de vie")
    age = time.time() - float(raw)
    if age > 3 * _interval():
        return Status(False, f"dernier signe de vie il y a {age:.0f} s")
    return Status(True, f"dernier signe de vie il y a {age:.0f} s")


def _smtp() -> Status:
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        return Status(None, "courriels gardés dans la boîte d'envoi")
    cls = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    with cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["HEALTH_TIMEOUT_SECONDS"]) as smtp:
        smtp.ehlo()
        code, _ = smtp.noop()
    if code != 250:
        return Status(False, f"NOOP → {code}")
    return Status(True)


def _dossier_service() -> Status:
    cfg = current_app.config
    base = cfg.get("DOSSIER_SERVICE_URL")
    if not base:
        return Status(None, "dossiers dans la base du site")
    # An unknown number: any answer but a 5xx says the service answers.
    url = f"{base.rstrip('/')}/dossiers/000000000"
    req = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=cfg["HEALTH_TIMEOUT_SECONDS"]):  # noqa: S310
            pass
    except urllib.error.HTTPError as exc:
        if exc.code >= 500:
            return Status(False, f"HTTP {exc.code}")
    return Status(True)


CHECKS: dict[str, Callable[[], Status]] = {
    "base de données": _database,
    "redis": _redis,
    "worker": _worker,
    "smtp": _smtp,
    "service des dossiers": _dossier_service,
}


def check_all() -> dict[str, Status]:
    """Every component's status, checked side by side; an exception is that component
    being down, and so is a check still waiting after the timeout (a hung database)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    results: dict[str, Status] = {}

    def run(name: str, check: Callable[[], Status]) -> None:
        with app.app_context():
            try:
                results[name] = check()
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                detail = " ".join(str(exc).split())[:200]  # one line per component
                results[name] = Status(False, detail or type(exc).__name__)

    # Daemon threads: a check that never returns must not keep the command alive.
    threads = [
        threading.Thread(target=run, args=item, daemon=True, name=f"health {item[0]}")
        for item in CHECKS.items()
    ]
    for thread in threads:
        thread.start()
    wait = float(app.config["HEALTH_TIMEOUT_SECONDS"]) + 1
    deadline = time.monotonic() + wait
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    silent = Status(False, f"pas de réponse en {wait:.0f} s")
    return {name: results.get(name, silent) for name in CHECKS}
