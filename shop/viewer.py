"""Who the templates show as ``current_user``.

Flask-Login's own template context is switched off (``init_app(add_context_processor=
False)``, its public option) and replaced by ``_context``: the request's user, unless the
request chose another one through ``shown_as`` (a stand-in agent while a shared catalog
page renders, ``shop.speed.pages``) or ``show`` (an error page that must not load the
user, whose loading may be what failed). Only Flask-Login's public API is used: its
``current_user``, its ``user_loader`` and its login and logout signals.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, g
from flask_login import current_user, user_logged_in, user_logged_out

from shop.extensions import login_manager

_SHOWN = "shown_user"  # attribute of ``g``: the user templates show instead of the request's
_KNOWN = "user_known"  # attribute of ``g``: Flask-Login settled the request's user
L = TypeVar("L", bound=Callable[[str], Any])


def init_app(app: Flask) -> None:
    app.context_processor(_context)
    user_logged_in.connect(_settled, app)
    user_logged_out.connect(_settled, app)


def _context() -> dict[str, Any]:
    shown = g.get(_SHOWN)
    return {"current_user": shown if shown is not None else current_user._get_current_object()}


def _settled(_app: Any = None, **_extra: Any) -> None:
    setattr(g, _KNOWN, True)


def user_loader(load: L) -> L:
    """``login_manager.user_loader``, remembering that the request's user was loaded (an
    error page may then show it without loading it again)."""

    @functools.wraps(load)
    def _load(user_id: str) -> Any:
        user = load(user_id)
        _settled()
        return user

    login_manager.user_loader(_load)
    return load


def is_known() -> bool:
    """Whether this request already loaded (or logged in, or out) its user."""
    return bool(g.get(_KNOWN))


@contextmanager
def shown_as(user: Any) -> Iterator[None]:
    """Templates rendered inside show ``user`` as ``current_user``."""
    saved = g.get(_SHOWN)
    setattr(g, _SHOWN, user)
    try:
        yield
    finally:
        setattr(g, _SHOWN, saved)


def show(user: Any) -> None:
    """Templates rendered from now on in this request show ``user``."""
    setattr(g, _SHOWN, user)
