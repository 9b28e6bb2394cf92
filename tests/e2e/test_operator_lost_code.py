"""Issue 20 in a real browser, keyboard only: « un agent a perdu son code ». The operator
types « hopital » and the name without accents, opens the record, sends a new code by
e-mail; for an agent without e-mail, downloads the letter with the code. R-OPS-1, R-OPS-7."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from auth.services import create_staff
from tests.e2e.helpers import CODE, Effort, measure, seed_agent, staff_second_factor
from tests.harness import Mailbox

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-operateur-42"
EMAIL = "ops.code@cgos-loisirs.example"


def _tab_to(page: Page, name: str, limit: int = 60) -> None:
    """Tab until the focused element's text is ``name`` (the operator's keyboard)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.innerText")
        if focused and name in focused:
            return
    raise AssertionError(f"« {name} » never got the focus")


def _find(page: Page, query: str, name: str, heading: str) -> None:
    """Type the query in the search field, Tab to the agent's row, Enter: their record."""
    search = page.get_by_role("searchbox")
    search.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(query)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, name)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name=re.compile(heading))).to_be_visible()


def test_lost_code_by_mail_and_by_letter_keyboard_only(
    live_server: Any, browser_page: Page, mailbox: Mailbox, effort_log: dict[str, Effort]
) -> None:
    hopital = {"etablissement": "Hôpital Lariboisière", "etablissement_city": "Paris"}
    number = seed_agent(
        live_server, nom="Le Gall", prenom="Jean-Pierre", email="jp.lg@exemple.fr", **hopital
    )
    seed_agent(live_server, nom="Legrand", prenom="Zoé", **hopital)
    no_mail = seed_agent(
        live_server,
        civilite="M.",
        nom="Bléhaut",
        prenom="Henri",
        email=None,
        address={
            "line1": "3 chemin des Vignes",
            "line2": None,
            "postal_code": "84000",
            "city": "Avignon",
            "country": "FR",
        },
        **hopital,
    )
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

    # « hopital » and the name without accents or space find Jean-Pierre Le Gall.
    mailbox.clear()
    measure(page, effort_log, "lost code by mail")
    _find(page, "hopital legall", "Le Gall Jean-Pierre", "Jean-Pierre Le Gall")
    expect(page.get_by_text("Hôpital Lariboisière (Paris)").first).to_be_visible()
    _tab_to(page, "Envoyer un nouveau code par e-mail")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Nouveau code d'accès envoyé")).to_be_visible()
    mail = mailbox.wait_for(1)[0]
    assert mail["To"] == "jp.lg@exemple.fr"
    body = Mailbox.text_of(mail)
    new = re.search(r"CGOS Loisirs : (\S+)", body).group(1)
    assert new != CODE and number in body

    # Henri Bléhaut has no e-mail: the letter, downloaded from the keyboard.
    measure(page, effort_log, "lost code by letter")
    _find(page, "HOPITAL blehaut", "Bléhaut Henri", "Henri Bléhaut")
    expect(page.get_by_text("Aucune adresse e-mail")).to_be_visible()
    _tab_to(page, "Imprimer une lettre")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename == f"code-acces-{no_mail}.pdf"
    with open(download.path(), "rb") as fh:
        letter = PdfReader(io.BytesIO(fh.read())).pages[0].extract_text()
    assert "M. Henri Bléhaut" in letter and "84000 AVIGNON" in letter
    code = re.search(r"Votre code d'accès :\s*(\S+)", letter).group(1)
    assert code != CODE
