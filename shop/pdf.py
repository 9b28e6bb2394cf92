"""The store's A4 documents drawn with ReportLab's platypus (the agents' receipts, the
finance slips and statements): one look for all of them, so a receipt and a remittance
slip read as papers of the same house. Each document builds its own story of
paragraphs and tables with these styles."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from shop.money import format_eur

BRAND = colors.HexColor("#0b4f8a")  # the e-billets' and letters' blue
MUTED = colors.HexColor("#4a4a4a")  # 8.9:1 on white
RULE = colors.HexColor("#bbbbbb")
HEAD_FILL = colors.HexColor("#eef3f8")
MARGIN = 18 * mm


def eur(cents: int) -> str:
    """Amounts as the pages write them; Helvetica has no narrow no-break space."""
    return format_eur(cents).replace("\u202f", "\u00a0")


def esc(text: str) -> str:
    """Text inside a Paragraph, which reads a little XML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def styles(title_size: int = 18) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body", parent=getSampleStyleSheet()["Normal"], fontName="Helvetica", fontSize=10
    )
    return {
        "title": ParagraphStyle(
            "title",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=title_size,
            leading=title_size + 4,
        ),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName="Helvetica-Bold", fontSize=12, leading=16, spaceBefore=8
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11),
        "num": ParagraphStyle("num", parent=body, fontSize=9, leading=11, alignment=TA_RIGHT),
        "numb": ParagraphStyle(
            "numb",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=9,
            leading=11,
            alignment=TA_RIGHT,
        ),
    }


def page_header(banner: str) -> Callable[[Any, Any], None]:
    """The band across the top of every page with ``banner``, the page number below."""

    def draw(pdf: Any, doc: Any) -> None:
        width, height = A4
        pdf.saveState()
        pdf.setFillColor(BRAND)
        pdf.rect(0, height - 22 * mm, width, 22 * mm, stroke=0, fill=1)
        pdf.setFillColor(colors.white)
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(MARGIN, height - 14 * mm, banner)
        pdf.setFont("Helvetica", 9)
        pdf.setFillColor(MUTED)
        pdf.drawRightString(width - MARGIN, 10 * mm, f"Page {doc.page}")
        pdf.restoreState()

    return draw


def document(buf: io.BytesIO, title: str, subject: str = "") -> SimpleDocTemplate:
    """An A4 page under the header band; ``invariant`` makes the same input give the same
    bytes (tests compare them)."""
    return SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=32 * mm,
        bottomMargin=MARGIN,
        title=title,
        author="CGOS Loisirs",
        subject=subject,
        invariant=1,
    )


def table(rows: list[list[Any]], widths: list[float], *extra: Any) -> Table:
    """A table with its header row repeated on each page, a rule under it and above the
    last row (the total), thin rules between the rest; ``extra`` style commands first."""
    t = Table(rows, colWidths=widths, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                *extra,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, BRAND),
                ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, BRAND),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
            ]
        )
    )
    return t


def head(names: list[str], st: dict[str, ParagraphStyle], numeric_from: int) -> list[Any]:
    """A header row: names in bold, right-aligned from column ``numeric_from`` on."""
    return [
        Paragraph(f"<b>{esc(n)}</b>", st["num"] if i >= numeric_from else st["cell"])
        for i, n in enumerate(names)
    ]
