"""Fixtures shared by the web tests of several audiences: the checkout's buyer and park
(agents' pages and card payments), a logged-in operator (back office and phone payments)."""

from __future__ import annotations

import pytest

from tests.factories import NOW_PARIS, login_agent, login_staff


@pytest.fixture
def buyer(client, make_agent, clock):
    clock.set(NOW_PARIS)
    number, code = make_agent(household_id="H-BUY", email="acheteur@exemple.fr")
    login_agent(client, number, code)
    client.number = number
    client.relogin = lambda: login_agent(client, number, code)
    return client


@pytest.fixture
def parc(make_offer):
    return make_offer(
        kind="billet_ouvert",
        title="Parc",
        stock=10,
        public_price_cents=3000,
        negotiated_price_cents=3000,
        cgos_price_cents=2000,
    )


@pytest.fixture
def operator(client, make_staff, clock):
    clock.set(NOW_PARIS)
    email, password = make_staff("operator")
    login_staff(client, email, password)
    client.relogin = lambda: login_staff(client, email, password)
    return client
