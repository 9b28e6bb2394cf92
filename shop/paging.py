"""Pagination of the store's lists, in one place: the page read from the address within
bounds, a page past the last one shows the last one (issue 17, defect 11) instead of an
empty list, and every list is rendered with one macro (``templates/macros/paging.html``).

Two ways to read a page, both answering a ``Paged``:
- ``fetch_page`` does not count the rows (back-office lists: « page suivante » only);
- ``fetch_counted_page`` takes the caller's count (agent lists: « page 2 sur 5 »).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select

from shop.db import session

MAX_PAGE = 10_000  # keeps the OFFSET small whatever the address says


def requested_page(name: str = "page") -> int:
    """The page asked for in the query string: 1 when absent, negative or not a number;
    a huge number is the largest page (then clamped to the last)."""
    raw = (request.args.get(name) or "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return 1  # absent, negative or not a number
    return MAX_PAGE if len(raw) > 6 else min(MAX_PAGE, max(1, int(raw)))


def last_page(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def clamp(page: int, total: int, per_page: int) -> int:
    """``page`` when it exists, else the last page of ``total`` rows."""
    return min(max(1, page), last_page(total, per_page))


def window(stmt: Select, page: int, per_page: int) -> Select:
    """The rows of page ``page`` of an ordered ``stmt``."""
    return stmt.offset((page - 1) * per_page).limit(per_page)


@dataclass(frozen=True)
class Paged:
    """One page of a list; ``total`` and ``pages`` are known only when it was counted."""

    rows: list[Any]
    page: int
    has_next: bool
    total: int | None = None
    pages: int | None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def _read(stmt: Select, scalars: bool) -> list[Any]:
    return list(session().scalars(stmt) if scalars else session().execute(stmt).all())


def fetch_page(stmt: Select, page: int, per_page: int, *, scalars: bool = False) -> Paged:
    """One page of an ordered ``stmt`` and whether another follows, without counting the
    rows; only a page found empty past the first costs a count, then reads the last page."""
    rows = _read(stmt.offset((page - 1) * per_page).limit(per_page + 1), scalars)
    if not rows and page > 1:
        counted = stmt.order_by(None).limit(None).offset(None).subquery()
        total = session().scalar(select(func.count()).select_from(counted)) or 0
        page = last_page(total, per_page)
        rows = _read(stmt.offset((page - 1) * per_page).limit(per_page + 1), scalars)
    return Paged(rows[:per_page], page, len(rows) > per_page)


def fetch_counted_page(
    stmt: Select, total: int, page: int, per_page: int, *, scalars: bool = False
) -> Paged:
    """Page ``page`` (the last one when past it) of an ordered ``stmt`` of ``total`` rows."""
    page = clamp(page, total, per_page)
    pages = last_page(total, per_page)
    rows = _read(window(stmt, page, per_page), scalars)
    return Paged(rows, page, page < pages, total, pages)
