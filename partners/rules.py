"""Shipping and entry-control rules for partners (R-PAR-2, R-PAR-4, R-PAR-8). Pure:
datetimes and strings in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from auth.codes import CODE_ALPHABET

POSTING_DAYS = 8  # R-PAR-2: paper tickets posted at the latest 8 days before the session

MODE_LABELS = {
    "lettre_verte": "Lettre verte",
    "suivi": "Lettre suivie",
    "recommande": "Recommandé",
    "r2": "Recommandé R2",
    "r3": "Recommandé R3",
    "valeur_declaree": "Valeur déclarée",
}
# R-PAR-4: every mode but the plain letter has a tracking number.
TRACKED_MODES = frozenset({"suivi", "recommande", "r2", "r3", "valeur_declaree"})
# A carrier's tracking number: letters and digits, maybe grouped by spaces or hyphens; the
# column holds 60 characters.
TRACKING_MAX = 60
# Order numbers as orders.services writes them (L26-000123): anything else names no order.
ORDER_NUMBER_PATTERN = r"^L[0-9]{2}-[0-9]{6,10}$"
TRACKING_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 -]*$"


def posting_deadline(session_starts_at: list[datetime | None]) -> datetime | None:
    """R-PAR-2: 8 days before the earliest dated session of the group, if any."""
    dated = [s for s in session_starts_at if s is not None]
    return min(dated) - timedelta(days=POSTING_DAYS) if dated else None


def is_late(deadline: datetime | None, now: datetime) -> bool:
    """R-PAR-2: late once the deadline has passed (posting on the deadline itself is on time)."""
    return deadline is not None and now > deadline


# R-PAR-4: the carriers' formats, by mode, checked on the number without its spaces and
# hyphens and in capitals (``normalise_tracking``). The same patterns, on that compact
# form, are the API document's (``partners.openapi``).
#   - S10 (UPU), registered items and declared value: 2 letters, 8 digits and a check
#     digit, 2 letters for the country (RR123456789FR). The check digit is not computed:
#     carriers' own test numbers and older stock break it.
#   - La Poste's domestic registered number: 1 digit, 1 letter, 11 digits (1A12345678901).
#   - Lettre suivie / Colissimo: 11 to 15 letters and digits (6A12345678901, 1L23456789012).
S10_PATTERN = r"^[A-Za-z]{2}[0-9]{9}[A-Za-z]{2}$"
DOMESTIC_REGISTERED_PATTERN = r"^[0-9][A-Za-z][0-9]{11}$"
TRACKED_LETTER_PATTERN = r"^[A-Za-z0-9]{11,15}$"
REGISTERED_PATTERN = r"^([A-Za-z]{2}[0-9]{9}[A-Za-z]{2}|[0-9][A-Za-z][0-9]{11})$"
MODE_TRACKING_PATTERNS = {
    "lettre_verte": TRACKED_LETTER_PATTERN,  # no tracking; a number given is checked anyway
    "suivi": TRACKED_LETTER_PATTERN,
    "recommande": REGISTERED_PATTERN,
    "r2": REGISTERED_PATTERN,
    "r3": REGISTERED_PATTERN,
    "valeur_declaree": REGISTERED_PATTERN,
}
_FORMAT_HINTS = {
    TRACKED_LETTER_PATTERN: "11 à 15 lettres ou chiffres (ex. 1L23456789012)",
    REGISTERED_PATTERN: "2 lettres, 9 chiffres, 2 lettres (ex. RR123456789FR) "
    "ou 1 chiffre, 1 lettre, 11 chiffres (ex. 1A12345678901)",
}
_TRACKING_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_tracking(raw: str | None) -> str:
    """R-PAR-4: the number as stored: separators (spaces, hyphens) dropped, in capitals."""
    return _TRACKING_SEPARATORS.sub("", raw or "").upper()


def tracking_error(mode: str, tracking: str | None) -> str | None:
    """R-PAR-4: the French reason a shipment may not be recorded, or None."""
    if mode not in MODE_LABELS:
        return "Choisissez un mode d'envoi."
    tracking = (tracking or "").strip()
    if mode in TRACKED_MODES and not tracking:
        return f"Le numéro de suivi est obligatoire pour un envoi « {MODE_LABELS[mode]} »."
    if not tracking:
        return None
    return tracking_format_error(tracking) or mode_format_error(mode, tracking)


def mode_format_error(mode: str, tracking: str) -> str | None:
    """R-PAR-4: the French reason ``tracking`` is not a number of ``mode``'s carrier format."""
    pattern = MODE_TRACKING_PATTERNS[mode]
    if re.search(pattern, normalise_tracking(tracking)):
        return None
    return (
        f"Numéro de suivi invalide pour un envoi « {MODE_LABELS[mode]} » : "
        f"{_FORMAT_HINTS[pattern]}."
    )


def tracking_format_error(tracking: str) -> str | None:
    """The French reason a tracking number is malformed (too long, odd characters), or None."""
    if len(tracking) > TRACKING_MAX:
        return f"Le numéro de suivi fait {TRACKING_MAX} caractères au plus."
    if not re.search(TRACKING_PATTERN, tracking):
        return (
            "Le numéro de suivi ne peut contenir que des lettres, des chiffres, "
            "des espaces et des tirets."
        )
    return None


# R-PAR-8: what a controller may type between the characters of an e-billet's code: the
# printed code is grouped by 4 with spaces; people add hyphens, dots, no-break spaces.
_TICKET_SEPARATORS = re.compile(r"[\s\u00a0\u202f.\-_]+")
_TICKET_SYMBOLS = frozenset(CODE_ALPHABET)


def normalise_ticket_code(raw: str | None) -> str:
    """R-PAR-8: the code as stored, from the code as printed or typed (« abcd efgh … »).

    Separators and case are ignored. The look-alike characters (0/O, 1/I/L) are left
    as typed: the e-billet alphabet excludes both sides of each pair, so there is nothing
    to map them to, and a code holding one is no ticket (``is_ticket_code``)."""
    return _TICKET_SEPARATORS.sub("", raw or "").upper()


def is_ticket_code(code: str) -> bool:
    """A normalised code can name an e-billet only if it is written in the e-billet
    alphabet; anything else is answered *invalide* without a lookup."""
    return 0 < len(code) <= 64 and all(c in _TICKET_SYMBOLS for c in code)
