"""Issue 22 in a real browser, a manager's round: set the year's budget, read the
dashboard, then download the day's cheque remittance slip and a partner's monthly
settlement (PDF and CSV), the files saying what the orders say (R-REP-1, R-REP-2;
docs/RULES.md R-REP-1, R-REP-2b, R-REP-2c)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect
from pypdf import PdfReader

from auth.principals import agent_user
from auth.services import create_staff
from members.dossiers import dossier_source
from orders import cart as carts
from orders import cheques, services
from shop import clock
from shop.money import format_eur
from tests.e2e.helpers import seed_agent, seed_offer, staff_second_factor
from tests.factories import Operator

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_URL_PATH = "/__axe__/axe.min.js"  # answered by the test's route, never by the store
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FINANCE_PAGES = [
    "/gestion/rapports/finance/cartes",
    "/gestion/rapports/finance/cheques",
    "/gestion/rapports/finance/remboursements",
    "/gestion/rapports/finance/partenaires",
    "/gestion/rapports/finance/exports",
    "/gestion/rapports/finance/exports/telecharger?type=x&du=hier&au=&format=pdf",
]

PASSWORD = "mot-de-passe-gestion-42"
EMAIL = "finance@e2e.example"


def _order(live_server: Any, number: str, offer_id: int, method: str, token: str):
    with live_server.app.app_context():
        agent = agent_user(dossier_source().get(number))
        carts.add_to_cart(agent, offer_id, quantity=2, delivery="e_billet")
        total = carts.view_cart(agent).priced.total_cents
        order = services.place_order(
            agent,
            payment_method=method,
            contact=services.Contact("e2e@exemple.fr", True),
            expected_total_cents=total,
            checkout_token=token,
            actor=agent,
        )
        if method == "cheque":
            result = cheques.register_cheque(
                order.number, order.total_cents, "E2E-4711", Operator()
            )
            assert result.accepted
        else:
            services.mark_paid(
                order.id,
                method="demo",
                amount_cents=order.total_cents,
                provider_ref=f"demo-{token}",
                actor=agent,
            )
        return order.number, order.total_cents, order.holder_name


def _pdf(download: Any) -> str:
    reader = PdfReader(io.BytesIO(download.path().read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _eur(cents: int) -> str:
    return format_eur(cents).replace("\u202f", " ").replace("\xa0", " ")


def test_manager_sets_the_budget_reads_the_dashboard_downloads_the_slip_and_a_settlement(
    live_server: Any, browser_page: Page
) -> None:
    number = seed_agent(live_server)
    offer_id = seed_offer(
        live_server,
        kind="billet_ouvert",
        category="parcs-et-loisirs",
        title="Parc des Félins",
        summary="Une journée au parc",
        venue="Lumigny",
        city="Lumigny",
        public_price_cents=3500,
        negotiated_price_cents=3000,
        cgos_price_cents=2000,
        deliveries=("e_billet",),
        stock=50,
    )
    cheque_number, cheque_total, drawer = _order(live_server, number, offer_id, "cheque", "e2e-f1")
    _order(live_server, number, offer_id, "card", "e2e-f2")
    with live_server.app.app_context():
        create_staff(EMAIL, "Gaëlle", "admin", PASSWORD)
        today = clock.today()

    page = browser_page
    page.goto(live_server("/gestion/connexion"))
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    staff_second_factor(page, live_server, EMAIL)

    # R-REP-1: the year's budget, then the dashboard of the month against it. Two orders
    # of two tickets, 30,00 € négocié for 20,00 €: 4 × 10,00 € of participation paid.
    page.get_by_role("link", name="Rapports", exact=True).click()
    expect(page.get_by_text(f"Aucun budget {today.year} n'est fixé")).to_be_visible()
    page.get_by_role("link", name="Fixer le budget").click()
    page.get_by_label("Budget de participation").fill("1000")
    page.get_by_label("Seuil d'alerte (%)").fill("80")
    page.get_by_role("button", name="Enregistrer le budget").click()
    expect(page.get_by_text(f"Budget {today.year} (national) enregistré")).to_be_visible()
    page.get_by_role("link", name="Tableau de bord").click()
    page.get_by_label("Du", exact=True).fill(today.replace(day=1).isoformat())
    page.get_by_label("Au", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Afficher").click()
    paid = page.get_by_role("row", name="Participation payée (commandes payées)")
    expect(paid).to_contain_text("40,00")
    expect(page.locator("#tableau-synthese")).to_contain_text("Consommé sur le budget")
    expect(page.get_by_role("img", name="Budget de participation")).to_be_visible()

    page.get_by_role("link", name="Finance et exports").click()
    expect(page.get_by_role("heading", name="Paiements par carte")).to_be_visible()
    page.get_by_role("link", name="Chèques et bordereaux").click()
    expect(page.get_by_role("rowheader", name="E2E-4711")).to_be_visible()  # the cheque
    with page.expect_download() as info:
        page.get_by_role(
            "link", name=f"Télécharger le bordereau de remise du {today:%d/%m/%Y}"
        ).click()
    assert info.value.suggested_filename == f"bordereau-cheques_{today.isoformat()}.pdf"
    slip = _pdf(info.value)
    assert "Bordereau de remise de chèques" in slip
    assert "E2E-4711" in slip and cheque_number in slip and drawer in slip
    assert _eur(cheque_total) in slip and "Nombre de chèques : 1" in slip

    page.get_by_role("link", name="Règlements partenaires").click()
    expect(page.get_by_role("rowheader", name="Partenaire E2E", exact=True)).to_be_visible()
    with page.expect_download() as info:  # the month's table, as the page shows it (R-REP-3)
        page.get_by_role("link", name="CSV — Règlements partenaires").click()
    assert info.value.suggested_filename == f"finance-partenaires-{today:%Y-%m}.csv"
    body = info.value.path().read_bytes().decode("utf-8")
    assert body.startswith("\ufeff") and "Partenaire E2E;4;120,00" in body
    page.get_by_label("Partenaire", exact=True).select_option(label="Partenaire E2E")
    with page.expect_download() as info:
        page.get_by_role("button", name="Relevé PDF").click()
    statement = _pdf(info.value)
    assert "Relevé de règlement partenaire" in statement and "Partenaire E2E" in statement
    assert "Parc des Félins" in statement
    assert _eur(4 * 3000) in statement  # 2 orders × 2 tickets at the prix négocié
    with page.expect_download() as info:
        page.get_by_role("button", name="Relevé CSV").click()
    body = info.value.path().read_bytes().decode("utf-8")
    assert body.startswith("\ufeff") and "Parc des Félins;4;120,00" in body


def _violations(page: Page, live_server: Any) -> list[str]:
    page.add_script_tag(url=live_server(AXE_URL_PATH))
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [f"{v['id']}: {v['help']}" for v in result["violations"]]


def test_finance_pages_pass_axe(live_server: Any, browser_page: Page) -> None:
    """RULES.md §12 « accessible »: the finance pages, and an export refused for bad
    input, have no axe-core violation (WCAG 2.1 A and AA, best practices)."""
    with live_server.app.app_context():
        create_staff("axe-" + EMAIL, "Gaëlle", "admin", PASSWORD)
    page = browser_page

    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="text/javascript", body=AXE.read_bytes())

    page.context.route(f"**{AXE_URL_PATH}", serve)
    page.goto(live_server("/gestion/connexion"))
    page.get_by_label("Adresse e-mail").fill("axe-" + EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    staff_second_factor(page, live_server, "axe-" + EMAIL)
    found = {}
    for path in FINANCE_PAGES:
        page.goto(live_server(path))
        found[path] = _violations(page, live_server)
    assert found == {path: [] for path in FINANCE_PAGES}
