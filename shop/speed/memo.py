"""Pure formatting functions memoised in the process (Babel re-parses its patterns at each
call, and a listing formats about seventy amounts and dates).

Only for functions of hashable arguments whose answer never changes in a process (the
locale and the patterns are fixed): nothing to invalidate, the least recently used
answers leave past ``MAX_ANSWERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])
MAX_ANSWERS = 8192


def memoised(function: F) -> F:
    """``function`` with its last ``MAX_ANSWERS`` answers kept (``functools.lru_cache``)."""
    return cast(F, lru_cache(maxsize=MAX_ANSWERS)(function))
