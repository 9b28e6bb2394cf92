"""What has been sold of an offer or a session, for the partner's pages (R-PAR-5).

Orders sit above the catalog (the catalog imports no order), so the counter of the orders
domain (``orders.sales_counts``) is registered here when the partner API's blueprint is
registered; the catalog's pages ask through ``sales_by``. Without a counter (no
``create_app``) every count is zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

Key = Literal["offer", "session"]


@dataclass(frozen=True)
class Sales:
    """Tickets or items in paid orders (``sold``) and in orders awaiting their payment
    (``pending``: card payment under way, cheque option), refunded lines left out."""

    sold: int = 0
    pending: int = 0


NONE = Sales()
Counter = Callable[[Key, list[int]], dict[int, Sales]]
_counter: list[Counter] = []


def register_counter(counter: Counter) -> None:
    """Called once by the orders domain; the last registration wins."""
    _counter[:] = [counter]


def sales_by(key: Key, ids: Iterable[int]) -> dict[int, Sales]:
    """Sales per offer or per session id, in one statement whatever the number of ids."""
    wanted = sorted(set(ids))
    if not wanted or not _counter:
        return dict.fromkeys(wanted, NONE)
    found = _counter[0](key, wanted)
    return {i: found.get(i, NONE) for i in wanted}
