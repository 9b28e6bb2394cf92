"""Migration 0024 (picture sizes, issue 21, R-CAT-9) on the test backend, SQLite or
PostgreSQL: pictures already stored keep their bytes and have no pixels noted nor sizes
(``flask catalog pictures`` makes them); the tables and columns go away on the way down."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, inspect, text

from catalog.models import Offer, OfferPicture
from partners.models import Partner
from tests.factories import tiny_png
from tests.services.helpers import migrate

BEFORE = "7e4f9a0b1c22"
AFTER = "5c2d7e8f9a20"
NOW = datetime(2027, 3, 1, 9, 0)


def test_pictures_kept_without_sizes_then_dropped_down(scratch):
    engine, cfg = scratch
    migrate(engine, cfg, "upgrade", BEFORE)
    png = tiny_png()
    with engine.begin() as conn:
        conn.execute(
            insert(Partner.__table__), {"id": 1, "slug": "p", "name": "P", "created_at": NOW}
        )
        conn.execute(
            insert(Offer.__table__),
            {
                "id": 1,
                "partner_id": 1,
                "kind": "billet_ouvert",
                "category": "parcs-et-loisirs",
                "title": "Parc",
                "public_price_cents": 100,
                "negotiated_price_cents": 90,
                "cgos_price_cents": 50,
                "deliveries": "e_billet",
                "created_at": NOW,
                "updated_at": NOW,
            },
        )
        columns = OfferPicture.__table__.c
        conn.execute(
            insert(OfferPicture.__table__).values(
                {
                    columns.id: 1,
                    columns.offer_id: 1,
                    columns.position: 0,
                    columns.content_type: "image/png",
                    columns.alt: "",
                    columns.data: png,
                    columns.created_at: NOW,
                }
            )
        )
    migrate(engine, cfg, "upgrade", AFTER)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT data, width, height FROM offer_pictures")).one()
        assert (bytes(row.data), row.width, row.height) == (png, None, None)
        assert conn.execute(text("SELECT count(*) FROM offer_picture_sizes")).scalar() == 0
    if engine.dialect.name == "sqlite":  # a deleted picture's id is never given again
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM offer_pictures"))
            conn.execute(
                text(
                    "INSERT INTO offer_pictures (offer_id, position, content_type, alt, data, "
                    "created_at) VALUES (1, 0, 'image/png', '', :d, :t)"
                ),
                {"d": png, "t": NOW},
            )
            assert conn.execute(text("SELECT id FROM offer_pictures")).scalar() == 2
            conn.execute(text("DELETE FROM offer_pictures WHERE id = 2"))
            conn.execute(
                text(
                    "INSERT INTO offer_pictures (id, offer_id, position, content_type, alt, "
                    "data, created_at) VALUES (1, 1, 0, 'image/png', '', :d, :t)"
                ),
                {"d": png, "t": NOW},
            )
    migrate(engine, cfg, "downgrade", BEFORE)
    found = inspect(engine)
    assert {"width", "height"}.isdisjoint(c["name"] for c in found.get_columns("offer_pictures"))
    assert {"offer_picture_sizes", "picture_files"}.isdisjoint(found.get_table_names())
    with engine.connect() as conn:
        assert bytes(conn.execute(text("SELECT data FROM offer_pictures")).scalar()) == png
