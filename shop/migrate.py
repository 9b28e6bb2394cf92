"""Alembic driven from the app's configuration, for ``flask --app wsgi db …``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import text

if TYPE_CHECKING:
    from alembic.config import Config

# The top-level ``migrations`` folder of the checkout, shipped beside the packages in the
# wheel (pyproject.toml), so both layouts find it next to ``shop/``.
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _command() -> ModuleType:
    """Alembic's commands, loaded when a db command runs rather than when the store starts:
    every web and worker process imports this module (the db commands are registered by the
    factory), and Alembic would add a third of a second and its plugin log lines to each."""
    from alembic import command

    return command


def alembic_config(app: Flask) -> Config:
    from alembic.config import Config

    # Alembic's own output (current, history) goes to the stdout of this call: the CLI
    # runner of the tests replaces it.
    cfg = Config(stdout=sys.stdout)
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    return cfg


@contextmanager
def _connected(app: Flask) -> Iterator[Config]:
    """An Alembic config holding one of the app's connections, inside one transaction
    where the backend allows it."""
    engine = app.extensions["db"].engine
    cfg = alembic_config(app)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # The shop's connections give up on a lock after DB_LOCK_TIMEOUT_MS; a schema
            # change waits for the requests holding the tables instead.
            conn.execute(text("SET LOCAL lock_timeout = 0"))
        cfg.attributes["connection"] = conn
        yield cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    """Create or migrate the schema."""
    with _connected(app) as cfg:
        _command().upgrade(cfg, revision)


def downgrade(app: Flask, revision: str) -> None:
    """Take the schema back to ``revision`` (``-1``: one step; ``base``: empty)."""
    with _connected(app) as cfg:
        _command().downgrade(cfg, revision)


def current(app: Flask, verbose: bool = False) -> None:
    """Print the database's revision."""
    with _connected(app) as cfg:
        _command().current(cfg, verbose=verbose)


def history(app: Flask, verbose: bool = False) -> None:
    """Print the migrations, newest first, marking the database's revision."""
    with _connected(app) as cfg:
        _command().history(cfg, verbose=verbose, indicate_current=True)


def revision(app: Flask, message: str) -> None:
    """Autogenerate a migration from the models (developers)."""
    _command().revision(alembic_config(app), message=message, autogenerate=True)
