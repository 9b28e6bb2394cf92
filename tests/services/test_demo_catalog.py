"""``seed-demo``'s catalog (RULES.md §13) and the ``--large`` benchmark catalog, at reduced size."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from catalog.categories import CATEGORIES
from catalog.importer import STAY_FAMILIES
from catalog.models import Offer, OfferPicture, OfferPictureSize, OfferSession, PictureFile
from catalog.rules import Kind
from catalog.text import offer_search_columns
from demo import catalog as demo_catalog
from demo.catalog import demo_offers, seed_large
from demo.pictures import GALLERY_PICTURES, LARGE_VARIETY, draw_picture
from demo.seed import seed
from members.regions import REGIONS
from shop import clock
from shop.audit import AuditEntry
from shop.db import session


def _count(model: Any) -> int:
    return session().scalar(select(func.count()).select_from(model))


def _id(row: Any) -> int:
    return row.id


def _future_sessions() -> list[OfferSession]:
    now = clock.utcnow()
    return list(
        session().scalars(
            select(OfferSession)
            .where(OfferSession.starts_at > now)
            .order_by(OfferSession.starts_at)
        )
    )


def test_spec_13_demo_catalog_covers_every_kind_category_and_case(ctx):
    seed()
    offers = list(session().scalars(select(Offer)))
    now = clock.utcnow()
    today = clock.today()

    assert len(offers) >= 60
    assert {o.kind for o in offers} == {k.value for k in Kind}
    assert {o.category for o in offers} == {c.slug for c in CATEGORIES}
    assert any(o.region is None for o in offers)
    regions = {o.region for o in offers if o.region}
    assert {"Rhône-Alpes", "Île-de-France", "Bretagne"} <= regions
    assert regions <= set(REGIONS)
    assert any(o.featured for o in offers)
    assert any(o.regional_ticketing for o in offers)
    # Written by the store (not a partner): approved, hence shown once published (R-PAR-10).
    assert {o.approval for o in offers} == {"approved"}
    for o in offers:  # R-CAT-2: prices coherent (a stay's price comes from its QF table)
        assert 0 <= o.cgos_price_cents <= o.negotiated_price_cents, o.title
        if o.kind != Kind.SEJOUR:
            assert o.negotiated_price_cents <= o.public_price_cents, o.title
        assert o.search_text
    cards = [o for o in offers if o.kind == Kind.CARTE]
    assert {o.physical for o in cards} == {True, False}
    cheques = [o for o in offers if o.kind == Kind.CHEQUE_CULTURE]
    assert sorted(o.face_value_cents for o in cheques) == [7500, 15000]
    for o in cheques:  # R-CAP-6: 50 % participation
        assert o.negotiated_price_cents == o.face_value_cents == 2 * o.cgos_price_cents
    stays = [o for o in offers if o.kind == Kind.SEJOUR]
    assert {o.stay_family for o in stays} == set(STAY_FAMILIES)
    for o in stays:
        assert o.child_public_price_cents and o.stay_starts_on < o.stay_ends_on

    sessions = _future_sessions()
    assert sessions, "dated sessions expected"
    assert sessions[-1].starts_at <= now + timedelta(days=184)
    assert session().scalar(select(func.min(OfferSession.starts_at))) > now
    days_away = {(clock.to_paris(s.starts_at).date() - today).days for s in sessions}
    assert {9, 10} <= days_away  # both sides of the courrier cut-off (R-CAT-6)
    paris_times = {clock.to_paris(s.starts_at).strftime("%H:%M") for s in sessions}
    assert {"20:30", "14:30", "15:00"} <= paris_times
    stocks = [s.stock for s in sessions] + [o.stock for o in offers if o.stock is not None]
    assert 0 in stocks  # sold out
    assert any(1 <= n <= 3 for n in stocks)  # nearly sold out
    assert any(s.venue and s.city for s in sessions)  # a tour in several cities

    assert any(o.sale_opens_at and o.sale_opens_at > now + timedelta(days=6) for o in offers)
    assert any(
        o.sale_closes_at and now < o.sale_closes_at <= now + timedelta(days=3) for o in offers
    )


def test_spec_13_demo_catalog_is_idempotent(ctx):
    seed()
    offers, sessions = _count(Offer), _count(OfferSession)

    lines = seed()

    assert (_count(Offer), _count(OfferSession)) == (offers, sessions)
    assert any("déjà chargé" in line for line in lines)


def test_issue_21_every_demo_offer_has_a_picture_of_its_own(ctx):
    started = time.perf_counter()
    seed()
    elapsed = time.perf_counter() - started
    offers = list(session().scalars(select(Offer).order_by(Offer.id)))
    pictures = list(session().scalars(select(OfferPicture).order_by(OfferPicture.id)))
    by_offer: dict[int, list[OfferPicture]] = {}
    for picture in pictures:
        by_offer.setdefault(picture.offer_id, []).append(picture)
    assert set(by_offer) == {o.id for o in offers}
    assert len({p.data for p in pictures}) == len(pictures)  # drawn per offer
    galleries = [o for o in offers if len(by_offer[o.id]) == GALLERY_PICTURES]
    assert {o.category for o in galleries} == {c.slug for c in CATEGORIES}
    for picture in pictures:
        assert (picture.width, picture.height) == (800, 450) and picture.alt
    assert _count(OfferPictureSize) == len(pictures) * 8
    assert elapsed < 60  # measured: about 8 s on a shared 2-core machine

    seed()  # again: nothing drawn twice
    assert _count(OfferPicture) == len(pictures)


def test_issue_21_demo_pictures_are_the_same_on_every_run():
    assert draw_picture("Le Lac des cygnes", "spectacles") == draw_picture(
        "Le Lac des cygnes", "spectacles"
    )
    assert draw_picture("Le Lac des cygnes", "spectacles") != draw_picture("L'Avare", "spectacles")


def test_spec_13_demo_offers_are_stable_in_time():
    """The demo is built from ``today``: a later day moves the dates, not the offers."""
    first = demo_offers(datetime(2026, 11, 23, tzinfo=UTC).date())
    later = demo_offers(datetime(2027, 3, 30, tzinfo=UTC).date())
    assert [o["title"] for o in first] == [o["title"] for o in later]
    assert len({(str(o["partner"]), o["title"]) for o in first}) == len(first)


def test_spec_13_seed_large_at_reduced_size(ctx, make_partner):
    make_partner("sogec")
    make_partner("kiosque")
    offers_before, sessions_before = _count(Offer), _count(OfferSession)
    now = clock.utcnow()

    lines = seed_large(offers=200, sessions=1000, batch=64)

    assert lines == ["Catalogue de charge : 200 offres et 1000 séances ajoutées."]
    assert _count(Offer) == offers_before + 200
    assert _count(OfferSession) == sessions_before + 1000
    offers = list(session().scalars(select(Offer)))
    assert {o.category for o in offers} == {c.slug for c in CATEGORIES}
    assert {o.kind for o in offers} == {k.value for k in Kind}
    assert len({o.region for o in offers}) > 5 and None in {o.region for o in offers}
    for o in offers:
        assert (o.search_key, o.search_text) == tuple(  # R-CAT-5, as the services write it
            offer_search_columns(
                title=o.title,
                category=o.category,
                kind=o.kind,
                summary=o.summary,
                description=o.description,
                venue=o.venue,
                city=o.city,
                partner=o.partner.name,
                places=[
                    p for x in sorted(o.sessions, key=lambda x: x.id) for p in (x.venue, x.city)
                ],
            ).values()
        )
        assert 0 <= o.cgos_price_cents <= o.negotiated_price_cents
        assert (o.stock is None) == (o.kind == Kind.BILLET_DATE)
    bounds = (
        session()
        .execute(select(func.min(OfferSession.starts_at), func.max(OfferSession.starts_at)))
        .one()
    )
    assert now < bounds[0] and bounds[1] < now + timedelta(days=184)
    # Sessions belong to dated offers only.
    kinds = set(
        session().scalars(select(Offer.kind).join(OfferSession, OfferSession.offer_id == Offer.id))
    )
    assert kinds == {"billet_date"}
    (entry,) = session().scalars(
        select(AuditEntry).where(AuditEntry.action == "catalog.large_seeded")
    )
    assert entry.after == {"offers": 200, "sessions": 1000, "pictures": 200}
    # Issue 21: every card shows a picture; a few per category, each file stored once.
    pictured = select(OfferPicture.offer_id).where(
        OfferPicture.offer_id.in_([o.id for o in offers])
    )
    assert len(set(session().scalars(pictured))) == 200
    assert _count(OfferPictureSize) == 200 * 6  # 640 px wide and 16:9: cards 320/640, photo 640
    assert _count(PictureFile) <= len(CATEGORIES) * LARGE_VARIETY * 4

    again = seed_large(offers=200, sessions=1000)

    assert again == [
        f"Le catalogue compte déjà {offers_before + 200} offres : catalogue de charge non ajouté."
    ]
    assert _count(Offer) == offers_before + 200


def test_spec_13_seed_demo_large_cli(app, db, monkeypatch):
    """The flag runs the normal seed, then the benchmark catalog (sizes shrunk here)."""
    real = demo_catalog.seed_large
    monkeypatch.setattr(demo_catalog, "seed_large", lambda: real(offers=100, sessions=300))

    result = app.test_cli_runner().invoke(args=["seed-demo", "--large"])

    assert result.exit_code == 0, result.output
    assert "Catalogue de démonstration" in result.stdout
    assert "Catalogue de charge : 100 offres et 300 séances ajoutées." in result.stdout
    assert "Durée :" in result.stdout
