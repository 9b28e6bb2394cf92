"""What a new web worker does before its first request (gunicorn's ``post_worker_init``):
compile every template, and make the Celery client (its imports alone take a tenth of a
second), so that a worker started after a deploy, or recycled after a crash, answers its
first pages and orders as fast as the others.

Jinja keeps each compiled template for the life of the process (its cache holds 400, the
store has about a hundred; outside debug it does not look at the files again): a deploy
restarts the workers, which compile the new templates here.
"""

from __future__ import annotations

from flask import Flask

from shop.jobs import get_celery, queue_enabled


def warm_up(app: Flask) -> int:
    """Compile every page and mail template and make the Celery client; the number of
    templates compiled."""
    names = app.jinja_env.list_templates(extensions=("html", "txt"))
    for name in names:
        app.jinja_env.get_template(name)
    if queue_enabled(app):
        get_celery(app)
    return len(names)
