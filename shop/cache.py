"""A short-lived cache shared by every web process (Redis), for reads many agents repeat.

Only with ``REDIS_URL`` set and ``CATALOG_CACHE_SECONDS`` > 0: without Redis nothing is
cached. Values are JSON, or bytes for rendered pages. A process keeps a copy of a page it
read from Redis only until the Redis entry itself expires (``_Mirror``), so every process
serves what the shared cache holds and nothing longer. A Redis outage never fails a page:
the value is then computed as if there were no cache.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app

T = TypeVar("T")
log = logging.getLogger(__name__)
_PREFIX = "cgos:cache:"


def _client(app: Flask) -> Any | None:
    if app.config.get("CATALOG_CACHE_SECONDS", 0) <= 0:
        return None
    return _redis(app)


class _Mirror:
    """This process's copy of rendered pages read from Redis, each dropped at the instant
    its Redis entry expires; bounded in bytes, least recently used first out."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._size = 0
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] <= time.monotonic():
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: str, value: bytes, seconds: float) -> None:
        if seconds <= 0 or len(value) > self.max_bytes // 8:
            return
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (time.monotonic() + seconds, value)
            self._size += len(value)
            while self._size > self.max_bytes:
                self._drop(next(iter(self._items)))

    def _drop(self, key: str) -> None:
        self._size -= len(self._items.pop(key)[1])


def _mirror(app: Flask) -> _Mirror:
    mirror = app.extensions.get("cache_mirror")
    if mirror is None:
        mirror = app.extensions["cache_mirror"] = _Mirror()
    return mirror


def enabled() -> bool:
    """Whether pages may be shared between processes (Redis configured, cache on)."""
    return _client(current_app._get_current_object()) is not None  # type: ignore[attr-defined]  # LocalProxy typed as Flask


def _shared(
    key: str,
    produce: Callable[[], T],
    dump: Callable[[T], Any],
    load: Callable[[Any], T],
    keep: Callable[[str, Any, float], None] | None = None,
) -> T:
    """The get-or-produce-and-set around Redis; ``keep(full_key, raw, seconds_left)`` sees
    every raw value read or stored, with how long Redis will still hold it."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    client = _client(app)
    if client is None:
        return produce()
    full = _PREFIX + key
    try:
        raw = client.get(full)
        if raw is not None and keep is not None:
            keep(full, raw, client.pttl(full) / 1000)
    except Exception as exc:  # noqa: BLE001 - a cache outage must not fail the page
        _pause(app, exc)
        log.warning("cache indisponible : %s recalculé", key)
        return produce()
    if raw is not None:
        return load(raw)
    value = produce()
    seconds = int(app.config["CATALOG_CACHE_SECONDS"])
    try:
        raw = dump(value)
        client.set(full, raw, ex=seconds)
    except Exception as exc:  # noqa: BLE001
        _pause(app, exc)
        log.warning("cache indisponible : %s non enregistré", key)
        return value
    if keep is not None:
        keep(full, raw, seconds)
    return value


def cached(
    key: str,
    produce: Callable[[], T],
    dump: Callable[[T], Any] = lambda v: v,
    load: Callable[[Any], T] = lambda v: v,
) -> T:
    """The value under ``key`` if another request computed it less than
    ``CATALOG_CACHE_SECONDS`` ago, else ``produce()`` (stored for the next ones)."""
    return _shared(key, produce, lambda v: json.dumps(dump(v)), lambda raw: load(json.loads(raw)))


def cached_bytes(key: str, produce: Callable[[], bytes]) -> bytes:
    """Like ``cached`` for a rendered page: stored as is, and read from this process's copy
    while the shared entry lives (one Redis round trip per page and process, not per view)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    if _client(app) is None:
        return produce()
    mirror = _mirror(app)
    page = mirror.get(_PREFIX + key)
    if page is not None:
        return page
    return _shared(key, produce, lambda v: v, lambda raw: raw, keep=mirror.put)


# -- small shared values with their own lifetime (the session cache) ----------------------


# After a Redis error the process leaves Redis alone this long: a hung Redis then costs
# one socket timeout per process and pause, not one per call.
PAUSE_SECONDS = 2.0


def _pause(app: Flask, exc: Exception) -> None:
    """Pause after Redis could not be reached (not after any other error)."""
    import redis

    if isinstance(exc, OSError | redis.ConnectionError | redis.TimeoutError):
        client = app.extensions.get("cache_redis")
        app.extensions["cache_paused"] = (client, time.monotonic() + PAUSE_SECONDS)


def _redis(app: Flask) -> Any | None:
    """The Redis client whenever ``REDIS_URL`` is set, whatever the catalog cache says;
    None while paused after an error."""
    if not app.config.get("REDIS_URL"):
        return None
    client = app.extensions.get("cache_redis")
    paused, until = app.extensions.get("cache_paused", (None, 0.0))
    if client is not None and paused is client and until > time.monotonic():
        return None
    if client is None:
        import redis

        client = redis.Redis.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=0.5, socket_timeout=0.5
        )
        app.extensions["cache_redis"] = client
    return client


def get_value(key: str) -> bytes | None:
    """The raw value under ``key``; None when absent, without Redis or during an outage."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    client = _redis(app)
    if client is None:
        return None
    try:
        return client.get(_PREFIX + key)
    except Exception as exc:  # noqa: BLE001 - an outage reads as a miss
        _pause(app, exc)
        log.warning("cache indisponible : %s lu en base", key)
        return None


def put_value(key: str, value: bytes | str, seconds: float, *, only_new: bool = False) -> bool:
    """Store for ``seconds`` (only if absent with ``only_new``); False when not stored."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    client = _redis(app)
    ms = int(seconds * 1000)
    if client is None or ms <= 0:
        return False
    try:
        return bool(client.set(_PREFIX + key, value, px=ms, nx=only_new))
    except Exception as exc:  # noqa: BLE001
        _pause(app, exc)
        log.warning("cache indisponible : %s non enregistré", key)
        return False


def claim_flag(key: str, seconds: float) -> bool:
    """Set ``key`` for ``seconds`` unless it is set. True when this call set it, and also
    without Redis or during an outage: the caller then acts as the first one."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    client = _redis(app)
    if client is None:
        return True
    try:
        return bool(client.set(_PREFIX + key, b"1", px=int(seconds * 1000), nx=True))
    except Exception as exc:  # noqa: BLE001
        _pause(app, exc)
        log.warning("cache indisponible : %s pris pour libre", key)
        return True


def drop_value(key: str) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    client = _redis(app)
    if client is None:
        return
    try:
        client.delete(_PREFIX + key)
    except Exception as exc:  # noqa: BLE001
        _pause(app, exc)
        log.warning("cache indisponible : %s non effacé", key)
