"""Letters for agents without e-mail (R-OPS-9): an order taken by phone or post for them
gets its confirmation, with the cheque instructions, as a printed letter instead of a mail.

The letter's text is the confirmation mail's own (same amount, payee, order number and
deadline); the PDF is drawn on demand, never stored, and the address sits where a French
right-window envelope (DL/C5, window 45 × 100 mm) shows it.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from flask import render_template
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import Select, or_, select

from orders.models import Order
from orders.terms import CHEQUE_PAYEE, PHONE_CHANNELS
from shop import audit, clock
from shop.db import for_update, unit_of_work
from shop.errors import NotFound

SENDER = ("C.G.O.S Billetterie Avantages", "SOGEC GESTION", "91973 Courtaboeuf Cedex")
# The window of a right-window envelope, measured from the page's top-left corner.
WINDOW_LEFT = 110 * mm
WINDOW_TOP = 50 * mm
WINDOW_WIDTH = 90 * mm
_MARGIN = 20 * mm
_BODY_SIZE = 10.5
_LEADING = 14
_DAY = timedelta(days=1)


def needs_letter(order: Order) -> bool:
    """A phone or post order of an agent without e-mail: nothing was mailed."""
    return order.channel in PHONE_CHANNELS and not order.contact_email


def letters_to_print(now: datetime) -> Select[Order]:
    """Letters not printed yet, and those printed in the last 24 hours (to reprint)."""
    recent = now - _DAY
    return (
        select(Order)
        .where(
            Order.channel.in_(PHONE_CHANNELS),
            Order.contact_email == "",
            Order.number.is_not(None),
            or_(Order.letter_printed_at.is_(None), Order.letter_printed_at >= recent),
        )
        .order_by(Order.letter_printed_at.is_not(None), Order.placed_at)
    )


def body_text(order: Order) -> str:
    """The confirmation mail's text, the letter's body."""
    subject = f"Votre commande {order.number}"
    return render_template(
        "emails/orders/placed.txt", subject=subject, order=order, cheque_payee=CHEQUE_PAYEE
    )


def render_letter(order: Order) -> bytes:
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A4, invariant=1)
    pdf.setTitle(f"Commande {order.number}")
    pdf.setAuthor("CGOS Loisirs")
    width, height = A4
    y = height - _MARGIN
    for i, text in enumerate(SENDER):
        pdf.setFont("Helvetica-Bold" if i == 0 else "Helvetica", 10)
        pdf.drawString(_MARGIN, y, text)
        y -= 12
    # The recipient in the envelope's window.
    address = order.ship_address or {}
    lines = [
        address.get("name") or order.holder_name,
        address.get("line1") or "",
        address.get("line2") or "",
        f"{address.get('postal_code', '')} {address.get('city', '')}".strip(),
        (address.get("country") or "") if (address.get("country") or "FR") != "FR" else "",
    ]
    y = height - WINDOW_TOP - 12
    pdf.setFont("Helvetica", 11)
    for text in [line for line in lines if line]:
        pdf.drawString(WINDOW_LEFT, y, text[:48])
        y -= 14
    y = height - WINDOW_TOP - 45 * mm
    pdf.setFont("Helvetica", 10)
    placed = clock.to_paris(order.placed_at).strftime("%d/%m/%Y")
    pdf.drawRightString(width - _MARGIN, y, f"Courtaboeuf, le {placed}")
    y -= 2 * _LEADING
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(
        _MARGIN, y, f"Objet : votre commande {order.number} (N° C.G.O.S {order.cgos_number})"
    )
    y -= 2 * _LEADING
    pdf.setFont("Helvetica", _BODY_SIZE)
    inner = width - 2 * _MARGIN
    for paragraph in body_text(order).strip().splitlines():
        for text in simpleSplit(paragraph, "Helvetica", _BODY_SIZE, inner) or [""]:
            if y < _MARGIN:
                pdf.showPage()
                pdf.setFont("Helvetica", _BODY_SIZE)
                y = height - _MARGIN
            pdf.drawString(_MARGIN, y, text)
            y -= _LEADING
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def mark_printed(order_id: int, actor: object) -> Order:
    """The operator printed the letter (and puts it in the post): « imprimé »."""
    with unit_of_work() as s:
        order = s.scalar(for_update(select(Order).where(Order.id == order_id), of=Order))
        if order is None or not needs_letter(order):
            raise NotFound()
        order.letter_printed_at = clock.utcnow()
        audit.record(actor, "order.letter_printed", f"order:{order.number}")
    return order
