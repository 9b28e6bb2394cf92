"""The session cache (shop/speed/sessions.py, used by auth/principals.py, RULES.md §12):
with Redis, an agent's session and dossier rows are reused for SESSION_CACHE_SECONDS, yet a
logout ends the session in every process at once and an expired session is refused."""

from __future__ import annotations

from datetime import timedelta

import fakeredis
import pytest
from sqlalchemy import select

from auth.models import WebSession
from shop.speed import shared
from shop.speed.sessions import cache_key
from tests.factories import NOW_PARIS, login_agent
from tests.harness import wait_until


@pytest.fixture
def redis_on(db, fake_redis) -> fakeredis.FakeRedis:
    return fake_redis(SESSION_CACHE_SECONDS=10)


@pytest.fixture
def agent(app, make_agent, clock):
    clock.set(NOW_PARIS)
    number, code = make_agent(prenom="Camille", nom="Durand")
    client = app.test_client()
    assert login_agent(client, number, code).status_code == 302
    return client


def _session_keys(fake: fakeredis.FakeRedis) -> list[str]:
    return [k.decode() for k in fake.keys("*:session:*")]


def test_pages_in_quick_succession_read_the_session_once(redis_on, agent, count_queries) -> None:
    assert agent.get("/mes-commandes/").status_code == 200
    [key] = _session_keys(redis_on)
    assert 9_000 < redis_on.pttl(key) <= 10_000  # never longer than SESSION_CACHE_SECONDS
    with count_queries() as n:
        assert agent.get("/mon-espace/").status_code == 200
        first = n()
    with count_queries() as n:
        assert agent.get("/mon-espace/").status_code == 200
        assert n() == first  # same page, same statements: none for the session
    redis_on.flushdb()
    with count_queries() as n:
        assert agent.get("/mon-espace/").status_code == 200
        assert n() == first + 1  # without the cached rows: the session read


def test_logout_ends_the_session_everywhere_at_once(app, redis_on, agent) -> None:
    """A copy of the cookie (another tab, a stolen cookie) stops working with the logout,
    although its rows were cached a moment before."""
    copy = app.test_client()
    cookie = agent.get_cookie("cgos_session")
    copy.set_cookie("cgos_session", cookie.value)
    assert copy.get("/mon-espace/").status_code == 200
    assert agent.post("/deconnexion").status_code == 302
    resp = copy.get("/mon-espace/")
    assert resp.status_code == 302 and "/connexion" in resp.location


def test_a_request_still_holding_the_old_rows_cannot_revive_a_logged_out_session(
    app, redis_on, agent
) -> None:
    """The logout leaves a tombstone; a request that read the session just before the
    logout only adds a missing entry, so it cannot put the session back."""
    assert agent.get("/mon-espace/").status_code == 200
    [key] = _session_keys(redis_on)
    rows = redis_on.get(key)
    copy = app.test_client()
    copy.set_cookie("cgos_session", agent.get_cookie("cgos_session").value)
    assert agent.post("/deconnexion").status_code == 302
    with app.app_context():
        stored = shared.put_value(key.split(shared.PREFIX, 1)[1], rows, 10, only_new=True)
    assert not stored
    assert copy.get("/mon-espace/").status_code == 302


def test_rows_read_from_the_database_are_only_added_never_overwritten(
    app, redis_on, agent, monkeypatch
) -> None:
    calls = []
    real = shared.put_value
    monkeypatch.setattr(
        shared,
        "put_value",
        lambda *a, **kw: calls.append(kw) or real(*a, **kw),
    )
    assert agent.get("/mon-espace/").status_code == 200
    assert calls == [{"only_new": True}]


def test_an_expired_session_is_refused_even_from_the_cache(app, redis_on, agent, clock) -> None:
    assert agent.get("/mon-espace/").status_code == 200
    assert _session_keys(redis_on)
    clock.advance(minutes=app.config["SESSION_LIFETIME_MINUTES"] + 1)
    resp = agent.get("/mon-espace/")
    assert resp.status_code == 302 and "/connexion" in resp.location


def test_a_slid_expiry_is_read_again(app, redis_on, agent, clock) -> None:
    """Activity pushes the expiry back in the database; the cached rows with the old
    expiry are dropped, so the next page reads the new one (and does not slide again)."""
    from shop.db import session

    assert agent.get("/mon-espace/").status_code == 200
    [key] = _session_keys(redis_on)
    clock.advance(minutes=6)
    assert agent.get("/mon-espace/").status_code == 200  # slides, drops the entry
    assert not redis_on.exists(key)
    assert agent.get("/mon-espace/").status_code == 200  # reads and caches the new rows
    from shop import clock as shop_clock

    with app.app_context():
        digest = key.rsplit(":", 1)[1]
        row = session().scalar(select(WebSession).where(WebSession.token_hash == digest))
        assert row.expires_at > shop_clock.utcnow() + timedelta(minutes=100)
    assert b'"expires_at"' in redis_on.get(key)
    assert row.expires_at.isoformat().encode() in redis_on.get(key)


def test_without_redis_every_page_reads_the_session(app, agent, count_queries) -> None:
    assert app.config.get("REDIS_URL") in (None, "")
    with count_queries() as n:
        assert agent.get("/mon-espace/").status_code == 200
        first = n()
    with count_queries() as n:
        assert agent.get("/mon-espace/").status_code == 200
        assert n() == first
    assert first >= 1


def test_the_cache_key_is_the_token_digest_not_the_token(app, redis_on, agent) -> None:
    """As in the database, only the token's digest is stored: reading Redis gives no one
    a session token to replay."""
    from shop.db import session

    assert agent.get("/mon-espace/").status_code == 200
    [key] = _session_keys(redis_on)
    with app.app_context():
        digests = set(session().scalars(select(WebSession.token_hash)))
    assert key == shared.PREFIX + cache_key(key.rsplit(":", 1)[1])
    assert key.rsplit(":", 1)[1] in digests


def test_cached_rows_lapse_after_session_cache_seconds(fake_redis, agent, count_queries) -> None:
    """The rows live in Redis SESSION_CACHE_SECONDS at most: then the session is read from
    the database again (a real Redis expiry, not a cleared dict)."""
    # Two seconds: the second page lands inside them even on a slow machine.
    redis = fake_redis(SESSION_CACHE_SECONDS=2)
    assert agent.get("/mon-espace/").status_code == 200
    [key] = _session_keys(redis)
    assert 0 < redis.pttl(key) <= 2000
    with count_queries() as n:
        assert agent.get("/mon-espace/").status_code == 200
        cached = n()
    assert _session_keys(redis) == [key]  # that page was served from the cache
    assert wait_until(lambda: _session_keys(redis) == [])
    with count_queries() as n:
        assert agent.get("/mon-espace/").status_code == 200
        assert n() == cached + 1  # the session read again, then cached again
    assert _session_keys(redis) == [key]


def test_the_logout_tombstone_lapses_and_the_session_stays_ended(app, fake_redis, agent) -> None:
    """The logout's tombstone only has to outlive the rows other processes may have
    cached (SESSION_CACHE_SECONDS); once both lapsed the database still refuses it."""
    redis = fake_redis(SESSION_CACHE_SECONDS=2)
    copy = app.test_client()
    copy.set_cookie("cgos_session", agent.get_cookie("cgos_session").value)
    assert copy.get("/mon-espace/").status_code == 200
    assert agent.post("/deconnexion").status_code == 302
    [key] = _session_keys(redis)
    assert 0 < redis.pttl(key) <= 2000
    assert wait_until(lambda: _session_keys(redis) == [])
    resp = copy.get("/mon-espace/")
    assert resp.status_code == 302 and "/connexion" in resp.location
