"""Values this process computed a moment ago, reused while they are young enough.

For values that are valid for a while whoever asks (a signed CSRF token, an offer page's
version): bounded in count, least recently used out, safe across threads.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

_MISSING = object()


class Recent:
    """``key → (when, value)``; ``clock`` is replaceable (tests move it)."""

    def __init__(self, max_items: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_items = max_items
        self.clock = clock
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, max_age: float, default: Any = _MISSING) -> Any:
        """The value stored under ``key`` less than ``max_age`` seconds ago, else
        ``default`` (``Recent.MISSING`` when not given)."""
        with self._lock:
            item = self._items.get(key)
        if item is None or self.clock() - item[0] >= max_age:
            return self.MISSING if default is _MISSING else default
        return item[1]

    def put(self, key: Hashable, value: Any, at: float | None = None) -> None:
        """Store ``value``, as of ``at`` (the clock's time before it was computed)."""
        with self._lock:
            self._items[key] = (self.clock() if at is None else at, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    MISSING = _MISSING
