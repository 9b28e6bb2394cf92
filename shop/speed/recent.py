"""Values this process computed a moment ago, reused while they are young enough.

For values that are valid for a while whoever asks (a signed CSRF token, a page's
version): bounded in count, least recently used out, safe across threads. The map is
cachetools' time-aware LRU; each value expires ``seconds`` after the instant it was read
from its source (taken before computing it), so it is never older than that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import TLRUCache

MISSING: Any = object()


class RecentValues:
    """``key → value`` for ``seconds``; ``clock`` and ``seconds`` are plain attributes, so a
    test can move the clock or change the lifetime."""

    def __init__(
        self, max_items: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self._items: TLRUCache[Hashable, tuple[float, Any]] = TLRUCache(
            maxsize=max_items,
            ttu=lambda _key, item, _now: item[0] + self.seconds,
            timer=lambda: self.clock(),
        )
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """The value stored under ``key`` less than ``seconds`` ago, else ``MISSING``."""
        with self._lock:
            try:
                return self._items[key][1]  # not .get(): it would look the key up twice
            except KeyError:
                return MISSING

    def put(self, key: Hashable, value: Any, at: float) -> None:
        """Store ``value`` as of ``at`` (the clock's time before it was computed)."""
        with self._lock:
            self._items[key] = (at, value)

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The recent value under ``key``, else ``compute()`` (stored for the next ones)."""
        value = self.get(key)
        if value is MISSING:
            at = self.clock()
            value = compute()
            self.put(key, value, at)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
