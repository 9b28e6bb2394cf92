"""Payment terms shared by the order services, the phone orders and the Stripe adapter
(R-PAY-3, R-PAY-5). Pure: no Flask, no database; this module imports nothing of orders, so
each of them can read it without importing the others."""

from __future__ import annotations

from typing import Any

CHEQUE_PAYEE = "Billetterie C.G.O.S - SOGEC GESTION"  # R-PAY-3, RULES.md §6
PHONE_CHANNELS = ("phone", "post")  # R-OPS-2


def is_phone_card(order: Any) -> bool:
    """A card order taken by phone or post: paid by link, captured by the evening batch."""
    return order.channel in PHONE_CHANNELS and order.payment_method == "card"
