"""The access-code letter (R-OPS-7): for an agent without e-mail, or who asks for one, a
one-page A4 letter drawn with reportlab as the e-billets are. The agent's postal address
sits where a French DL window envelope shows it (right-hand window, 100 × 45 mm); the code
is printed on the letter only, never kept in clear anywhere."""

from __future__ import annotations

import io
from datetime import date

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from members.dossier_format import DossierRecord
from shop.clock import format_date_fr

WIDTH, HEIGHT = A4
LEFT = 20 * mm
INNER = WIDTH - 2 * LEFT
# The window of a DL envelope (110 × 220 mm) with the letter folded in three.
WINDOW_LEFT = 110 * mm
WINDOW_TOP = HEIGHT - 50 * mm
WINDOW_WIDTH = 85 * mm
HELP_PHONE = "01 70 56 59 24"
_BRAND = HexColor("#0b4f8a")
_INK = HexColor("#1a1a1a")


def address_lines(record: DossierRecord) -> list[str]:
    """The postal address, as La Poste wants it: name, lines, postcode and city."""
    lines = [f"{record.civilite} {record.prenom} {record.nom}".strip(), record.address_line1]
    if record.address_line2:
        lines.append(record.address_line2)
    lines.append(f"{record.postal_code} {record.city.upper()}")
    if record.country and record.country != "FR":
        lines.append(record.country)
    return lines


def render_code_letter(record: DossierRecord, code: str, today: date) -> bytes:
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A4, invariant=1)
    pdf.setTitle("Votre code d'accès CGOS Loisirs")
    pdf.setAuthor("CGOS Loisirs")
    # Sender, top left.
    pdf.setFillColor(_BRAND)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(LEFT, HEIGHT - 20 * mm, "C.G.O.S Loisirs — la billetterie")
    pdf.setFillColor(_INK)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(LEFT, HEIGHT - 26 * mm, f"Téléphone : {HELP_PHONE}")
    # Recipient, in the envelope's window.
    y = WINDOW_TOP - 11
    for index, line in enumerate(address_lines(record)):
        font = "Helvetica-Bold" if index == 0 else "Helvetica"
        for part in simpleSplit(line, font, 11, WINDOW_WIDTH):
            pdf.setFont(font, 11)
            pdf.drawString(WINDOW_LEFT, y, part)
            y -= 14
    # The letter, below the window.
    y = HEIGHT - 110 * mm
    pdf.setFont("Helvetica", 11)
    pdf.drawRightString(WIDTH - LEFT, y, f"Le {format_date_fr(today)}")
    y -= 14 * mm
    pdf.setFont("Helvetica-Bold", 13)
    pdf.drawString(LEFT, y, "Objet : votre nouveau code d'accès prestataires")
    y -= 12 * mm
    paragraphs = [
        f"Bonjour {record.prenom} {record.nom},",
        "Voici votre nouveau code d'accès à la boutique CGOS Loisirs. Il remplace le code "
        "précédent, qui ne fonctionne plus.",
    ]
    y = _paragraphs(pdf, paragraphs, y)
    y -= 4 * mm
    pdf.setFont("Helvetica", 12)
    pdf.drawString(LEFT + 10 * mm, y, f"Votre N° C.G.O.S : {record.cgos_number}")
    y -= 9 * mm
    pdf.drawString(LEFT + 10 * mm, y, "Votre code d'accès :")
    pdf.setFont("Courier-Bold", 20)
    pdf.drawString(LEFT + 55 * mm, y - 1, code)
    y -= 14 * mm
    paragraphs = [
        "Pour vous connecter, saisissez votre N° C.G.O.S et ce code. Gardez cette lettre en "
        "lieu sûr et ne communiquez ce code à personne : la billetterie ne vous le "
        "demandera jamais.",
        f"Vous n'êtes pas à l'origine de cette demande ? Appelez la billetterie au {HELP_PHONE}.",
        "La billetterie C.G.O.S",
    ]
    _paragraphs(pdf, paragraphs, y)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _paragraphs(pdf: Canvas, paragraphs: list[str], y: float) -> float:
    pdf.setFont("Helvetica", 11)
    for text in paragraphs:
        for part in simpleSplit(text, "Helvetica", 11, INNER):
            pdf.drawString(LEFT, y, part)
            y -= 15
        y -= 6
    return y
