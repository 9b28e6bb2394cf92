"""« Prévenez-moi » in the browser (R-AGT-2): from a sold-out session's row to « Mes
alertes », on a desktop and on a 360 px phone, with the pages fitting the screen."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import login, seed_agent, seed_offer
from tests.e2e.layout import assert_fits

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 9, 9, 10, 0)  # Paris
SOLD_OUT = datetime(2026, 9, 30, 18, 0)  # naive UTC
FREE = datetime(2026, 9, 30, 12, 0)


def _shot(page: Page, name: str) -> None:
    """With ``E2E_SCREENSHOTS`` set to a folder, keep the page as ``alerts-<name>.png``
    there, to look at it (1280 and 360 px)."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"alerts-{name}.png"), full_page=True)


@pytest.fixture
def clock(live_server: Any) -> Iterator[Any]:
    clock = live_server.app.extensions["clock"]
    clock.set(NOW)
    try:
        yield clock
    finally:
        clock.current = None


@pytest.mark.parametrize("width", [1280, 360])
def test_r_agt_2_an_agent_asks_to_be_told_from_the_session_row(
    live_server: Any, _browser: Any, clock: Any, width: int
) -> None:
    number = seed_agent(live_server, dossier_year=NOW.year)
    offer_id = seed_offer(
        live_server,
        sessions=[(FREE, 10), (SOLD_OUT, 0)],
        kind="billet_date",
        category="spectacles",
        title=f"Gala d'automne {width}",
        public_price_cents=3000,
        negotiated_price_cents=3000,
        cgos_price_cents=2000,
        deliveries=("e_billet",),
    )
    context = _browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page: Page = context.new_page()
    try:
        login(page, live_server, number)
        page.goto(live_server(f"/offre/{offer_id}?jour=2026-09-30"))
        rows = page.locator(".session-list li")
        expect(rows).to_have_count(2)
        # Only the sold-out session offers the button.
        expect(rows.nth(0).get_by_role("link", name=re.compile("Prévenez-moi"))).to_have_count(0)
        button = rows.nth(1).get_by_role("link", name=re.compile("Prévenez-moi"))
        expect(button).to_be_visible()
        assert_fits(page, "offer page")
        _shot(page, f"offer-{width}")

        button.click()
        expect(page.locator("h1")).to_have_text("Prévenez-moi")
        page.get_by_label("Nombre de places").fill("2")
        assert_fits(page, "alert form")
        _shot(page, f"form-{width}")
        page.get_by_role("button", name="Prévenez-moi").click()

        expect(page.locator("h1")).to_have_text("Mes alertes « Prévenez-moi »")
        expect(page.get_by_text("En attente")).to_be_visible()
        assert_fits(page, "my alerts")
        _shot(page, f"mine-{width}")

        # Two seats come back; the job holds them and mails the link.
        link = _seats_come_back(live_server, offer_id, 2)
        page.goto(live_server(link))
        expect(page.get_by_text("2 places vous sont réservées")).to_be_visible()
        assert_fits(page, "hold page")
        _shot(page, f"take-{width}")
        page.get_by_role("button", name="Mettre les places dans mon panier").click()
        expect(page.locator("h1")).to_have_text("Mon panier")
        expect(page.get_by_text("2 place(s) ajoutée(s) à votre panier")).to_be_visible()

        page.goto(live_server("/mes-alertes/"))
        expect(page.get_by_text("Places réservées pour vous")).to_be_visible()
        _shot(page, f"held-{width}")
        page.get_by_role("button", name="Annuler l'alerte").click()
        expect(page.get_by_text("Votre alerte est annulée.")).to_be_visible()
        expect(page.get_by_role("button", name="Annuler l'alerte")).to_have_count(0)
    finally:
        context.close()


def _seats_come_back(live_server: Any, offer_id: int, seats: int) -> str:
    """The sold-out session gets ``seats`` back, the job runs; returns the mailed path."""
    from sqlalchemy import select

    from catalog.models import OfferSession
    from orders.alerts import serve_alerts
    from shop.db import session, unit_of_work
    from shop.mail import OutboxMail

    with live_server.app.app_context():
        with unit_of_work() as s:
            sess = s.scalar(
                select(OfferSession).where(
                    OfferSession.offer_id == offer_id, OfferSession.stock == 0
                )
            )
            sess.stock = seats
        serve_alerts()
        body = session().scalar(
            select(OutboxMail.body_text)
            .where(OutboxMail.kind == "orders/seat_alert_held")
            .order_by(OutboxMail.id.desc())
        )
    found = re.search(r"https?://[^/\s]+(/mes-alertes/\S+)", body)
    assert found, body
    return found.group(1)
