"""Partners' share of the retention periods (RULES.md §12): a shipment goes with its order;
a webhook delivery (it names the order's holder) is kept 1 year, like a sent e-mail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from orders.retention import purged_with_orders
from partners.models import Shipment, WebhookDelivery
from shop import clock
from shop.db import unit_of_work
from shop.jobs import due_task
from shop.retention import deleted

purged_with_orders(Shipment)

WEBHOOK_DAYS = 365


@due_task("retention.webhooks", "Supprime les envois de webhooks aux partenaires de plus d'un an")
def purge_webhook_deliveries() -> int:
    cutoff = clock.utcnow() - timedelta(days=WEBHOOK_DAYS)
    with unit_of_work() as s:
        return deleted(s, delete(WebhookDelivery).where(WebhookDelivery.created_at < cutoff))
