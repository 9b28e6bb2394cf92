"""A Redis kept in a dict, for the tests of what the store shares through Redis (the
cache, the session cache, the mail drain flag): the real server is not needed to check
what is shared."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class MemoryRedis:
    """The commands the cache uses, kept in a dict (the real server is not needed to check
    what is shared); ``ttl_ms`` records each lifetime asked for, nothing expires."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.ttl_ms: dict[str, int] = {}

    def get(self, key):
        return self.data.get(key)

    def set(self, key, value, ex=None, px=None, nx=False):
        if nx and key in self.data:
            return None
        self.data[key] = value if isinstance(value, bytes) else value.encode()
        self.ttl_ms[key] = px if px is not None else (ex or 0) * 1000
        return True

    def delete(self, key):
        self.ttl_ms.pop(key, None)
        return 1 if self.data.pop(key, None) is not None else 0

    def pttl(self, key):
        return 30_000 if key in self.data else -2

    def pages(self) -> list[str]:
        return [k for k in self.data if ":page:" in k]


def memory_redis(app: Any, **config: Any) -> Iterator[MemoryRedis]:
    """Install a ``MemoryRedis`` as the cache's Redis with ``config``, for one test."""
    saved = {k: app.config.get(k) for k in ("REDIS_URL", *config)}
    app.config.update(REDIS_URL="redis://cache.invalid:6379/14", **config)
    app.extensions["cache_redis"] = fake = MemoryRedis()
    app.extensions.pop("cache_mirror", None)  # each test starts with no page copied
    yield fake
    app.config.update(saved)
    app.extensions.pop("cache_redis", None)
    app.extensions.pop("cache_mirror", None)
