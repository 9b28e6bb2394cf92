"""The forgiving agent search (R-OPS-1): one normalised key per dossier, written when the
dossier is saved, so that « hopital », « HÔPITAL » and « Hôpital » find the same agents on
SQLite and PostgreSQL alike with a plain ``LIKE`` (no database extension). Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

KEY_LENGTH = 1000
MAX_WORDS = 6
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d"})
# The dossier fields an operator may type part of, in the key's order.
FIELDS = (
    "cgos_number",
    "nom",
    "prenom",
    "etablissement",
    "etablissement_city",
    "city",
    "email",
)


def normalise(text: str | None) -> str:
    """Lower case, without accents, every run of punctuation or spaces one space."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", plain).strip()


def squash(text: str | None) -> str:
    """``normalise`` without spaces: « Le Gall » and « legall », « Jean-Pierre » and
    « jeanpierre » meet."""
    return normalise(text).replace(" ", "")


def phone_digits(phone: str | None) -> str:
    """A French number as typed on the phone: ``+33 6 12…`` is ``0612…``."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def search_key(values: Mapping[str, Any]) -> str:
    """The key of one dossier (``values`` has the dossier's column names)."""
    words = [normalise(values.get(name)) for name in FIELDS]
    words += [squash(values.get(name)) for name in ("nom", "prenom", "etablissement")]
    words.append(phone_digits(values.get("phone")))
    key = " ".join(w for w in words if w)
    return f" {key} "[:KEY_LENGTH]


def query_terms(q: str | None) -> tuple[list[str], str]:
    """The words every match must contain, and the whole query squashed (a phone number
    typed in pairs, a name typed with or without its space)."""
    words = normalise(q).split()[:MAX_WORDS]
    return words, "".join(words)
