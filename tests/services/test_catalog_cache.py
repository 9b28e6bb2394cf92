"""The catalog cache shared by the web processes (shop/speed/shared.py): used only with Redis,
and a Redis outage never fails a page."""

from __future__ import annotations

import pytest


@pytest.fixture
def with_redis(db, fake_redis):
    """``with_redis()`` a fakeredis as the catalog cache's Redis (30 s);
    ``with_redis(connected=False)`` one that is down."""
    return lambda connected=True: fake_redis(connected=connected, CATALOG_CACHE_SECONDS=30)


def test_without_redis_nothing_is_cached(app, db, count_queries):
    from catalog import queries
    from shop import clock

    assert app.config.get("REDIS_URL") is None
    with app.test_request_context():
        queries.category_counts(None, clock.utcnow())
        with count_queries() as n:
            queries.category_counts(None, clock.utcnow())
        assert n() == 1
    assert "cache_redis" not in app.extensions


def test_listing_computed_once_then_shared(app, with_redis, make_offer, count_queries):
    from catalog import queries
    from shop import clock

    fake = with_redis()
    make_offer(kind="billet_ouvert", title="Parc partagé", stock=5)
    with app.test_request_context():
        now = clock.utcnow()
        first = queries.search_offers(queries.Filters(), None, now)
        with count_queries() as n:
            again = queries.search_offers(queries.Filters(), None, now)
        assert n() == 1  # the offers by primary key; the sorted ids came from the cache
        assert [c.offer.id for c in again.items] == [c.offer.id for c in first.items]
        assert again.total == first.total
        assert [c.next_session_at for c in again.items] == [c.next_session_at for c in first.items]
        counts = queries.category_counts(None, now)
        with count_queries() as n:
            assert queries.category_counts(None, now) == counts
        assert n() == 0
    assert {fake.ttl(key) for key in fake.scan_iter()} == {30}


def test_redis_outage_falls_back_to_the_database(app, with_redis, make_offer):
    from catalog import queries
    from shop import clock

    with_redis(connected=False)
    oid = make_offer(kind="billet_ouvert", title="Parc sans cache", stock=5)
    with app.test_request_context():
        page = queries.search_offers(queries.Filters(q="sans cache"), None, clock.utcnow())
    assert [c.offer.id for c in page.items] == [oid]


def test_rendered_cards_shared_and_the_page_around_them_still_the_agent_s(
    app, with_redis, make_offer, make_agent, client, count_queries
):
    """R-CAT-5 listings: the cards come from the shared cache; the greeting, the filters and
    the cart link are the agent's own; only the session and the dossier are read."""
    from tests.factories import login_agent

    fake = with_redis()
    make_offer(kind="billet_ouvert", title="Parc <partagé>", stock=5)
    number, code = make_agent(prenom="Inès")
    login_agent(client, number, code)
    first = client.get("/recherche?q=parc").get_data(as_text=True)
    assert "Parc &lt;partagé&gt;" in first  # escaped once, never twice
    assert fake.keys("cgos:cache:html:listing:*")
    with count_queries() as n:
        again = client.get("/recherche?q=parc").get_data(as_text=True)
    assert "Parc &lt;partagé&gt;" in again and "1 offre" in again
    assert n() <= 4  # savepoint pair + session + dossier: no catalog statement
    home = client.get("/").get_data(as_text=True)
    assert "Bonjour Inès" in home
    other, other_code = make_agent(prenom="Paul")
    second = app.test_client()
    login_agent(second, other, other_code)
    page = second.get("/recherche?q=parc").get_data(as_text=True)
    assert "Parc &lt;partagé&gt;" in page and "Paul" in page and "Inès" not in page


def test_a_shared_listing_is_computed_again_once_its_lifetime_ends(
    app, db, fake_redis, count_queries
):
    """Shared values live CATALOG_CACHE_SECONDS in Redis, then the next reader computes
    them again (a real expiry: the keys are gone)."""
    import time

    from catalog import queries
    from shop import clock

    fake = fake_redis(CATALOG_CACHE_SECONDS=1)
    with app.test_request_context():
        now = clock.utcnow()
        counts = queries.category_counts(None, now)
        with count_queries() as n:
            assert queries.category_counts(None, now) == counts
        assert n() == 0
        time.sleep(1.05)
        assert fake.keys() == []
        with count_queries() as n:
            assert queries.category_counts(None, now) == counts
        assert n() == 1
    assert fake.keys()
