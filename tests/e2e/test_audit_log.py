"""R-OPS-6 in a real browser: an admin reads the audit log in French at 1280 and 360 px,
the changed values marked in words, filters the log and finds the CSV link."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete

from auth.services import create_staff
from shop import audit
from shop.audit import AuditEntry
from shop.db import unit_of_work
from tests.e2e.helpers import seed_agent, staff_second_factor
from tests.e2e.layout import assert_fits

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-admin-journal-42"
SHOTS = os.environ.get("AUDIT_SCREENSHOTS")  # a folder outside the repository, if set


def _seed(live_server: Any, number: str, email: str) -> None:
    with live_server.app.app_context():
        create_staff(email, "Aline Journal", "admin", PASSWORD)
        with unit_of_work() as s:
            s.execute(delete(AuditEntry))  # the module's server keeps the other width's
            audit.record(
                f"staff:{email}",
                "order.paid",
                "order:L27-000123",
                {"status": "option"},
                {"status": "paid", "method": "cheque"},
            )
            audit.record(
                "api:3:billetterie-principale",
                "offer.updated",
                "offer:42/session:7",
                {"public_price_cents": 123456, "sale_opens_at": "2027-07-01T08:00:00"},
                {"public_price_cents": 129900, "sale_opens_at": "2027-07-01T08:00:00"},
            )
            audit.record(
                "system", "access_code.issued", f"agent:{number}", None, {"delivery": "email"}
            )


@pytest.mark.parametrize("width", [1280, 360])
def test_r_ops_6_audit_log_reads_at_desktop_and_phone_width(
    live_server: Any, _browser: Any, width: int
) -> None:
    number = seed_agent(live_server, email=f"journal{width}@exemple.fr")
    email = f"journal{width}@cgos-loisirs.example"
    _seed(live_server, number, email)
    context = _browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page: Page = context.new_page()
    try:
        page.goto(live_server("/gestion/connexion"))
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.keyboard.press("Enter")
        staff_second_factor(page, live_server, email)  # R-SEC-1
        page.wait_for_url("**/gestion/")
        page.goto(live_server("/gestion/journal"))
        expect(page.get_by_role("heading", name="Journal des actions")).to_be_visible()
        expect(page.locator("strong", has_text="Commande payée")).to_be_visible()
        expect(page.get_by_text("1 234,56 €")).to_be_visible()
        expect(page.get_by_text(f"Aline Journal ({email})").first).to_be_visible()
        changed = page.locator("tr.audit-changed")
        expect(changed).to_have_count(3)  # status, method, price; not the unchanged date
        expect(changed.first).to_contain_text("(modifié)")
        assert_fits(page, f"journal at {width} px")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"journal-{width}.png"), full_page=True)
        page.get_by_label("Action").select_option(label="Commande payée")
        page.get_by_role("button", name="Filtrer").click()
        expect(page.locator("li.audit-entry")).to_have_count(1)
        expect(page.get_by_role("link", name="Exporter en CSV")).to_have_attribute(
            "href", "/gestion/journal.csv?action=order.paid"
        )
        page.get_by_label("Du (jj/mm/aaaa)").fill("31/02/2027")
        page.get_by_role("button", name="Filtrer").click()
        expect(page.get_by_text("Date invalide : écrivez-la jj/mm/aaaa.")).to_be_visible()
        assert_fits(page, f"journal with an error at {width} px")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"journal-{width}-erreur.png"))
    finally:
        context.close()
