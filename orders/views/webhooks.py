"""Stripe's webhook (R-PAY-2): open to the Internet, exempt from CSRF, trusted only once its
signature is checked against ``STRIPE_WEBHOOK_SECRET``."""

from __future__ import annotations

import stripe
from flask import Blueprint, abort, current_app, jsonify, request

from orders import stripe_gateway
from shop.extensions import csrf

bp = Blueprint("webhooks", __name__, url_prefix="/paiement")


@bp.route("/webhook", methods=["POST"])
@csrf.exempt
def stripe_webhook():
    """A bad or missing signature is a 400 that changes nothing; a handled or ignored event
    is a 200; an unexpected failure rolls back and lets Stripe send the event again."""
    config = current_app.config
    secret = config.get("STRIPE_WEBHOOK_SECRET")
    if not secret or not config.get("STRIPE_SECRET_KEY"):
        abort(404)  # demonstration mode: no card provider to hear from
    payload = request.get_data()
    try:
        event = stripe.Webhook.construct_event(
            payload, request.headers.get("Stripe-Signature"), secret
        )
    except (ValueError, stripe.SignatureVerificationError) as exc:
        current_app.logger.warning(
            "Webhook Stripe refusé depuis %s : %s", request.remote_addr, str(exc)[:200]
        )
        return jsonify(error="invalid signature or payload"), 400
    current_app.logger.info("Webhook Stripe reçu : %s (%s)", event.id, event.type)
    outcome = stripe_gateway.handle_event(event)
    current_app.logger.info("Webhook Stripe %s traité : %s", event.id, outcome)
    return jsonify(received=True, outcome=outcome)
