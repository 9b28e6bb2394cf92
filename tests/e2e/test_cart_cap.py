"""R-CAP-5 in a real browser: the worked example shows exactly 110,00 € in « Mon panier »."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from auth.dossier_format import parse_dossier
from auth.importer import save_records
from auth.services import issue_access_code
from catalog.models import Partner
from catalog.services import OfferData, create_offer, save_session
from orders.models import HouseholdYear
from shop.db import unit_of_work
from tests.conftest import agent_json

pytestmark = pytest.mark.e2e


class _Admin:
    role = "admin"
    partner_id = None
    audit_label = "staff:e2e-admin"


def _seed(live_server: Any) -> str:
    year = date.today().year
    record = parse_dossier(
        agent_json(
            household_id="H-E2E-CAP",
            children=[
                {"prenom": "Léo", "birth_date": f"{year - 10}-03-01", "fiscal_status": "a_charge"},
                {"prenom": "Eva", "birth_date": f"{year - 22}-03-01", "fiscal_status": "alternee"},
            ],
        )
    )
    starts = (datetime.now() + timedelta(days=20)).replace(hour=19, minute=0, second=0)
    with live_server.app.app_context():
        save_records([record], actor="test")
        issue_access_code(record.cgos_number, actor="test", send=False, code="ABCD2345")
        with unit_of_work() as s:
            partner = Partner(slug="e2e-cap", name="Partenaire", created_at=datetime.now())
            s.add(partner)
            s.add(HouseholdYear(household_id="H-E2E-CAP", year=year, used_cents=70_000))
            s.flush()
            partner_id = partner.id
        offer = create_offer(
            OfferData(
                partner_id=partner_id,
                kind="billet_date",
                category="concerts",
                title="Orchestre des Hôpitaux",
                public_price_cents=5000,
                negotiated_price_cents=4000,
                cgos_price_cents=2500,
                deliveries=("e_billet",),
            ),
            _Admin(),
        )
        save_session(offer.id, _Admin(), starts_at=starts, stock=100)
    return record.cgos_number


def test_r_cap_5_worked_example_in_the_cart(live_server: Any, browser_page: Page) -> None:
    number = _seed(live_server)
    page = browser_page
    page.goto(live_server("/connexion"))
    page.get_by_label("N° C.G.O.S").fill(number)
    page.get_by_label("Code d'accès prestataires").fill("ABCD2345")
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_label("Rechercher un spectacle, un parc, une carte…").fill("orchestre")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Orchestre des Hôpitaux").click()
    page.locator(".calendar td.has-session a").first.click()
    page.locator(".session-list a").first.click()
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
