"""This process's copy of the rendered pages it read from the shared cache.

A page read from Redis is kept here until the instant its Redis entry expires, so every
process serves what the shared cache holds and nothing longer; the copies are bounded in
bytes, least recently used first out (cachetools' time-aware LRU).
"""

from __future__ import annotations

import threading
import time

from cachetools import TLRUCache
from flask import Flask

MAX_BYTES = 32 * 1024 * 1024


class PageMirror:
    """``key → page`` until the given instant; a page larger than an eighth of the bound is
    not copied (it would push out too many others)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        # The value is (monotonic expiry, page): the expiry is the Redis entry's own.
        self._items: TLRUCache[str, tuple[float, bytes]] = TLRUCache(
            maxsize=max_bytes,
            ttu=lambda _key, item, _now: item[0],
            getsizeof=lambda item: len(item[1]),
        )
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            try:
                return self._items[key][1]  # not .get(): it would look the key up twice
            except KeyError:
                return None

    def put(self, key: str, value: bytes, seconds: float) -> None:
        """Keep ``value`` for ``seconds`` (what Redis still holds it for)."""
        if seconds <= 0 or len(value) > self.max_bytes // 8:
            return
        with self._lock:
            self._items[key] = (time.monotonic() + seconds, value)

    @property
    def size(self) -> int:
        """Bytes held (expired copies included until they are swept)."""
        return int(self._items.currsize)


def page_mirror(app: Flask) -> PageMirror:
    """The app's mirror (one per app: tests build several)."""
    mirror = app.extensions.get("cache_mirror")
    if mirror is None:
        mirror = app.extensions["cache_mirror"] = PageMirror()
    return mirror
