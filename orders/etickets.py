"""E-billets (R-ORD-3) and the mails that bring an order back to its agent (R-ORD-2,
R-ORD-6).

An e-billet is a row with a random secret printed as a QR code on a one-page PDF. Tickets
are issued in the payment's transaction, so a paid order always has them and an unpaid
one (card not yet paid, cheque option) never does. PDFs are drawn on demand, never
stored: the download, the mail attachment and the combined file all come from the rows.

Re-issuing a leaked ticket cancels its row and adds a new one for the same seat (same
line, same ``seq``): the old secret stays in the table as ``cancelled``, so a scanner can
tell "billet remplacé" from "billet inconnu", and the old download link answers 404.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from auth.codes import CODE_ALPHABET
from catalog.models import OfferSession
from catalog.rules import Delivery
from orders.models import ETicket, Order, OrderLine
from orders.receipts import venues_of
from orders.status import STATUS_LABELS, OrderStatus
from orders.terms import CHEQUE_PAYEE
from shop import audit, clock
from shop.db import for_update, session, unit_of_work
from shop.errors import DomainError, NotFound
from shop.mail import Attachment, OutboxMail, attachment_resolver, queue_mail

SECRET_LENGTH = 32  # 31 symbols ** 32 ≈ 2 ** 158: unguessable, and no look-alikes
VALID = "valid"
CANCELLED = "cancelled"
# Order statuses in which the agent may hold and download e-billets.
TICKET_STATES = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.PARTIALLY_REFUNDED,
    }
)
RESEND_PAUSE = timedelta(minutes=1)


def new_secret() -> str:
    """R-ORD-3: 32 characters from the OS's secure source, in the unambiguous alphabet."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(SECRET_LENGTH))


def fingerprint(secret: str) -> str:
    """A short digest that names a secret in the audit log without revealing it."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def _trace(ticket: ETicket) -> dict[str, Any]:
    """What the audit log keeps of a ticket: never its secret."""
    return {
        "ticket": ticket.id,
        "seq": ticket.seq,
        "secret_fingerprint": fingerprint(ticket.secret),
    }


def spaced(secret: str) -> str:
    """``ABCD EFGH …``: the secret as a person reads it to a box office."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@dataclass(frozen=True)
class IssuedTicket:
    """A ticket with what its PDF and its mail print."""

    ticket: ETicket
    line: OrderLine
    order: Order

    @property
    def position(self) -> str:
        return f"{self.ticket.seq}/{self.line.quantity}"

    @property
    def filename(self) -> str:
        return f"e-billet-{self.order.number}-{self.ticket.seq}-{self.ticket.id}.pdf"


def _downloadable(order: Order, line: OrderLine, ticket: ETicket) -> bool:
    return order.status in TICKET_STATES and line.status == "active" and ticket.status == VALID


# -- issuing -----------------------------------------------------------------------------


def issue_for_order(order: Order, *, just_paid: bool = False) -> list[ETicket]:
    """R-ORD-3: inside mark_paid's unit of work, one e-billet per ticket of every
    "e_billet" line, mailed with their PDFs attached. A line already issued is skipped
    (``just_paid``: the order was not paid before this unit of work, so none is)."""
    s = session()
    done: set[int] = set()
    if not just_paid:
        done = set(s.scalars(select(ETicket.order_line_id).where(ETicket.order_id == order.id)))
    now = clock.utcnow()
    wanted: list[tuple[OrderLine, dict[str, Any]]] = []
    for line in order.lines:
        if line.delivery != Delivery.E_BILLET or line.status != "active" or line.id in done:
            continue
        for seq in range(1, line.quantity + 1):
            row = {
                "order_line_id": line.id,
                "order_id": order.id,
                "seq": seq,
                "secret": new_secret(),
                "holder": order.holder_name,
                "status": VALID,
                "issued_at": now,
                "used_at": None,
            }
            wanted.append((line, row))
    if not wanted:
        return []
    # One multi-row INSERT whatever the number of tickets, returning the rows it wrote
    # (matched by their secrets: RETURNING need not follow the VALUES' order).
    # The rows it references are already written: the unit of work's pending changes (the
    # payment, the order's status, the « payée » mail) need not be flushed first, and go
    # out together at commit (one UPDATE of the order, one INSERT of the mails).
    with s.no_autoflush:
        by_secret = {
            t.secret: t
            for t in s.scalars(insert(ETicket).returning(ETicket), [row for _, row in wanted])
        }
    issued = [IssuedTicket(by_secret[row["secret"]], line, order) for line, row in wanted]
    queue_mail(
        order.contact_email,
        "orders/etickets_ready",
        f"Vos e-billets sont prêts — commande {order.number}",
        order=order,
        tickets=issued,
        attachments=[{"kind": "eticket", "id": item.ticket.id} for item in issued],
    )
    return [item.ticket for item in issued]


def reissue(ticket_id: int, actor: Any) -> ETicket:
    """R-ORD-3, for operators: a leaked e-billet gets a new secret and the old one stops
    being valid; the other tickets of the order are untouched. Audited with fingerprints
    only (a secret never reaches the log), and the new ticket is mailed."""
    found = session().get(ETicket, ticket_id)
    if found is None:
        raise NotFound()
    with unit_of_work() as s:
        # Lock the order, as refunds do, so a cancellation cannot interleave.
        order = s.scalar(
            for_update(select(Order).where(Order.id == found.order_id)).execution_options(
                populate_existing=True
            )
        )
        old = s.scalar(
            select(ETicket).where(ETicket.id == ticket_id).execution_options(populate_existing=True)
        )
        assert old is not None, "found above; tickets go only with a 10-year-old order"
        line = s.get(OrderLine, old.order_line_id)
        assert line is not None, "a ticket's line (foreign key)"
        if old.status != VALID:
            raise DomainError("Cet e-billet n'est plus valable : il a déjà été remplacé ou annulé.")
        if old.used_at is not None:
            raise DomainError(
                "Cet e-billet a déjà été utilisé le "
                f"{clock.format_datetime_fr(old.used_at)} : il ne peut pas être réémis."
            )
        if not _downloadable(order, line, old):
            raise DomainError(
                "Cette commande n'a plus d'e-billet valable (annulée ou remboursée).",
                rule="R-ORD-3",
            )
        old.status = CANCELLED
        new = ETicket(
            order_line_id=old.order_line_id,
            order_id=old.order_id,
            seq=old.seq,
            secret=new_secret(),
            holder=old.holder,
            status=VALID,
            issued_at=clock.utcnow(),
        )
        s.add(new)
        s.flush()
        audit.record(
            actor,
            "eticket.reissued",
            f"order:{order.number}",
            before=_trace(old),
            after=_trace(new),
        )
        queue_mail(
            order.contact_email,
            "orders/eticket_reissued",
            f"Votre e-billet a été remplacé — commande {order.number}",
            order=order,
            tickets=[IssuedTicket(new, line, order)],
            attachments=[{"kind": "eticket", "id": new.id}],
        )
    return new


# -- reading, for the agent's pages ------------------------------------------------------


def tickets_of(order: Order) -> list[IssuedTicket]:
    """The order's valid e-billets, in line then seat order; none before payment. One
    query whatever the number of lines and tickets."""
    if order.status not in TICKET_STATES:
        return []
    rows = session().execute(
        select(ETicket, OrderLine)
        .join(OrderLine, OrderLine.id == ETicket.order_line_id)
        .where(ETicket.order_id == order.id, ETicket.status == VALID)
        .order_by(OrderLine.id, ETicket.seq)
    )
    return [
        IssuedTicket(ticket, line, order)
        for ticket, line in rows
        if _downloadable(order, line, ticket)
    ]


def ticket_of(order: Order, ticket_id: int) -> IssuedTicket:
    """One downloadable e-billet of an order the caller already owns; else 404."""
    item = next((t for t in tickets_of(order) if t.ticket.id == ticket_id), None)
    if item is None:
        raise NotFound()
    return item


@attachment_resolver("eticket")
def _eticket_attachment(ticket_id: int) -> Attachment | None:
    """Built when the mail leaves: a ticket re-issued or cancelled meanwhile is left out."""
    row = (
        session()
        .execute(
            select(ETicket, OrderLine, Order)
            .join(OrderLine, OrderLine.id == ETicket.order_line_id)
            .join(Order, Order.id == ETicket.order_id)
            .where(ETicket.id == ticket_id)
        )
        .first()
    )
    if row is None or not _downloadable(row.Order, row.OrderLine, row.ETicket):
        return None
    item = IssuedTicket(row.ETicket, row.OrderLine, row.Order)
    return Attachment(item.filename, "application/pdf", render_pdf([item]))


# -- the PDF -----------------------------------------------------------------------------

_BRAND = HexColor("#0b4f8a")
_INK = HexColor("#1a1a1a")
_MUTED = HexColor("#4a4a4a")


def render_pdf(items: list[IssuedTicket]) -> bytes:
    """One A4 page per e-billet: event, session (Paris time, in French), venue, holder,
    order number, "n/N", the QR code of the secret and the secret in text."""
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A4, invariant=1)
    pdf.setTitle("E-billet" if len(items) == 1 else "E-billets")
    pdf.setAuthor("CGOS Loisirs")
    pdf.setSubject(f"Commande {items[0].order.number}" if items else "E-billets")
    places: dict[int, list[str]] = {}  # one read per order, whatever its number of tickets
    read: set[int] = set()
    for item in items:
        if item.order.id not in read:
            read.add(item.order.id)
            places.update(venues_of(item.order))
        _draw_ticket(pdf, item, places.get(item.line.id, []))
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _draw_ticket(pdf: Canvas, item: IssuedTicket, place: list[str]) -> None:
    width, height = A4
    left = 20 * mm
    inner = width - 2 * left
    # Header band.
    pdf.setFillColor(_BRAND)
    pdf.rect(0, height - 28 * mm, width, 28 * mm, stroke=0, fill=1)
    pdf.setFillColor(white)
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(left, height - 17 * mm, "C.G.O.S Loisirs — E-billet")
    pdf.setFont("Helvetica", 12)
    pdf.drawRightString(width - left, height - 17 * mm, f"Billet {item.position}")

    y = height - 45 * mm
    pdf.setFillColor(_INK)
    pdf.setFont("Helvetica-Bold", 22)
    for text in simpleSplit(item.line.title, "Helvetica-Bold", 22, inner)[:3]:
        pdf.drawString(left, y, text)
        y -= 9 * mm
    y -= 3 * mm
    when = (
        clock.format_datetime_fr(item.line.session_starts_at)
        if item.line.session_starts_at
        else "Billet non daté : valable selon les conditions de l'offre"
    )
    rows = [("Date", when)]
    if place:  # R-AGT-3: venue, street address and city
        rows.append(("Lieu", ", ".join(place)))
    rows += [
        ("Titulaire", item.ticket.holder),
        ("Commande", item.order.number or ""),
        ("Billet", item.position),
    ]
    for label, value in rows:
        pdf.setFont("Helvetica", 11)
        pdf.setFillColor(_MUTED)
        pdf.drawString(left, y, label)
        pdf.setFont("Helvetica-Bold", 13)
        pdf.setFillColor(_INK)
        for text in simpleSplit(value, "Helvetica-Bold", 13, inner - 35 * mm)[:3]:
            pdf.drawString(left + 35 * mm, y, text)
            y -= 7 * mm
        y -= 2 * mm

    # The barcode: a QR code of the secret (alphanumeric mode fits the alphabet).
    size = 70 * mm
    widget = QrCodeWidget(item.ticket.secret, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    qr_y = y - size - 6 * mm
    renderPDF.draw(drawing, pdf, (width - size) / 2, qr_y)
    pdf.setFont("Courier-Bold", 13)
    pdf.drawCentredString(width / 2, qr_y - 4 * mm, spaced(item.ticket.secret))

    pdf.setFont("Helvetica", 10)
    pdf.setFillColor(_MUTED)
    notes = [
        "Billet nominatif et personnel : son code ne peut être utilisé qu'une seule fois.",
        "Présentez-le imprimé ou sur votre téléphone. Ne le partagez pas et ne le publiez pas.",
        "Billet ferme et définitif : ni échangé ni remboursé, sauf annulation de l'événement.",
        "Billetterie C.G.O.S : 01 70 56 59 24, du lundi au samedi de 8 h 30 à 18 h 30.",
    ]
    y = 30 * mm
    for note in notes:
        pdf.drawString(left, y, note)
        y -= 5.5 * mm


# -- confirmation mails, again (R-ORD-6) -------------------------------------------------


def _event_cancelled(order: Order) -> bool:
    """Whether one of the order's sessions was cancelled by C.G.O.S (its cancellation mail
    then says nothing went back on sale)."""
    ids = [line.session_id for line in order.lines if line.session_id is not None]
    if not ids:
        return False
    found = session().scalar(
        select(OfferSession.id).where(OfferSession.id.in_(ids), OfferSession.cancelled).limit(1)
    )
    return found is not None


def resend_confirmation(order_id: int, actor: Any) -> OutboxMail:
    """R-ORD-6 « Renvoyer la confirmation »: queue again the mail that matches the order's
    current status (placed, paid or e-billets ready, cancelled, or a status summary).
    The same mail is not queued twice within a minute."""
    with unit_of_work() as s:
        order = s.scalar(
            select(Order)
            .where(Order.id == order_id)
            .options(selectinload(Order.lines), selectinload(Order.fees))
        )
        if order is None:
            raise NotFound()
        status = OrderStatus(order.status)
        tickets = tickets_of(order)
        attachments = [{"kind": "eticket", "id": t.ticket.id} for t in tickets]
        context: dict[str, Any] = {"order": order}
        if status in (OrderStatus.PENDING_PAYMENT, OrderStatus.OPTION):
            kind, subject = "orders/placed", f"Votre commande {order.number}"
            context["cheque_payee"] = CHEQUE_PAYEE
            attachments = []
        elif status == OrderStatus.CANCELLED:
            kind, subject = "orders/cancelled", f"Commande {order.number} annulée"
            context.update(
                reason=order.cancel_reason or "",
                expired=False,
                event_cancelled=_event_cancelled(order),
            )
        elif status == OrderStatus.PAID and tickets:
            kind = "orders/etickets_ready"
            subject = f"Vos e-billets sont prêts — commande {order.number}"
            context["tickets"] = tickets
        elif status == OrderStatus.PAID:
            kind, subject = "orders/paid", f"Commande {order.number} payée"
        else:
            kind = "orders/status"
            subject = f"Votre commande {order.number} : {STATUS_LABELS[status].lower()}"
            context.update(status_label=STATUS_LABELS[status], tickets=tickets)
        recent = s.scalar(
            select(OutboxMail.id)
            .where(
                OutboxMail.to == order.contact_email,
                OutboxMail.subject == subject,
                OutboxMail.created_at > clock.utcnow() - RESEND_PAUSE,
            )
            .limit(1)
        )
        if recent is not None:
            raise DomainError(
                "Cet e-mail vient de vous être envoyé : patientez une minute avant de "
                "demander un nouvel envoi.",
                rule="R-ORD-6",
            )
        mail = queue_mail(
            order.contact_email, kind, subject, attachments=attachments or None, **context
        )
        if getattr(actor, "is_staff", False):
            audit.record(actor, "order.confirmation_resent", f"order:{order.number}")
    return mail
