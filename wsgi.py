"""Entry point: ``flask --app wsgi run`` (development) and ``gunicorn wsgi:app``."""

from shop import create_app

app = create_app()
