"""Issue « partners » in a real browser: a partner opens the queue, prints a packing slip,
marks a recommandé shipment with its tracking number, and the agent's « Mes commandes »
shows it (R-PAR-2, R-PAR-3, R-PAR-4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from auth.principals import agent_user
from auth.services import create_staff
from members.dossiers import dossier_source
from orders import cart as carts
from orders import services
from tests.e2e.helpers import login, seed_agent, seed_offer

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-partenaire-42"


def _paid_paper_order(live_server: Any, number: str, offer_id: int) -> str:
    with live_server.app.app_context():
        from catalog.models import OfferSession
        from shop.db import session

        agent = agent_user(dossier_source().get(number))
        sid = session().query(OfferSession.id).filter_by(offer_id=offer_id).scalar()
        carts.add_to_cart(agent, offer_id, quantity=2, delivery="courrier", session_id=sid)
        carts.set_shipping(agent, "recommande", None)
        total = carts.view_cart(agent).priced.total_cents
        order = services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact("c@exemple.fr", True),
            expected_total_cents=total,
            checkout_token="e2e-partner-shipment-token",
            actor=agent,
        )
        services.mark_paid(
            order.id,
            method="demo",
            amount_cents=order.total_cents,
            provider_ref="demo-e2e-ship",
            actor=agent,
        )
        return order.number


def test_partner_ships_a_recommande_and_the_agent_sees_it(
    live_server: Any, browser_page: Page
) -> None:
    number = seed_agent(live_server)
    starts = (datetime.now() + timedelta(days=40)).replace(hour=20, minute=0, second=0)
    offer_id = seed_offer(
        live_server,
        sessions=[(starts, 20)],
        kind="billet_date",
        category="spectacles",
        title="Tournée d'hiver",
        public_price_cents=3000,
        negotiated_price_cents=2800,
        cgos_price_cents=2000,
        deliveries=("courrier", "e_billet"),
    )
    order_number = _paid_paper_order(live_server, number, offer_id)
    with live_server.app.app_context():
        create_staff("colis@e2e.example", "Paula", "partner", PASSWORD, "e2e")

    page = browser_page
    page.goto(live_server("/gestion/connexion"))
    page.get_by_label("Adresse e-mail").fill("colis@e2e.example")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(live_server("/partenaire/expeditions"))
    expect(page.get_by_role("heading", name="Expéditions à préparer")).to_be_visible()
    expect(page.get_by_role("cell", name=f"{order_number} Mme Camille")).to_be_visible()
    page.get_by_role("link", name=f"Bon de préparation de la commande {order_number}").click()

    # The packing slip prints without the back-office controls.
    slip = page.get_by_role("heading", name=f"Bon de préparation — commande {order_number}")
    expect(slip).to_be_visible()
    page.emulate_media(media="print")
    expect(slip).to_be_visible()
    expect(page.get_by_role("button", name="Marquer comme expédié")).to_be_hidden()
    page.emulate_media(media="screen")

    page.get_by_label("Mode d'envoi").select_option(label="Recommandé")
    page.get_by_role("button", name="Marquer comme expédié").click()
    expect(page.get_by_text("Obligatoire", exact=False).first).to_be_visible()
    page.get_by_label("Numéro de suivi").fill("1A00123456789")
    page.get_by_role("button", name="Marquer comme expédié").click()
    expect(page.get_by_text("envoi enregistré, l'agent est prévenu")).to_be_visible()
    expect(page.get_by_text("Aucun colis à expédier pour le moment.")).to_be_visible()

    page.context.clear_cookies()
    login(page, live_server, number)
    page.goto(live_server(f"/mes-commandes/{order_number}"))
    expect(page.get_by_text("Expédiée").first).to_be_visible()
    expect(page.get_by_text("1A00123456789")).to_be_visible()
