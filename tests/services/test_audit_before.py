"""R-OPS-6: the before values of the audit log are the true ones, read before the change,
however many steps the change took (a late cheque re-places then pays its option)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from auth.principals import agent_user
from members.dossiers import dossier_source
from orders import cart as carts
from orders import cheques, services
from orders.models import Order
from shop import audit
from shop.audit import AuditEntry
from shop.db import get_db, session, unit_of_work
from support import audit_log
from tests.factories import NOW_PARIS, Operator


@pytest.fixture
def agent(ctx, make_agent, clock):
    clock.set(NOW_PARIS)
    number, _ = make_agent(household_id="H-AUDIT")
    return agent_user(dossier_source().get(number))


@pytest.fixture
def parc(make_offer):
    return make_offer(kind="billet_ouvert", title="Parc", stock=10)


def place(agent, offer_id, method):
    carts.add_to_cart(agent, offer_id, quantity=1, delivery="e_billet")
    total = carts.view_cart(agent).priced.total_cents
    return services.place_order(
        agent,
        payment_method=method,
        contact=services.Contact("audit@exemple.fr", True),
        expected_total_cents=total,
        checkout_token=f"audit-{offer_id}-{method}",
        actor=agent,
    )


def entry(action, number):
    return (
        session()
        .scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.subject == f"order:{number}")
            .order_by(AuditEntry.id.desc())
        )
        .first()
    )


def test_staff_paying_a_card_order_says_it_was_waiting_for_its_payment(agent, parc):
    order = place(agent, parc, "card")
    services.mark_paid(
        order.id,
        method="card",
        amount_cents=order.total_cents,
        provider_ref=None,
        actor=Operator(),
    )
    paid = entry("order.paid", order.number)
    assert paid.before == {"status": "pending_payment"}
    assert paid.after == {"status": "paid", "method": "card"}


def test_a_cheque_paying_an_option_says_option(agent, parc):
    order = place(agent, parc, "cheque")
    cheques.register_cheque(order.number, order.total_cents, "111", Operator())
    assert entry("order.paid", order.number).before == {"status": "option"}
    assert entry("order.cheque_registered", order.number).before == {"status": "option"}


def test_a_late_cheque_says_the_option_had_been_cancelled_by_its_expiry(agent, parc, clock):
    """Before issue 20 every « order.paid » said « pending »; here the order was cancelled
    (its option expired), re-placed then paid in one unit of work."""
    order = place(agent, parc, "cheque")
    clock.set(NOW_PARIS + timedelta(days=9))
    assert services.expire_due() == 1
    result = cheques.register_cheque(order.number, order.total_cents, "222", Operator())
    assert result.order.status == "paid"
    paid = entry("order.paid", order.number)
    assert paid.before == {"status": "cancelled"}
    assert paid.after["status"] == "paid"
    assert entry("order.cheque_registered", order.number).before == {"status": "cancelled"}


def test_what_a_unit_remembers_ends_with_it(agent, parc):
    """A second action on the same row in a later unit of work reads its own before value."""
    order = place(agent, parc, "cheque")
    with unit_of_work():
        row = session().get(Order, order.id)
        audit.remember(row, "status", "option")
        assert audit.value_before(row, "status") == "option"
        audit.remember(row, "status", "paid")  # the first value stays
        assert audit.value_before(row, "status") == "option"
    with unit_of_work():
        row = session().get(Order, order.id)
        row.status = "option"
        assert audit.value_before(row, "status") == "option"
        audit.remember(row, "status", "cancelled")
        assert audit.value_before(row, "status") == "cancelled"


FILTERS = {
    "agent": ({"agent": "12345678A"}, ("ix_audit_entries_subject", "ix_audit_entries_actor")),
    "order": ({"commande": "L27-000001"}, ("ix_audit_entries_subject",)),
    "author": ({"auteur": "ops@test"}, ("ix_audit_entries_actor",)),
    "action": ({"action": "order.paid"}, ("ix_audit_entries_action",)),
    "dates": ({"du": "01/03/2027", "au": "02/03/2027"}, ("ix_audit_entries_at",)),
}


@pytest.mark.parametrize("name", FILTERS)
def test_r_ops_6_each_filter_of_the_log_reads_an_index(ctx, name):
    """EXPLAIN of the log's filtered query names an index of ``audit_entries`` (on
    PostgreSQL with sequential scans disabled: an empty table would otherwise be scanned)."""
    args, indexes = FILTERS[name]
    filters = audit_log.read_filters(args)
    assert not filters.errors
    stmt = audit_log.filtered(filters).limit(51)
    s = session()
    compiled = stmt.compile(dialect=s.get_bind().dialect, compile_kwargs={"literal_binds": True})
    with s.begin_nested():
        if get_db().dialect == "postgresql":
            s.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(s.scalars(text(f"EXPLAIN {compiled}")))
        else:
            explained = s.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            plan = "\n".join(str(row[-1]) for row in explained)
    assert any(index in plan for index in indexes), plan
