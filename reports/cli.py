"""`flask --app wsgi report export KIND --from AAAA-MM-JJ --to AAAA-MM-JJ --format csv|xlsx
--output FILE` (R-REP-3): the exports of the back office, for scheduled runs.

Bad input (an unknown KIND, a date that is not AAAA-MM-JJ, a period backwards or too long,
an unknown format, no output file) is refused in French with exit code 2, as click
refuses a usage error; nothing is written then. The file is written to a temporary name
beside FILE and renamed at the end, so a scheduled job never leaves half an export.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from reports import ledger
from reports.journal import JournalError, accounts_from
from reports.periods import PeriodError, check_period, parse_day

USAGE_ERROR = 2
report_group = AppGroup("report", help="Rapports et exports comptables (R-REP-3).")


def _refuse(message: str) -> None:
    click.echo(f"Erreur : {message}", err=True)
    sys.exit(USAGE_ERROR)


@report_group.command("export")
@click.argument("kind", required=False, default="")
@click.option("--from", "first_text", default="", help="Premier jour, AAAA-MM-JJ (heure de Paris).")
@click.option("--to", "last_text", default="", help="Dernier jour inclus, AAAA-MM-JJ.")
@click.option("--format", "fmt", default="csv", help="csv (défaut) ou xlsx.")
@click.option("--output", "output", default="", help="Fichier à écrire.")
def report_export(kind: str, first_text: str, last_text: str, fmt: str, output: str) -> None:
    """Write one export of the Paris days FROM … TO: sales, participation, payments,
    refunds, settlement or journal, as CSV (UTF-8 with BOM, ;) or XLSX."""
    kind = kind.strip().lower()
    if kind not in ledger.KINDS:
        _refuse(f"type d'export inconnu « {kind} » : choisissez parmi {', '.join(ledger.KINDS)}.")
    try:
        first = parse_day(first_text, "--from")
        last = parse_day(last_text, "--to")
        check_period(first, last)
    except PeriodError as exc:
        _refuse(f"{exc.message} ({exc.field or '--to'})")
        return
    fmt = fmt.strip().lower()
    if fmt not in ledger.FORMATS:
        _refuse(f"format inconnu « {fmt} » : csv ou xlsx.")
    if not output.strip():
        _refuse("indiquez le fichier à écrire avec --output FICHIER.")
    target = Path(output)
    if not target.parent.is_dir():
        _refuse(f"le dossier de {output} n'existe pas.")
    config = current_app.config
    try:
        accounts = accounts_from(config.get("REPORT_ACCOUNTS"))
    except JournalError as exc:
        _refuse(str(exc))
        return
    made = ledger.download(
        kind, first, last, fmt, accounts, str(config.get("REPORT_JOURNAL_CODE") or "LOI")
    )
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".export-", suffix=f".{fmt}")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in made.chunks:
                out.write(chunk)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    click.echo(f"Export {kind} du {first.isoformat()} au {last.isoformat()} écrit dans {output}.")


COMMANDS: tuple[click.Command, ...] = (report_group,)
