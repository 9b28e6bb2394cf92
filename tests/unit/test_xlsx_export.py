"""XLSX exports (R-REP-3, docs/RULES.md): text stays text, cents become exact euros."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from shop.xlsx_export import DATE_FORMAT, EURO_FORMAT, stream_xlsx


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_a_typed_formula_is_kept_as_text_and_cents_are_euros_to_the_cent():
    rows = [['=HYPERLINK("http://x")', 12345, date(2026, 12, 6)], ["@SUM(A1)", -1, None]]
    data = b"".join(stream_xlsx(["Nom", "Montant", "Jour"], rows, title="Ventes", money=[1]))
    sheet = _sheet(data)
    assert sheet.title == "Ventes"
    assert [c.value for c in sheet[1]] == ["Nom", "Montant", "Jour"]
    name, amount, day = sheet[2]
    assert name.data_type == "s" and name.value == '=HYPERLINK("http://x")'
    assert Decimal(str(amount.value)) == Decimal("123.45")
    assert amount.number_format == EURO_FORMAT
    assert day.value.date() == date(2026, 12, 6)
    assert day.number_format == DATE_FORMAT  # shown 06/12/2026, sorted as a date
    assert sheet[3][0].data_type == "s" and Decimal(str(sheet[3][1].value)) == Decimal("-0.01")


def test_an_empty_export_still_has_its_header():
    sheet = _sheet(b"".join(stream_xlsx(["A", "B"], [])))
    assert sheet.max_row == 1 and [c.value for c in sheet[1]] == ["A", "B"]
