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
    """Compile every template, and make the Celery client (its imports alone take a tenth
    of a second), before the first request: a new worker (after a deploy, or one recycled
    after a crash) answers its first pages and orders as fast as the others."""
    from shop.jobs import get_celery, queue_enabled

    app = worker.wsgi
    for name in app.jinja_env.list_templates(extensions=("html", "txt")):
        app.jinja_env.get_template(name)
    if queue_enabled(app):
        get_celery(app)
