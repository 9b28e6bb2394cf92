"""R-GATE-4 in a real browser: "Recevoir mon code d'accès", the code by mail, then login."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from members.dossier_format import parse_dossier
from members.importer import save_records
from tests.factories import agent_json
from tests.harness import Mailbox

pytestmark = pytest.mark.e2e

CODE_LINE = re.compile(r"Voici votre nouveau code d'accès prestataires CGOS Loisirs : (\S{8})")


def _create_agent(live_server: Any, email: str) -> str:
    record = parse_dossier(agent_json(birth_date="1984-05-20", email=email))
    with live_server.app.app_context():
        save_records([record], actor="test")
    return record.cgos_number


def _as_typed(number: str) -> str:
    """``12345678A`` as an agent might type it: ``1234 5678 a``."""
    return f"{number[:4]} {number[4:8]} {number[8:].lower()}"


def _request_code_step_1(page: Page, live_server: Any, number: str) -> None:
    page.goto(live_server("/connexion"))
    page.get_by_role("link", name="Code oublié ?").click()
    expect(page.get_by_role("heading", name="Recevoir mon code d'accès")).to_be_visible()
    page.get_by_label("N° C.G.O.S").fill(_as_typed(number))
    page.get_by_label("Année de naissance").fill("1984")
    page.get_by_label("Mois de naissance").select_option(label="mai")
    page.get_by_role("button", name="Continuer").click()


def _fill_email_twice(page: Page, email: str) -> None:
    page.get_by_label("Adresse e-mail complète").fill(email)
    page.get_by_label("Confirmez l'adresse e-mail").fill(email)
    page.get_by_role("button", name="Recevoir mon code d'accès").click()


def test_r_gate_4_code_by_mail_then_keyboard_login(
    live_server: Any, browser_page: Page, mailbox: Mailbox
) -> None:
    page = browser_page
    email = "camille.e2e@exemple.fr"
    number = _create_agent(live_server, email)

    _request_code_step_1(page, live_server, number)
    expect(page.locator(".masked")).to_have_text("ca*****@ex*****.fr")

    _fill_email_twice(page, email)
    expect(page.get_by_role("heading", name="Votre code d'accès vous a été envoyé")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("ca*****@ex*****.fr")

    (mail,) = mailbox.wait_for(1)
    assert mail["To"] == email
    found = CODE_LINE.search(Mailbox.text_of(mail))
    assert found, Mailbox.text_of(mail)
    code = found.group(1)

    # Keyboard only: the number field has the focus; Tab, Tab, Tab reaches the button.
    page.goto(live_server("/connexion"))
    number_field = page.get_by_label("N° C.G.O.S")
    expect(number_field).to_be_focused()
    page.keyboard.type(_as_typed(number))
    page.keyboard.press("Tab")
    expect(page.get_by_label("Code d'accès prestataires")).to_be_focused()
    page.keyboard.type(code)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Code oublié ?")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Se connecter")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Bonjour Camille")).to_be_visible()
    account = page.get_by_role("navigation", name="Compte")
    expect(account).to_contain_text("Droits ouverts")

    account.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()
    page.goto(live_server("/"))
    expect(page).to_have_url(re.compile(r"/connexion(\?|$)"))
    expect(page.get_by_role("heading", name="Connectez-vous à la billetterie")).to_be_visible()


def test_r_gate_4_three_wrong_addresses_send_nothing(
    live_server: Any, browser_page: Page, mailbox: Mailbox
) -> None:
    page = browser_page
    number = _create_agent(live_server, "dominique.e2e@exemple.fr")

    _request_code_step_1(page, live_server, number)
    expect(page.locator(".masked")).to_have_text("do*****@ex*****.fr")

    for tries_left in (2, 1):
        _fill_email_twice(page, "quelqu.un@ailleurs.fr")
        expect(page.get_by_label("Adresse e-mail complète")).to_have_attribute(
            "aria-invalid", "true"
        )
        expect(page.get_by_text(f"Il vous reste {tries_left} essai")).to_be_visible()
    _fill_email_twice(page, "quelqu.un@ailleurs.fr")

    expect(
        page.get_by_role("heading", name="Nous ne pouvons pas vous envoyer de code")
    ).to_be_visible()
    main = page.get_by_role("main")
    expect(main).to_contain_text("délégation régionale")
    expect(main).to_contain_text("dernier bulletin de salaire")
    with pytest.raises(AssertionError, match="expected 1 mail"):
        mailbox.wait_for(1, timeout=1.0)
