"""The agent's own space in a real browser (R-AGT-1, R-AGT-3, R-AGT-4): the cap on « Mon
espace », the order page's documents and pick-up text, and cancelling a cheque option with
the keyboard alone after confirming — on a desktop and on a 320 px phone, nothing
overflowing. Screenshots go to the temporary directory for a look."""

from __future__ import annotations

import tempfile
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from auth.principals import agent_user
from members.dossiers import dossier_source
from orders import cart as carts
from orders import services
from tests.e2e.helpers import login, seed_agent, seed_offer
from tests.e2e.layout import assert_fits

pytestmark = pytest.mark.e2e
SHOTS = Path(tempfile.gettempdir())


def _order(
    live_server: Any,
    number: str,
    offer_id: int,
    session_id: int | None,
    method: str,
    delivery: str = "e_billet",
    quantity: int = 1,
) -> str:
    with live_server.app.app_context():
        agent = agent_user(dossier_source().get(number))
        carts.add_to_cart(
            agent, offer_id, quantity=quantity, delivery=delivery, session_id=session_id
        )
        order = services.place_order(
            agent,
            payment_method=method,
            contact=services.Contact("camille@exemple.fr", True),
            expected_total_cents=carts.view_cart(agent).priced.total_cents,
            checkout_token=uuid.uuid4().hex,
            actor=agent,
        )
        if method == "card":
            services.mark_paid(
                order.id,
                method="demo",
                amount_cents=order.total_cents,
                provider_ref=f"e2e-{order.id}",
                actor="test",
            )
        return order.number or ""


def _seed(live_server: Any) -> tuple[str, str, str]:
    household = f"H-E2E-SPACE-{uuid.uuid4().hex[:6]}"
    number = seed_agent(live_server, household_id=household)
    starts = (datetime.now() + timedelta(days=25)).replace(hour=19, minute=30, second=0)
    gala = seed_offer(
        live_server,
        sessions=[(starts, 50)],
        kind="billet_date",
        category="concerts",
        title="Gala des Hôpitaux de Lyon",
        venue="Salle Rameau",
        venue_address="29 rue de la Martinière",
        city="Lyon",
        public_price_cents=5000,
        negotiated_price_cents=4000,
        cgos_price_cents=2500,
        deliveries=("e_billet", "retrait"),
    )
    with live_server.app.app_context():
        from catalog.models import OfferSession
        from shop.db import session

        session_id = session().query(OfferSession.id).filter_by(offer_id=gala).scalar()
    paid = _order(live_server, number, gala, session_id, "card", delivery="retrait", quantity=2)
    option = _order(live_server, number, gala, session_id, "cheque")
    return number, paid, option


@pytest.mark.parametrize("width", [1280, 360])
def test_r_agt_space_cap_documents_and_cancel_by_keyboard(
    live_server: Any, browser_page: Page, width: int
) -> None:
    number, paid, option = _seed(live_server)
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, number)

    page.goto(live_server("/mon-espace/"))
    cap = page.locator("section[aria-labelledby=plafond]")
    expect(cap).to_contain_text("Reste disponible")
    expect(cap).to_contain_text("455,00 €")  # 500 − 2 × 15 − 15
    expect(cap.get_by_role("link", name=paid)).to_be_visible()
    assert_fits(page, "« Mon espace »")
    page.screenshot(path=str(SHOTS / f"agentspace-mon-espace-{width}.png"), full_page=True)

    page.goto(live_server(f"/mes-commandes/{paid}"))
    expect(page.get_by_role("link", name="Ajouter à mon agenda", exact=False)).to_be_visible()
    expect(page.get_by_role("link", name="Télécharger le reçu", exact=False)).to_be_visible()
    expect(page.locator("section[aria-labelledby=retrait]")).to_contain_text(
        "Salle Rameau, 29 rue de la Martinière, Lyon"
    )
    assert_fits(page, "paid order")
    page.screenshot(path=str(SHOTS / f"agentspace-order-{width}.png"), full_page=True)

    # The option, cancelled with the keyboard alone, after a page that asks.
    page.goto(live_server(f"/mes-commandes/{option}"))
    link = page.get_by_role("link", name="Annuler mon option")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Annuler l'option de la commande {option} ?"
    )
    assert_fits(page, "confirmation")
    page.screenshot(path=str(SHOTS / f"agentspace-confirm-{width}.png"), full_page=True)
    page.get_by_role("button", name="Oui, annuler mon option").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Votre option est annulée", exact=False)).to_be_visible()
    expect(page.get_by_text("Commande annulée")).to_be_visible()
