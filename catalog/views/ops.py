"""Back-office catalog: every offer, searchable by title and partner (R-CAT-7).

Operators may read offers; only admins create and change them. The editing pages answer
404 to operators, like any page an audience may not see (see ``register_offer_pages``).
"""

from __future__ import annotations

from flask import Blueprint

from catalog.views._editing import Area, register_offer_pages
from catalog.views._price_requests import register_price_request_pages

bp = Blueprint("catalog", __name__)

AREA = Area(
    endpoint="ops.catalog",
    label="Gestion",
    nav="ops/_nav.html",
    editors=frozenset({"admin"}),
)

register_offer_pages(bp, AREA)
register_price_request_pages(bp, AREA)  # R-PAR-10
