"""R-SEC-1 in a browser, keyboard only: an admin logs in with the app's code, creates an
operator; the operator changes the temporary password, enrols (QR page, manual key),
logs out, and logs in again with a code."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from auth.services import create_staff
from tests.e2e.helpers import staff_second_factor

PASSWORD = "admin-e2e-mot-de-passe"
ADMIN = "admin.e2e@cgos-loisirs.example"
OPERATOR = "nouvel.operateur@cgos-loisirs.example"


def _password_step(page: Page, live_server: Any, email: str, password: str) -> None:
    page.goto(live_server("/gestion/connexion"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.keyboard.press("Enter")


def _logout(page: Page) -> None:
    page.get_by_role("button", name="Se déconnecter").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()


def test_r_sec_1_admin_creates_an_operator_who_enrols(live_server: Any, browser_page: Page):
    page = browser_page
    with live_server.app.app_context():
        create_staff(ADMIN, "Alain", "admin", PASSWORD)
    # The admin's first login: enrolment, then the code at the next login.
    _password_step(page, live_server, ADMIN, PASSWORD)
    expect(page.locator("svg").first).to_be_visible()  # the QR code
    staff_second_factor(page, live_server, ADMIN)
    _logout(page)
    _password_step(page, live_server, ADMIN, PASSWORD)
    expect(page.get_by_label("Code de l'application")).to_be_focused()
    staff_second_factor(page, live_server, ADMIN)

    page.goto(live_server("/gestion/equipe/"))
    page.get_by_label("Adresse e-mail").fill(OPERATOR)
    page.get_by_label("Nom affiché").fill("Nadia")
    page.get_by_label("Rôle").select_option("operator")
    page.get_by_role("button", name="Créer le compte").focus()
    page.keyboard.press("Enter")
    temporary = page.locator("#temporary-password").inner_text()
    _logout(page)

    _password_step(page, live_server, OPERATOR, temporary)
    expect(page).to_have_url(re.compile("/gestion/connexion/activation"))
    expect(page.locator("figure svg")).to_be_visible()
    staff_second_factor(page, live_server, OPERATOR)  # enrols, then the password step
    expect(page).to_have_url(re.compile("/gestion/connexion/mot-de-passe"))
    page.get_by_label("Nouveau mot de passe", exact=True).fill("nadia-mot-de-passe-2027")
    page.get_by_label("Nouveau mot de passe, à nouveau").fill("nadia-mot-de-passe-2027")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/gestion/$"))
    _logout(page)

    _password_step(page, live_server, OPERATOR, "nadia-mot-de-passe-2027")
    expect(page).to_have_url(re.compile("/gestion/connexion/code"))
    staff_second_factor(page, live_server, OPERATOR)
    expect(page).to_have_url(re.compile(r"/gestion/$"))
