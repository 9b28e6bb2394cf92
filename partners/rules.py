"""Shipping rules for partners (R-PAR-2, R-PAR-4). Pure: datetimes and strings in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

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


def tracking_error(mode: str, tracking: str | None) -> str | None:
    """R-PAR-4: the French reason a shipment may not be recorded, or None."""
    if mode not in MODE_LABELS:
        return "Choisissez un mode d'envoi."
    tracking = (tracking or "").strip()
    if mode in TRACKED_MODES and not tracking:
        return f"Le numéro de suivi est obligatoire pour un envoi « {MODE_LABELS[mode]} »."
    return tracking_format_error(tracking) if tracking else None


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
