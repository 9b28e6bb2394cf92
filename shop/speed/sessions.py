"""The session cache: an agent's session and dossier rows kept in Redis for
``SESSION_CACHE_SECONDS`` (10 s), so that pages seen in quick succession skip the database.

Stored under ``cgos:cache:session:<token digest>`` (never the token itself), for at most
the seconds the session has left. Rows read from the database are only ever added
(``SET NX``): a logout writes a tombstone that a request still holding the old rows
cannot overwrite, so it ends the session in every process at once. A slid expiry drops
the entry; a dossier changed by an import shows within those seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from flask import current_app

from shop import clock
from shop.speed import shared

GONE = b"-"  # the tombstone: the session ended, whatever the database said a moment ago


def cache_key(digest: str) -> str:
    """The session's key in the shared cache (``PREFIX`` aside)."""
    return f"session:{digest}"


class CachedRow(dict):
    """A cached row read like a database row (``row.name``)."""

    __getattr__ = dict.__getitem__


class SessionCache:
    """Rows of one query, with the names of its date and datetime columns (JSON has none)."""

    def __init__(self, dates: Iterable[str], times: Iterable[str]) -> None:
        self.dates = frozenset(dates)
        self.times = frozenset(times)

    @staticmethod
    def seconds() -> float:
        return current_app.config.get("SESSION_CACHE_SECONDS", 0)

    def rows(self, digest: str) -> list[Any] | None:
        """The cached rows; ``[]`` after a logout (the tombstone), None when not cached."""
        raw = shared.get_value(cache_key(digest))
        if raw == GONE:
            return []
        return None if raw is None else self._load(raw)

    def keep(self, digest: str, rows: Sequence[Any], until: datetime) -> None:
        """Add the rows read from the database, unless an entry (a tombstone) is there;
        never kept past ``until``, the session's expiry."""
        left = (until - clock.utcnow()).total_seconds()
        shared.put_value(
            cache_key(digest), self._dump(rows), min(self.seconds(), left), only_new=True
        )

    def forget(self, digest: str) -> None:
        """After a logout has committed: no process may take the session from the cache."""
        seconds = self.seconds()
        if seconds > 0 and not shared.put_value(cache_key(digest), GONE, seconds):
            shared.drop_value(cache_key(digest))

    @staticmethod
    def drop(digest: str) -> None:
        """The session changed (a slid expiry): the next page reads it again."""
        shared.drop_value(cache_key(digest))

    @staticmethod
    def _dump(rows: Sequence[Any]) -> str:
        def plain(value: Any) -> Any:
            return value.isoformat() if isinstance(value, date | datetime) else value

        return json.dumps([{k: plain(v) for k, v in row._mapping.items()} for row in rows])

    def _load(self, raw: bytes) -> list[Any]:
        rows = []
        for item in json.loads(raw):
            for name in self.dates & item.keys():
                if item[name] is not None:
                    item[name] = date.fromisoformat(item[name])
            for name in self.times & item.keys():
                item[name] = datetime.fromisoformat(item[name])
            rows.append(CachedRow(item))
        return rows
