"""Issue 20 in a real browser, keyboard only (Tab, arrows, Space, Enter, typing; no mouse
click): an operator keys in a posted order form for an agent without e-mail, with paper
tickets in recommandé and a card sent to another address; the order is placed by cheque
and its confirmation is a printable letter. R-OPS-2, R-OPS-9."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from auth.services import create_staff
from orders.models import Order
from orders.terms import CHEQUE_PAYEE
from shop.db import session
from tests.e2e.helpers import Effort, measure, seed_agent, seed_offer, staff_second_factor

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-operateur-43"
EMAIL = "courrier.e2e@cgos-loisirs.example"


def _tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _submit(page: Page, key: str = "Enter") -> None:
    """A key that submits a form: wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def _add(page: Page, words: str, offer_id: int, quantity: str) -> None:
    """Search the offer (the search field has the focus), then type the quantity."""
    expect(page.locator("#t")).to_be_focused()
    page.keyboard.type(words)
    _submit(page)
    _tab_to(page, f"#qte-{offer_id}")
    page.keyboard.press("Control+A")
    page.keyboard.type(quantity)
    _submit(page)
    expect(page.get_by_text("Ajouté au panier de la saisie.")).to_be_visible()


def test_posted_order_with_recommande_and_another_address_for_an_agent_without_email(
    live_server: Any, browser_page: Page, effort_log: dict[str, Effort]
) -> None:
    number = seed_agent(live_server, email="")
    starts = (datetime.now() + timedelta(days=40)).replace(hour=19, minute=0, second=0)
    show = seed_offer(
        live_server,
        sessions=[(starts, 30)],
        kind="billet_date",
        category="concerts",
        title="Gala des Hôpitaux",
        public_price_cents=4000,
        negotiated_price_cents=3500,
        cgos_price_cents=2500,
        deliveries=("courrier",),
    )
    card = seed_offer(
        live_server,
        kind="carte",
        category="cartes-et-cheques",
        title="Carte cadeau Lumière",
        public_price_cents=5000,
        negotiated_price_cents=5000,
        cgos_price_cents=5000,
        deliveries=("poste",),
        stock=10,
    )
    with live_server.app.app_context():
        create_staff(EMAIL, "Octave", "operator", PASSWORD)

    page = browser_page
    page.goto(live_server("/gestion/connexion"))
    _tab_to(page, "input[type=email], input[name=email]")
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    _submit(page)
    staff_second_factor(page, live_server, EMAIL)  # R-SEC-1
    expect(page.get_by_role("link", name="Courriers à imprimer")).to_be_visible()

    # The phone desk: the agent by N° C.G.O.S (the field has the focus), then the offers.
    measure(page, effort_log, "posted order, recommandé, another address, no e-mail")
    page.goto(live_server("/gestion/saisie/"))
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type(number)
    _submit(page)
    expect(
        page.get_by_text("aucun : paiement par chèque, confirmation par courrier")
    ).to_be_visible()
    _add(page, "Gala", show, "2")
    _add(page, "Lumière", card, "1")

    # Paper tickets in recommandé, the card in R2 (arrows move within a radio group).
    _tab_to(page, "#tp-lettre_verte")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#tp-recommande")).to_be_checked()
    _tab_to(page, "#cp-lettre_verte")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#cp-r2")).to_be_checked()
    page.keyboard.press("Tab")
    _submit(page)  # « Enregistrer le mode d'envoi »
    expect(page.locator("#tp-recommande")).to_be_checked()
    expect(page.locator("#cp-r2")).to_be_checked()

    # The card to another address, first with a postal code mistyped: the message stands
    # beside the field and what was typed is kept.
    _tab_to(page, "section[aria-labelledby=envoi] summary")
    page.keyboard.press("Enter")
    _tab_to(page, "#name-cartes")
    page.keyboard.type("M. Paul Autre")
    page.keyboard.press("Tab")
    page.keyboard.type("3 rue des Lilas")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("69OO3")
    page.keyboard.press("Tab")
    page.keyboard.type("Lyon")
    _submit(page)
    expect(page.get_by_text("Code postal : 5 chiffres attendus.")).to_be_visible()
    expect(page.locator("#line1-cartes")).to_have_value("3 rue des Lilas")
    _tab_to(page, "#postal_code-cartes")
    page.keyboard.press("Control+A")
    page.keyboard.type("69003")
    _submit(page)
    expect(
        page.get_by_text("Adresse d'envoi des cartes : M. Paul Autre, 69003 Lyon")
    ).to_be_visible()

    # A posted order form, paid by cheque (the only way without e-mail).
    _tab_to(page, "input[name=channel][value=phone]")
    page.keyboard.press("ArrowDown")
    expect(page.locator("input[name=channel][value=post]")).to_be_checked()
    expect(page.locator("input[name=payment_method][value=cheque]")).to_be_checked()
    _tab_to(page, "input[name=accept_cgv]")
    page.keyboard.press("Space")
    _tab_to(page, "form[action$='/commander'] button[type=submit]")
    _submit(page)
    heading = page.get_by_role("heading", level=1, name=re.compile("enregistrée"))
    expect(heading).to_be_visible()
    order_number = re.search(r"L\d\d-\d{6}", heading.inner_text()).group(0)
    expect(page.get_by_role("link", name="Courrier à imprimer (PDF)")).to_be_visible()
    expect(page.get_by_role("link", name="Fiche de la commande")).to_be_visible()

    with live_server.app.app_context():
        order = session().scalar(select(Order).where(Order.number == order_number))
        assert order is not None
        assert order.channel == "post" and order.payment_method == "cheque"
        assert order.contact_email == "" and order.ticket_post == "recommande"
        assert order.card_post == "r2" and order.card_address["city"] == "Lyon"
        total = order.total_cents

    # The letter, as the operator prints it.
    href = page.get_by_role("link", name="Courrier à imprimer (PDF)").get_attribute("href")
    pdf = page.request.get(live_server(href))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.body()))
    body = " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())
    assert order_number in body and CHEQUE_PAYEE in body
    assert f"{total // 100},{total % 100:02d} €" in body and "inclus" in body
