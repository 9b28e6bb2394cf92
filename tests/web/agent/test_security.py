"""CSRF on every form, per-address rate limit (RULES.md §12, R-GATE-5)."""

from __future__ import annotations

import pytest

from shop.extensions import limiter


@pytest.fixture
def strict_app(app, db, monkeypatch):
    """The test app with CSRF and rate limits switched on, as in production.

    Flask-Limiter is one process-wide object, so the same app gets a low limit (read at
    each request) and fresh counters, rather than a second app re-initialising it.
    """
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "3 per minute")
    limiter.reset()
    yield app
    limiter.reset()


@pytest.mark.parametrize("url", ["/connexion", "/code-acces", "/gestion/connexion"])
def test_forms_without_csrf_token_are_refused(strict_app, url):
    resp = strict_app.test_client().post(url, data={"cgos_number": "12345678A"})
    assert resp.status_code == 400
    assert "Formulaire expiré" in resp.get_data(as_text=True)


def test_logout_needs_csrf_too(strict_app):
    assert strict_app.test_client().post("/deconnexion").status_code == 400


def test_r_gate_5_login_attempts_rate_limited_per_address(strict_app):
    client = strict_app.test_client()
    statuses = []
    for i in range(4):
        page = client.get("/connexion").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        statuses.append(
            client.post(
                "/connexion",
                data={"csrf_token": token, "cgos_number": f"1111111{i}A", "access_code": "X"},
            ).status_code
        )
    assert statuses[:3] == [422, 422, 422]
    assert statuses[3] == 429


def test_the_login_cookie_carries_its_csrf_secret(strict_app, make_agent):
    """The session cookie set at login already holds the CSRF secret: the pages that
    follow sign their forms with it and never send the cookie again (nor change it)."""
    import re

    number, code = make_agent()
    client = strict_app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post(
        "/connexion", data={"csrf_token": token, "cgos_number": number, "access_code": code}
    )
    assert resp.status_code == 302
    assert "Set-Cookie" in resp.headers
    pages = {url: client.get(url) for url in ("/", "/mes-commandes/", "/panier/")}
    for url, page in pages.items():
        assert page.status_code == 200, url
        assert "Set-Cookie" not in page.headers, url
    form = re.search(r'name="csrf_token" value="([^"]+)"', pages["/"].get_data(as_text=True))
    assert client.post("/deconnexion", data={"csrf_token": form.group(1)}).status_code == 302


def test_r_sec_2_the_limits_are_checked_by_their_views_only(app):
    """Only decorated views carry limits (issue 23): Flask-Limiter's per-request check is
    off, and a default limit, which would need it, stops the app from starting."""
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
    # A limit set on a whole blueprint would only be checked by that hook: none is.
    assert app.blueprints
    assert not any(limiter.limit_manager.blueprint_limits(app, name) for name in app.blueprints)
    from shop import create_app

    with pytest.raises(RuntimeError, match="default rate limits"):
        create_app({"RATELIMIT_DEFAULT": "100 per day"})
    # Switched off (bench.jobs_due, commands), Flask-Limiter adds no hook to take off.
    assert create_app({"RATELIMIT_ENABLED": False}).name == "shop"
    create_app()  # and the process-wide limiter is switched on again for the next tests
