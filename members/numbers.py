"""The N° C.G.O.S, the identifier of an agent's dossier (R-GATE-2). Pure: strings in,
strings out."""

from __future__ import annotations

import re

_CGOS_RE = re.compile(r"^[0-9]{8}[A-Z]$")
_SPACES = re.compile(r"[\s\u00a0\u202f.\-]+")


def normalise_cgos_number(raw: str | None) -> str:
    """``' 1234 5678 a '`` → ``'12345678A'`` (spaces removed, letter upper-cased)."""
    return _SPACES.sub("", raw or "").upper()


def is_valid_cgos_number(number: str) -> bool:
    """8 digits then one letter, after normalisation."""
    return bool(_CGOS_RE.match(number))
