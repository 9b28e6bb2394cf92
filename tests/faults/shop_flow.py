"""A store to break: seeded through the services of a real-committing app, visited over
HTTP with its test client, and checked for consistency once the fault is over."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from auth.services import create_staff, issue_access_code
from orders.models import Order, OrderLine
from shop import clock
from shop.db import session
from tests.concurrency.helpers import household_used, offer_stock, seed_agents, seed_offer
from tests.factories import enrol_second_factor, login_staff

STOCK = 50
CODE = "ABCD2345"
STAFF_PASSWORD = "mot-de-passe-solide-42"


@dataclass
class Store:
    app: Any
    numbers: list[str]
    household: str
    offer_id: int
    staff_email: str


def seed_store(app: Any, agents: int = 2, household: str = "H-FAULT") -> Store:
    """Agents of one household with a known code, an operator, an open ticket in stock."""
    numbers = seed_agents(app, agents, household_id=household)
    offer_id, _ = seed_offer(app, stock=STOCK, title="Parc des fautes")
    email = "operateur.fautes@cgos-loisirs.example"
    with app.app_context():
        for number in numbers:
            issue_access_code(number, actor="test", send=False, code=CODE)
        create_staff(email, "Opératrice", "operator", STAFF_PASSWORD, None, actor="test")
    enrol_second_factor(app, email)  # R-SEC-1: operators log in with a second factor
    return Store(app, numbers, household, offer_id, email)


def login(client: Any, number: str) -> Any:
    return client.post("/connexion", data={"cgos_number": number, "access_code": CODE})


def staff_login(client: Any, store: Store) -> Any:
    return login_staff(client, store.staff_email, STAFF_PASSWORD)


def buy(client: Any, store: Store, quantity: int = 1) -> list[Any]:
    """Add to the cart, open the checkout, place a cheque order: every response, in order."""
    added = client.post(
        f"/panier/ajouter/{store.offer_id}",
        data={"quantity": str(quantity), "delivery": "e_billet"},
    )
    cart = client.get("/panier/")
    page = client.get("/commande/")
    responses = [added, cart, page]
    text = page.get_data(as_text=True)
    token = re.search(r'name="checkout_token" value="([^"]+)"', text)
    total = re.search(r'name="expected_total" value="(\d+)"', text)
    if token and total:
        responses.append(
            client.post(
                "/commande/",
                data={
                    "checkout_token": token.group(1),
                    "expected_total": total.group(1),
                    "email": "acheteur@exemple.fr",
                    "accept_cgv": "1",
                    "payment_method": "cheque",
                },
            )
        )
    return responses


def no_5xx(responses: list[Any]) -> None:
    bad = [(r.request.path, r.status_code) for r in responses if r.status_code >= 500]
    assert not bad, bad


def assert_consistent(store: Store) -> int:
    """Stock + tickets in live orders = what was put on sale; the household's cap counter
    = the participation of its orders. Returns the number of orders."""
    app = store.app
    with app.app_context():
        live = select(Order.id).where(Order.status != "cancelled")
        sold = session().scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
                OrderLine.offer_id == store.offer_id, OrderLine.order_id.in_(live)
            )
        )
        participation = session().scalar(
            select(func.coalesce(func.sum(Order.participation_cents), 0)).where(
                Order.household_id == store.household, Order.status != "cancelled"
            )
        )
        orders = session().scalar(select(func.count(Order.id)))
        session().rollback()
    assert offer_stock(app, store.offer_id) + sold == STOCK
    assert (household_used(app, store.household, clock.today().year) or 0) == participation
    return orders
