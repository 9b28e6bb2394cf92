"""A report table as a downloaded file (R-REP-3): the dashboard's tables and the finance
pages' share one writer, so every download of a table says what its page says."""

from __future__ import annotations

from typing import Any

from flask import Response

from reports import tables
from shop.csv_export import stream_csv
from shop.xlsx_export import CONTENT_TYPE, stream_xlsx


def table_download(table: tables.Table[Any], source: Any, name: str, fmt: str) -> Response:
    """A report table as a file, total row included: CSV (UTF-8 with BOM, ``;``, formulas
    defused) or XLSX (amounts in euros). The dashboard's and the finance pages' alike."""
    # Every row is already computed (a few hundred at most): the stream needs no request.
    rows = table.all_rows(source)
    name = name.encode("ascii", "ignore").decode()
    if fmt == "csv":
        body = (
            [tables.csv_cell(v, c) for v, c in zip(row, table.columns, strict=True)] for row in rows
        )
        response = Response(stream_csv(tables.header(table), body), mimetype="text/csv")
    else:
        body = (
            [tables.xlsx_cell(v, c) for v, c in zip(row, table.columns, strict=True)]
            for row in rows
        )
        response = Response(
            stream_xlsx(tables.header(table), body, title=table.title, money=table.money_indexes),
            mimetype=CONTENT_TYPE,
        )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
