"""``seed-demo``: the demonstration data, registered by the factory (RULES.md §13)."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from demo import catalog as demo_catalog
from demo import history as demo_history
from demo import seed as demo_seed
from shop import clock


@click.command("seed-demo")
@click.option(
    "--large",
    is_flag=True,
    help="Ajouter un catalogue de charge (10 000 offres, 50 000 séances).",
)
@click.option(
    "--history",
    is_flag=True,
    help="Ajouter quelques semaines de commandes passées, pour les rapports.",
)
@with_appcontext
def seed_demo(large: bool, history: bool) -> None:
    """Load the demonstration data and print how to log in."""
    for line in demo_seed.seed():
        click.echo(line)
    if history:
        for line in demo_history.seed_history(clock.today()):
            click.echo(line)
    if large:
        started = time.perf_counter()
        for line in demo_catalog.seed_large():
            click.echo(line)
        click.echo(f"Durée : {time.perf_counter() - started:.1f} s.")


COMMANDS: tuple[click.Command, ...] = (seed_demo,)
