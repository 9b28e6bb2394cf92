"""Packing slips and the pick list as PDF (R-PAR-3): one A4 page per parcel, drawn with
reportlab as the e-billets are, from rows already loaded (no query here)."""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from partners import rules
from partners.parcels import Parcel, PickRow
from shop import clock

MARGIN = 18 * mm
WIDTH, HEIGHT = A4
INNER = WIDTH - 2 * MARGIN


def _when(value: datetime | None) -> str:
    return clock.format_datetime_fr(value) if value else "—"


class _Page:
    """A cursor going down the page; a new page when the bottom is reached."""

    def __init__(self, pdf: Canvas) -> None:
        self.pdf = pdf
        self.y = HEIGHT - MARGIN

    def text(self, value: str, size: int = 11, bold: bool = False, indent: float = 0) -> None:
        font = "Helvetica-Bold" if bold else "Helvetica"
        for part in simpleSplit(value, font, size, INNER - indent) or [""]:
            if self.y < MARGIN + size:
                self.pdf.showPage()
                self.y = HEIGHT - MARGIN
            self.pdf.setFont(font, size)
            self.pdf.drawString(MARGIN + indent, self.y - size, part)
            self.y -= size * 1.35

    def gap(self, points: float = 6) -> None:
        self.y -= points


def render_slips(parcels: list[Parcel]) -> bytes:
    """One page per parcel: order, deadline, recipients, the lines to put in, the mode."""
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A4, invariant=1)
    pdf.setTitle("Bons de préparation")
    for parcel in parcels:
        _slip(_Page(pdf), parcel)
        pdf.showPage()
    if not parcels:
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _slip(page: _Page, parcel: Parcel) -> None:
    e = parcel.entry
    page.text(f"Bon de préparation — commande {e.order.number}", 18, bold=True)
    line = e.group_label
    if e.deadline:
        line += f" — à poster avant le {_when(e.deadline)}"
        if parcel.late:
            line += " — EN RETARD"
    page.text(line, 12)
    page.gap(8)
    page.text("Destinataire" + ("s" if len(e.addresses) > 1 else ""), 13, bold=True)
    for a in e.addresses:
        page.text(str(a.get("name") or e.order.holder_name), indent=4 * mm)
        for key in ("line1", "line2"):
            if a.get(key):
                page.text(str(a[key]), indent=4 * mm)
        page.text(f"{a.get('postal_code', '')} {a.get('city', '')}".strip(), indent=4 * mm)
        if a.get("country"):
            page.text(str(a["country"]), indent=4 * mm)
        page.gap(4)
    page.gap(6)
    page.text("Liste de préparation", 13, bold=True)
    for ln in e.lines:
        session = f" — séance du {_when(ln.session_starts_at)}" if ln.session_starts_at else ""
        page.text(f"{ln.quantity} × {ln.title}{session}", indent=4 * mm)
    page.gap(8)
    mode = rules.MODE_LABELS.get(e.suggested_mode, e.suggested_mode)
    page.text(f"Mode d'envoi payé par l'agent : {mode}")
    if parcel.shipment is not None:
        s = parcel.shipment
        done = f"Expédié le {_when(s.shipped_at)} — {rules.MODE_LABELS.get(s.mode, s.mode)}"
        page.text(done + (f", n° de suivi {s.tracking_number}" if s.tracking_number else ""))


def render_pick_list(rows: list[PickRow], totals: dict[str, int], parcels: int) -> bytes:
    """The pick list: per article and session, the quantity to take; totals per article."""
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A4, invariant=1)
    pdf.setTitle("Liste de préparation")
    page = _Page(pdf)
    page.text("Liste de préparation", 18, bold=True)
    page.text(f"{parcels} colis", 12)
    page.gap(8)
    current = None
    for row in rows:
        if row.title != current:
            if current is not None:
                page.text(f"Total {current} : {totals[current]}", bold=True, indent=4 * mm)
                page.gap(4)
            current = row.title
            page.text(row.title, 13, bold=True)
        when = f"séance du {_when(row.session_starts_at)}" if row.session_starts_at else "non daté"
        page.text(f"{row.quantity} — {when} ({row.parcels} colis)", indent=4 * mm)
    if current is not None:
        page.text(f"Total {current} : {totals[current]}", bold=True, indent=4 * mm)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
