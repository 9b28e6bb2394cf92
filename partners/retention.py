"""Partners' share of the orders' retention (RULES.md §12): a shipment goes with its order."""

from __future__ import annotations

from orders.retention import purged_with_orders
from partners.models import Shipment

purged_with_orders(Shipment)
