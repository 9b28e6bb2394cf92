"""A short-lived cache shared by every web process (Redis), for reads many agents repeat.

Only with ``REDIS_URL`` set and ``CATALOG_CACHE_SECONDS`` > 0 for ``cached`` and
``cached_bytes``: without Redis nothing is cached. Values are JSON, or bytes for rendered
pages, under ``cgos:cache:<key>``. A process keeps a copy of a page it read from Redis only
until the Redis entry itself expires (``shop.speed.mirror``). A Redis outage never fails a
page: the value is then computed as if there were no cache, and the process leaves Redis
alone for ``PAUSE_SECONDS``.

The small values with their own lifetime (``get_value``, ``put_value``, ``claim_flag``,
``drop_value``) need only ``REDIS_URL``: the session cache, the mail drain's flag, the
remote dossiers' last good answers, the workers' heartbeat.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

import redis
from flask import Flask, current_app

from shop.speed.mirror import page_mirror

T = TypeVar("T")
log = logging.getLogger(__name__)
PREFIX = "cgos:cache:"

# After a Redis error the process leaves Redis alone this long: a hung Redis then costs
# one socket timeout per process and pause, not one per call.
PAUSE_SECONDS = 2.0


def _app() -> Flask:
    """The app itself, not its proxy (its extensions are read on every call)."""
    return cast(Any, current_app)._get_current_object()


def _client(app: Flask) -> Any | None:
    if app.config.get("CATALOG_CACHE_SECONDS", 0) <= 0:
        return None
    return _redis(app)


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
        client = redis.Redis.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=0.5, socket_timeout=0.5
        )
        app.extensions["cache_redis"] = client
    return client


def _pause(app: Flask, exc: Exception) -> None:
    """Pause after Redis could not be reached (not after any other error)."""
    if isinstance(exc, OSError | redis.ConnectionError | redis.TimeoutError):
        client = app.extensions.get("cache_redis")
        app.extensions["cache_paused"] = (client, time.monotonic() + PAUSE_SECONDS)


def enabled() -> bool:
    """Whether pages may be shared between processes (Redis configured, cache on)."""
    return _client(_app()) is not None


def _shared(
    key: str,
    produce: Callable[[], T],
    dump: Callable[[T], Any],
    load: Callable[[Any], T],
    keep: Callable[[str, Any, float], None] | None = None,
) -> T:
    """The get-or-produce-and-set around Redis; ``keep(full_key, raw, seconds_left)`` sees
    every raw value read or stored, with how long Redis will still hold it."""
    app = _app()
    client = _client(app)
    if client is None:
        return produce()
    full = PREFIX + key
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


def _identity(value: Any) -> Any:
    return value


def cached(
    key: str,
    produce: Callable[[], T],
    dump: Callable[[T], Any] = _identity,
    load: Callable[[Any], T] = _identity,
) -> T:
    """The value under ``key`` if another request computed it less than
    ``CATALOG_CACHE_SECONDS`` ago, else ``produce()`` (stored for the next ones)."""
    return _shared(key, produce, lambda v: json.dumps(dump(v)), lambda raw: load(json.loads(raw)))


def cached_bytes(key: str, produce: Callable[[], bytes]) -> bytes:
    """Like ``cached`` for a rendered page: stored as is, and read from this process's copy
    while the shared entry lives (one Redis round trip per page and process, not per view)."""
    app = _app()
    if _client(app) is None:
        return produce()
    mirror = page_mirror(app)
    page = mirror.get(PREFIX + key)
    if page is not None:
        return page
    return _shared(key, produce, _identity, _identity, keep=mirror.put)


def get_value(key: str) -> bytes | None:
    """The raw value under ``key``; None when absent, without Redis or during an outage."""
    app = _app()
    client = _redis(app)
    if client is None:
        return None
    try:
        return client.get(PREFIX + key)
    except Exception as exc:  # noqa: BLE001 - an outage reads as a miss
        _pause(app, exc)
        log.warning("cache indisponible : %s lu en base", key)
        return None


def put_value(key: str, value: bytes | str, seconds: float, *, only_new: bool = False) -> bool:
    """Store for ``seconds`` (only if absent with ``only_new``); False when not stored."""
    app = _app()
    client = _redis(app)
    ms = int(seconds * 1000)
    if client is None or ms <= 0:
        return False
    try:
        return bool(client.set(PREFIX + key, value, px=ms, nx=only_new))
    except Exception as exc:  # noqa: BLE001
        _pause(app, exc)
        log.warning("cache indisponible : %s non enregistré", key)
        return False


def claim_flag(key: str, seconds: float) -> bool:
    """Set ``key`` for ``seconds`` unless it is set. True when this call set it, and also
    without Redis or during an outage: the caller then acts as the first one."""
    app = _app()
    client = _redis(app)
    if client is None:
        return True
    try:
        return bool(client.set(PREFIX + key, b"1", px=int(seconds * 1000), nx=True))
    except Exception as exc:  # noqa: BLE001
        _pause(app, exc)
        log.warning("cache indisponible : %s pris pour libre", key)
        return True


def drop_value(key: str) -> None:
    """Delete ``key`` (an outage is logged, never raised)."""
    app = _app()
    client = _redis(app)
    if client is None:
        return
    try:
        client.delete(PREFIX + key)
    except Exception as exc:  # noqa: BLE001
        _pause(app, exc)
        log.warning("cache indisponible : %s non effacé", key)
