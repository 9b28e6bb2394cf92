"""Behind the reverse proxies the deployment declares, rate limits count real clients
(R-SEC-2, TRUSTED_PROXY_COUNT); the development outbox opens on its own switch only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shop import create_app
from shop.extensions import limiter
from tests.harness import base_overrides

LOGIN_LIMIT = "30 per minute;300 per hour"  # the production default


@pytest.fixture
def proxied_app(app: Any, db: Any, smtp_server: Any) -> Iterator[Any]:
    """The store as deployed behind one proxy, on the test's database transaction."""
    behind = create_app(
        base_overrides(smtp_server[1], TRUSTED_PROXY_COUNT=1, RATELIMIT_LOGIN=LOGIN_LIMIT)
    )
    behind.extensions["clock"] = app.extensions["clock"]
    own_engine = behind.extensions["db"].engine
    behind.extensions["db"].bind(db.factory)
    limiter.reset()
    try:
        yield behind
    finally:
        limiter.reset()
        own_engine.dispose()


def _attempt(client: Any, forwarded_for: str, number: str, code: str) -> int:
    return client.post(
        "/connexion",
        data={"cgos_number": number, "access_code": code},
        headers={"X-Forwarded-For": forwarded_for},
    ).status_code


def test_r_sec_2_rate_limit_counts_the_client_behind_the_proxy(proxied_app, make_agent):
    """31 logins from one client get 429; another client behind the same proxy logs in."""
    number, code = make_agent()
    client = proxied_app.test_client()
    # Distinct unknown numbers: only the per-address limit is at stake here.
    statuses = [
        _attempt(client, "203.0.113.9", f"{90000000 + i:08d}Z", "WRONG234") for i in range(31)
    ]
    assert statuses[:30] == [422] * 30
    assert statuses[30] == 429
    assert _attempt(client, "203.0.113.9", number, code) == 429
    assert _attempt(client, "198.51.100.7", number, code) == 302


def test_r_sec_2_the_client_address_is_the_one_the_proxy_saw(proxied_app):
    """Only the proxy's own entry counts: what the client wrote before it is ignored."""
    client = proxied_app.test_client()
    headers = {"X-Forwarded-For": "10.9.9.9, 203.0.113.9", "X-Forwarded-Proto": "https"}
    seen: dict[str, Any] = {}

    @proxied_app.get("/_probe_addr")
    def _probe() -> str:
        from flask import request

        seen.update(addr=request.remote_addr, secure=request.is_secure)
        return "ok"

    client.get("/_probe_addr", headers=headers)
    assert seen == {"addr": "203.0.113.9", "secure": True}


@pytest.fixture
def strict_limit(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "3 per minute")
    limiter.reset()
    yield app
    limiter.reset()


def test_r_sec_2_without_trusted_proxy_x_forwarded_for_is_ignored(strict_limit, make_agent):
    """TRUSTED_PROXY_COUNT=0 (the default): a client cannot dodge the limit by writing a
    new X-Forwarded-For on each request."""
    assert strict_limit.config["TRUSTED_PROXY_COUNT"] == 0
    number, code = make_agent()
    client = strict_limit.test_client()
    statuses = [_attempt(client, f"203.0.113.{i}", "99999990Z", "WRONG234") for i in range(3)]
    assert statuses == [422, 422, 422]
    assert _attempt(client, "198.51.100.7", number, code) == 429


def test_dev_outbox_closed_without_the_switch_even_on_the_loopback(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    assert app.config["DEV_MAIL_PAGE"] is False
    resp = client.get("/dev/courriels", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert resp.status_code == 404


def test_dev_outbox_opens_on_the_development_switch(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "DEV_MAIL_PAGE", True)
    assert client.get("/dev/courriels").status_code == 200
    # Never once a real SMTP server is configured.
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    assert client.get("/dev/courriels").status_code == 404
