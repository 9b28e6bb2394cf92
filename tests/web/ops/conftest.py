"""The cheque desk's agent and park, shared by the back office's order tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def agent(make_agent):
    number, _ = make_agent(household_id="H-CHQ", email="cheque@exemple.fr")
    return number


@pytest.fixture
def parc(make_offer):
    return make_offer(kind="billet_ouvert", title="Parc des Oiseaux", stock=10)
