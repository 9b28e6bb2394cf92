"""Absolute links to an agent's order, for the mails that talk about it (R-AGT-3).

Mails are also written by jobs, outside any request, so the address comes from
``PUBLIC_URL`` (the store's public address, e.g. ``https://loisirs.cgos.info``); without it,
from the current request, else ``http://localhost``. ``PUBLIC_URL`` also keeps a forged
``Host`` header out of the links a mail carries.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

ORDER_ENDPOINT = "agent.my_orders.detail"


def base_url() -> str:
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return str(configured)
    if has_request_context():
        return request.host_url
    return "http://localhost"


def external_url(endpoint: str, **values: object) -> str:
    """``endpoint``'s absolute address under ``base_url()``, request or not."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path.rstrip("/") or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def order_url(number: str | None) -> str:
    """The order's page in « Mes commandes » (login first, then straight to it)."""
    return external_url(ORDER_ENDPOINT, number=number or "")
