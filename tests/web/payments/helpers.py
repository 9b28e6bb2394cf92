"""Card payment helpers: Stripe's signed webhook events posted, the pages leading to
Stripe, rows and mail subjects read back."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from tests.factories import add, checkout_form
from tests.stripe_standin import delivery

WEBHOOK_SECRET = "whsec_test_standin"


def pay_by_card(buyer, offer_id: int, quantity: int = 1):
    add(buyer, offer_id, quantity)
    return buyer.post("/commande/", data=checkout_form(buyer) | {"payment_method": "card"})


def post_event(app, event: dict[str, Any], secret: str = WEBHOOK_SECRET):
    body, headers = delivery(event, secret)
    return app.test_client().post("/paiement/webhook", data=body, headers=headers)


def rows(app, model, **filters) -> list[Any]:
    from shop.db import session

    with app.app_context():
        q = session().query(model).filter_by(**filters)
        return q.order_by(model.id).all() if hasattr(model, "id") else q.all()


def payments(app, order) -> list[Any]:
    from orders.models import Payment

    return rows(app, Payment, order_id=order.id)


def subjects(mailbox, part: str) -> list[str]:
    return [m["Subject"] for m in mailbox.messages if part in m["Subject"]]


def stripe_url(resp: Any) -> str:
    """Where a card payment form sends the browser: not a 302 (the CSP's form-action
    'self' blocks it), our own page whose meta refresh and link both lead to Stripe."""
    assert resp.status_code == 200, (resp.status_code, resp.location)
    assert "no-store" in resp.headers["Cache-Control"]
    page = resp.get_data(as_text=True)
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page)
    link = re.search(r'<a class="button primary" href="([^"]+)">Continuer', page)
    assert refresh and link and refresh.group(1) == link.group(1)
    return unescape(refresh.group(1))
