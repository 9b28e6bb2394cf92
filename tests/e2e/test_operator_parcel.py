"""Issue 20 in a real browser, keyboard only (typing, Tab, Enter): an agent calls « où en
est mon colis ». The operator searches the agent by name, opens the record, reads the
parcel of the order (mode and tracking number, posted by its partner), then opens the
order's page. R-OPS-1, R-PAR-4."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from auth.principals import agent_user
from auth.services import create_staff
from catalog.models import Offer, OfferSession
from members.dossiers import dossier_source
from orders import cart as carts
from orders import services
from partners.services import mark_shipped
from shop.db import session
from tests.e2e.helpers import Effort, measure, seed_agent, seed_offer, staff_second_factor

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-operateur-44"
EMAIL = "colis.ops@cgos-loisirs.example"
TRACKING = "1L23456789012"


def _shipped_order(live_server: Any, number: str, offer_id: int) -> str:
    """A paid order of paper tickets in lettre suivie, posted by its partner (R-PAR-4)."""
    with live_server.app.app_context():
        agent = agent_user(dossier_source().get(number))
        sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == offer_id))
        carts.add_to_cart(agent, offer_id, quantity=2, delivery="courrier", session_id=sid)
        carts.set_shipping(agent, "suivi", None)
        order = services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact("colis.agent@exemple.fr", True),
            expected_total_cents=carts.view_cart(agent).priced.total_cents,
            checkout_token="e2e-parcel-token",
            actor=agent,
        )
        services.mark_paid(
            order.id,
            method="demo",
            amount_cents=order.total_cents,
            provider_ref="demo-e2e-parcel",
            actor=agent,
        )
        partner_id = session().get(Offer, offer_id).partner_id
        mark_shipped(partner_id, order.number, "billets", "suivi", TRACKING, actor="test")
        return order.number


def _tab_to(page: Page, name: str, limit: int = 80) -> None:
    """Tab until the focused element's text holds ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.innerText")
        if focused and name in focused:
            return
    raise AssertionError(f"« {name} » never got the focus")


def test_a_parcel_tracked_keyboard_only(
    live_server: Any, browser_page: Page, effort_log: dict[str, Effort]
) -> None:
    number = seed_agent(live_server, nom="Péréz", prenom="Anaïs", email="colis.agent@exemple.fr")
    starts = (datetime.now() + timedelta(days=40)).replace(hour=20, minute=0, second=0)
    offer_id = seed_offer(
        live_server,
        sessions=[(starts, 20)],
        kind="billet_date",
        category="spectacles",
        title="Tournée du colis",
        public_price_cents=3000,
        negotiated_price_cents=2800,
        cgos_price_cents=2000,
        deliveries=("courrier",),
    )
    order_number = _shipped_order(live_server, number, offer_id)
    with live_server.app.app_context():
        create_staff(EMAIL, "Odile", "operator", PASSWORD)

    page = browser_page
    page.goto(live_server("/gestion/connexion"))
    page.get_by_label("Adresse e-mail").focus()
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    staff_second_factor(page, live_server, EMAIL)  # R-SEC-1
    expect(page.get_by_role("searchbox")).to_be_focused()

    # « Où en est mon colis ? » — the name as the agent spells it, without accents.
    measure(page, effort_log, "parcel tracked")
    page.keyboard.type("perez anais")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, "Péréz Anaïs")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name=re.compile("Anaïs Péréz"))).to_be_visible()
    row = page.get_by_role("row", name=re.compile(order_number))
    expect(row).to_contain_text("Lettre suivie le")
    expect(row).to_contain_text(f"suivi {TRACKING}")
    expect(row).to_contain_text("Expédiée")

    # Then the order itself, from the record.
    _tab_to(page, order_number)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name=f"Commande {order_number}")).to_be_visible()
    expect(page.get_by_text("Expédiée", exact=True).first).to_be_visible()
