"""R-CAT-5/R-CAT-6 in a real browser: browse a category, search, open a dated offer and
pick a session from the list the calendar filters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import login, seed_agent, seed_offer

pytestmark = pytest.mark.e2e


def _seed(live_server: Any) -> tuple[str, datetime]:
    number = seed_agent(live_server)
    first = (datetime.now() + timedelta(days=30)).replace(
        hour=19, minute=30, second=0, microsecond=0
    )
    seed_offer(
        live_server,
        sessions=[(first, 40), (first + timedelta(hours=3), 2)],
        kind="billet_date",
        category="spectacles",
        title="Le Lac des cygnes",
        summary="Ballet",
        venue="Opéra",
        city="Lyon",
        public_price_cents=6000,
        negotiated_price_cents=5000,
        cgos_price_cents=3500,
        deliveries=("e_billet", "courrier"),
        featured=True,
    )
    seed_offer(
        live_server,
        kind="billet_ouvert",
        category="parcs-et-loisirs",
        title="Parc des Dinosaures",
        public_price_cents=3000,
        negotiated_price_cents=2500,
        cgos_price_cents=1800,
        deliveries=("e_billet",),
        stock=100,
    )
    return number, first


def test_browse_search_and_pick_a_session(live_server: Any, browser_page: Page) -> None:
    number, first = _seed(live_server)
    page = browser_page
    login(page, live_server, number)

    # Browse a category from the home page.
    page.get_by_role("link", name="Parcs et loisirs").click()
    expect(page.get_by_role("heading", level=1, name="Parcs et loisirs")).to_be_visible()
    expect(page.get_by_role("link", name="Parc des Dinosaures")).to_be_visible()
    expect(page.get_by_text("Le Lac des cygnes")).to_have_count(0)

    # Within a category the search stays in it; from the home page it covers everything.
    page.get_by_label("Mots-clés").fill("cygnes")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_text("0 offre")).to_be_visible()
    page.get_by_role("link", name="C.G.O.S Loisirs").click()
    page.get_by_label("Rechercher un spectacle, un parc, une carte…").fill("LAC DES CYGNES")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_text("1 offre")).to_be_visible()
    page.get_by_role("link", name="Le Lac des cygnes").click()

    # The offer page: prices, then the sessions in one list (the calendar filters it).
    expect(page.get_by_role("heading", level=1, name="Le Lac des cygnes")).to_be_visible()
    expect(page.get_by_role("row", name="Prix C.G.O.S 35,00 €")).to_be_visible()
    expect(page.get_by_role("row", name="Participation C.G.O.S 15,00 €")).to_be_visible()
    page.get_by_text("Filtrer par date (calendrier)").click()
    page.get_by_role("link", name="2 séances").click()
    expect(page.locator(".session-choice legend")).to_contain_text("Séance du")
    first_session = page.locator(".session-list input[name=session_id]").first
    expect(first_session).to_be_focused()  # the day's first session takes the focus
    page.keyboard.press("ArrowDown")  # the keyboard alone picks the later session
    late = page.locator(".session-list li").nth(1)
    expect(late.locator("input")).to_be_checked()
    expect(late).to_contain_text("plus que 2 places")
    expect(late).to_contain_text("Opéra, Lyon")
    expect(page.locator("#commander")).to_contain_text("Courrier")
