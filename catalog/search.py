"""R-CAT-5 word search in SQL, the same matches on both databases.

Each term of the query (catalog/text.py) must begin a word of the offer's search text,
as typed or, when typos are allowed, with one typo. PostgreSQL answers from its GIN
index on ``to_tsvector('simple', search_text)`` (prefix queries ``w:*``); SQLite from
the FTS5 table ``offers_fts`` (prefix queries ``"w"*``). Both read the same normalised
words, so both find the same offers.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, and_, case, func, literal_column, or_, select
from sqlalchemy.sql import column, table

from catalog.models import SEARCH_INDEX, SEARCH_VOCABULARY, Offer
from catalog.text import TWO_TYPOS_MIN_LENGTH, Term, two_typos_away
from shop.db import get_db, session

# A literal, not a parameter: the index's expression names the configuration as one.
_SIMPLE = literal_column("'simple'", String)
_FTS = table(SEARCH_INDEX, column("rowid"))
_VOCABULARY = table(SEARCH_VOCABULARY, column("term", String))


def _pg_query(terms: list[Term], typos: bool) -> str:
    return " & ".join("(" + " | ".join(f"{p}:*" for p in t.prefixes(typos)) + ")" for t in terms)


def _fts_query(terms: list[Term], typos: bool) -> str:
    return " AND ".join(
        "(" + " OR ".join(f'"{p}"*' for p in t.prefixes(typos)) + ")" for t in terms
    )


def text_match(terms: list[Term], typos: bool = False, key: bool = False) -> ColumnElement[bool]:
    """Offers holding every term in their search text (``key``: in their title, category
    and kind words only)."""
    if get_db().dialect == "postgresql":
        text = Offer.search_key if key else Offer.search_text
        return func.to_tsvector(_SIMPLE, text).op("@@")(
            func.to_tsquery(_SIMPLE, _pg_query(terms, typos))
        )
    query = _fts_query(terms, typos)
    if key:
        query = f"search_key : ({query})"
    found = select(_FTS.c.rowid).where(literal_column(SEARCH_INDEX).op("MATCH")(query))
    return Offer.id.in_(found)


def allows_typos(terms: list[Term]) -> bool:
    """Whether a second try with typos could find more than the words as typed."""
    return any(t.variants for t in terms)


def known_variants(terms: list[Term]) -> list[Term]:
    """The terms with only the typo variants some offer holds as a word, read from the
    search vocabulary in one statement: the text query then names a few words, not the
    hundreds one typo away from each (which the indexes answer slowly). A long word also
    gets the catalog's words two typos away."""
    term = _VOCABULARY.c.term
    found: list[ColumnElement[bool]] = [term.in_(sorted({v for t in terms for v in t.variants}))]
    for t in terms:  # a long word's neighbours two typos away: same first letter, length ±2
        if len(t.stem) >= TWO_TYPOS_MIN_LENGTH:
            found.append(
                and_(
                    term.like(f"{t.stem[0]}%"),
                    func.length(term).between(len(t.stem) - 2, len(t.stem) + 2),
                )
            )
    known = set(session().scalars(select(term).where(or_(*found))))
    return [
        Term(t.stem, (t.variants & known) | {w for w in known if two_typos_away(t.stem, w)})
        for t in terms
    ]


def relevance(terms: list[Term], typos: bool) -> ColumnElement[int]:
    """0 when the terms are all in what the offer is (title, category, kind), else 1: a
    concert comes before a park whose description mentions one."""
    return case((text_match(terms, typos, key=True), 0), else_=1)
