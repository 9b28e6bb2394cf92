"""Registry of due tasks, run once each by ``flask --app wsgi jobs run-due`` (cron), or
on a schedule by Celery workers when ``REDIS_URL`` is set (the bridge below).

Each task is idempotent: it takes its locks and re-checks state, so running it twice, or
from two processes, does nothing more than once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from celery import Celery


@dataclass(frozen=True)
class DueTask:
    name: str
    func: Callable[[], int]
    description: str


_REGISTRY: dict[str, DueTask] = {}
# Tasks sent by name to the workers on demand (``enqueue``), not on a schedule: the mail
# outbox registers its own (shop/mail.py), so this module imports none of its users.
_WORKER_TASKS: dict[str, Callable[..., Any]] = {}


def due_task(name: str, description: str) -> Callable[[Callable[[], int]], Callable[[], int]]:
    """Register a function returning how many things it handled."""

    def decorator(func: Callable[[], int]) -> Callable[[], int]:
        _REGISTRY[name] = DueTask(name, func, description)
        return func

    return decorator


def worker_task(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function the Celery workers run, in an app context, when ``enqueue``
    sends ``name``."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        _WORKER_TASKS[name] = func
        return func

    return decorator


def registered() -> list[DueTask]:
    return sorted(_REGISTRY.values(), key=lambda t: t.name)


def run_due() -> dict[str, int]:
    """Run every registered task once; a failing task is logged and does not stop the rest."""
    results: dict[str, int] = {}
    for task in registered():
        try:
            results[task.name] = task.func()
        except Exception:
            current_app.logger.exception("Tâche %s en échec", task.name)
            results[task.name] = -1
    return results


def run_task(name: str) -> int:
    """Run one registered task now (what a Celery worker does for each scheduled run)."""
    task = _REGISTRY.get(name)
    if task is None:
        raise KeyError(f"unknown due task {name!r}")
    return task.func()


# -- Celery bridge ------------------------------------------------------------------------
#
# With REDIS_URL set, `celery -A shop.celery_app beat` enqueues every due task once per
# JOBS_INTERVAL_SECONDS and `celery -A shop.celery_app worker` runs them, in an app context
# (Flask's examples/celery pattern); mails are handed to the workers after commit. Without
# it nothing here is used: cron calls `flask --app wsgi jobs run-due` and mails are sent
# in-process. Tasks are addressed by name, so a web process only needs the broker URL.

RUN_TASK = "shop.jobs.run_task"
DEFAULT_INTERVAL_SECONDS = 60.0
_celery_lock = threading.Lock()


def queue_enabled(app: Flask | None = None) -> bool:
    """True when background work goes to the Celery workers (REDIS_URL set)."""
    return bool((app or current_app).config.get("REDIS_URL"))


def _interval(app: Flask) -> float:
    raw = app.config.get("JOBS_INTERVAL_SECONDS")
    return float(raw) if raw else DEFAULT_INTERVAL_SECONDS


def celery_config(app: Flask) -> dict[str, Any]:
    """Broker, reliability and the beat schedule; ``app.config["CELERY"]`` may override."""
    interval = _interval(app)
    config: dict[str, Any] = {
        "broker_url": app.config["REDIS_URL"],
        "broker_connection_retry_on_startup": True,
        # Reconnects after a broker blip with a message not yet acknowledged (celery 5.7.0
        # exits instead).
        "worker_consumer": "shop.worker_consumer:ResilientConsumer",
        # Only acks-late tasks are concerned (none here); say so rather than be warned.
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        # The worker's broker sockets; a web process uses shorter ones (get_celery).
        "broker_transport_options": {"socket_connect_timeout": 3, "socket_timeout": 5},
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
        "task_ignore_result": True,  # effects are in the database, not in results
        # A task is acknowledged when a worker process starts it. Acknowledged late, a task
        # running across a broker blip is acknowledged on the dead connection and the worker
        # exits (celery/kombu 5.7.0). Losing a run loses nothing: every task is idempotent
        # and works from the database, beat runs each due task again within a minute, and a
        # mail not sent stays pending for ``mail.retry_pending``.
        "task_acks_late": False,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": 240,
        "task_time_limit": 300,
        "timezone": app.config.get("TIMEZONE", "Europe/Paris"),
        "beat_schedule_filename": str(Path(app.config["INSTANCE_DIR"]) / "celerybeat-schedule"),
        "beat_schedule": {
            f"due:{task.name}": {
                "task": RUN_TASK,
                "schedule": interval,
                "args": (task.name,),
                # A run still queued when the next one is due is dropped, not piled up.
                "options": {"expires": interval},
            }
            for task in registered()
        },
    }
    config.update(app.config.get("CELERY") or {})
    return config


def celery_init_app(app: Flask) -> Celery:
    """Bind a Celery app to ``app``: every task runs inside an app context."""
    from celery import Celery, Task

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.import_name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_config(app))

    @celery_app.task(name=RUN_TASK)
    def _run_task(name: str) -> int:
        return run_task(name)

    for name, func in _WORKER_TASKS.items():
        celery_app.task(name=name)(func)

    app.extensions["celery"] = celery_app
    return celery_app


def get_celery(app: Flask | None = None) -> Celery:
    """The Celery app bound to ``app``, made on first use (web processes only send): a
    request gives up on a hung broker after about a second, not after the worker's 5 s
    socket timeout and its retries."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    with _celery_lock:
        celery_app = app.extensions.get("celery")
        if celery_app is None:
            celery_app = celery_init_app(app)
            celery_app.conf.broker_transport_options = {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 0.5,
            }
            celery_app.conf.task_publish_retry_policy = {"max_retries": 1, "interval_start": 0}
    return celery_app


# After the broker failed, a process leaves it alone this long: the callers fall back at
# once (mails sent in-process, due work left to the next scheduled run).
BROKER_PAUSE_SECONDS = 5.0


def enqueue(task_name: str, *args: Any, countdown: float | None = None) -> bool:
    """Hand a task to the workers (to run ``countdown`` seconds from now); False (logged)
    when the broker cannot be reached, so the caller can do the work itself or leave it
    to the next scheduled run."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    broker = app.config.get("REDIS_URL")
    paused, until = app.extensions.get("broker_paused", (None, 0.0))
    if paused == broker and until > time.monotonic():
        return False
    try:
        get_celery(app).send_task(task_name, args=args, countdown=countdown or None)
    except Exception:  # noqa: BLE001 - a broker outage must not fail a committed change
        app.extensions["broker_paused"] = (broker, time.monotonic() + BROKER_PAUSE_SECONDS)
        app.logger.warning("File de tâches injoignable : %s%r non mis en file", task_name, args)
        return False
    return True
