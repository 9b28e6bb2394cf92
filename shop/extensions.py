"""Unbound extensions, bound in ``create_app``."""

from __future__ import annotations

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()


def _client_address() -> str:
    return get_remote_address() or request.remote_addr or "unknown"


limiter = Limiter(key_func=_client_address, default_limits=[])
