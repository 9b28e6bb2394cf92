"""Migration 0022 (search index, R-CAT-5) on the test backend, SQLite or PostgreSQL: the
offers already there get the search key and text the store writes today (category and
kind words, partner), the vocabulary holds their words, and the triggers keep the index
and the vocabulary in step with later writes, whoever makes them; all of it goes away on
the way down."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from catalog.text import offer_search_columns
from tests.services.helpers import migrate

BEFORE = "8f5a0b1c2d23"
AFTER = "6d3e8f9a0b21"
NOW = datetime(2027, 3, 1, 9, 0)


def _offer(conn: Any, oid: int, title: str, kind: str, category: str, text_: str = "") -> None:
    conn.execute(
        text(
            "INSERT INTO offers (id, partner_id, kind, category, title, summary, description, "
            "city, public_price_cents, negotiated_price_cents, cgos_price_cents, "
            "per_order_max, regional_ticketing, physical, deliveries, supply_state, featured, "
            "published, search_text, created_at, updated_at) VALUES (:id, 1, :kind, :cat, "
            ":title, 'Onze numéros', '', 'Lyon', 4000, 4000, 2500, 10, false, true, 'poste', "
            "'en_stock', false, true, :text, :at, :at)"
        ),
        {"id": oid, "kind": kind, "cat": category, "title": title, "text": text_, "at": NOW},
    )


def _found(engine: Engine, word: str) -> set[int]:
    """Offers holding ``word`` according to the backend's own index."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT rowid FROM offers_fts WHERE offers_fts MATCH :q"
            return set(conn.execute(text(sql), {"q": f'"{word}"'}).scalars())
        sql = (
            "SELECT id FROM offers "
            "WHERE to_tsvector('simple', search_text) @@ to_tsquery('simple', :q)"
        )
        return set(conn.execute(text(sql), {"q": word}).scalars())


def _vocabulary(engine: Engine, *words: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT term FROM offers_vocab")).scalars()
        return {w for w in rows if w in words}


def test_search_index_backfilled_kept_in_step_and_dropped_down(scratch):
    engine, cfg = scratch
    migrate(engine, cfg, "upgrade", BEFORE)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO partners (id, slug, name, created_at) VALUES (1, 'k', :n, :at)"),
            {"n": "Kiosque Presse", "at": NOW},
        )
        _offer(conn, 1, "Le Journal de la Santé", "abonnement", "abonnements-magazines")
        conn.execute(  # a stop of a tour (a magazine has none: the backfill reads any)
            text(
                "INSERT INTO offer_sessions (id, offer_id, starts_at, venue, city, stock, "
                "supply_state, cancelled) VALUES (1, 1, :at, 'Dôme', 'Paris', 5, "
                "'en_stock', false)"
            ),
            {"at": NOW},
        )
    migrate(engine, cfg, "upgrade", AFTER)
    with engine.connect() as conn:
        key, full = conn.execute(text("SELECT search_key, search_text FROM offers")).one()
    assert {"search_key": key, "search_text": full} == offer_search_columns(
        title="Le Journal de la Santé",
        category="abonnements-magazines",
        kind="abonnement",
        summary="Onze numéros",
        description="",
        city="Lyon",
        partner="Kiosque Presse",
        places=["Dôme", "Paris"],
    )
    assert _found(engine, "magazine") == {1} and _found(engine, "kiosque") == {1}
    assert _found(engine, "paris") == {1}
    assert _vocabulary(engine, "magazine", "sante") == {"magazine", "sante"}

    with engine.begin() as conn:  # written as a store that forgot the index would
        _offer(conn, 2, "Cuisine Facile", "abonnement", "abonnements-magazines", "cuisine facile")
        conn.execute(text("UPDATE offers SET search_text = 'journal sante revue' WHERE id = 1"))
    assert _found(engine, "cuisine") == {2} and _found(engine, "revue") == {1}
    assert _found(engine, "kiosque") == set()
    assert _vocabulary(engine, "cuisine", "revue") == {"cuisine", "revue"}
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM offers WHERE id = 2"))
    assert _found(engine, "cuisine") == set()

    migrate(engine, cfg, "downgrade", BEFORE)
    assert "search_key" not in {c["name"] for c in inspect(engine).get_columns("offers")}
    tables = set(inspect(engine).get_table_names())
    assert not {"offers_fts", "offers_vocab"} & tables
    migrate(engine, cfg, "upgrade", AFTER)  # and up again
    assert _found(engine, "revue") == {1}
