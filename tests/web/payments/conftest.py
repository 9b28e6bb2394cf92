"""Card payments through a local stand-in of Stripe's API: nothing reaches api.stripe.com."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest

from tests.stripe_standin import SECRET_KEY, StripeStandin
from tests.web.agent.test_checkout import buyer, parc  # noqa: F401 - shared fixtures
from tests.web.ops.test_phone_orders import agent, operator  # noqa: F401 - shared fixtures

WEBHOOK_SECRET = "whsec_test_standin"


@pytest.fixture
def stripe_api(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeStandin]:
    """Stripe mode for one test: keys set and the API pointed at the stand-in, all restored
    (and the stand-in's server closed) afterwards."""
    with StripeStandin(secret_key=SECRET_KEY) as standin:
        monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", standin.secret_key)
        monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
        monkeypatch.setitem(app.config, "STRIPE_API_BASE", standin.url)
        yield standin


def stripe_url(resp: Any) -> str:
    """Where a card payment form sends the browser: not a 302 (the CSP's form-action
    'self' blocks it), our own page whose meta refresh and link both lead to Stripe."""
    assert resp.status_code == 200, (resp.status_code, resp.location)
    assert "no-store" in resp.headers["Cache-Control"]
    page = resp.get_data(as_text=True)
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page)
    link = re.search(r'<a class="button primary" href="([^"]+)">Continuer', page)
    assert refresh and link and refresh.group(1) == link.group(1)
    return unescape(refresh.group(1))
