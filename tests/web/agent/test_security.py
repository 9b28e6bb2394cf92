"""CSRF on every form, per-address rate limit (SPEC §12, R-GATE-5)."""

from __future__ import annotations

import pytest

from shop import create_app
from tests.conftest import base_overrides


@pytest.fixture
def strict_app(app, smtp_server, db):
    """Same database, CSRF and rate limits switched on as in production."""
    strict = create_app(
        base_overrides(
            smtp_server[1],
            WTF_CSRF_ENABLED=True,
            RATELIMIT_ENABLED=True,
            RATELIMIT_LOGIN="3 per minute",
        )
    )
    strict.extensions["clock"] = app.extensions["clock"]
    strict.extensions["db"].bind(db.factory)
    yield strict
    strict.extensions["db"].engine.dispose()


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
