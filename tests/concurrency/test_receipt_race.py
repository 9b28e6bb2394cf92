"""R-AGT-3 under real concurrency: many orders paid at the same instant get consecutive
receipt numbers, each once, without gaps — the year's counter row is incremented by one
upsert that holds its row lock until the payment commits."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from orders import services
from orders.models import Order, ReceiptCounter
from shop import clock
from shop.db import session
from tests.concurrency.helpers import fill_cart, load_agent, seed_agents, seed_offer

PAYERS = 12


@pytest.mark.postgres_only
def test_r_agt_3_payments_at_once_get_consecutive_numbers(committing_app: Any) -> None:
    app = committing_app
    offer_id, _ = seed_offer(app, stock=100, title="Parc des Oiseaux")
    order_ids: list[int] = []
    for number in seed_agents(app, PAYERS):
        total = fill_cart(app, number, offer_id, None)
        with app.app_context():
            agent = load_agent(number)
            order = services.place_order(
                agent,
                payment_method="card",
                contact=services.Contact("recu@exemple.fr", True),
                expected_total_cents=total,
                checkout_token=uuid.uuid4().hex,
                actor=agent,
            )
            order_ids.append(order.id)

    barrier = threading.Barrier(PAYERS)
    errors: list[BaseException] = []

    def pay(order_id: int) -> None:
        try:
            with app.app_context():
                total = session().get_one(Order, order_id).total_cents
                session().close()
                barrier.wait(timeout=20)
                services.mark_paid(
                    order_id,
                    method="demo",
                    amount_cents=total,
                    provider_ref=f"race-{order_id}",
                    actor="test",
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=pay, args=(i,), daemon=True) for i in order_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "a payment is still blocked"
    assert not errors, errors

    with app.app_context():
        year = clock.today().year
        numbers = sorted(session().scalars(select(Order.receipt_number)))
        assert numbers == [f"R{year}-{n:06d}" for n in range(1, PAYERS + 1)]
        assert session().get_one(ReceiptCounter, year).last_number == PAYERS
