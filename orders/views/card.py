"""Leaving the store for Stripe Checkout after a form (R-PAY-2).

Chromium applies the CSP's ``form-action`` to every redirect that follows a form
submission: a 302 from « Confirmer ma commande » to Stripe is refused under
``form-action 'self'`` and the agent stays on our page. Allowing Stripe's origin in
``form-action`` would hold only while every hop of Stripe's page is on that origin (its
own redirects, a custom Checkout domain, the tests' stand-in), and would let any form on
our pages post there. So ``form-action`` stays ``'self'``: the POST answers a page of our
own that moves on with a GET, by an immediate meta refresh (a navigation no CSP directive
governs; WCAG technique H76) and a link for browsers that block automatic refresh.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, redirect, render_template, request

from orders.models import Order
from orders.payments import start_card_payment


def go_to_card_payment(order: Order, return_url: str | None = None):
    """The answer to a form that pays ``order`` by card: a redirect when the payment page
    is ours (demonstration, or Stripe unreachable), else the page that leads to Stripe."""
    url = start_card_payment(order, return_url=return_url)
    if urlsplit(url).netloc in ("", request.host):
        return redirect(url)
    g._no_store = True  # the session URL lets anyone pay: never kept by a cache
    return render_template("public/orders/to_card_payment.html", order=order, url=url)
