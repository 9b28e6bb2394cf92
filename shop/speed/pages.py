"""Catalog pages rendered once and shared by every agent who would see the same page.

A catalog page depends on the agent only through the header (name, rights, the logout
form's CSRF token) and the greeting. It is rendered once per key (region, filters, live
data) and variant (the viewer's day and rights) for a stand-in whose personal values and
token are private-use markers, kept in the shared cache (``shop.speed.shared``) for
``CATALOG_CACHE_SECONDS``, and each request fills the markers with its own values.
Without Redis, with a flash message waiting, or for a viewer that does not share pages
(not ``SharedPageViewer``: staff, anonymous), the page is rendered as usual.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from flask import current_app, g
from flask import session as cookie_session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from shop import viewer
from shop.speed import shared
from shop.speed.recent import MISSING, RecentValues

# Private-use characters: in no dossier and no template, and left alone by autoescaping.
_MARK_RE = re.compile("\ue000([a-z_]+)\ue001".encode())
_CSRF = b"csrf"


def mark(name: str) -> str:
    """The marker a stand-in carries instead of its personal value ``name``."""
    return f"\ue000{name}\ue001"


class SharedPageViewer(Protocol):
    """A viewer whose pages may be shared (an agent, ``auth.principals.AgentUser``)."""

    def shared_page_variant(self) -> str:
        """Everything about the viewer that the page shows, but its personal values."""
        ...

    def standin(self, mark: Callable[[str], str]) -> Any:
        """The same viewer with ``mark(name)`` for each personal value."""
        ...

    def personal_values(self) -> Mapping[str, str]:
        """``name → value`` for each marker of the stand-in (not escaped yet)."""
        ...


def shared_page(key: str, render: Callable[[], str]) -> str | bytes:
    """``render()`` for this viewer, taken from the shared cache when another viewer with
    the same variant already had it rendered under ``key`` (which must hold everything else
    the page depends on)."""
    user = current_user._get_current_object()
    variant = getattr(user, "shared_page_variant", None)
    if variant is None or not shared.enabled():
        return render()
    if cookie_session.get("_flashes"):
        return render()  # a message for this agent only: not for the shared copy
    full_key = f"page:{key}:{variant()}"
    page = shared.cached_bytes(full_key, lambda: _render_as_standin(user, render).encode())
    return _fill(page, user)


def _render_as_standin(user: SharedPageViewer, render: Callable[[], str]) -> str:
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    had_token = field in g
    saved_token = g.get(field)
    setattr(g, field, mark("csrf"))
    try:
        with viewer.shown_as(user.standin(mark)):
            return render()
    finally:
        if had_token:
            setattr(g, field, saved_token)
        else:
            delattr(g, field)


# A signed CSRF token does not expire by age (WTF_CSRF_TIME_LIMIT is None; with a limit it
# would have to stay well above this minute): signing the same session secret again a few
# seconds later gives the agent nothing new, so a process reuses the token it signed for
# that secret within the last minute (the signature is most of the cost of filling a
# shared page).
REUSE_SIGNED_TOKEN_SECONDS = 60.0
SIGNED_TOKENS = RecentValues(max_items=10_000, seconds=REUSE_SIGNED_TOKEN_SECONDS)


def _token_key(secret: str) -> str:
    return f"{str(current_app.secret_key)}\x00{secret}"


def page_csrf_token() -> str:
    """``generate_csrf()``, reusing this process's recent signature of the same secret."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g:
        return g.get(field)
    now = SIGNED_TOKENS.clock()
    raw = cookie_session.get(field)
    if isinstance(raw, str):
        token = SIGNED_TOKENS.get(_token_key(raw))
        if token is not MISSING:
            setattr(g, field, token)
            return token
    token = generate_csrf()  # creates the session's secret when it has none yet
    raw = cookie_session.get(field)
    if isinstance(raw, str):
        SIGNED_TOKENS.put(_token_key(raw), token, at=now)
    return token


def _fill(page: bytes, user: SharedPageViewer) -> bytes:
    values = {
        name.encode(): str(escape(value)).encode() for name, value in user.personal_values().items()
    }

    def value(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name == _CSRF:
            return page_csrf_token().encode()
        return values[name]

    return _MARK_RE.sub(value, page)
