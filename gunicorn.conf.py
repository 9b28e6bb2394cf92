"""Production settings of ``gunicorn wsgi:app`` (read from the working directory).

Every value can be overridden by the environment or the command line. Processes keep no
state between requests (sessions, carts, locks in the database; rate limits in Redis), so
any number of them, on one machine or several, can serve behind one database.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# CPU-bound pages with short database waits: sync workers, two per core plus one.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
timeout = 30
graceful_timeout = 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def post_worker_init(worker) -> None:
    """Templates compiled and the Celery client made before the first request
    (``shop.speed.warmup``). Imported here, in the worker: the master never loads the app."""
    from shop.speed.warmup import warm_up

    warm_up(worker.wsgi)
