"""`flask --app wsgi report export KIND --from --to --format --output` (R-REP-3; README,
docs/RULES.md R-REP-3d): each kind in CSV and XLSX with the totals of the export
functions, and bad input refused in French with exit code 2, nothing written."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from reports import journal, ledger
from tests.finance_world import MARCH, World, build


@pytest.fixture
def world(ctx, make_agent, make_offer, make_partner, clock) -> World:
    return build(make_agent, make_offer, clock, make_partner)


@pytest.fixture
def cli(app: Any, db: Any) -> Any:
    runner = app.test_cli_runner()

    def _invoke(*args: str) -> Any:
        return runner.invoke(args=["report", "export", *args])

    return _invoke


def _cents(cell: Any) -> int:
    return int(Decimal(str(cell).replace(",", ".")) * 100)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ledger.KINDS)
def test_r_rep_3d_each_kind_exports_from_the_command_line(world, cli, tmp_path, kind, fmt):
    out = tmp_path / f"{kind}.{fmt}"
    result = cli(
        kind, "--from", "2027-03-01", "--to", "2027-03-31", "--format", fmt, "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "écrit dans" in result.output
    spec = ledger.export_kinds(journal.accounts_from(None), "LOI")[kind]
    rows = list(spec.rows(*MARCH))
    assert rows, "the world has something of each kind in March"
    if fmt == "csv":
        raw = out.read_bytes()
        assert raw.startswith("\ufeff".encode())
        table = list(csv.reader(io.StringIO(raw.decode("utf-8")[1:]), delimiter=";"))
    else:
        book = load_workbook(out, read_only=True)
        table = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert table[0] == spec.header and len(table) == len(rows) + 1
    for index in spec.money:
        assert sum(_cents(r[index]) for r in table[1:]) == sum(r[index] for r in rows)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export-")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ventes", "--from", "2027-03-01", "--to", "2027-03-31"], "type d'export inconnu"),
        ([], "type d'export inconnu"),
        (["sales", "--from", "01/03/2027", "--to", "2027-03-31"], "Date invalide"),
        (["sales", "--from", "2027-02-30", "--to", "2027-03-31"], "Date inexistante"),
        (["sales", "--to", "2027-03-31"], "Date invalide"),
        (["sales", "--from", "2027-03-31", "--to", "2027-03-01"], "précède"),
        (["sales", "--from", "2026-01-01", "--to", "2027-03-01"], "trop longue"),
        (
            ["sales", "--from", "2027-03-01", "--to", "2027-03-31", "--format", "pdf"],
            "format inconnu",
        ),
        (["sales", "--from", "2027-03-01", "--to", "2027-03-31"], "--output"),
    ],
)
def test_r_rep_3d_bad_input_is_refused_in_french_with_exit_2(cli, tmp_path, args, message):
    out = tmp_path / "export.csv"
    if message != "--output":  # every other case names a file: it must stay unwritten
        args = [*args, "--output", str(out)]
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Erreur" in result.output
    assert not out.exists()


def test_r_rep_3d_an_output_in_a_missing_folder_is_refused(cli, tmp_path):
    target = tmp_path / "absent" / "x.csv"
    result = cli("sales", "--from", "2027-03-01", "--to", "2027-03-31", "--output", str(target))
    assert result.exit_code == 2 and "n'existe pas" in result.output
