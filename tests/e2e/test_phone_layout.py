"""SPEC §12 « works on a phone »: WCAG 2.1 AA reflow (1.4.10), every page of a purchase
readable at 320 CSS pixels without scrolling sideways, the calendar's days easy to tap."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import login, seed_agent, seed_offer

pytestmark = pytest.mark.e2e


def _assert_no_sideways_scroll(page: Page) -> None:
    """Neither the page nor a box in it (a card holding a table) scrolls sideways."""
    wide = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const out = [];
            for (const el of document.querySelectorAll('body *')) {
                const box = el.getBoundingClientRect();
                if (box.width > 0 && box.right > width + 1) {
                    out.push(el.tagName + '.' + el.className);
                }
                const scrolls = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
                if (scrolls && el.scrollWidth > el.clientWidth + 1) {
                    out.push('scrolling ' + el.tagName + '.' + el.className);
                }
            }
            return [document.documentElement.scrollWidth - width, out.slice(0, 5)];
        }"""
    )
    assert wide[0] <= 0 and not wide[1], f"{page.url}: {wide[0]} px too wide ({wide[1]})"


def test_s12_purchase_pages_fit_a_320_px_phone(live_server: Any, phone_page: Page) -> None:
    number = seed_agent(live_server)
    # Sessions in two months: the offer page shows two calendars.
    first = (datetime.now() + timedelta(days=20)).replace(hour=20, minute=0, second=0)
    seed_offer(
        live_server,
        sessions=[(first, 40), (first + timedelta(days=31), 40)],
        kind="billet_date",
        category="spectacles",
        title="Nuit du Jazz au Palais des Congrès de Lyon",
        public_price_cents=3000,
        negotiated_price_cents=3000,
        cgos_price_cents=2000,
        deliveries=("e_billet",),
    )
    page = phone_page
    page.goto(live_server("/connexion"))
    _assert_no_sideways_scroll(page)
    login(page, live_server, number)
    _assert_no_sideways_scroll(page)

    page.get_by_label("Rechercher un spectacle, un parc, une carte…").fill("Nuit du Jazz")
    page.get_by_role("button", name="Rechercher").click()
    _assert_no_sideways_scroll(page)
    page.get_by_role("link", name="Nuit du Jazz au Palais des Congrès de Lyon").click()
    expect(page.locator("table.calendar")).to_have_count(2)
    _assert_no_sideways_scroll(page)
    day = page.locator(".calendar td.has-session a").first
    box = day.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 44, box  # WCAG 2.5.8, and a thumb
    day.click()
    page.locator(".session-list a").first.click()
    _assert_no_sideways_scroll(page)

    page.get_by_label("Quantité").fill("2")
    page.get_by_role("button", name="Ajouter au panier").click()
    _assert_no_sideways_scroll(page)  # Mon panier
    page.get_by_role("link", name="Finaliser ma commande").click()
    _assert_no_sideways_scroll(page)
    page.get_by_label("J'accepte les conditions générales de vente").check()
    page.get_by_label("Carte bancaire").check()
    page.get_by_role("button", name="Confirmer ma commande").click()
    _assert_no_sideways_scroll(page)  # demonstration card page
    page.get_by_role("button", name="Payer 40,00 € (démonstration)").click()
    expect(page.get_by_text("Payée").first).to_be_visible()
    _assert_no_sideways_scroll(page)  # confirmation
    page.get_by_role("link", name="Mes commandes").first.click()
    _assert_no_sideways_scroll(page)
    page.locator("table.stack a").first.click()  # the order's page, its lines and totals
    expect(page.get_by_role("heading", name="Détail")).to_be_visible()
    _assert_no_sideways_scroll(page)
    page.goto(live_server("/mon-espace/"))  # the household, its children
    _assert_no_sideways_scroll(page)
