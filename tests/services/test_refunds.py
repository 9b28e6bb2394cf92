"""Withdrawal right and event cancellation (R-ORD-5, R-OPS-4, R-CAP-2)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from auth.principals import agent_user
from members.dossiers import dossier_source
from orders import cart as carts
from orders import refunds, services
from orders.models import HouseholdYear, Order, Payment
from shop.db import session
from shop.errors import DomainError
from tests.factories import NOW_PARIS, Operator, utc


@pytest.fixture
def agent(ctx, make_agent, clock):
    clock.set(NOW_PARIS)
    number, _ = make_agent(household_id="H-REF")
    return agent_user(dossier_source().get(number))


def buy(agent, offer_id, qty, delivery, session_id=None, method="card", pay=True):
    carts.add_to_cart(agent, offer_id, quantity=qty, delivery=delivery, session_id=session_id)
    total = carts.view_cart(agent).priced.total_cents
    order = services.place_order(
        agent,
        payment_method=method,
        contact=services.Contact("a@exemple.fr", True),
        expected_total_cents=total,
        checkout_token=f"tok-{offer_id}-{qty}-{method}-{pay}",
        actor=agent,
    )
    if pay:
        services.mark_paid(
            order.id,
            method="demo",
            amount_cents=order.total_cents,
            provider_ref=f"demo-{order.id}",
            actor=agent,
        )
    return session().get(Order, order.id)


def used(year=NOW_PARIS.year):
    row = session().get(HouseholdYear, ("H-REF", year))
    return row.used_cents if row else 0


def test_r_ord_5_event_cancelled_refunds_tickets_not_fees(agent, make_offer, mailbox):
    starts = utc(NOW_PARIS + timedelta(days=30))
    oid = make_offer(
        title="Concert annulé",
        sessions=[(starts, 20)],
        cgos_price_cents=2500,
        negotiated_price_cents=4000,
        public_price_cents=4500,
    )
    from catalog.models import OfferSession

    sid = session().query(OfferSession.id).filter_by(offer_id=oid).scalar()
    order = buy(agent, oid, 2, "courrier", sid)
    assert order.fees_cents == 200 and used() == 3000
    summary = refunds.cancel_event(Operator(), session_id=sid)
    assert summary.orders_refunded == 1 and summary.refunded_cents == 5000
    order = session().get(Order, order.id)
    assert order.status == "refunded"
    assert used() == 0
    refund = session().query(Payment).filter_by(order_id=order.id, kind="refund").one()
    assert refund.amount_cents == 5000  # the 2 € of fees are not refunded
    bodies = [m.get_body(("plain",)).get_content() for m in mailbox.wait_for(3)]
    assert any("frais d'envoi ne sont pas remboursés" in b for b in bodies)


def test_r_ord_5_unpaid_orders_of_a_cancelled_event_are_released(agent, make_offer):
    starts = utc(NOW_PARIS + timedelta(days=30))
    oid = make_offer(title="Concert", sessions=[(starts, 20)])
    from catalog.models import OfferSession

    sid = session().query(OfferSession.id).filter_by(offer_id=oid).scalar()
    order = buy(agent, oid, 1, "e_billet", sid, method="cheque", pay=False)
    summary = refunds.cancel_event(Operator(), session_id=sid)
    assert summary.orders_cancelled == 1
    assert session().get(Order, order.id).status == "cancelled"


def _card_offer(make_offer, delivery="email"):
    return make_offer(
        kind="carte",
        category="cartes-et-cheques",
        title="E-carte cinéma",
        public_price_cents=5000,
        negotiated_price_cents=5000,
        cgos_price_cents=4000,
        deliveries=(delivery,),
        stock=50,
        physical=False,
    )


def test_r_ord_5_withdrawal_within_15_days(agent, make_offer, clock, mailbox):
    order = buy(agent, _card_offer(make_offer), 1, "email")
    line = order.lines[0]
    clock.set(NOW_PARIS + timedelta(days=15))  # the 15th day after delivery (payment)
    refunds.withdraw(agent.cgos_number, order.number, line.id, actor=agent)
    order = session().get(Order, order.id)
    assert order.status == "refunded" and order.lines[0].status == "withdrawn"
    assert used() == 0
    assert any("rétractation" in m["Subject"].lower() for m in mailbox.wait_for(3))


def test_r_ord_5_withdrawal_refused_after_15_days(agent, make_offer, clock):
    order = buy(agent, _card_offer(make_offer), 1, "email")
    clock.set(NOW_PARIS + timedelta(days=15, minutes=1))
    with pytest.raises(DomainError, match="15 jours"):
        refunds.withdraw(agent.cgos_number, order.number, order.lines[0].id, actor=agent)


def test_r_ord_5_dated_tickets_have_no_withdrawal_right(agent, make_offer):
    oid = make_offer(kind="billet_ouvert", title="Parc", stock=10)
    order = buy(agent, oid, 1, "e_billet")
    with pytest.raises(DomainError, match="ne s'applique pas"):
        refunds.withdraw(agent.cgos_number, order.number, order.lines[0].id, actor=agent)


def test_someone_elses_order_cannot_be_withdrawn(agent, make_offer):
    order = buy(agent, _card_offer(make_offer), 1, "email")
    with pytest.raises(DomainError, match="introuvable"):
        refunds.withdraw("99999999Z", order.number, order.lines[0].id, actor=agent)
