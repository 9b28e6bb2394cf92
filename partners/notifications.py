"""Partners told of their orders and sessions (R-PAR-6, R-PAR-10): the handlers ``orders``
calls through its events (orders/events.py), subscribed when the portal is wired.

Each partner gets its own lines only: an order with offers of two partners makes one event
per partner. Money is at the partner's negotiated price (what it bills C.G.O.S), never the
agent's price or participation.

Mail: a session cancelled by C.G.O.S is always mailed to the partner (its notification
address, else every active staff account of the partner). Order events are mailed only
to partners who ask for it (« Recevoir aussi un e-mail par commande »): a fulfilment house
works from its shipment queue (or the API and webhooks), and a mail per order at an
on-sale rush would bury the one about a cancelled session.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from auth.models import StaffUser
from catalog.models import Offer, OfferSession
from orders.events import (
    ORDER_CANCELLED,
    ORDER_PAID,
    ORDER_REFUNDED,
    SESSION_CANCELLED,
    OrderEvent,
    SessionsCancelled,
    subscribe,
)
from orders.models import OrderLine
from partners import webhooks
from partners.models import Partner, PartnerNotice, WebhookEndpoint
from shop.db import session
from shop.mail import queue_mail

ORDER_SUBJECTS = {
    ORDER_PAID: "Commande {number} payée",
    ORDER_CANCELLED: "Commande {number} annulée",
    ORDER_REFUNDED: "Commande {number} remboursée",
}


def notice_of(partner_id: int) -> PartnerNotice | None:
    return session().get(PartnerNotice, partner_id)


def recipients(partner_id: int) -> list[str]:
    """The partner's notification address, else its active staff accounts' addresses."""
    notice = notice_of(partner_id)
    if notice is not None and notice.email:
        return [notice.email]
    return list(
        session().scalars(
            select(StaffUser.email)
            .where(
                StaffUser.partner_id == partner_id,
                StaffUser.role == "partner",
                StaffUser.active.is_(True),
            )
            .order_by(StaffUser.id)
        )
    )


def _line(line: OrderLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "offer_id": line.offer_id,
        "session_id": line.session_id,
        "title": line.title,
        "session_starts_at": webhooks.iso(line.session_starts_at),
        "venue": line.venue,
        "delivery": line.delivery,
        "group": line.group,
        "quantity": line.quantity,
        "unit_cents": line.unit_negotiated_cents,
        "amount_cents": line.unit_negotiated_cents * line.quantity,
        "status": str(line.status),
    }


def order_data(event: OrderEvent, partner_id: int) -> dict[str, Any]:
    """The partner's view of the order: its own lines only."""
    order = event.order
    own = [line for line in order.lines if line.partner_id == partner_id]
    data: dict[str, Any] = {
        "order": {
            "number": order.number,
            "status": str(order.status),
            "placed_at": webhooks.iso(order.placed_at),
            "paid_at": webhooks.iso(order.paid_at),
            "cancelled_at": webhooks.iso(order.cancelled_at),
            "holder_name": order.holder_name,
        },
        "lines": [_line(line) for line in own],
        "amount_cents": sum(line.unit_negotiated_cents * line.quantity for line in own),
    }
    if event.kind == ORDER_CANCELLED:
        data["reason"] = "expired" if event.step == "expire" else "cancelled"
    if event.kind == ORDER_REFUNDED:
        refunded = [line for line in event.lines if line.partner_id == partner_id]
        data["refunded_line_ids"] = [line.id for line in refunded]
        data["refunded_cents"] = sum(ln.unit_negotiated_cents * ln.quantity for ln in refunded)
        data["whole"] = all(line.status != "active" for line in own)
    return data


def on_order_event(event: OrderEvent) -> None:
    """One webhook (and, when asked, one mail) per partner of the order."""
    if event.kind == ORDER_REFUNDED:
        partner_ids = sorted({line.partner_id for line in event.lines})
    else:
        partner_ids = sorted({line.partner_id for line in event.order.lines})
    if not partner_ids:
        return
    # Each partner's webhook and notice in one statement, not two per partner: this runs
    # in every payment's transaction (issue 23).
    settings = {
        row.id: (row.WebhookEndpoint, row.PartnerNotice)
        for row in session().execute(
            select(Partner.id, WebhookEndpoint, PartnerNotice)
            .outerjoin(WebhookEndpoint, WebhookEndpoint.partner_id == Partner.id)
            .outerjoin(PartnerNotice, PartnerNotice.partner_id == Partner.id)
            .where(Partner.id.in_(partner_ids))
        )
    }
    for partner_id in partner_ids:
        data = order_data(event, partner_id)
        endpoint, notice = settings.get(partner_id, (None, None))
        webhooks.record(partner_id, event.kind, data, endpoint=endpoint)
        if notice is None or not notice.mail_orders:
            continue
        subject = ORDER_SUBJECTS[event.kind].format(number=event.order.number)
        for to in recipients(partner_id):
            queue_mail(to, "partners/order_event", subject, event_kind=event.kind, data=data)


def on_sessions_cancelled(event: SessionsCancelled) -> None:
    """R-PAR-10: the partner whose sessions C.G.O.S cancelled is told, always by mail."""
    if not event.session_ids:
        return
    rows = session().execute(
        select(OfferSession, Offer)
        .join(Offer, Offer.id == OfferSession.offer_id)
        .where(OfferSession.id.in_(event.session_ids))
        .order_by(OfferSession.starts_at)
    )
    by_partner: dict[int, list[dict[str, Any]]] = defaultdict(list)
    when: dict[int, Any] = {}
    for sess, offer in rows:
        when[sess.id] = sess.starts_at
        by_partner[offer.partner_id].append(
            {
                "id": sess.id,
                "offer_id": offer.id,
                "title": offer.title,
                "starts_at": webhooks.iso(sess.starts_at),
                "venue": sess.venue or offer.venue,
                "city": sess.city or offer.city,
            }
        )
    for partner_id, sessions in by_partner.items():
        data = {"sessions": sessions, "offer_id": event.offer_id, "reason": event.reason}
        webhooks.record(partner_id, SESSION_CANCELLED, data)
        partner = session().get(Partner, partner_id)
        subject = (
            f"Séance annulée par le C.G.O.S — {sessions[0]['title']}"
            if len(sessions) == 1
            else f"{len(sessions)} séances annulées par le C.G.O.S — {sessions[0]['title']}"
        )
        for to in recipients(partner_id):
            queue_mail(
                to, "partners/session_cancelled", subject, partner=partner, data=data, when=when
            )


def wire() -> None:
    """Subscribe to orders' events (idempotent): called when the portal is registered."""
    for kind in (ORDER_PAID, ORDER_CANCELLED, ORDER_REFUNDED):
        subscribe(kind, "partners.notifications", on_order_event)
    subscribe(SESSION_CANCELLED, "partners.notifications", on_sessions_cancelled)
