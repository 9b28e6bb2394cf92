"""Catalog pages rendered once and shared by every agent who would see the same page.

A catalog page depends on the agent only through the header (name, rights, the logout
form's CSRF token) and the greeting. It is rendered once per key (region, filters, live
data) and rights for a stand-in agent whose name and token are markers, kept in the shared
cache (``shop.cache``) for ``CATALOG_CACHE_SECONDS``, and each request fills the markers
with its own agent's values. Without Redis, with a flash message waiting, or for anyone
but an agent, the page is rendered as usual.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace

from flask import current_app, g
from flask import session as cookie_session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from shop import cache
from shop.recent import Recent

# Private-use characters: in no dossier and no template, and left alone by autoescaping.
_MARKS = {"prenom": "\ue000prenom\ue001", "nom": "\ue000nom\ue001", "csrf": "\ue000csrf\ue001"}
_MARK_RE = re.compile("\ue000(prenom|nom|csrf)\ue001".encode())


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


def shared_page(key: str, render: Callable[[], str]) -> str | bytes:
    """``render()`` for this agent, taken from the shared cache when another agent with the
    same rights already had it rendered under ``key`` (which must hold everything else the
    page depends on)."""
    user = current_user._get_current_object()
    if not getattr(user, "is_agent", False) or not cache.enabled():
        return render()
    if cookie_session.get("_flashes"):
        return render()  # a message for this agent only: not for the shared copy
    rights = user.rights
    rights_key = _digest(f"{rights.can_order}|{rights.open_until}|{rights.reason}")
    full_key = f"page:{key}:{user.today.isoformat()}:{rights_key}"
    page = cache.cached_bytes(full_key, lambda: _render_as_standin(user, render).encode())
    return _fill(page, user)


def _render_as_standin(user, render: Callable[[], str]) -> str:
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    standin = replace(user, record=replace(user.record, prenom=_MARKS["prenom"], nom=_MARKS["nom"]))
    had_token = field in g
    saved_token = g.get(field)
    g._login_user = standin
    setattr(g, field, _MARKS["csrf"])
    try:
        return render()
    finally:
        g._login_user = user
        if had_token:
            setattr(g, field, saved_token)
        else:
            delattr(g, field)


# A signed CSRF token is valid for WTF_CSRF_TIME_LIMIT (an hour): signing the same session
# secret again a few seconds later gives the agent nothing new, so a process reuses the
# token it signed for that secret within the last minute (the signature is most of the
# cost of filling a shared page).
REUSE_SIGNED_TOKEN_SECONDS = 60.0
_signed = Recent(max_items=10_000)


def page_csrf_token() -> str:
    """``generate_csrf()``, reusing this process's recent signature of the same secret."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g:
        return g.get(field)
    now = _signed.clock()
    raw = cookie_session.get(field)
    if isinstance(raw, str):
        token = _signed.get(f"{current_app.secret_key}\x00{raw}", REUSE_SIGNED_TOKEN_SECONDS)
        if token is not Recent.MISSING:
            setattr(g, field, token)
            return token
    token = generate_csrf()  # creates the session's secret when it has none yet
    raw = cookie_session.get(field)
    if isinstance(raw, str):
        _signed.put(f"{current_app.secret_key}\x00{raw}", token, at=now)
    return token


def _fill(page: bytes, user) -> bytes:
    values = {
        b"prenom": str(escape(user.record.prenom)).encode(),
        b"nom": str(escape(user.record.nom)).encode(),
    }

    def value(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name == b"csrf":
            return page_csrf_token().encode()
        return values[name]

    return _MARK_RE.sub(value, page)
