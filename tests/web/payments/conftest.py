"""Card payments through a local stand-in of Stripe's API: nothing reaches api.stripe.com."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.stripe_standin import SECRET_KEY, StripeStandin
from tests.web.payments.helpers import WEBHOOK_SECRET


@pytest.fixture
def agent(make_agent):
    """The agent of the phone orders (tests/web/ops/test_phone_orders.py)."""
    number, _ = make_agent(household_id="H-TEL", email="tel@exemple.fr")
    return number


@pytest.fixture
def stripe_api(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeStandin]:
    """Stripe mode for one test: keys set and the API pointed at the stand-in, all restored
    (and the stand-in's server closed) afterwards."""
    with StripeStandin(secret_key=SECRET_KEY) as standin:
        monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", standin.secret_key)
        monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
        monkeypatch.setitem(app.config, "STRIPE_API_BASE", standin.url)
        yield standin
