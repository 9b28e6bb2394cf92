"""Partner staff manage their own organisation's offers (R-CAT-7, R-PAR-1, R-PAR-5).

The pages are those of ``catalog.views._editing``; the ``partner`` audience gate lets
only partner accounts in, and every offer is read through ``offer_for_staff``.
"""

from __future__ import annotations

from flask import Blueprint

from catalog.views._editing import Area, register_offer_pages
from catalog.views._price_requests import register_price_request_pages

bp = Blueprint("catalog", __name__)

AREA = Area(
    endpoint="partner.catalog",
    label="Partenaire",
    nav="partner/catalog/_nav.html",
    editors=frozenset({"partner"}),
)

register_offer_pages(bp, AREA)
register_price_request_pages(bp, AREA)  # R-PAR-10
