"""Orders taken by phone: the operator's cart and checkout for an agent, and what a card
order by phone leaves behind (payment, e-billets, audit)."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.web.ops.helpers import count_of, text


def add(client, number, offer_id, quantity, delivery="e_billet"):
    return client.post(
        f"/gestion/saisie/{number}/ajouter",
        data={"offer_id": str(offer_id), "quantity": str(quantity), "delivery": delivery},
    )


def place(client, number, *, method="cheque", channel="phone", checkout="phone-checkout-0001"):
    page = text(client.get(f"/gestion/saisie/{number}"))
    total = re.search(r'name="expected_total" value="(\d+)"', page).group(1)
    return client.post(
        f"/gestion/saisie/{number}/commander",
        data={
            "checkout_token": checkout,
            "expected_total": total,
            "channel": channel,
            "payment_method": method,
            "accept_cgv": "1",
        },
    )


def last_order(app, number):
    from orders.models import Order
    from shop.db import session

    with app.app_context():
        return session().scalar(
            select(Order).where(Order.cgos_number == number).order_by(Order.id.desc())
        )


def run_due(app):
    from shop.jobs import run_due as run

    with app.app_context():
        return run()


def payment_of(app, order_id):
    from orders.models import Payment
    from shop.db import session

    with app.app_context():
        return session().scalar(select(Payment).where(Payment.order_id == order_id))


def ticket_count(app, order_id):
    from orders.models import ETicket

    return count_of(app, ETicket, order_id=order_id)


def card_order(operator, app, agent, parc, mailbox, qty=2):
    """A card-by-phone order; returns (order, link path from the mailed link)."""
    assert add(operator, agent, parc, qty).status_code == 302
    mailbox.clear()
    resp = place(operator, agent, method="card")
    assert resp.status_code == 302
    order = last_order(app, agent)
    mail = next(m for m in mailbox.wait_for(2) if "Payez" in m["Subject"])
    link = re.search(r"https?://[^/\s]+(/paiement/lien/\S+)", mailbox.text_of(mail)).group(1)
    return order, link


def _audit(app):
    from shop.audit import AuditEntry
    from shop.db import session

    with app.app_context():
        return list(session().scalars(select(AuditEntry)))
