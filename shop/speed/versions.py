"""Page versions: a page shared under a digest of everything it shows, that digest read
from the database at most once a second per process and key.

The domain owns the statement that reads what its page shows (``catalog.queries.
offer_page_version``); this module digests it and keeps each version for
``FRESH_SECONDS``, so a page seen many times a second (an on-sale rush) costs no query and
what it shows is never more than a second older than the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from flask import current_app

from shop.speed.recent import RecentValues

V = TypeVar("V")
FRESH_SECONDS = 1.0
VERSIONS = RecentValues(max_items=20_000, seconds=FRESH_SECONDS)


def digest(text: str) -> str:
    """The version of a page that shows ``text`` (not a secret: SHA-1 for speed)."""
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def recent_version(key: Hashable, read: Callable[[], V]) -> V:
    """``read()``, as this process read it for ``key`` less than ``FRESH_SECONDS`` ago."""
    return VERSIONS.get_or_compute((id(cast(Any, current_app)._get_current_object()), key), read)
