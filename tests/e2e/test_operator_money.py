"""Issue 20 in a real browser, keyboard only (typing, Tab, Enter): a payment link resent,
a card order and a cheque order refunded (card at once, cheque by a listed transfer), a
mistyped cheque caught by the confirmation. R-OPS-7, R-OPS-8, R-OPS-10."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from auth.services import create_staff
from tests.e2e.helpers import Effort, measure, seed_agent, seed_offer, staff_second_factor
from tests.harness import Mailbox

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-operateur-42"


def _press(page: Page, locator: Any) -> None:
    """A button reached from the keyboard: focused, then Enter."""
    locator.focus()
    page.keyboard.press("Enter")


def _type(page: Page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)


def _login(page: Page, live_server: Any, email: str) -> None:
    with live_server.app.app_context():
        create_staff(email, "Odile", "operator", PASSWORD)
    page.goto(live_server("/gestion/connexion"))
    _type(page, "Adresse e-mail", email)
    _type(page, "Mot de passe", PASSWORD)
    page.keyboard.press("Enter")
    staff_second_factor(page, live_server, email)  # R-SEC-1


def _phone_order(page: Page, number: str, title: str, method: str) -> str:
    _press(page, page.get_by_role("link", name="Saisie"))
    _type(page, "N° C.G.O.S de l'agent", number)
    page.keyboard.press("Enter")
    _type(page, "N° d'offre ou titre", title)
    page.keyboard.press("Enter")
    quantity = page.get_by_label("Quantité").first
    quantity.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    radio = page.get_by_label(method)
    radio.focus()
    page.keyboard.press("Space")
    cgv = page.get_by_label("L'agent accepte les conditions générales de vente")
    cgv.focus()
    page.keyboard.press("Space")
    _press(page, page.get_by_role("button", name=re.compile("Commander pour")))
    heading = page.get_by_role("heading", level=1, name=re.compile("enregistrée"))
    expect(heading).to_be_visible()
    return re.search(r"L\d\d-\d{6}", heading.inner_text()).group(0)


def _open_order(page: Page, order_number: str) -> None:
    _press(page, page.get_by_role("link", name="Commandes"))
    _type(page, "Numéro de commande (même partiel) ou N° C.G.O.S", order_number)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name=f"Commande {order_number}")).to_be_visible()


def _verify(page: Page) -> None:
    """« Vérifier » reloads the desk with the same fields: wait for the answer, or the
    next keys land in the page being left."""
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Vérifier à nouveau")).to_be_visible()


def _cheque(page: Page, order_number: str, amount: str, cheque: str) -> None:
    _press(page, page.get_by_role("link", name="Chèques"))
    _type(page, "Numéro de commande", order_number)
    _verify(page)
    _type(page, "Montant du chèque (€)", amount)
    _type(page, "Numéro du chèque", cheque)
    page.keyboard.press("Enter")  # « Enregistrer le chèque »


@pytest.fixture
def world(live_server: Any) -> dict[str, Any]:
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
    return {}


def test_a_payment_link_resent(
    live_server: Any,
    browser_page: Page,
    mailbox: Mailbox,
    world: dict[str, Any],
    effort_log: dict[str, Effort],
) -> None:
    number = seed_agent(live_server, email="lien.e2e@exemple.fr")
    page = browser_page
    _login(page, live_server, "lien.e2e@cgos-loisirs.example")
    mailbox.clear()
    order_number = _phone_order(page, number, "Gala des Hôpitaux", "Carte bancaire par téléphone")
    placed = [m for m in mailbox.wait_for(2) if m["Subject"] == f"Votre commande {order_number}"]
    assert "24 heures" in Mailbox.text_of(placed[0])
    measure(page, effort_log, "payment link resent")
    _open_order(page, order_number)
    mailbox.clear()
    _press(page, page.get_by_role("button", name="Renvoyer le lien de paiement"))
    expect(page.get_by_text("Lien de paiement renvoyé à lien.e2e@exemple.fr")).to_be_visible()
    [mail] = mailbox.wait_for(1)
    link = re.search(r"https?://\S+/paiement/lien/\S+", Mailbox.text_of(mail)).group(0)
    agent = page.context.new_page()
    agent.goto(link)
    _press(agent, agent.get_by_role("button", name=re.compile("Payer .* \\(démonstration\\)")))
    expect(agent.get_by_text("Payée").first).to_be_visible()
    agent.close()
    page.reload()
    expect(page.get_by_text("Autorisé, pas encore encaissé")).to_be_visible()


def test_a_card_order_and_a_cheque_order_refunded(
    live_server: Any,
    browser_page: Page,
    mailbox: Mailbox,
    world: dict[str, Any],
    effort_log: dict[str, Effort],
) -> None:
    number = seed_agent(live_server, email="rembourse.e2e@exemple.fr")
    page = browser_page
    _login(page, live_server, "rembourse.e2e@cgos-loisirs.example")
    # A cheque order, paid, then refunded whole by transfer.
    cheque_order = _phone_order(page, number, "Gala des Hôpitaux", "Chèque")
    _cheque(page, cheque_order, "50,00", "777001")
    expect(page.get_by_text("Chèque accepté")).to_be_visible()
    measure(page, effort_log, "cheque order refunded by transfer")
    _open_order(page, cheque_order)
    line = page.get_by_label(re.compile("Gala des Hôpitaux × 2"))
    line.focus()
    page.keyboard.press("Space")
    page.get_by_label("Motif du remboursement").select_option("doublon")
    mailbox.clear()
    _press(page, page.get_by_role("button", name="Rembourser", exact=True))
    expect(page.get_by_text("il figure dans « Virements à effectuer »")).to_be_visible()
    assert any("Remboursement" in m["Subject"] for m in mailbox.wait_for(1))
    _press(page, page.get_by_role("link", name="Virements"))
    row = page.get_by_role("row", name=re.compile(cheque_order))
    expect(row).to_contain_text("50,00")
    expect(row).to_contain_text("Commande passée en double")
    _press(page, page.get_by_role("button", name=f"Marquer effectué le virement de {cheque_order}"))
    expect(page.get_by_text(f"Virement de la commande {cheque_order} enregistré")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(cheque_order))).to_have_count(0)

    # A card order paid by its link (demonstration), captured, refunded on the card.
    measure(page, {}, "not reported")  # the cheque refund's count stops here
    mailbox.clear()
    card_order = _phone_order(page, number, "Gala des Hôpitaux", "Carte bancaire par téléphone")
    link_mail = [m for m in mailbox.wait_for(2) if "Payez" in m["Subject"]][0]
    link = re.search(r"https?://\S+/paiement/lien/\S+", Mailbox.text_of(link_mail)).group(0)
    agent = page.context.new_page()
    agent.goto(link)
    _press(agent, agent.get_by_role("button", name=re.compile("Payer .* \\(démonstration\\)")))
    expect(agent.get_by_text("Payée").first).to_be_visible()
    agent.close()
    with live_server.app.app_context():
        from sqlalchemy import update

        from orders.models import Payment
        from shop.db import unit_of_work

        with unit_of_work() as s:  # the evening batch, without waiting for 21:00
            s.execute(
                update(Payment)
                .where(Payment.status == "authorised")
                .values(status="captured", captured_at=datetime.now())
            )
    _open_order(page, card_order)
    expect(page.get_by_text("Encaissé (capturé le")).to_be_visible()
    line = page.get_by_label(re.compile("Gala des Hôpitaux × 2"))
    line.focus()
    page.keyboard.press("Space")
    page.get_by_label("Motif du remboursement").select_option("geste")
    _press(page, page.get_by_role("button", name="Rembourser", exact=True))
    expect(page.get_by_text("sur la carte bancaire de l'agent")).to_be_visible()
    expect(page.get_by_text("Remboursée", exact=True)).to_be_visible()


def test_a_mistyped_cheque_caught_by_the_confirmation(
    live_server: Any,
    browser_page: Page,
    mailbox: Mailbox,
    world: dict[str, Any],
    effort_log: dict[str, Effort],
) -> None:
    number = seed_agent(live_server, email="typo.e2e@exemple.fr")
    page = browser_page
    _login(page, live_server, "typo.e2e@cgos-loisirs.example")
    order_number = _phone_order(page, number, "Gala des Hôpitaux", "Chèque")
    measure(page, effort_log, "mistyped cheque caught")
    _press(page, page.get_by_role("link", name="Chèques"))
    _type(page, "Numéro de commande", order_number)
    # The desk's script shows the agent and the expected amount as the number is typed.
    expect(page.locator("#cheque-check")).to_contain_text("montant attendu : 50,00")
    expect(page.locator("#cheque-check")).to_contain_text(number)
    _verify(page)  # without the script too
    _type(page, "Montant du chèque (€)", "5,00")  # one character missing
    _type(page, "Numéro du chèque", "880022")
    mailbox.clear()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Montant différent : confirmer le refus ?")).to_be_visible()
    _type(page, "Montant du chèque (€)", "50,00")
    page.keyboard.press("Enter")  # Enter registers, never confirms the refusal
    expect(page.get_by_text("Chèque accepté")).to_be_visible()
    assert not [m for m in mailbox.messages if "annulée" in m["Subject"]]
