"""The store's generic commands (RULES.md §13): the schema, the due jobs, the health check.

Each domain keeps its own commands in its ``cli`` module (``auth/cli.py``,
``catalog/cli.py``, ``partners/cli.py``, ``demo/cli.py``); the factory registers them all,
with the names written in RULES.md §13.
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from shop import (
    db_statistics,  # noqa: F401 - registers the due task « db.statistics »
    health,
    migrate,
)
from shop.jobs import run_due

db_group = AppGroup("db", help="Schéma de la base (Alembic).")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema."""
    migrate.upgrade(current_app, revision)
    click.echo(f"Base à jour ({revision}).")


# ``-1`` is a revision here, not an option.
@db_group.command("downgrade", context_settings={"ignore_unknown_options": True})
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Take the schema back to REVISION (-1: one migration back; base: empty)."""
    migrate.downgrade(current_app, revision)
    click.echo(f"Base ramenée à {revision}.")


@db_group.command("current")
@click.option("-v", "--verbose", is_flag=True, help="Détail de la révision.")
def db_current(verbose: bool) -> None:
    """Print the database's revision."""
    migrate.current(current_app, verbose)


@db_group.command("history")
@click.option("-v", "--verbose", is_flag=True, help="Détail de chaque révision.")
def db_history(verbose: bool) -> None:
    """List the migrations, newest first; the database's revision is marked (current)."""
    migrate.history(current_app, verbose)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (developers)."""
    migrate.revision(current_app, message)


jobs_group = AppGroup("jobs", help="Tâches de fond.")


@jobs_group.command("run-due")
def jobs_run_due() -> None:
    """Run every due background task once (for cron)."""
    results = run_due()
    for name, count in results.items():
        click.echo(f"{name} : {'ÉCHEC' if count < 0 else count}")
    if any(c < 0 for c in results.values()):
        sys.exit(1)


@click.command("health")
@with_appcontext
def health_check() -> None:
    """Check the database, Redis, the worker, SMTP and the dossier service; exit 1 if
    one is down (for a systemd timer or cron)."""
    results = health.check_all()
    for name, status in results.items():
        state = {True: "ok", False: "ÉCHEC", None: "non configuré"}[status.ok]
        click.echo(f"{name} : {state}" + (f" ({status.detail})" if status.detail else ""))
    if any(status.ok is False for status in results.values()):
        sys.exit(1)


COMMANDS: tuple[click.Command, ...] = (db_group, jobs_group, health_check)
