"""A short-lived cache shared by every web process (Redis), for reads many agents repeat.

Only with ``REDIS_URL`` set and ``CATALOG_CACHE_SECONDS`` > 0: without Redis nothing is
cached (no state is ever kept inside one process). Values are JSON. A Redis outage never
fails a page: the value is then computed as if there were no cache.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app

T = TypeVar("T")
log = logging.getLogger(__name__)
_PREFIX = "cgos:cache:"


def _client(app: Flask) -> Any | None:
    if not app.config.get("REDIS_URL") or app.config.get("CATALOG_CACHE_SECONDS", 0) <= 0:
        return None
    client = app.extensions.get("cache_redis")
    if client is None:
        import redis

        client = redis.Redis.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=0.5, socket_timeout=0.5
        )
        app.extensions["cache_redis"] = client
    return client


def enabled() -> bool:
    """Whether pages may be shared between processes (Redis configured, cache on)."""
    return _client(current_app._get_current_object()) is not None


def _shared(
    key: str, produce: Callable[[], T], dump: Callable[[T], Any], load: Callable[[Any], T]
) -> T:
    app = current_app._get_current_object()
    client = _client(app)
    if client is None:
        return produce()
    full = _PREFIX + key
    try:
        raw = client.get(full)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the page
        log.warning("cache indisponible : %s recalculé", key)
        return produce()
    if raw is not None:
        return load(raw)
    value = produce()
    try:
        client.set(full, dump(value), ex=int(app.config["CATALOG_CACHE_SECONDS"]))
    except Exception:  # noqa: BLE001
        log.warning("cache indisponible : %s non enregistré", key)
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
    """Like ``cached`` for a rendered page: stored as is, no JSON on the way in or out."""
    return _shared(key, produce, lambda v: v, lambda raw: raw)
