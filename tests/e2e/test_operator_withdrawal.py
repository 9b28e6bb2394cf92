"""Issue 20 in a real browser, keyboard only (typing, Tab, Space, Enter): an agent who
bought an Avantages card by card withdraws within 15 days (R-ORD-5) by telephone; the
operator refunds it on the order's page with the withdrawal reason. The store has Stripe
configured (the stand-in): the card refund is a Stripe refund of the payment. R-OPS-8."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from auth.principals import agent_user
from auth.services import create_staff
from members.dossiers import dossier_source
from orders import cart as carts
from orders import services
from orders.models import Order, OrderLine, Payment
from shop.db import session
from tests.e2e.helpers import Effort, measure, seed_agent, seed_offer, staff_second_factor
from tests.harness import Mailbox
from tests.stripe_standin import StripeStandin, make_event

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-operateur-45"
EMAIL = "retract.ops@cgos-loisirs.example"
AGENT_EMAIL = "retract.agent@exemple.fr"
WITHDRAWAL = "Rétractation demandée par téléphone ou par courrier"


def _card_paid_order(
    live: Any, standin: StripeStandin, number: str, offer_id: int
) -> tuple[str, str]:
    """A web order of the e-card paid by card: Stripe's signed webhook marks it paid."""
    with live.app.app_context():
        agent = agent_user(dossier_source().get(number))
        carts.add_to_cart(agent, offer_id, quantity=1, delivery="email")
        order = services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact(AGENT_EMAIL, True),
            expected_total_cents=carts.view_cart(agent).priced.total_cents,
            checkout_token="e2e-withdrawal-token",
            actor=agent,
        )
        order_number, total = order.number, order.total_cents
    intent = standin.charge(total, {"order_number": order_number})
    assert standin.deliver(make_event("payment_intent.succeeded", intent)) == 200
    with live.app.app_context():
        assert session().scalar(select(Order.status).where(Order.number == order_number)) == (
            "paid"
        )
    return order_number, intent["id"]


def _tab_to(page: Page, selector: str, limit: int = 120, key: str = "Tab") -> None:
    """Press Tab (or ``key``: Shift+Tab goes back) until the focus matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_withdrawal_refunded_by_card_keyboard_only(
    stripe_live_server: Any, browser_page: Page, mailbox: Mailbox, effort_log: dict[str, Effort]
) -> None:
    live, standin = stripe_live_server
    number = seed_agent(live, email=AGENT_EMAIL)
    offer_id = seed_offer(
        live,
        kind="carte",
        category="cartes-et-cheques",
        title="E-carte cinéma",
        public_price_cents=5000,
        negotiated_price_cents=5000,
        cgos_price_cents=4000,
        deliveries=("email",),
        physical=False,
        stock=20,
    )
    order_number, intent_id = _card_paid_order(live, standin, number, offer_id)
    with live.app.app_context():
        create_staff(EMAIL, "Odile", "operator", PASSWORD)
        order_id = session().scalar(select(Order.id).where(Order.number == order_number))
        line = session().scalar(select(OrderLine).where(OrderLine.order_id == order_id))
        line_id, line_cents = line.id, line.amount_cents

    page = browser_page
    page.goto(live("/gestion/connexion"))
    page.get_by_label("Adresse e-mail").focus()
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    staff_second_factor(page, live, EMAIL)  # R-SEC-1
    expect(page.get_by_role("searchbox")).to_be_focused()

    measure(page, effort_log, "withdrawal refunded by card")
    # « Commandes » in the menu (back from the search field), then the order's number.
    _tab_to(page, "a[href$='/gestion/commandes']", key="Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type(order_number)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name=f"Commande {order_number}")).to_be_visible()

    # The line ticked, the withdrawal reason typed ahead in the list, « Rembourser ».
    _tab_to(page, f"#line-{line_id}")
    page.keyboard.press("Space")
    _tab_to(page, "select[name=reason]")
    page.keyboard.type("r")
    expect(page.locator("select[name=reason]")).to_have_value("retractation")
    _tab_to(page, "form[action$='/rembourser'] button[type=submit]")
    mailbox.clear()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("sur la carte bancaire de l'agent")).to_be_visible()
    expect(page.get_by_text("Rétractation", exact=True).first).to_be_visible()

    with live.app.app_context():
        session().expire_all()
        assert session().get(OrderLine, line_id).status == "withdrawn"
        [refund] = session().scalars(
            select(Payment).where(Payment.order_id == order_id, Payment.kind == "refund")
        )
        assert (refund.method, refund.status) == ("card", "refunded")
        assert refund.amount_cents == line_cents
        assert (refund.details or {}).get("reason") == WITHDRAWAL
    [stripe_refund] = standin.refunds.values()
    assert stripe_refund["payment_intent"] == intent_id
    assert stripe_refund["amount"] == line_cents
    mail = next(m for m in mailbox.wait_for(1) if "Remboursement" in m["Subject"])
    assert mail["To"] == AGENT_EMAIL
    body = Mailbox.text_of(mail)
    assert WITHDRAWAL in body and "carte bancaire utilisée" in body
