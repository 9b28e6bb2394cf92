"""Search text normalisation shared by indexing and querying (R-CAT-5). Pure.

An offer is indexed under two texts: its *key* (title, category and kind words: what the
offer is) and its *text* (the key, summary, description, venue, city, partner). A query
word matches a word of the text that starts with it (« cygne » finds « cygnes »); a query
that finds nothing as typed is tried again with one typo allowed per word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from catalog.categories import BY_SLUG
from catalog.rules import KIND_LABELS

_NON_WORD = re.compile(r"[^0-9a-z]+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"

# Short French words a query may hold that an offer need not (« concert de jazz »).
STOP_WORDS = frozenset(
    ("a", "au", "aux", "avec", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les")
    + ("non", "ou", "par", "pour", "sur", "un", "une")
)
# Words people type for a category beyond its label (the label's own words are indexed).
CATEGORY_WORDS: dict[str, str] = {
    "spectacles": "spectacle",
    "concerts": "concert musique",
    "sport": "match",
    "parcs-et-loisirs": "parc loisir",
    "cinema": "film cine",
    "cartes-et-cheques": "carte cheque",
    "abonnements-magazines": "abonnement magazine revue presse",
    "cheques-culture": "cheque culture",
    "sejours": "sejour vacances",
}
TYPO_MIN_LENGTH = 4  # a shorter word has too many neighbours one typo away
TWO_TYPOS_MIN_LENGTH = 8  # a long word may hold two (« imaginere » for « imaginaire »)
MAX_WORDS = 8


def normalise(text: str | None) -> str:
    """Lower case, accents removed, punctuation as spaces: « Théâtre-du-Rond » → theatre du rond."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NON_WORD.sub(" ", plain).strip()


def search_words(query: str | None, limit: int = MAX_WORDS) -> list[str]:
    """Words worth searching for (two letters or more, no stop word), at most ``limit``."""
    words = [w for w in normalise(query).split() if len(w) >= 2 and w not in STOP_WORDS]
    return words[:limit]


def stem(word: str) -> str:
    """A plural's final s or x dropped (« magazines » → magazine, « jeux » → jeu): the
    word is then matched as a prefix, so the singular and the plural both match."""
    if len(word) > TYPO_MIN_LENGTH and word[-1] in "sx":
        return word[:-1]
    return word


def typo_variants(word: str) -> frozenset[str]:
    """Every word one typo away from ``word`` (a letter missing, extra, wrong, or two
    swapped), none shorter than ``TYPO_MIN_LENGTH``; nothing for a short word or a number."""
    if len(word) < TYPO_MIN_LENGTH or not word.isalpha():
        return frozenset()
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in cuts if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
    out |= {a + c + b[1:] for a, b in cuts if b for c in _LETTERS}
    out |= {a + c + b for a, b in cuts for c in _LETTERS}
    return frozenset(v for v in out if len(v) >= TYPO_MIN_LENGTH and v != word)


def typo_distance(a: str, b: str, limit: int = 2) -> int:
    """Letters missing, extra, wrong or swapped between ``a`` and ``b`` (optimal string
    alignment), or ``limit + 1`` as soon as it is known to be more than ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def two_typos_away(word: str, candidate: str) -> bool:
    """A long query word and a word of the catalog two typos apart, first letter kept
    (the vocabulary is read by first letter and length)."""
    return (
        len(word) >= TWO_TYPOS_MIN_LENGTH
        and candidate[:1] == word[:1]
        and candidate != word
        and typo_distance(word, candidate) <= 2
    )


@dataclass(frozen=True)
class Term:
    """One query word: the offer must hold a word starting with ``stem`` or, when typos
    are allowed, with one of ``variants``."""

    stem: str
    variants: frozenset[str]

    def prefixes(self, typos: bool) -> list[str]:
        return [self.stem, *sorted(self.variants)] if typos else [self.stem]


def search_terms(query: str | None) -> list[Term]:
    """R-CAT-5: the query as terms, all of which an offer must match."""
    terms: list[Term] = []
    for word in search_words(query):
        root = stem(word)
        if root not in {t.stem for t in terms}:
            terms.append(Term(root, typo_variants(root)))
    return terms


def offer_search_text(*parts: str | None) -> str:
    return " ".join(p for p in (normalise(x) for x in parts) if p)


def catalog_words(category: str | None, kind: str | None) -> str:
    """The words of an offer's category and kind labels, and those people type for them
    (« magazine » for a subscription whose title does not say so)."""
    found = BY_SLUG.get(category or "")
    text = offer_search_text(
        found.name if found else None,
        CATEGORY_WORDS.get(category or ""),
        KIND_LABELS.get(kind or ""),
    )
    seen: dict[str, None] = {}
    for word in text.split():
        if word not in STOP_WORDS:
            seen.setdefault(word)
    return " ".join(seen)


def offer_search_columns(
    *,
    title: str,
    category: str | None,
    kind: str | None,
    summary: str | None = None,
    description: str | None = None,
    venue: str | None = None,
    city: str | None = None,
    partner: str | None = None,
    places: Iterable[str | None] = (),
) -> dict[str, str]:
    """``search_key`` and ``search_text`` of an offer, as every writer stores them;
    ``places`` are its sessions' venues and cities, in session order (a tour's stops)."""
    key = offer_search_text(title, catalog_words(category, kind))
    stops = [p for p in dict.fromkeys(normalise(x) for x in places) if p]
    return {
        "search_key": key,
        "search_text": offer_search_text(key, summary, description, venue, city, partner, *stops),
    }
