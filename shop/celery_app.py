"""Entry point of the job queue: ``celery -A shop.celery_app worker`` and
``celery -A shop.celery_app beat`` (Flask's examples/celery ``make_celery.py``).

The worker runs the due tasks of ``shop.jobs`` and the mails handed over after commit;
beat enqueues every due task once per ``JOBS_INTERVAL_SECONDS`` (default 60). Both need
``REDIS_URL`` and the same environment as the web processes.
"""

from __future__ import annotations

from typing import Any

from celery.signals import worker_process_init

from shop import create_app
from shop.jobs import celery_init_app, queue_enabled

flask_app = create_app()
if not queue_enabled(flask_app):
    raise SystemExit(
        "REDIS_URL n'est pas défini : sans file de tâches, les tâches tournent dans le "
        "processus web et cron lance `flask --app wsgi jobs run-due`."
    )
celery_app = celery_init_app(flask_app)


@worker_process_init.connect(weak=False)
def _own_connections(**_kwargs: Any) -> None:
    """A forked worker process must not share the parent's pooled database connections."""
    flask_app.extensions["db"].engine.dispose(close=False)
