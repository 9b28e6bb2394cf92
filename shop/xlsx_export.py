"""The store's XLSX exports: one sheet written row by row, in constant memory.

openpyxl's write-only workbook keeps each row in a temporary file as it is appended, so a
month of orders costs the same memory as a day. A text cell is always stored as text: a
value typed by an agent as ``=HYPERLINK(…)`` must never become a formula in a manager's
spreadsheet (the same defence as the CSV exports of ``shop/csv_export.py``). Amounts are
integer cents in the store; a column named in ``money`` is written as euros with two
decimals and a euro format, so sums in the spreadsheet are exact to the cent.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

EURO_FORMAT = '#,##0.00\\ "€"'
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CHUNK = 64 * 1024


def _cells(sheet, row: Iterable[object], money: frozenset[int]) -> list[WriteOnlyCell]:
    cells = []
    for index, value in enumerate(row):
        if index in money and isinstance(value, int) and not isinstance(value, bool):
            cell = WriteOnlyCell(sheet, value=Decimal(value) / 100)
            cell.number_format = EURO_FORMAT
        elif isinstance(value, date):  # a real date, which the spreadsheet sorts and filters
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
        else:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the first character
        cells.append(cell)
    return cells


def write_xlsx(
    path: str,
    header: list[str],
    rows: Iterable[Iterable[object]],
    *,
    title: str = "Export",
    money: Iterable[int] = (),
) -> None:
    """Write one sheet to ``path``: a bold header, then every row; columns whose index is
    in ``money`` hold cents written as euros."""
    money_columns = frozenset(money)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    bold = Font(bold=True)
    heads = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cell.data_type = "s"
        heads.append(cell)
    sheet.append(heads)
    for row in rows:
        sheet.append(_cells(sheet, row, money_columns))
    book.save(path)


def stream_xlsx(
    header: list[str],
    rows: Iterable[Iterable[object]],
    *,
    title: str = "Export",
    money: Iterable[int] = (),
) -> Iterator[bytes]:
    """The XLSX file's bytes in chunks, for a streamed response. The rows are written to a
    temporary file first (an XLSX is a zip whose directory comes last), then read back and
    the file removed."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(path, header, rows, title=title, money=money)
        with open(path, "rb") as produced:
            while chunk := produced.read(_CHUNK):
                yield chunk
    finally:
        os.unlink(path)
