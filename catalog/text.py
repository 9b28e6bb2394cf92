"""Search text normalisation shared by indexing and querying (R-CAT-5). Pure."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str | None) -> str:
    """Lower case, accents removed, punctuation as spaces: « Théâtre-du-Rond » → theatre du rond."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NON_WORD.sub(" ", plain).strip()


def search_words(query: str | None, limit: int = 8) -> list[str]:
    """Words worth searching for (two letters or more), at most ``limit`` of them."""
    return [w for w in normalise(query).split() if len(w) >= 2][:limit]


def offer_search_text(*parts: str | None) -> str:
    return " ".join(p for p in (normalise(x) for x in parts) if p)
