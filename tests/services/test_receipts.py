"""Receipt numbers (R-AGT-3): given once, in the payment's transaction, sequential and
without gaps per calendar year (Paris time), never to money not yet in (R-PAY-5)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from auth.principals import agent_user
from members.dossiers import dossier_source
from orders import cart as carts
from orders import receipts, services
from orders.models import Order, Payment, ReceiptCounter
from orders.status import PaymentStatus
from shop.db import session, unit_of_work
from shop.errors import NotFound
from tests.factories import NOW_PARIS, utc


@pytest.fixture
def agent(ctx, make_agent, clock):
    clock.set(NOW_PARIS)
    number, _ = make_agent(household_id="H-RECU")
    return agent_user(dossier_source().get(number))


@pytest.fixture
def parc(make_offer):
    return make_offer(kind="billet_ouvert", title="Parc", stock=50)


def place(agent, offer_id, token):
    carts.add_to_cart(agent, offer_id, quantity=1, delivery="e_billet")
    return services.place_order(
        agent,
        payment_method="card",
        contact=services.Contact("recu@exemple.fr", True),
        expected_total_cents=carts.view_cart(agent).priced.total_cents,
        checkout_token=token,
        actor=agent,
    )


def pay(order, ref, **extra):
    return services.mark_paid(
        order.id,
        method="demo",
        amount_cents=order.total_cents,
        provider_ref=ref,
        actor="test",
        **extra,
    )


def test_r_agt_3_numbers_follow_payments_not_orders(agent, parc):
    first, second, third = (place(agent, parc, f"recu-{i}") for i in range(3))
    year = NOW_PARIS.year
    pay(third, "p3")
    pay(first, "p1")
    assert third.receipt_number == f"R{year}-000001"
    assert first.receipt_number == f"R{year}-000002"
    assert second.receipt_number is None  # not paid
    pay(first, "p1")  # the same payment again: idempotent, same number
    assert first.receipt_number == f"R{year}-000002"
    assert session().get(ReceiptCounter, year).last_number == 2


def test_r_agt_3_a_rolled_back_payment_gives_its_number_back(agent, parc):
    order = place(agent, parc, "recu-rollback")
    year = NOW_PARIS.year
    with pytest.raises(RuntimeError), unit_of_work():
        assert receipts.number_receipt(order) == f"R{year}-000001"
        raise RuntimeError("the payment's transaction fails after numbering")
    session().expire_all()
    assert session().get(Order, order.id).receipt_number is None
    pay(session().get(Order, order.id), "p-after")
    assert session().get(Order, order.id).receipt_number == f"R{year}-000001"


def test_r_agt_3_each_year_starts_again_at_one_in_paris_time(agent, parc, clock):
    year = NOW_PARIS.year
    clock.set(datetime(year, 12, 31, 23, 30))  # Paris time: still this year
    late = place(agent, parc, "recu-late")
    pay(late, "p-late")
    clock.set(datetime(year + 1, 1, 1, 0, 30))  # 23:30 UTC on 31 December, Paris 1 January
    assert utc(datetime(year + 1, 1, 1, 0, 30)).year == year
    first_of_year = place(agent, parc, "recu-new-year")
    pay(first_of_year, "p-new-year")
    assert late.receipt_number == f"R{year}-000001"
    assert first_of_year.receipt_number == f"R{year + 1}-000001"


def test_r_agt_3_a_held_phone_payment_has_no_receipt_until_captured(agent, parc):
    order = place(agent, parc, "recu-held")
    pay(order, "p-held", held=True)
    assert order.status == "paid" and order.receipt_number is None
    assert not receipts.receipt_ready(order)
    with pytest.raises(NotFound):
        receipts.receipt_order(order)
    with unit_of_work():
        payment = session().scalar(select(Payment).where(Payment.order_id == order.id))
        payment.status = PaymentStatus.CAPTURED
    numbered = receipts.receipt_order(session().get(Order, order.id))
    assert numbered.receipt_number == f"R{NOW_PARIS.year}-000001"
    assert receipts.render_receipt(numbered).startswith(b"%PDF")
