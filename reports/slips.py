"""The finance PDFs (R-REP-2), drawn with ReportLab like the receipts (orders/receipts.py)
from rows already read (no query here): the day's cheque remittance slip (« bordereau de
remise de chèques ») and a partner's monthly settlement statement."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from reports.finance import CashedCheque, Settlement
from shop import clock
from shop.money import format_eur

BRAND = colors.HexColor("#00558c")
MUTED = colors.HexColor("#555555")
HOLDER = "C.G.O.S — Comité de Gestion des Œuvres Sociales des établissements hospitaliers publics"


def _eur(cents: int) -> str:
    """Helvetica has no narrow no-break space: a plain no-break space instead."""
    return format_eur(cents).replace("\u202f", "\u00a0")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body", parent=getSampleStyleSheet()["Normal"], fontName="Helvetica", fontSize=10
    )
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName="Helvetica-Bold", fontSize=18, leading=22
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11),
        "num": ParagraphStyle("num", parent=body, fontSize=9, leading=11, alignment=TA_RIGHT),
        "numb": ParagraphStyle(
            "numb", parent=body, fontName="Helvetica-Bold", fontSize=9, alignment=TA_RIGHT
        ),
    }


def _header(pdf: Any, doc: Any) -> None:
    width, height = A4
    pdf.saveState()
    pdf.setFillColor(BRAND)
    pdf.rect(0, height - 22 * mm, width, 22 * mm, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(18 * mm, height - 14 * mm, "C.G.O.S Loisirs — Finance")
    pdf.setFont("Helvetica", 9)
    pdf.setFillColor(MUTED)
    pdf.drawRightString(width - 18 * mm, 10 * mm, f"Page {doc.page}")
    pdf.restoreState()


def _document(buf: io.BytesIO, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=32 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="CGOS Loisirs",
        invariant=1,
    )


def _table(rows: list[list[Any]], widths: list[float], *extra: Any) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                *extra,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, BRAND),
                ("LINEBELOW", (0, 1), (-1, -2), 0.25, colors.HexColor("#bbbbbb")),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, BRAND),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef3f8")),
            ]
        )
    )
    return table


def _head(names: list[str], st: dict[str, ParagraphStyle], numeric_from: int) -> list[Any]:
    return [
        Paragraph(f"<b>{_esc(n)}</b>", st["num"] if i >= numeric_from else st["cell"])
        for i, n in enumerate(names)
    ]


def render_remittance_slip(day: date, cheques: list[CashedCheque]) -> bytes:
    """R-REP-2: « Bordereau de remise de chèques » of a Paris day: every cheque cashed that
    day with its bank, number, drawer and amount, then the count and the total."""
    st = _styles()
    buf = io.BytesIO()
    when = clock.format_date_fr(day)
    doc = _document(buf, f"Bordereau de remise de chèques du {day.isoformat()}")
    total = sum(c.amount_cents for c in cheques)
    story: list[Any] = [
        Paragraph("Bordereau de remise de chèques", st["title"]),
        Spacer(1, 2 * mm),
        Paragraph(f"Chèques encaissés le {_esc(when)}", st["body"]),
        Paragraph(f"Remettant : {_esc(HOLDER)}", st["small"]),
        Spacer(1, 5 * mm),
    ]
    rows: list[list[Any]] = [
        _head(["N°", "Banque", "N° de chèque", "Tireur", "Commande", "Montant"], st, 5)
    ]
    for index, c in enumerate(cheques, start=1):
        rows.append(
            [
                Paragraph(str(index), st["cell"]),
                Paragraph(_esc(c.bank or "—"), st["cell"]),
                Paragraph(_esc(c.cheque_number), st["cell"]),
                Paragraph(_esc(c.drawer), st["cell"]),
                Paragraph(_esc(c.order_number), st["cell"]),
                Paragraph(_eur(c.amount_cents), st["num"]),
            ]
        )
    rows.append(
        [
            Paragraph(f"<b>{len(cheques)} chèque(s)</b>", st["cell"]),
            "",
            "",
            "",
            Paragraph("<b>Total</b>", st["cell"]),
            Paragraph(_eur(total), st["numb"]),
        ]
    )
    widths = [10 * mm, 30 * mm, 28 * mm, 48 * mm, 32 * mm, 26 * mm]
    story += [
        _table(rows, widths, ("SPAN", (0, -1), (3, -1))),
        Spacer(1, 6 * mm),
        Paragraph(
            f"Nombre de chèques : <b>{len(cheques)}</b> — Montant total : <b>{_eur(total)}</b>",
            st["body"],
        ),
        Spacer(1, 10 * mm),
        Paragraph("Date et signature du remettant :", st["body"]),
    ]
    if not cheques:
        story.insert(5, Paragraph("Aucun chèque encaissé ce jour.", st["body"]))
    doc.build(story, onFirstPage=_header, onLaterPages=_header)
    return buf.getvalue()


def render_settlement(statement: Settlement) -> bytes:
    """R-REP-2: a partner's monthly statement: per offer the quantity sold and refunded at
    prix négocié, what C.G.O.S owes, and the participation and agents' payments funding it."""
    st = _styles()
    buf = io.BytesIO()
    month = statement.month
    label = month.label_fr
    doc = _document(buf, f"Relevé de règlement {statement.partner_name} {month.key}")
    story: list[Any] = [
        Paragraph("Relevé de règlement partenaire", st["title"]),
        Spacer(1, 2 * mm),
        Paragraph(f"Partenaire : <b>{_esc(statement.partner_name)}</b>", st["body"]),
        Paragraph(f"Mois : <b>{label}</b>", st["body"]),
        Spacer(1, 5 * mm),
    ]
    head = ["Offre", "Qté vendue", "Vendu (négocié)", "Qté remb.", "Remboursé", "Dû"]
    rows: list[list[Any]] = [_head(head, st, 1)]
    for line in statement.lines:
        rows.append(
            [
                Paragraph(_esc(line.title), st["cell"]),
                Paragraph(str(line.sold_quantity), st["num"]),
                Paragraph(_eur(line.sold_negotiated_cents), st["num"]),
                Paragraph(str(line.refunded_quantity), st["num"]),
                Paragraph(_eur(-line.refunded_negotiated_cents), st["num"]),
                Paragraph(_eur(line.due_cents), st["num"]),
            ]
        )
    rows.append(
        [
            Paragraph("<b>Total</b>", st["cell"]),
            Paragraph(str(statement.sold_quantity), st["numb"]),
            Paragraph(_eur(statement.sold_negotiated_cents), st["numb"]),
            Paragraph(str(statement.refunded_quantity), st["numb"]),
            Paragraph(_eur(-statement.refunded_negotiated_cents), st["numb"]),
            Paragraph(_eur(statement.due_cents), st["numb"]),
        ]
    )
    widths = [62 * mm, 18 * mm, 26 * mm, 16 * mm, 26 * mm, 26 * mm]
    story += [
        _table(rows, widths),
        Spacer(1, 6 * mm),
        Paragraph(
            f"Montant dû au partenaire (prix négocié) : <b>{_eur(statement.due_cents)}</b>",
            st["body"],
        ),
        Paragraph(
            f"Financé par la participation C.G.O.S : {_eur(statement.participation_cents)} "
            f"et par les paiements des agents : {_eur(statement.agents_cents)}",
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
