"""Stripe's webhook (R-PAY-2): open to the Internet, exempt from CSRF, trusted only once its
signature is checked against ``STRIPE_WEBHOOK_SECRET``."""

from __future__ import annotations

import json

import stripe
from flask import Blueprint, abort, current_app, jsonify, request

from orders import payments
from shop.extensions import csrf

bp = Blueprint("webhooks", __name__, url_prefix="/paiement")


@bp.route("/webhook", methods=["POST"])
@csrf.exempt
def stripe_webhook():
    """A bad or missing signature is a 400 that changes nothing; a handled, ignored or
    malformed event is a 200 (Stripe would retry a malformed one for days, in vain); an
    unexpected failure rolls back and lets Stripe send the event again."""
    config = current_app.config
    secret = config.get("STRIPE_WEBHOOK_SECRET")
    if not secret or not config.get("STRIPE_SECRET_KEY"):
        abort(404)  # demonstration mode: no card provider to hear from
    payload = request.get_data()
    log = current_app.logger
    try:
        # What stripe.Webhook.construct_event does, keeping the event a plain JSON value.
        stripe.WebhookSignature.verify_header(
            payload,
            request.headers.get("Stripe-Signature"),
            secret,
            stripe.Webhook.DEFAULT_TOLERANCE,
        )
        event = json.loads(payload)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        log.warning("Webhook Stripe refusé depuis %s : %s", request.remote_addr, str(exc)[:200])
        return jsonify(error="invalid signature or payload"), 400
    if not isinstance(event, dict):
        log.error("Webhook Stripe signé mais malformé : %s", type(event).__name__)
        return jsonify(received=True, outcome="malformed")
    log.info("Webhook Stripe reçu : %s (%s)", event.get("id"), event.get("type"))
    outcome = payments.apply_card_event(event)
    log.info("Webhook Stripe %s traité : %s", event.get("id"), outcome)
    return jsonify(received=True, outcome=outcome)
