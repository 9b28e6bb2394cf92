"""« Prévenez-moi » (R-AGT-2): the line, the 24-hour hold, its expiry, the sale opening,
a cancelled session, rights closed, the agent leaving the line, and the held seats in the
agent's own cart and order (never counted twice, never taken by anyone else)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from auth.principals import agent_user
from catalog.models import Offer, OfferSession
from members.dossiers import dossier_source
from orders import alerts, services
from orders import cart as carts
from orders.models import AlertState, SeatAlert
from shop.db import session, unit_of_work
from shop.errors import DomainError, NotFound
from shop.mail import OutboxMail
from tests.factories import NOW_PARIS, utc

NOW = utc(NOW_PARIS)
SHOW = NOW + timedelta(days=30)


@pytest.fixture
def people(ctx, make_agent, clock):
    clock.set(NOW_PARIS)

    def _make(n: int = 1, **overrides):
        made = []
        for _ in range(n):
            number, _ = make_agent(**overrides)
            made.append(agent_user(dossier_source().get(number)))
        return made

    return _make


@pytest.fixture
def sold_out(make_offer):
    """A dated offer whose only session has no seat left; returns (offer id, session id)."""
    offer_id = make_offer(sessions=[(SHOW, 0)], title="Gala", per_order_max=4)
    sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == offer_id))
    return offer_id, sid


def set_stock(model, row_id, stock):
    with unit_of_work() as s:
        s.get(model, row_id).stock = stock


def stock_of(model, row_id):
    session().expire_all()
    return session().get(model, row_id).stock


def state(alert):
    session().expire_all()
    return session().get(SeatAlert, alert.id)


def mails(kind):
    return session().scalars(select(OutboxMail).where(OutboxMail.kind == kind)).all()


def order(agent, offer_id, session_id, quantity, token):
    carts.add_to_cart(
        agent, offer_id, quantity=quantity, delivery="e_billet", session_id=session_id
    )
    total = carts.view_cart(agent).priced.total_cents
    return services.place_order(
        agent,
        payment_method="card",
        contact=services.Contact("x@exemple.fr", True),
        expected_total_cents=total,
        checkout_token=token,
        actor=agent,
    )


def test_r_agt_2_seats_go_to_the_line_in_order_first_in_line_gets_what_is_left(people, sold_out):
    offer_id, sid = sold_out
    a, b, c = people(3)
    first = alerts.subscribe(a, offer_id, session_id=sid, quantity=1)
    second = alerts.subscribe(b, offer_id, session_id=sid, quantity=3)
    third = alerts.subscribe(c, offer_id, session_id=sid, quantity=1)
    assert alerts.serve_alerts() == 0  # nothing came back yet
    set_stock(OfferSession, sid, 2)  # two seats come back
    assert alerts.serve_alerts() == 2
    assert (state(first).state, state(first).held_quantity) == (AlertState.HELD, 1)
    # Wants 3, one seat was left: it is held for them (the mail says so), not for the third.
    assert (state(second).state, state(second).held_quantity) == (AlertState.HELD, 1)
    assert state(third).state == AlertState.WAITING
    assert state(first).hold_expires_at == NOW + timedelta(hours=24)
    assert stock_of(OfferSession, sid) == 0  # held seats are out of the stock
    held = mails("orders/seat_alert_held")
    assert len(held) == 2
    assert f"/mes-alertes/{first.id}/places/" in held[0].body_text
    assert "vous en demandiez 3" in held[1].body_text
    assert alerts.serve_alerts() == 0  # idempotent


def test_r_agt_2_a_lapsed_hold_goes_back_and_the_next_in_line_gets_it(people, sold_out, clock):
    offer_id, sid = sold_out
    a, b = people(2)
    first = alerts.subscribe(a, offer_id, session_id=sid, quantity=2)
    second = alerts.subscribe(b, offer_id, session_id=sid, quantity=2)
    set_stock(OfferSession, sid, 2)
    alerts.serve_alerts()
    clock.set(NOW_PARIS + timedelta(hours=23, minutes=59))
    alerts.serve_alerts()
    assert state(first).state == AlertState.HELD
    clock.set(NOW_PARIS + timedelta(hours=24))
    alerts.serve_alerts()
    assert state(first).state == AlertState.EXPIRED
    assert (state(second).state, state(second).held_quantity) == (AlertState.HELD, 2)
    assert stock_of(OfferSession, sid) == 0
    # The lapsed link says so in French.
    with pytest.raises(DomainError, match="Ce lien a expiré"):
        alerts.claim_hold(a, state(first))


def test_r_agt_2_held_seats_are_the_agents_alone_and_an_order_consumes_the_hold(people, sold_out):
    offer_id, sid = sold_out
    waiter, other = people(2)
    alert = alerts.subscribe(waiter, offer_id, session_id=sid, quantity=2)
    set_stock(OfferSession, sid, 2)
    alerts.serve_alerts()
    # Nobody else can take them…
    with pytest.raises(DomainError, match="Épuisé"):
        carts.add_to_cart(other, offer_id, quantity=1, delivery="e_billet", session_id=sid)
    # … the link puts them into the waiter's cart, once.
    assert alerts.claim_hold(waiter, state(alert)) == 2
    assert alerts.claim_hold(waiter, state(alert)) == 0
    view = carts.view_cart(waiter)
    assert [n for lv in view.lines for n in lv.notes] == []
    total = view.priced.total_cents
    placed = services.place_order(
        waiter,
        payment_method="card",
        contact=services.Contact("x@exemple.fr", True),
        expected_total_cents=total,
        checkout_token="alert-1",
        actor=waiter,
    )
    assert placed.lines[0].quantity == 2
    assert state(alert).state == AlertState.USED
    assert stock_of(OfferSession, sid) == 0  # taken once, not twice
    # The order lapses unpaid: its seats come back, for the next in line.
    services.cancel_order(placed.id, reason="test", actor="system", expired=True)
    assert stock_of(OfferSession, sid) == 2


def test_r_agt_2_ordering_fewer_than_held_gives_the_rest_back(people, sold_out):
    offer_id, sid = sold_out
    (waiter,) = people(1)
    alert = alerts.subscribe(waiter, offer_id, session_id=sid, quantity=3)
    set_stock(OfferSession, sid, 3)
    alerts.serve_alerts()
    order(waiter, offer_id, sid, 1, "alert-fewer")
    assert state(alert).state == AlertState.USED
    assert stock_of(OfferSession, sid) == 2


def test_r_agt_2_an_offer_opening_its_sale_serves_the_line(people, make_offer, clock):
    opens = NOW + timedelta(days=2)
    counted = make_offer(kind="billet_ouvert", title="Parc", stock=1, sale_opens_at=opens)
    unlimited = make_offer(kind="billet_ouvert", title="Musée", stock=5, sale_opens_at=opens)
    set_stock(Offer, unlimited, None)  # stock not counted
    a, b = people(2)
    held = alerts.subscribe(a, counted, session_id=None, quantity=2)
    queued = alerts.subscribe(b, counted, session_id=None, quantity=1)
    told = alerts.subscribe(a, unlimited, session_id=None, quantity=1)
    assert alerts.serve_alerts() == 0  # not yet open
    clock.set(NOW_PARIS + timedelta(days=2))
    alerts.serve_alerts()
    assert (state(held).state, state(held).held_quantity) == (AlertState.HELD, 1)
    assert state(queued).state == AlertState.WAITING
    assert stock_of(Offer, counted) == 0
    assert state(told).state == AlertState.NOTIFIED  # nothing to hold: just told
    assert len(mails("orders/seat_alert_open")) == 1


def test_r_agt_2_a_cancelled_session_closes_its_alerts_and_returns_held_seats(people, sold_out):
    offer_id, sid = sold_out
    a, b = people(2)
    held = alerts.subscribe(a, offer_id, session_id=sid, quantity=1)
    waiting = alerts.subscribe(b, offer_id, session_id=sid, quantity=1)
    set_stock(OfferSession, sid, 1)
    alerts.serve_alerts()
    with unit_of_work() as s:
        s.get(OfferSession, sid).cancelled = True
    alerts.serve_alerts()
    for alert in (held, waiting):
        assert state(alert).state == AlertState.CANCELLED
        assert state(alert).reason == alerts.SESSION_GONE
    assert stock_of(OfferSession, sid) == 1
    assert len(mails("orders/seat_alert_closed")) == 2


def test_r_agt_2_an_agent_whose_rights_closed_is_skipped_and_told(people, sold_out, make_agent):
    offer_id, sid = sold_out
    closed, next_one = people(2)
    skipped = alerts.subscribe(closed, offer_id, session_id=sid, quantity=1)
    served = alerts.subscribe(next_one, offer_id, session_id=sid, quantity=1)
    # The dossier import closes the first agent's rights (an old dossier year).
    make_agent(
        code=None,
        cgos_number=closed.cgos_number,
        household_id=closed.record.household_id,
        dossier_year=2001,
    )
    set_stock(OfferSession, sid, 1)
    alerts.serve_alerts()
    assert state(skipped).state == AlertState.CANCELLED
    assert state(served).state == AlertState.HELD
    closed_mails = mails("orders/seat_alert_closed")
    assert len(closed_mails) == 1 and closed_mails[0].to == skipped.email


def test_r_agt_2_the_agent_leaves_the_line_and_held_seats_go_to_the_next(people, sold_out):
    offer_id, sid = sold_out
    a, b = people(2)
    first = alerts.subscribe(a, offer_id, session_id=sid, quantity=1)
    second = alerts.subscribe(b, offer_id, session_id=sid, quantity=1)
    set_stock(OfferSession, sid, 1)
    alerts.serve_alerts()
    alerts.cancel_alert(a, first.id)
    assert state(first).state == AlertState.CANCELLED
    assert stock_of(OfferSession, sid) == 1
    alerts.serve_alerts()
    assert state(second).state == AlertState.HELD
    with pytest.raises(NotFound):  # someone else's alert
        alerts.cancel_alert(a, second.id)


def test_r_agt_2_what_one_may_ask_for(people, sold_out, make_offer):
    offer_id, sid = sold_out
    (agent,) = people(1)
    with pytest.raises(DomainError, match="entre 1 et 4") as exc:
        alerts.subscribe(agent, offer_id, session_id=sid, quantity=5)
    assert exc.value.field == "quantity"
    alerts.subscribe(agent, offer_id, session_id=sid, quantity=2)
    with pytest.raises(DomainError, match="déjà inscrit"):
        alerts.subscribe(agent, offer_id, session_id=sid, quantity=1)
    on_sale = make_offer(sessions=[(SHOW, 5)], title="Concert")
    free_sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == on_sale))
    with pytest.raises(DomainError, match="Des places sont disponibles"):
        alerts.subscribe(agent, on_sale, session_id=free_sid, quantity=1)
    (no_rights,) = people(1, dossier_year=2001)
    with pytest.raises(DomainError):
        alerts.subscribe(no_rights, offer_id, session_id=sid, quantity=1)


def test_r_agt_2_the_due_task_is_registered():
    from shop.jobs import registered

    assert "waitlist.serve" in {t.name for t in registered()}


def test_r_agt_2_closed_alerts_go_six_months_after_they_ended(people, sold_out, clock):
    from orders.retention import purge_seat_alerts

    offer_id, sid = sold_out
    a, b = people(2)
    closed = alerts.subscribe(a, offer_id, session_id=sid, quantity=1)
    waiting = alerts.subscribe(b, offer_id, session_id=sid, quantity=1)
    alerts.cancel_alert(a, closed.id)
    clock.set(NOW_PARIS + timedelta(days=179))
    assert purge_seat_alerts() == 0
    clock.set(NOW_PARIS + timedelta(days=181))
    assert purge_seat_alerts() == 1
    session().expire_all()
    assert session().get(SeatAlert, closed.id) is None
    assert session().get(SeatAlert, waiting.id) is not None  # still in line


@pytest.mark.parametrize(
    ("query", "indexes"),
    [
        (lambda: alerts.lapsed_holds(NOW), ("ix_seat_alerts_due",)),
        (alerts.live_lines, ("ix_seat_alerts_due", "ix_seat_alerts_line")),
    ],
    ids=["lapsed", "lines"],
)
def test_r_agt_2_the_job_reads_live_alerts_through_an_index(ctx, query, indexes):
    """Closed alerts pile up for 6 months: the minute job never scans them (on PostgreSQL
    with sequential scans off, an empty table would otherwise be scanned)."""
    from sqlalchemy import text

    from shop.db import get_db

    s = session()
    compiled = query().compile(dialect=s.get_bind().dialect, compile_kwargs={"literal_binds": True})
    with s.begin_nested():
        if get_db().dialect == "postgresql":
            s.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(s.scalars(text(f"EXPLAIN {compiled}")))
        else:
            plan = "\n".join(
                str(row[-1]) for row in s.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            )
    assert any(index in plan for index in indexes), plan


def test_r_agt_2_a_cancelled_order_wakes_the_line_at_once_with_celery(
    people, make_offer, app, monkeypatch
):
    """With the workers (REDIS_URL), an order cancelled on a session someone waits for
    hands ``waitlist.serve`` to them after the commit; without waiters, nothing is sent."""
    offer_id = make_offer(sessions=[(SHOW, 1)], title="Gala", per_order_max=4)
    sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == offer_id))
    buyer, waiter, other_buyer = people(3)
    sent = []
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(alerts, "enqueue", lambda *args, **kw: sent.append(args) or True)
    placed = order(buyer, offer_id, sid, 1, "wake-1")
    alerts.subscribe(waiter, offer_id, session_id=sid, quantity=1)
    services.cancel_order(placed.id, reason="test", actor="system")
    assert sent == [("shop.jobs.run_task", "waitlist.serve")]
    # Seats of another session nobody waits for: nothing to wake.
    lonely = make_offer(sessions=[(SHOW, 1)], title="Récital")
    lonely_sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == lonely))
    again = order(other_buyer, lonely, lonely_sid, 1, "wake-2")
    services.cancel_order(again.id, reason="test", actor="system")
    assert len(sent) == 1
