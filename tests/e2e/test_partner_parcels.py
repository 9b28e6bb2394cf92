"""Issue 19 in a real browser: a partner with several parcels ticks « Tout sélectionner »,
downloads one PDF of packing slips (a page per parcel) and marks the parcels shipped in
lettre verte at once (R-PAR-3, R-PAR-4)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from auth.principals import agent_user
from auth.services import create_staff
from catalog.models import OfferSession
from members.dossiers import dossier_source
from orders import cart as carts
from orders import services
from shop.db import session
from tests.e2e.helpers import seed_agent, seed_offer

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-partenaire-42"


def _paid_order(live_server: Any, number: str, offer_id: int, k: int) -> str:
    with live_server.app.app_context():
        agent = agent_user(dossier_source().get(number))
        sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == offer_id))
        carts.add_to_cart(agent, offer_id, quantity=1, delivery="courrier", session_id=sid)
        total = carts.view_cart(agent).priced.total_cents
        order = services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact("c@exemple.fr", True),
            expected_total_cents=total,
            checkout_token=f"e2e-parcels-{k}",
            actor=agent,
        )
        services.mark_paid(
            order.id,
            method="demo",
            amount_cents=order.total_cents,
            provider_ref=f"demo-e2e-parcels-{k}",
            actor=agent,
        )
        return order.number or ""


def test_partner_downloads_the_slips_of_a_selection_and_ships_it(
    live_server: Any, browser_page: Page
) -> None:
    number = seed_agent(live_server)
    starts = (datetime.now() + timedelta(days=40)).replace(hour=20, minute=0, second=0)
    offer_id = seed_offer(
        live_server,
        sessions=[(starts, 20)],
        kind="billet_date",
        category="spectacles",
        title="Tournée de printemps",
        public_price_cents=3000,
        negotiated_price_cents=2800,
        cgos_price_cents=2000,
        deliveries=("courrier", "e_billet"),
    )
    orders = [_paid_order(live_server, number, offer_id, k) for k in range(3)]
    with live_server.app.app_context():
        create_staff("lot@e2e.example", "Paula", "partner", PASSWORD, "e2e")

    page = browser_page
    page.goto(live_server("/gestion/connexion"))
    page.get_by_label("Adresse e-mail").fill("lot@e2e.example")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(live_server("/partenaire/expeditions"))
    page.get_by_role("link", name="Tout sélectionner").click()
    for order in orders:
        expect(page.get_by_label(f"Sélectionner la commande {order}")).to_be_checked()
    page.get_by_label(f"Sélectionner la commande {orders[1]}").uncheck()

    with page.expect_download() as info:
        page.get_by_role("button", name="Bons de préparation (PDF)").click()
    pdf = PdfReader(io.BytesIO(info.value.path().read_bytes()))
    texts = [p.extract_text() for p in pdf.pages]
    assert len(texts) == 2
    assert orders[0] in texts[0] and orders[2] in texts[1]

    page.get_by_label("Mode d'envoi des colis sélectionnés").select_option(label="Lettre verte")
    page.get_by_role("button", name="Marquer comme expédiés").click()
    expect(page.get_by_text("2 colis marqué(s) expédié(s)")).to_be_visible()
    expect(page.get_by_label(f"Sélectionner la commande {orders[1]}")).to_be_visible()
    expect(page.get_by_label(f"Sélectionner la commande {orders[0]}")).to_have_count(0)
