"""Card payments: Stripe when configured (R-PAY-2), otherwise a clearly labelled
demonstration payment that succeeds or declines on request (never in production)."""

from __future__ import annotations

from flask import current_app, url_for

from orders.models import Order
from orders.stripe_gateway import checkout_url


def stripe_enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def start_card_payment(order: Order, return_url: str | None = None) -> str:
    """Where to send the agent's browser to pay ``order`` (no Stripe call under a lock:
    the order is already committed); Stripe sends it back to ``return_url`` (default: the
    agent's order page)."""
    if stripe_enabled():
        return checkout_url(order, return_url)
    return url_for("agent.checkout.demo_payment", number=order.number)
