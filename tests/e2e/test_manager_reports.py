"""Issue 22 in a real browser (R-REP-1, R-REP-4; docs/RULES.md): an admin reads the
dashboard, sets the year's budget, reads the dashboard for a period again and sees the alert
once the threshold is reached, downloads a table; a gestionnaire lands on the reports,
reads them and has no form to change anything."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from auth.principals import agent_user
from auth.services import create_staff
from members.dossiers import dossier_source
from orders import cart as carts
from orders import services
from shop import clock
from tests.e2e.helpers import seed_agent, seed_offer, staff_second_factor
from tests.e2e.layout import assert_fits

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-gestion-42"
# The vendored axe-core of the accessibility tests, served on the store's origin by a route
# of the browser context (the pages' CSP allows scripts of their own origin only).
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_PATH = "/__axe__/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def _axe_violations(page: Page, live_server: Any) -> list[str]:
    """RULES.md §12 on a back-office page: axe-core's WCAG 2.1 A/AA violations, by rule."""
    page.context.route(
        f"**{AXE_PATH}",
        lambda route: route.fulfill(
            status=200, content_type="text/javascript", body=AXE.read_bytes()
        ),
    )
    page.add_script_tag(url=live_server(AXE_PATH))
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        f"{v['id']}: {v['help']} ({' | '.join(n['html'][:120] for n in v['nodes'][:3])})"
        for v in result["violations"]
    ]


def _login(page: Page, live_server: Any, email: str, role: str) -> None:
    with live_server.app.app_context():
        create_staff(email, role.title(), role, PASSWORD)
    page.goto(live_server("/gestion/connexion"))
    page.get_by_label("Adresse e-mail", exact=True).fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    staff_second_factor(page, live_server, email)  # R-SEC-1


def _paid_order(live_server: Any, checkout: str = "tok-e2e-reports") -> None:
    """Two park tickets paid by card today: 2 × 11,11 € of participation."""
    number = seed_agent(live_server, region="Bretagne")
    offer_id = seed_offer(
        live_server,
        kind="billet_ouvert",
        category="parcs-et-loisirs",
        title="Parc des Rapports",
        public_price_cents=3900,
        negotiated_price_cents=3333,
        cgos_price_cents=2222,
        deliveries=("e_billet",),
        stock=50,
    )
    with live_server.app.app_context():
        agent = agent_user(dossier_source().get(number))
        carts.add_to_cart(agent, offer_id, quantity=2, delivery="e_billet")
        total = carts.view_cart(agent).priced.total_cents
        order = services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact("agent@exemple.fr", True),
            expected_total_cents=total,
            checkout_token=checkout,
            actor=agent,
        )
        services.mark_paid(
            order.id,
            method="demo",
            amount_cents=order.total_cents,
            provider_ref=f"demo-{order.id}",
            actor="stripe",
        )


def test_r_rep_1_admin_sets_a_budget_and_sees_the_alert(
    live_server: Any, browser_page: Page
) -> None:
    page = browser_page
    _paid_order(live_server)
    with live_server.app.app_context():
        today = clock.today()
    _login(page, live_server, "admin.rapports@cgos-loisirs.example", "admin")

    page.get_by_role("link", name="Rapports", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=re.compile("Tableau de bord"))).to_be_visible()
    expect(page.get_by_role("img", name="Participation payée par mois")).to_be_visible()
    expect(page.get_by_text(f"Aucun budget {today.year} n'est fixé")).to_be_visible()

    page.get_by_role("link", name="Fixer le budget").click()
    page.get_by_label("Budget de participation").fill("25")
    page.get_by_label("Seuil d'alerte (%)").fill("80")
    page.get_by_role("button", name="Enregistrer le budget").click()
    expect(page.get_by_text(f"Budget {today.year} (national) enregistré : 25,00")).to_be_visible()
    assert _axe_violations(page, live_server) == []  # the budgets page with its form
    expect(page.get_by_role("row", name=re.compile("National"))).to_contain_text("80 %")

    # The dashboard for this month: 22,22 € paid of 25 € is 88 %, past the 80 % threshold.
    page.get_by_role("link", name="Tableau de bord").click()
    first = today.replace(day=1)
    page.get_by_label("Du", exact=True).fill(first.isoformat())
    page.get_by_label("Au", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{today.day}")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Alerte budget")
    expect(alert).to_contain_text("88 % du budget")
    expect(page.get_by_role("img", name="Budget de participation")).to_be_visible()
    expect(page.locator("#tableau-synthese")).to_contain_text("22,22")
    assert _axe_violations(page, live_server) == []

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV — Par jour").click()
    download = download_info.value
    assert download.suggested_filename.startswith("rapport-jours-")
    content = Path(download.path()).read_bytes().decode("utf-8")
    assert content.startswith("\ufeffJour;Commandes passées;")
    assert "\r\nTotal;1;1;" in content  # one order placed and paid this month


def test_r_rep_4_gestionnaire_reads_without_changing(live_server: Any, browser_page: Page) -> None:
    page = browser_page
    _login(page, live_server, "gestion.rapports@cgos-loisirs.example", "gestionnaire")
    expect(page.get_by_role("heading", level=1, name=re.compile("Tableau de bord"))).to_be_visible()
    nav = page.get_by_role("navigation", name="Back-office")
    expect(nav.get_by_role("link")).to_have_text(
        ["Rapports", "Budgets", "Finance", re.compile("Gestionnaire")]
    )
    nav.get_by_role("link", name="Budgets").click()
    expect(page.get_by_text("Seuls les administrateurs fixent les budgets")).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer le budget")).to_have_count(0)
    assert _axe_violations(page, live_server) == []
    response = page.goto(live_server("/gestion/commandes/"))
    assert response is not None and response.status == 404


REPORT_PAGES = [
    "/gestion/rapports/",
    "/gestion/rapports/budgets",
    "/gestion/rapports/finance/",
    "/gestion/rapports/finance/cartes",
    "/gestion/rapports/finance/cheques",
    "/gestion/rapports/finance/remboursements",
    "/gestion/rapports/finance/partenaires",
    "/gestion/rapports/finance/exports",
]
SHOTS = os.environ.get("REPORT_SCREENSHOTS")  # a folder outside the repository, if set


def test_r_rep_1_report_pages_fit_a_laptop_and_a_phone(
    live_server: Any, browser_page: Page
) -> None:
    """Every report page at a laptop's and a phone's width: nothing cut off or pushed out
    of its box, nothing scrolling sideways (a phone reads each table row as a block)."""
    page = browser_page
    _paid_order(live_server, checkout="tok-e2e-report-widths")
    _login(page, live_server, "admin.largeurs@cgos-loisirs.example", "admin")
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        for path in REPORT_PAGES:
            response = page.goto(live_server(path))
            assert response is not None and response.status == 200, path
            if SHOTS:
                name = path.strip("/").replace("/", "-") or "index"
                page.screenshot(path=os.path.join(SHOTS, f"{name}-{width}.png"), full_page=True)
            assert_fits(page, f"{path} at {width} px")
