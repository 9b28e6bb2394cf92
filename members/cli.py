"""The member dossiers' command (RULES.md §13): the embedded dossier import, registered by
the factory."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from members.importer import import_file

dossier_group = AppGroup("dossier", help="Dossiers C.G.O.S embarqués.")


@dossier_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def dossier_import(path: str) -> None:
    """Import or update agents from a JSON Lines file; nothing is written on error."""
    report = import_file(path, actor="cli")
    if not report.ok:
        for lineno, reason in report.errors:
            click.echo(f"ligne {lineno} : {reason}", err=True)
        click.echo(
            f"Import refusé : {len(report.errors)} erreur(s), rien n'a été importé.", err=True
        )
        sys.exit(1)
    click.echo(
        f"{report.imported} dossier(s) importé(s) : {report.created} créé(s), "
        f"{report.updated} mis à jour."
    )


COMMANDS: tuple[click.Command, ...] = (dossier_group,)
