"""Receipts and stay vouchers (R-AGT-3): what a paid order leaves the agent to keep.

A receipt (« Reçu ») is numbered ``R2026-000042``: sequential and without gaps within a
calendar year (Paris time of the payment). The number is taken in the payment's own
transaction (``number_receipt``, called by ``services.mark_paid``) from a counter row of
``receipt_counters`` incremented by one upsert — ``INSERT … ON CONFLICT DO UPDATE SET
last_number = last_number + 1 RETURNING`` — which on PostgreSQL locks that row until the
commit: two payments at the same moment get consecutive numbers, and a payment that
rolls back gives its number back with it. A PostgreSQL sequence would be lock-free but
loses the numbers of rolled-back transactions, which an accountant reads as missing
receipts. The row is taken last in the payment (after the order's lock), so it is held
only for the end of that transaction; nothing locks it first and an order second, so no
deadlock. A phone card payment only authorised (R-PAY-5), and an order paid before
receipts existed, get their number at the first download, under the same two locks.

PDFs are drawn on demand with ReportLab, like e-billets; nothing is stored.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle
from sqlalchemy import select

from catalog.models import Offer, OfferSession
from catalog.rules import Delivery, Kind
from orders import line_kinds
from orders.models import Order, OrderLine, Payment, ReceiptCounter
from orders.status import PAID_STATES, OrderStatus, PaymentStatus
from shop import clock
from shop.db import for_update, session, unit_of_work, upsert
from shop.errors import NotFound
from shop.pdf import RULE, document, esc, eur, page_header, styles, table

# The seller, as the legal pages name it: C.G.O.S sells, SOGEC GESTION manages its orders.
SELLER = (
    "C.G.O.S — Comité de Gestion des Œuvres Sociales des établissements hospitaliers publics",
    "Association loi 1901 à but non lucratif",
    "Commandes gérées par son mandataire : C.G.O.S Billetterie Avantages - SOGEC GESTION",
    "91973 Courtaboeuf Cedex — 01 70 56 59 24",
)
# Orders that were paid: a refunded one keeps its receipt (the refunds are printed on it).
RECEIPT_STATES = frozenset({*PAID_STATES, OrderStatus.REFUNDED})
# Money not in yet (a held phone card payment) or never in (its hold was lost).
_NOT_IN = frozenset({PaymentStatus.AUTHORISED, PaymentStatus.HOLD_LOST})
METHOD_LABELS = {
    "card": "Carte bancaire",
    "demo": "Carte bancaire",
    "cheque": "Chèque",
    "transfer": "Virement",
}
DEFAULT_PICKUP = (
    "Vos billets sont à retirer au guichet du lieu de l'événement, le jour de la séance, "
    "au plus tard 30 minutes avant son début, sur présentation d'une pièce d'identité au nom "
    "du titulaire de la commande et du numéro de commande."
)


def format_number(year: int, seq: int) -> str:
    """``R2026-000042``: the year, then the rank of the receipt in that year."""
    return f"R{year}-{seq:06d}"


def _next_seq(year: int) -> int:
    """The year's next number: one atomic statement that creates or increments the
    counter row and keeps it locked (PostgreSQL) until the caller's commit."""
    stmt = (
        upsert(ReceiptCounter)
        .values(year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[ReceiptCounter.year],
            set_={"last_number": ReceiptCounter.last_number + 1},
        )
        .returning(ReceiptCounter.last_number)
    )
    s = session()
    with s.no_autoflush:  # the order's pending change takes its number in the same UPDATE
        return int(s.scalars(stmt).one())


def number_receipt(order: Order) -> str:
    """R-AGT-3: give ``order`` its receipt number once, inside the unit of work that holds
    the order's lock (the payment, or ``receipt_order``)."""
    if order.receipt_number is None:
        paid = order.paid_at or clock.utcnow()
        year = clock.to_paris(paid).year
        order.receipt_number = format_number(year, _next_seq(year))
    return order.receipt_number


def _payments(order: Order) -> list[Payment]:
    return list(
        session().scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id))
    )


def receipt_ready(order: Order, payments: list[Payment] | None = None) -> bool:
    """A receipt exists once the money is in: paid (or refunded since), and no payment of
    the order still held or lost (R-PAY-5)."""
    if order.status not in RECEIPT_STATES or order.paid_at is None:
        return False
    rows = _payments(order) if payments is None else payments
    return not any(p.kind == "payment" and p.status in _NOT_IN for p in rows)


def receipt_order(order: Order) -> Order:
    """The agent's paid order with its receipt number, numbered now if it has none yet
    (order locked first, then the counter: the payment's lock order). Not ready → 404."""
    if order.receipt_number is not None:
        return order
    if not receipt_ready(order):
        raise NotFound()
    with unit_of_work() as s:
        locked = s.scalars(
            for_update(select(Order).where(Order.id == order.id)),
            execution_options={"populate_existing": True},
        ).one()
        if not receipt_ready(locked):  # re-checked under the lock
            raise NotFound()
        number_receipt(locked)
    return locked


# -- the receipt's PDF ---------------------------------------------------------------------

_header = page_header("C.G.O.S Loisirs")


def _line_label(line: OrderLine) -> str:
    text = esc(line.title)
    if line.session_starts_at:
        text += f"<br/>{clock.format_datetime_fr(line.session_starts_at)}"
    if line.kind == Kind.SEJOUR:
        described = line_kinds.describe(line.kind, line.options)
        if described:
            text += f"<br/>{esc(described)}"
    if line.status == "refunded":
        text += "<br/><i>remboursé</i>"
    elif line.status == "withdrawn":
        text += "<br/><i>rétractation</i>"
    return text


def render_receipt(order: Order) -> bytes:
    """R-AGT-3: number, seller, buyer, each line with prix public, participation C.G.O.S
    and price paid, fees, total, payment method and date, and any refund."""
    assert order.receipt_number is not None, "receipt_order numbers the order first"
    st = styles(title_size=20)
    payments = _payments(order)
    money_in = [p for p in payments if p.kind == "payment" and p.status not in _NOT_IN]
    refunds = [p for p in payments if p.kind == "refund"]
    buf = io.BytesIO()
    doc = document(buf, f"Reçu {order.receipt_number}", f"Commande {order.number}")
    story: list[Any] = [
        Paragraph(f"Reçu n° {order.receipt_number}", st["title"]),
        Spacer(1, 2 * mm),
        Paragraph(
            f"Commande <b>{order.number}</b> passée le {clock.format_datetime_fr(order.placed_at)}",
            st["body"],
        ),
        Spacer(1, 4 * mm),
    ]
    seller = Paragraph("<b>Vendeur</b><br/>" + "<br/>".join(esc(t) for t in SELLER), st["cell"])
    buyer = Paragraph(
        "<b>Client</b><br/>"
        f"{esc(order.holder_name)}<br/>N° C.G.O.S {order.cgos_number}<br/>"
        f"{esc(order.contact_email)}",
        st["cell"],
    )
    parties = Table([[seller, buyer]], colWidths=[100 * mm, 74 * mm])
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [parties, Spacer(1, 6 * mm), Paragraph("Détail", st["h2"])]

    head = ["Article", "Qté", "Prix public", "Participation C.G.O.S", "Prix payé"]
    rows: list[list[Any]] = [
        [Paragraph(f"<b>{h}</b>", st["cell"] if i == 0 else st["num"]) for i, h in enumerate(head)]
    ]
    for line in order.lines:
        rows.append(
            [
                Paragraph(_line_label(line), st["cell"]),
                Paragraph(str(line.quantity), st["num"]),
                Paragraph(eur(_public_cents(line)), st["num"]),
                Paragraph(eur(line.participation_cents), st["num"]),
                Paragraph(eur(line.amount_cents), st["num"]),
            ]
        )
    for fee in order.fees:
        rows.append(
            [
                Paragraph(esc(fee.label), st["cell"]),
                "",
                "",
                "",
                Paragraph(eur(fee.cents), st["num"]),
            ]
        )
    rows.append(
        [
            Paragraph("<b>Total payé</b>", st["cell"]),
            "",
            "",
            Paragraph(eur(order.participation_cents), st["numb"]),
            Paragraph(eur(order.total_cents), st["numb"]),
        ]
    )
    lines = table(rows, [74 * mm, 12 * mm, 28 * mm, 32 * mm, 28 * mm])
    story += [lines, Spacer(1, 6 * mm), Paragraph("Paiement", st["h2"])]
    for p in money_in:
        story.append(
            Paragraph(
                f"{METHOD_LABELS.get(p.method, p.method)} : {eur(p.amount_cents)}, "
                f"reçu le {clock.format_date_fr(p.captured_at or p.created_at)}",
                st["body"],
            )
        )
    if not money_in:  # paid by the back office before payments were rows of their own
        story.append(
            Paragraph(
                f"{METHOD_LABELS.get(order.payment_method, order.payment_method)} : "
                f"{eur(order.total_cents)}, reçu le {clock.format_date_fr(order.paid_at)}",
                st["body"],
            )
        )
    for p in refunds:
        state = "effectué" if p.status == PaymentStatus.REFUNDED else "en cours"
        story.append(
            Paragraph(
                f"Remboursement {state} : {eur(p.amount_cents)}, le "
                f"{clock.format_date_fr(p.created_at)} ({METHOD_LABELS.get(p.method, p.method)})",
                st["body"],
            )
        )
    story += [
        Spacer(1, 8 * mm),
        Paragraph(
            "La participation C.G.O.S est prise en charge par le C.G.O.S au titre de son action "
            "sociale ; elle est déduite du prix et comptée dans le plafond annuel du foyer. "
            "Ce reçu atteste le paiement ; il ne vaut pas billet.",
            st["small"],
        ),
    ]
    doc.build(story, onFirstPage=_header, onLaterPages=_header)
    return buf.getvalue()


def _public_cents(line: OrderLine) -> int:
    """The line's prix public indicatif: each participant's for a stay, else unit × qty."""
    if line.kind == Kind.SEJOUR:
        people = ((line.options or {}).get("stay") or {}).get("participants") or []
        total = sum(int(p.get("public_cents") or 0) for p in people)
        if total:
            return total
    return line.unit_public_cents * line.quantity


# -- stays: the voucher -------------------------------------------------------------------


@dataclass(frozen=True)
class StayFacts:
    """What a paid stay line shows and its voucher prints."""

    line: OrderLine
    starts_on: date | None
    ends_on: date | None
    venue: str | None
    address: str | None
    city: str | None
    participants: str


def stays_of(order: Order) -> list[StayFacts]:
    """The order's active stay lines with their dates and residence, read from the offers
    in one query (the order line keeps only the title)."""
    lines = [li for li in order.lines if li.kind == Kind.SEJOUR and li.status == "active"]
    if not lines:
        return []
    offers = {
        o.id: o
        for o in session().scalars(select(Offer).where(Offer.id.in_({li.offer_id for li in lines})))
    }
    return [
        StayFacts(
            line=li,
            starts_on=offers[li.offer_id].stay_starts_on,
            ends_on=offers[li.offer_id].stay_ends_on,
            venue=offers[li.offer_id].venue,
            address=offers[li.offer_id].venue_address,
            city=offers[li.offer_id].city,
            participants=line_kinds.describe(li.kind, li.options),
        )
        for li in lines
    ]


def stay_of(order: Order, line_id: int) -> StayFacts:
    """One stay of a paid order the caller owns; anything else is a 404."""
    if order.status not in RECEIPT_STATES or order.paid_at is None:
        raise NotFound()
    found = next((f for f in stays_of(order) if f.line.id == line_id), None)
    if found is None:
        raise NotFound()
    return found


def render_voucher(order: Order, stay: StayFacts) -> bytes:
    """« Bon de séjour » (R-AGT-3): to show at arrival — stay, dates, residence and its
    address, participants, holder and order number."""
    st = styles(title_size=20)
    buf = io.BytesIO()
    doc = document(buf, "Bon de séjour", f"Commande {order.number}")
    dates = (
        f"du {clock.format_date_fr(stay.starts_on)} au {clock.format_date_fr(stay.ends_on)}"
        if stay.starts_on and stay.ends_on
        else "selon les dates de l'offre"
    )
    place = "<br/>".join(esc(p) for p in (stay.venue, stay.address, stay.city) if p)
    rows = [
        ("Séjour", esc(stay.line.title)),
        ("Dates", dates),
        ("Lieu", place or "indiqué par l'organisateur"),
        ("Participants", esc(stay.participants) or str(stay.line.quantity)),
        ("Titulaire", f"{esc(order.holder_name)} — N° C.G.O.S {order.cgos_number}"),
        ("Commande", f"{order.number}, payée le {clock.format_date_fr(order.paid_at)}"),
    ]
    table = Table(
        [[Paragraph(f"<b>{k}</b>", st["body"]), Paragraph(v, st["body"])] for k, v in rows],
        colWidths=[35 * mm, 139 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story: list[Any] = [
        Paragraph("Bon de séjour", st["title"]),
        Spacer(1, 2 * mm),
        Paragraph("Bon d'échange à présenter à votre arrivée", st["body"]),
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 8 * mm),
        Paragraph(
            "Présentez ce bon, imprimé ou sur votre téléphone, avec une pièce d'identité du "
            "titulaire. Le séjour est payé : aucune somme ne vous sera demandée pour les "
            "prestations réservées (taxe de séjour et options sur place en sus).",
            st["body"],
        ),
        Spacer(1, 4 * mm),
        Paragraph(
            "Billetterie C.G.O.S : 01 70 56 59 24, du lundi au samedi de 8 h 30 à 18 h 30.",
            st["small"],
        ),
    ]
    doc.build(story, onFirstPage=_header, onLaterPages=_header)
    return buf.getvalue()


# -- pick-up and venue --------------------------------------------------------------------


def pickup_notes(order: Order) -> list[tuple[OrderLine, str]]:
    """« Retrait sur place » lines with where, when and with what to collect them: the
    offer's own text, else the store's default."""
    lines = [li for li in order.lines if li.delivery == Delivery.RETRAIT and li.status == "active"]
    if not lines:
        return []
    wanted = select(Offer.id, Offer.pickup_instructions).where(
        Offer.id.in_({li.offer_id for li in lines})
    )
    texts = {offer_id: text for offer_id, text in session().execute(wanted)}
    return [(li, (texts.get(li.offer_id) or "").strip() or DEFAULT_PICKUP) for li in lines]


def _place(
    line_venue: str | None,
    offer_venue: str | None,
    address: str | None,
    offer_city: str | None,
    session_venue: str | None,
    session_city: str | None,
) -> list[str]:
    venue = line_venue or session_venue or offer_venue
    city = session_city or offer_city
    # A session elsewhere than the offer's venue: the offer's street address is not its own.
    if session_venue and offer_venue and session_venue != offer_venue:
        address = None
    return [text for text in (venue, address, city) if text]


def venues_of(order: Order) -> dict[int, list[str]]:
    """Venue, street address and city of each line (stays excepted), in one query: the
    session's own venue and city when it has them, else the offer's; the address is the
    offer's (R-AGT-3: the e-billet and the order page show all three)."""
    rows = session().execute(
        select(
            OrderLine.id,
            OrderLine.venue,
            Offer.venue,
            Offer.venue_address,
            Offer.city,
            OfferSession.venue,
            OfferSession.city,
        )
        .join(Offer, Offer.id == OrderLine.offer_id)
        .outerjoin(OfferSession, OfferSession.id == OrderLine.session_id)
        .where(OrderLine.order_id == order.id, OrderLine.kind != Kind.SEJOUR)
    )
    return {row[0]: place for row in rows if (place := _place(*row[1:]))}
