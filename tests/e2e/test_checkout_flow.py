"""Issue « checkout » in a real browser: e-billets bought by demonstration card and
downloaded (R-PAY-2, R-ORD-3); a cheque option cancelled after day 8 (R-PAY-3)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from catalog.models import Offer
from orders.models import ETicket
from shop.db import session
from shop.jobs import run_due
from tests.e2e.helpers import _to_checkout, login, seed_agent, seed_offer

pytestmark = pytest.mark.e2e


def test_e_billets_by_demo_card_then_download(live_server: Any, browser_page: Page) -> None:
    number = seed_agent(live_server)
    starts = (datetime.now() + timedelta(days=25)).replace(hour=19, minute=0, second=0)
    seed_offer(
        live_server,
        sessions=[(starts, 50)],
        kind="billet_date",
        category="spectacles",
        title="Nuit du Jazz",
        public_price_cents=3000,
        negotiated_price_cents=3000,
        cgos_price_cents=2000,
        deliveries=("e_billet",),
    )
    page = browser_page
    login(page, live_server, number)
    _to_checkout(page, "Nuit du Jazz", 2, dated=True)
    page.get_by_label("Carte bancaire").check()
    page.get_by_role("button", name="Confirmer ma commande").click()
    expect(page.get_by_text("Mode démonstration")).to_be_visible()
    page.get_by_role("button", name="Payer 40,00 € (démonstration)").click()
    expect(page.get_by_text("Payée").first).to_be_visible()

    page.get_by_role("link", name="Mes commandes").first.click()
    page.locator("a", has_text="L").filter(has_text="-").first.click()
    links = page.get_by_role("link", name="Télécharger l'e-billet")
    expect(links).to_have_count(2)
    texts = []
    for i in range(2):
        with page.expect_download() as info:
            links.nth(i).click()
        data = info.value.path().read_bytes()
        assert data.startswith(b"%PDF")
        texts.append("".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))
    with live_server.app.app_context():
        secrets = [t.secret for t in session().scalars(select(ETicket).order_by(ETicket.id))]
    assert len(set(secrets)) == 2 and all(len(s) >= 32 for s in secrets)
    for text, secret in zip(texts, secrets, strict=True):
        assert "Nuit du Jazz" in text
        grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        assert secret in text.replace(" ", "") or grouped in text


def test_cheque_option_cancelled_after_day_8(live_server: Any, browser_page: Page) -> None:
    number = seed_agent(live_server)
    offer_id = seed_offer(
        live_server,
        kind="billet_ouvert",
        category="parcs-et-loisirs",
        title="Parc Océan",
        public_price_cents=3000,
        negotiated_price_cents=2800,
        cgos_price_cents=1800,
        deliveries=("e_billet",),
        stock=10,
    )
    page = browser_page
    login(page, live_server, number)
    _to_checkout(page, "Parc Océan", 3, dated=False)
    page.get_by_label("Chèque").check()
    page.get_by_role("button", name="Confirmer ma commande").click()
    expect(page.get_by_text("Option (chèque attendu)").first).to_be_visible()
    expect(page.get_by_text("Billetterie C.G.O.S - SOGEC GESTION").first).to_be_visible()
    expect(page.get_by_text("48 heures").first).to_be_visible()
    order_url = page.url

    app = live_server.app
    with app.app_context():
        assert session().get(Offer, offer_id).stock == 7
    clock = app.extensions["clock"]
    clock.set(datetime.now() + timedelta(days=8, hours=1))
    try:
        with app.app_context():
            run_due()
            assert session().get(Offer, offer_id).stock == 10
        login(page, live_server, number)  # the session idled out meanwhile
        page.goto(order_url)
        expect(page.get_by_text("Annulée").first).to_be_visible()
        page.goto(live_server(f"/offre/{offer_id}"))
        expect(page.get_by_text("En stock")).to_be_visible()
    finally:
        clock.current = None
