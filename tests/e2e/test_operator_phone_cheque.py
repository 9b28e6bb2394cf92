"""Issue « back office » in a real browser: an operator finds an agent, enters a phone
order paid by cheque, registers a cheque one cent short (order cancelled, agent e-mailed),
enters another and registers the right amount (order paid, e-billets issued).
R-OPS-1, R-OPS-2, R-PAY-4, R-ORD-3."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from auth.services import create_staff
from shop.money import format_eur
from tests.e2e.helpers import seed_agent, seed_offer, staff_second_factor
from tests.harness import Mailbox

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-operateur-42"


def _phone_order(page: Page, live_server: Any, number: str) -> tuple[str, int]:
    page.get_by_role("link", name="Saisie").click()
    page.get_by_label("N° C.G.O.S de l'agent").fill(number)
    page.keyboard.press("Enter")
    page.get_by_label("N° d'offre ou titre").fill("Gala des Hôpitaux")
    page.keyboard.press("Enter")
    page.get_by_label("Quantité").first.fill("2")
    page.get_by_role("button", name="Ajouter").first.click()
    page.get_by_label("Chèque").check()
    page.get_by_label("L'agent accepte les conditions générales de vente").check()
    page.get_by_role("button", name=re.compile("Commander pour")).click()
    heading = page.get_by_role("heading", level=1, name=re.compile("enregistrée"))
    expect(heading).to_be_visible()
    order_number = re.search(r"L\d\d-\d{6}", heading.inner_text()).group(0)
    total_text = page.locator("dt:has-text('Total') + dd").inner_text()
    cents = int(re.sub(r"\D", "", total_text))
    return order_number, cents


def _register_cheque(page: Page, order_number: str, cents: int, cheque: str) -> None:
    page.get_by_role("link", name="Chèques").click()
    page.get_by_label("Numéro de commande").fill(order_number)
    page.get_by_label("Montant du chèque (€)").fill(format_eur(cents).replace("\xa0€", ""))
    page.get_by_label("Numéro du chèque").fill(cheque)
    page.get_by_role("button", name="Enregistrer le chèque").click()


def test_operator_phone_order_and_cheque_desk(
    live_server: Any, browser_page: Page, mailbox: Mailbox
) -> None:
    number = seed_agent(live_server, email="agent.tel@exemple.fr")
    starts = (datetime.now() + timedelta(days=40)).replace(hour=19, minute=0, second=0)
    seed_offer(
        live_server,
        sessions=[(starts, 30)],
        kind="billet_date",
        category="concerts",
        title="Gala des Hôpitaux",
        public_price_cents=4000,
        negotiated_price_cents=3500,
        cgos_price_cents=2500,
        deliveries=("e_billet",),
    )
    with live_server.app.app_context():
        create_staff("ops.e2e@cgos-loisirs.example", "Odile", "operator", PASSWORD)

    page = browser_page
    page.goto(live_server("/gestion/connexion"))
    page.get_by_label("Adresse e-mail").fill("ops.e2e@cgos-loisirs.example")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.keyboard.press("Enter")
    staff_second_factor(page, live_server, "ops.e2e@cgos-loisirs.example")  # R-SEC-1

    # R-OPS-1: find the agent.
    page.get_by_label("N° C.G.O.S, ou nom et établissement").fill(number)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(number))).to_be_visible()

    # A phone order paid by cheque, then a cheque one cent short.
    first, cents = _phone_order(page, live_server, number)
    assert cents == 5000
    mailbox.clear()
    _register_cheque(page, first, cents - 1, "0001234")
    # R-OPS-10: a differing amount is confirmed before the order is cancelled.
    expect(page.get_by_text("Montant différent : confirmer le refus ?")).to_be_visible()
    page.get_by_role("button", name="Confirmer le refus et annuler la commande").click()
    expect(page.get_by_text("Chèque refusé, commande annulée")).to_be_visible()
    mails = mailbox.wait_for(1)
    cancelled = [m for m in mails if "annulée" in m["Subject"]]
    assert cancelled and cancelled[0]["To"] == "agent.tel@exemple.fr"
    body = Mailbox.text_of(cancelled[0])
    assert "49,99" in body and "50,00" in body

    # Another order, the right amount: paid, e-billets issued.
    second, cents = _phone_order(page, live_server, number)
    _register_cheque(page, second, cents, "0001235")
    expect(page.get_by_text("Chèque accepté")).to_be_visible()
    page.get_by_role("link", name=second).first.click()
    expect(page.get_by_text("Payée").first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Réémettre"))).to_have_count(2)
