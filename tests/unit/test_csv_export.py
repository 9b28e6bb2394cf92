"""Defect 13: every CSV export of the store defuses spreadsheet formulas (OWASP CSV
injection: cells starting with = + - @ tab or CR are prefixed with a single quote)."""

from __future__ import annotations

import csv
import io

import pytest

from shop.csv_export import BOM, stream_csv


def _cells(*values: object) -> list[str]:
    text = "".join(stream_csv(["a"] * len(values), [values]))
    assert text.startswith(BOM)
    header, row = csv.reader(io.StringIO(text.removeprefix(BOM)), delimiter=";")
    return row


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("http://x.example";"y")', "+33 1 23", "-2+3", "@SUM(A1)", "\t=1+2", "\r=1+2"],
)
def test_defect_13_a_cell_starting_like_a_formula_is_quoted(typed: str) -> None:
    assert _cells(typed) == ["'" + typed]


def test_defect_13_plain_text_and_numbers_are_unchanged() -> None:
    assert _cells("12 rue de la Paix", "69003", "-12.5", 3, "Lyon = ville") == [
        "12 rue de la Paix",
        "69003",
        "-12.5",
        "3",
        "Lyon = ville",
    ]


def test_csv_is_streamed_one_chunk_per_row_with_semicolons_and_crlf() -> None:
    chunks = list(stream_csv(["x", "y"], [["1", "2"], ["3", "4"]]))
    assert chunks == [BOM + "x;y\r\n", "1;2\r\n", "3;4\r\n"]
