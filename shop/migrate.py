"""Alembic driven from the app's configuration, for ``flask --app wsgi db …``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask
from sqlalchemy import text

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(app: Flask) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    """Create or migrate the schema, inside one transaction where the backend allows it."""
    engine = app.extensions["db"].engine
    cfg = alembic_config(app)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # The shop's connections give up on a lock after DB_LOCK_TIMEOUT_MS; a schema
            # change waits for the requests holding the tables instead.
            conn.execute(text("SET LOCAL lock_timeout = 0"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
