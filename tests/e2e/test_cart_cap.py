"""R-CAP-5 in a real browser: the worked example shows exactly 110,00 € in « Mon panier »."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from orders.models import HouseholdYear
from shop.db import unit_of_work
from tests.e2e.helpers import login, seed_agent, seed_offer

pytestmark = pytest.mark.e2e


def _seed(live_server: Any) -> str:
    year = date.today().year
    number = seed_agent(
        live_server,
        household_id="H-E2E-CAP",
        children=[
            {"prenom": "Léo", "birth_date": f"{year - 10}-03-01", "fiscal_status": "a_charge"},
            {"prenom": "Eva", "birth_date": f"{year - 22}-03-01", "fiscal_status": "alternee"},
        ],
    )
    starts = (datetime.now() + timedelta(days=20)).replace(hour=19, minute=0, second=0)
    seed_offer(
        live_server,
        sessions=[(starts, 100)],
        kind="billet_date",
        category="concerts",
        title="Orchestre des Hôpitaux",
        public_price_cents=5000,
        negotiated_price_cents=4000,
        cgos_price_cents=2500,
        deliveries=("e_billet",),
    )
    with live_server.app.app_context(), unit_of_work() as s:
        s.add(HouseholdYear(household_id="H-E2E-CAP", year=year, used_cents=70_000))
    return number


def test_r_cap_5_worked_example_in_the_cart(live_server: Any, browser_page: Page) -> None:
    number = _seed(live_server)
    page = browser_page
    login(page, live_server, number)

    page.get_by_label("Rechercher un spectacle, un parc, une carte…").fill("orchestre")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Orchestre des Hôpitaux").click()
    page.locator(".session-list input[name=session_id]:enabled").first.check()
    quantity = page.get_by_label("Quantité")
    quantity.fill("4")
    quantity.press("Enter")  # the keyboard submits the form

    expect(page.get_by_role("heading", level=1, name="Mon panier")).to_be_visible()
    line = page.locator(".cart-line")
    expect(line.get_by_role("row", name="Participation C.G.O.S appliquée")).to_contain_text(
        "50,00 €"
    )
    expect(line.get_by_role("row", name="Montant")).to_contain_text("110,00 €")
    cap = page.locator(".cap")
    expect(cap).to_contain_text("750,00 €")
    expect(cap).to_contain_text("700,00 €")
    expect(page.get_by_role("row", name="Total à payer")).to_contain_text("110,00 €")
