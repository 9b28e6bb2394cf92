"""The store's CSV exports: a French spreadsheet's dialect, streamed, with formulas defused.

A cell that starts with ``= + - @`` (or ``| %``) is prefixed with a single quote by the
pinned ``defusedcsv`` writer, so an address an agent typed as ``=HYPERLINK(…)`` reaches a
partner's spreadsheet as text, not as a formula (OWASP "CSV injection"). OWASP also names
a leading tab or carriage return, which defusedcsv leaves alone: those get the same quote.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

from defusedcsv import csv as defusedcsv

BOM = "\ufeff"  # Excel reads the file as UTF-8 only with it
_ALSO_DEFUSED = ("\t", "\r")


def _defuse(cell: object) -> object:
    if isinstance(cell, str) and cell.startswith(_ALSO_DEFUSED):
        return "'" + cell
    return cell


def stream_csv(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The CSV text, one chunk per row (BOM and header first): ``;`` between cells, CRLF
    line ends, every cell defused."""
    buffer = io.StringIO()
    writer = defusedcsv.writer(buffer, delimiter=";")
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_defuse(cell) for cell in row])
        yield buffer.getvalue()
