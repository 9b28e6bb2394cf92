"""The catalog's commands (RULES.md §13), registered by the factory."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from catalog.importer import import_file
from catalog.picture_sizes import make_missing_sizes

catalog_group = AppGroup("catalog", help="Catalogue des offres.")


@catalog_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def catalog_import(path: str) -> None:
    """Import offers and sessions from a JSON file; nothing is written on error."""
    report = import_file(path, actor="cli")
    if not report.ok:
        for where, reason in report.errors:
            click.echo(f"{where} : {reason}", err=True)
        click.echo(
            f"Import refusé : {len(report.errors)} erreur(s), rien n'a été importé.", err=True
        )
        sys.exit(1)
    click.echo(
        f"{report.offers} offre(s) et {report.sessions} séance(s) importée(s), "
        f"{report.partners_created} partenaire(s) créé(s)."
    )


@catalog_group.command("pictures")
def catalog_pictures() -> None:
    """Make the sizes agents' pages show for every picture stored without them (issue 21):
    run once after upgrading to the migration 0024; running it again does nothing."""
    made, unreadable = make_missing_sizes()
    click.echo(f"Tailles d'images créées pour {made} image(s).")
    if unreadable:
        click.echo(f"{unreadable} image(s) illisible(s), servies telles quelles.", err=True)


COMMANDS: tuple[click.Command, ...] = (catalog_group,)
