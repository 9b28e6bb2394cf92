"""The finance PDFs (R-REP-2), drawn with ReportLab in the receipts' look (shop/pdf.py)
from rows already read (no query here): the day's cheque remittance slip (« bordereau de
remise de chèques ») and a partner's monthly settlement statement."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from reports.finance import CashedCheque, Settlement
from shop import clock
from shop.pdf import document, esc, eur, head, page_header, styles, table

HOLDER = "C.G.O.S — Comité de Gestion des Œuvres Sociales des établissements hospitaliers publics"
BLANK = "_" * 40  # written by hand when the store does not know the account
_header = page_header("C.G.O.S Loisirs — Finance")


def render_remittance_slip(day: date, cheques: list[CashedCheque], account: str = "") -> bytes:
    """R-REP-2: « Bordereau de remise de chèques » of a Paris day: every cheque cashed that
    day with its bank, number, drawer and amount, then the count and the total. The bank
    needs the account to credit: ``account`` (REMITTANCE_ACCOUNT), or a line to fill in."""
    st = styles()
    buf = io.BytesIO()
    when = clock.format_date_fr(day)
    doc = document(buf, f"Bordereau de remise de chèques du {day.isoformat()}")
    total = sum(c.amount_cents for c in cheques)
    story: list[Any] = [
        Paragraph("Bordereau de remise de chèques", st["title"]),
        Spacer(1, 2 * mm),
        Paragraph(f"Chèques encaissés le {esc(when)}", st["body"]),
        Paragraph(f"Remettant : {esc(HOLDER)}", st["small"]),
        Paragraph(f"Compte à créditer : {esc(account) if account else BLANK}", st["body"]),
        Spacer(1, 5 * mm),
    ]
    rows: list[list[Any]] = [
        head(["N°", "Banque", "N° de chèque", "Tireur", "Commande", "Montant"], st, 5)
    ]
    for index, c in enumerate(cheques, start=1):
        rows.append(
            [
                Paragraph(str(index), st["cell"]),
                Paragraph(esc(c.bank or "—"), st["cell"]),
                Paragraph(esc(c.cheque_number), st["cell"]),
                Paragraph(esc(c.drawer), st["cell"]),
                Paragraph(esc(c.order_number), st["cell"]),
                Paragraph(eur(c.amount_cents), st["num"]),
            ]
        )
    rows.append(
        [
            Paragraph(f"<b>{len(cheques)} chèque(s)</b>", st["cell"]),
            "",
            "",
            "",
            Paragraph("<b>Total</b>", st["cell"]),
            Paragraph(eur(total), st["numb"]),
        ]
    )
    widths = [10 * mm, 30 * mm, 28 * mm, 48 * mm, 32 * mm, 26 * mm]
    story += [
        table(rows, widths, ("SPAN", (0, -1), (3, -1))),
        Spacer(1, 6 * mm),
        Paragraph(
            f"Nombre de chèques : <b>{len(cheques)}</b> — Montant total : <b>{eur(total)}</b>",
            st["body"],
        ),
        Spacer(1, 10 * mm),
        Paragraph("Date et signature du remettant :", st["body"]),
    ]
    if not cheques:
        story.insert(6, Paragraph("Aucun chèque encaissé ce jour.", st["body"]))
    doc.build(story, onFirstPage=_header, onLaterPages=_header)
    return buf.getvalue()


def render_settlement(statement: Settlement) -> bytes:
    """R-REP-2: a partner's monthly statement: per offer the quantity sold and refunded at
    prix négocié, what C.G.O.S owes, and the participation and agents' payments funding it."""
    st = styles()
    buf = io.BytesIO()
    month = statement.month
    label = month.label_fr
    doc = document(buf, f"Relevé de règlement {statement.partner_name} {month.key}")
    story: list[Any] = [
        Paragraph("Relevé de règlement partenaire", st["title"]),
        Spacer(1, 2 * mm),
        Paragraph(f"Partenaire : <b>{esc(statement.partner_name)}</b>", st["body"]),
        Paragraph(f"Mois : <b>{label}</b>", st["body"]),
        Spacer(1, 5 * mm),
    ]
    names = ["Offre", "Qté vendue", "Vendu (négocié)", "Qté remb.", "Remboursé", "Dû"]
    rows: list[list[Any]] = [head(names, st, 1)]
    for line in statement.lines:
        rows.append(
            [
                Paragraph(esc(line.title), st["cell"]),
                Paragraph(str(line.sold_quantity), st["num"]),
                Paragraph(eur(line.sold_negotiated_cents), st["num"]),
                Paragraph(str(line.refunded_quantity), st["num"]),
                Paragraph(eur(-line.refunded_negotiated_cents), st["num"]),
                Paragraph(eur(line.due_cents), st["num"]),
            ]
        )
    rows.append(
        [
            Paragraph("<b>Total</b>", st["cell"]),
            Paragraph(str(statement.sold_quantity), st["numb"]),
            Paragraph(eur(statement.sold_negotiated_cents), st["numb"]),
            Paragraph(str(statement.refunded_quantity), st["numb"]),
            Paragraph(eur(-statement.refunded_negotiated_cents), st["numb"]),
            Paragraph(eur(statement.due_cents), st["numb"]),
        ]
    )
    widths = [62 * mm, 18 * mm, 26 * mm, 16 * mm, 26 * mm, 26 * mm]
    story += [
        table(rows, widths),
        Spacer(1, 6 * mm),
        Paragraph(
            f"Montant dû au partenaire (prix négocié) : <b>{eur(statement.due_cents)}</b>",
            st["body"],
        ),
        Paragraph(
            f"Financé par la participation C.G.O.S : {eur(statement.participation_cents)} "
            f"et par les paiements des agents : {eur(statement.agents_cents)}",
            st["body"],
        ),
        Spacer(1, 6 * mm),
        Paragraph(
            "Vendu : lignes des commandes payées dans le mois (jour de Paris). Remboursé : "
            "lignes remboursées ou rétractées dans le mois, quel que soit le mois de leur "
            "vente. Les frais d'envoi ne sont pas dus au partenaire.",
            st["small"],
        ),
    ]
    if not statement.lines:
        story.insert(5, Paragraph("Aucune vente ni remboursement ce mois-ci.", st["body"]))
    doc.build(story, onFirstPage=_header, onLaterPages=_header)
    return buf.getvalue()
