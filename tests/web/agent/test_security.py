"""CSRF on every form, per-address rate limit (SPEC §12, R-GATE-5)."""

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
