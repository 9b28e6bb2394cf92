"""Catalog pages shared between agents (shop/shared_pages.py): each agent sees exactly the
page rendered for them, with their own name and CSRF token, and never a stale stock."""

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest

from tests.conftest import login_agent
from tests.memory_redis import memory_redis

NOW_PARIS = datetime(2027, 3, 1, 10, 0)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def shared(app, db, monkeypatch):
    import catalog.queries

    # Offer versions read afresh on every page here; test_the_offer_version_is_read_...
    # checks the once-a-second reading.
    monkeypatch.setattr(catalog.queries, "VERSION_FRESH_SECONDS", 0.0)
    catalog.queries._versions.clear()
    yield from memory_redis(app, CATALOG_CACHE_SECONDS=30)


@pytest.fixture
def two_agents(app, make_agent, clock):
    clock.set(NOW_PARIS)
    clients = []
    for prenom, nom in (("Camille", "Durand"), ("Zoé", "O'Hara & <Fils>")):
        number, code = make_agent(region="Rhône-Alpes", prenom=prenom, nom=nom)
        c = app.test_client()
        assert login_agent(c, number, code).status_code == 302
        clients.append(c)
    return clients


def _page(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def _without_tokens(page: str) -> str:
    return _TOKEN.sub('name="csrf_token" value=""', page)


@pytest.fixture
def offers(make_offer):
    from tests.web.agent.test_catalog import utc

    dated = make_offer(title="Concert partagé", sessions=[(utc(datetime(2027, 4, 2, 20, 0)), 12)])
    open_ticket = make_offer(kind="billet_ouvert", title="Parc partagé", stock=7)
    return dated, open_ticket


def _urls(dated: int, open_ticket: int) -> list[str]:
    return [
        "/",
        "/categorie/parcs-et-loisirs",
        "/recherche?q=partag%C3%A9&tri=date",
        f"/offre/{open_ticket}",
        f"/offre/{dated}?jour=2027-04-02",
    ]


def test_each_agent_gets_the_page_rendered_for_them(app, shared, two_agents, offers):
    """The second agent's copy comes from the cache, yet is the page they would have had
    rendered for themselves, their name escaped, their own CSRF token."""
    first, second = two_agents
    urls = _urls(*offers)
    for url in urls:
        _page(first, url)
    assert len(shared.pages()) == len(urls)
    from_cache = {url: _page(second, url) for url in urls}
    assert len(shared.pages()) == len(urls)  # nothing rendered again
    app.extensions.pop("cache_redis")
    app.config["REDIS_URL"] = None
    for url in urls:
        rendered = _page(second, url)
        assert _without_tokens(from_cache[url]) == _without_tokens(rendered), url
        assert "Zoé O&#39;Hara &amp; &lt;Fils&gt;" in from_cache[url]
        assert "Camille" not in from_cache[url] and "\ue000" not in from_cache[url]


def test_the_filled_in_csrf_token_is_the_agents_own(app, shared, two_agents, offers, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    first, second = two_agents
    first_token = _TOKEN.search(_page(first, "/")).group(1)
    page = _page(second, "/")
    token = _TOKEN.search(page).group(1)
    assert token != first_token
    # The first agent's token is refused for the second agent's session.
    assert second.post("/deconnexion", data={"csrf_token": first_token}).status_code == 400
    resp = second.post("/deconnexion", data={"csrf_token": token})
    assert resp.status_code == 302
    assert second.get("/").status_code == 302  # logged out: the token was valid


def test_a_signed_token_is_reused_for_a_minute_then_signed_again(
    app, shared, two_agents, offers, monkeypatch
):
    """Signing is most of a shared page's fill-in: the same agent's pages within a minute
    carry the same (valid, hour-long) token; after that a fresh signature."""
    import shop.shared_pages

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    first, _ = two_agents
    now = [1000.0]
    monkeypatch.setattr(shop.shared_pages._signed, "clock", lambda: now[0])
    # Each signature a second later than the one before: a new signature is a new token.
    from itsdangerous.timed import TimestampSigner

    ticks = iter(range(int(time.time()), int(time.time()) + 1000))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(ticks))
    tokens = [
        _TOKEN.search(_page(first, url)).group(1) for url in ("/", "/", f"/offre/{offers[1]}")
    ]
    assert len(set(tokens)) == 1
    now[0] += shop.shared_pages.REUSE_SIGNED_TOKEN_SECONDS + 1
    fresh = _TOKEN.search(_page(first, "/")).group(1)
    assert fresh != tokens[0]
    assert first.post("/deconnexion", data={"csrf_token": tokens[0]}).status_code == 302


def test_r_ord_4_offer_page_never_shows_a_stale_stock(app, shared, two_agents, offers):
    from sqlalchemy import update

    from catalog.models import Offer
    from shop.db import unit_of_work

    first, second = two_agents
    _, open_ticket = offers
    assert "En stock" in _page(first, f"/offre/{open_ticket}")
    with app.app_context(), unit_of_work() as s:
        s.execute(update(Offer).where(Offer.id == open_ticket).values(stock=0))
    page = _page(second, f"/offre/{open_ticket}")
    assert "Épuisé" in page and "En stock" not in page


def test_r_cat_3_a_sale_from_a_large_stock_keeps_the_shared_page(app, shared, two_agents, offers):
    """Above ``LOW_STOCK_SHOWN`` the page says « En stock » whatever the count: a sale there
    keeps the shared copy; the sale that brings it to 10 shows « plus que 10 » at once."""
    from sqlalchemy import update

    from catalog.models import OfferSession
    from shop.db import unit_of_work

    first, second = two_agents
    dated, _ = offers
    url = f"/offre/{dated}?jour=2027-04-02"

    def set_stock(value: int) -> None:
        with app.app_context(), unit_of_work() as s:
            s.execute(
                update(OfferSession).where(OfferSession.offer_id == dated).values(stock=value)
            )

    before = _page(first, url)
    assert "plus que" not in before
    set_stock(11)
    assert len(shared.pages()) == 1
    after = _page(second, url)
    assert len(shared.pages()) == 1  # the same copy, not rendered again
    assert "plus que" not in after
    set_stock(10)
    assert "(plus que 10)" in _page(second, url)
    assert len(shared.pages()) == 2


def test_the_offer_version_is_read_at_most_once_a_second(
    app, shared, two_agents, offers, monkeypatch
):
    """Many views of one offer page within a second cost no query; a stock change shows
    on the first view a second later (the order itself always checks the live stock)."""
    from sqlalchemy import event, update

    import catalog.queries
    from catalog.models import Offer
    from shop.db import unit_of_work

    monkeypatch.setattr(catalog.queries, "VERSION_FRESH_SECONDS", 1.0)
    now = [500.0]
    monkeypatch.setattr(catalog.queries._versions, "clock", lambda: now[0])
    reads: list[str] = []

    def _seen(_conn, _cursor, statement, *_args) -> None:
        if "string_agg" in statement or "group_concat" in statement:
            reads.append(statement)

    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", _seen)
    try:
        first, second = two_agents
        _, open_ticket = offers
        url = f"/offre/{open_ticket}"
        assert "En stock" in _page(first, url)
        assert len(reads) == 1
        _page(second, url)
        _page(first, url)
        assert len(reads) == 1  # within the second: no version read
        with app.app_context(), unit_of_work() as s:
            s.execute(update(Offer).where(Offer.id == open_ticket).values(stock=0))
        now[0] += 0.5
        assert "En stock" in _page(second, url)  # still the page read before
        now[0] += 0.6
        page = _page(second, url)
        assert len(reads) == 2
        assert "Épuisé" in page and "En stock" not in page
    finally:
        event.remove(engine, "before_cursor_execute", _seen)


def test_a_flash_message_is_never_shared(shared, two_agents, offers):
    first, second = two_agents
    with first.session_transaction() as sess:
        sess["_flashes"] = [("success", "Message pour Camille seulement")]
    assert "Message pour Camille seulement" in _page(first, "/")
    assert shared.pages() == []
    assert "Message pour Camille seulement" not in _page(second, "/")


def test_agents_with_other_rights_get_their_own_copy(app, shared, make_agent, clock, offers):
    """R-DOS-3: an agent on disponibilité sees the notice, not the page of open rights."""
    clock.set(NOW_PARIS)
    pages = []
    for status in ("actif", "disponibilite"):
        number, code = make_agent(region="Rhône-Alpes", status=status)
        c = app.test_client()
        assert login_agent(c, number, code).status_code == 302
        pages.append(_page(c, "/"))
    assert "Vous ne pouvez pas commander" not in pages[0]
    assert "Vous ne pouvez pas commander" in pages[1]
    assert len(shared.pages()) == 2
