"""Every status change goes through ``orders.transitions.transition`` (R-ORD-1): with the
table made to refuse everything, each writer fails and changes nothing. The database itself
refuses a status outside the enums, and the minute jobs read their due rows through an index.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from auth.principals import agent_user
from catalog.models import Offer, OfferSession
from members.dossiers import dossier_source
from orders import cart as carts
from orders import cheques, payments, phone, refunds, services, transitions
from orders.models import Order, Payment
from orders.status import PaymentStatus, Transition
from partners.models import Shipment
from partners.services import mark_shipped
from shop.db import get_db, session
from shop.errors import DomainError
from tests.factories import NOW_PARIS, Operator, utc

REFUSED = "refusé par le test"


@pytest.fixture
def agent(ctx, make_agent, clock):
    clock.set(NOW_PARIS)
    number, _ = make_agent(household_id="H-LIFE")
    return agent_user(dossier_source().get(number))


@pytest.fixture
def refuse(monkeypatch):
    """From now on the table refuses every step: a writer that still changes a status does
    not go through ``transition``."""

    def arm():
        monkeypatch.setattr(
            transitions, "check_transition", lambda *a, **k: Transition(False, REFUSED)
        )

    return arm


def place(agent, offer_id, *, method="card", delivery="e_billet", session_id=None, channel="web"):
    carts.add_to_cart(agent, offer_id, quantity=1, delivery=delivery, session_id=session_id)
    total = carts.view_cart(agent).priced.total_cents
    return services.place_order(
        agent,
        payment_method=method,
        contact=services.Contact("vie@exemple.fr", True),
        expected_total_cents=total,
        checkout_token=f"life-{offer_id}-{method}-{delivery}-{channel}",
        actor=agent,
        channel=channel,
    )


def pay(order, **extra):
    return services.mark_paid(
        order.id,
        method="demo",
        amount_cents=order.total_cents,
        provider_ref=f"demo-{order.id}",
        actor="test",
        **extra,
    )


def status_of(order):
    session().expire_all()
    return session().get(Order, order.id).status


@pytest.fixture
def parc(make_offer):
    return make_offer(kind="billet_ouvert", title="Parc", stock=10)


def test_placing(agent, parc, refuse):
    refuse()
    with pytest.raises(DomainError, match=REFUSED):
        place(agent, parc)
    assert session().scalar(select(Order.id)) is None


def test_paying_by_card_webhook(agent, parc, refuse):
    order = place(agent, parc)
    refuse()
    event = {
        "id": "evt_life",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": "pi_life",
                "metadata": {"order_number": order.number},
                "amount_received": order.total_cents,
                "currency": "eur",
            }
        },
    }
    with pytest.raises(DomainError, match=REFUSED):
        payments.apply_card_event(event)
    assert status_of(order) == "pending_payment"


def test_paying_by_cheque(agent, parc, refuse):
    order = place(agent, parc, method="cheque")
    refuse()
    with pytest.raises(DomainError, match=REFUSED):
        cheques.register_cheque(order.number, order.total_cents, "111", Operator())
    assert status_of(order) == "option"


def test_expiring(agent, parc, clock, refuse):
    order = place(agent, parc)
    clock.advance(minutes=31)
    refuse()
    with pytest.raises(DomainError, match=REFUSED):
        services.expire_due()
    assert status_of(order) == "pending_payment"


def test_cancelling(agent, parc, refuse):
    order = place(agent, parc, method="cheque")
    refuse()
    with pytest.raises(DomainError, match=REFUSED):
        services.cancel_order(order.id, reason="Demande de l'agent.", actor=Operator())
    assert status_of(order) == "option"


def test_re_placing_a_late_cheque(agent, parc, clock, refuse):
    order = place(agent, parc, method="cheque")
    clock.set(NOW_PARIS + timedelta(days=9))
    assert services.expire_due() == 1
    refuse()
    with pytest.raises(DomainError, match=REFUSED):
        cheques.register_cheque(order.number, order.total_cents, "222", Operator())
    assert status_of(order) == "cancelled"
    assert session().get(Offer, parc).stock == 10  # the stock taken again rolled back


def test_refunding(agent, make_offer, refuse):
    card = make_offer(
        kind="carte",
        category="cartes-et-cheques",
        title="E-carte cinéma",
        public_price_cents=5000,
        negotiated_price_cents=5000,
        cgos_price_cents=4000,
        deliveries=("email",),
        stock=50,
        physical=False,
    )
    order = pay(place(agent, card, delivery="email"))
    refuse()
    with pytest.raises(DomainError, match=REFUSED):
        refunds.withdraw(agent.cgos_number, order.number, order.lines[0].id, actor=agent)
    assert status_of(order) == "paid"


def test_shipping(agent, make_offer, refuse):
    oid = make_offer(title="Concert", sessions=[(utc(NOW_PARIS + timedelta(days=30)), 20)])
    sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == oid))
    order = pay(place(agent, oid, delivery="courrier", session_id=sid))
    partner_id = session().get(Offer, oid).partner_id
    refuse()
    with pytest.raises(DomainError, match=REFUSED):
        mark_shipped(partner_id, order.number, "billets", "suivi", "1L23456789012", actor="t")
    assert status_of(order) == "paid"
    assert session().scalar(select(Shipment.id)) is None


def test_capturing(agent, parc, clock, refuse):
    pay(place(agent, parc, channel="phone"), held=True)
    clock.set(
        datetime(NOW_PARIS.year, NOW_PARIS.month, NOW_PARIS.day, 21, 5, tzinfo=NOW_PARIS.tzinfo)
    )
    refuse()
    with pytest.raises(DomainError, match=REFUSED):
        phone.capture_batch()
    session().expire_all()
    assert session().scalar(select(Payment.status)) == PaymentStatus.AUTHORISED


def test_r_pay_3_a_cheque_for_an_order_cancelled_before_its_expiry_is_returned(agent, parc):
    """Only an option cancelled by its expiry is re-placed by a late cheque."""
    order = place(agent, parc, method="cheque")
    services.cancel_order(order.id, reason="Demande de l'agent.", actor=Operator())
    result = cheques.register_cheque(order.number, order.total_cents, "333", Operator())
    assert result.outcome == cheques.ChequeOutcome.RETURNED
    assert status_of(order) == "cancelled"


@pytest.mark.parametrize(
    ("table", "value"),
    [("orders", "lost"), ("order_lines", "gone"), ("payments", "pending"), ("shipments", "x")],
)
def test_the_database_refuses_an_unknown_status(agent, make_offer, table, value):
    oid = make_offer(title="Concert", sessions=[(utc(NOW_PARIS + timedelta(days=30)), 20)])
    sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == oid))
    order = pay(place(agent, oid, delivery="courrier", session_id=sid))
    partner_id = session().get(Offer, oid).partner_id
    mark_shipped(partner_id, order.number, "billets", "suivi", "1L23456789012", actor="t")
    s = session()
    with pytest.raises(DBAPIError), s.begin_nested():
        s.execute(text(f"UPDATE {table} SET status = :value"), {"value": value})  # noqa: S608


DUE_QUERIES = {
    "capture": (lambda now: phone.held_payments(), ("ix_payments_due",)),
    "release": (phone.etickets_due, ("ix_payments_etickets_due_at",)),
    "refunds": (
        lambda now: payments.pending_card_refunds(now - timedelta(days=30)),
        ("ix_payments_due",),
    ),
    "expire": (services.due_orders, ("ix_orders_due",)),
}


@pytest.mark.parametrize("job", DUE_QUERIES)
def test_the_minute_jobs_read_due_rows_through_an_index(ctx, job):
    """EXPLAIN of each job's due query names its index, whatever the history's size (on
    PostgreSQL with sequential scans disabled: an empty table would otherwise be scanned)."""
    query, indexes = DUE_QUERIES[job]
    stmt = query(datetime(2027, 3, 1, 12, 0))
    s = session()
    dialect = get_db().dialect
    compiled = stmt.compile(dialect=s.get_bind().dialect, compile_kwargs={"literal_binds": True})
    with s.begin_nested():
        if dialect == "postgresql":
            s.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(s.scalars(text(f"EXPLAIN {compiled}")))
        else:
            explained = s.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            plan = "\n".join(str(row[-1]) for row in explained)
    assert any(index in plan for index in indexes), plan
