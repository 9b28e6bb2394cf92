"""R-REP-1 reconciliation (docs/RULES.md R-REP-1): orders made through the store's own
services — paid, refunded in part and in whole, expired, left waiting; by card and by
cheque; on the web and by phone; by both members of a couple; in two regions, two
categories and two partners — and every total of the dashboard equals, to the cent, the
sum over the orders, lines and refund payments it covers; every breakdown sums to its
total; the households' cap buckets agree with the pure rule; the statements are few."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from auth.principals import agent_user
from catalog.models import OfferSession
from members.dossiers import dossier_source
from members.models import DossierAgent, Household
from orders import cart as carts
from orders import cheques, refunds, services
from orders.models import HouseholdYear, Order, OrderLine, Payment
from orders.pricing import household_cap
from orders.status import UNPAID, LineStatus, OrderStatus
from reports import budgets, figures
from reports.figures import GIVEN_BACK, WAS_PAID, Filters
from reports.rules import CapBucket, Period, cap_bucket
from shop.db import session
from tests.factories import Operator, utc

MARCH = Period(date(2027, 3, 1), date(2027, 3, 31))
D1 = datetime(2027, 3, 1, 10, 0)  # Paris
D2 = datetime(2027, 3, 2, 23, 30)  # Paris: 22:30 UTC, still 2 March in Paris
FEB = datetime(2027, 2, 15, 10, 0)
RHONE, BRETAGNE = "Rhône-Alpes", "Bretagne"


class Admin:
    role = "admin"
    is_staff = True
    audit_label = "staff:admin@test"


@pytest.fixture
def world(ctx, clock, make_agent, make_offer):
    clock.set(FEB)
    # A couple (one household, two agents), a third agent in another region.
    kid = [{"prenom": "Léa", "birth_date": "2015-06-01", "fiscal_status": "a_charge"}]
    a1, _ = make_agent(household_id="H-COUPLE", region=RHONE, children=kid)
    a2, _ = make_agent(household_id="H-COUPLE", region=RHONE, children=kid)
    a3, _ = make_agent(household_id="H-BRET", region=BRETAGNE)
    starts = utc(datetime(2027, 6, 1, 20, 0))
    show = make_offer(
        title="Ballet",
        sessions=[(starts, 50)],
        partner="sogec",
        negotiated_price_cents=4000,
        cgos_price_cents=2550,
        public_price_cents=4500,
    )
    park = make_offer(
        kind="billet_ouvert",
        title="Parc",
        category="parcs-et-loisirs",
        partner="festibillet",
        stock=100,
        negotiated_price_cents=3333,
        cgos_price_cents=2222,
        public_price_cents=3900,
    )
    sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == show))
    agents = {n: agent_user(dossier_source().get(n)) for n in (a1, a2, a3)}
    return {
        "a1": agents[a1],
        "a2": agents[a2],
        "a3": agents[a3],
        "show": show,
        "park": park,
        "sid": sid,
    }


_tokens = iter(range(1, 10_000))


def place(agent, items, *, method="card", channel="web"):
    for offer_id, qty, session_id in items:
        carts.add_to_cart(agent, offer_id, quantity=qty, delivery="e_billet", session_id=session_id)
    total = carts.view_cart(agent).priced.total_cents
    order = services.place_order(
        agent,
        payment_method=method,
        contact=services.Contact("agent@exemple.fr", True),
        expected_total_cents=total,
        checkout_token=f"tok-{next(_tokens)}",
        actor=Operator() if channel != "web" else agent,
        channel=channel,
    )
    return order


def pay_card(order, *, held=False):
    services.mark_paid(
        order.id,
        method="card" if held else "demo",
        amount_cents=order.total_cents,
        provider_ref=f"pay-{order.id}",
        actor=Operator() if held else "stripe",
        held=held,
    )


def _orders(world, clock):
    w = world
    # Before the period: paid in February, outside every March figure.
    clock.set(FEB)
    feb = place(w["a3"], [(w["park"], 1, None)])
    pay_card(feb)

    clock.set(D1)
    web_card = place(w["a1"], [(w["show"], 2, w["sid"]), (w["park"], 1, None)])
    pay_card(web_card)
    couple_cheque = place(w["a2"], [(w["park"], 2, None)], method="cheque")
    cheques.register_cheque(couple_cheque.number, couple_cheque.total_cents, "1234567", Operator())
    phone_card = place(w["a3"], [(w["show"], 1, w["sid"])], channel="phone")
    pay_card(phone_card, held=True)
    expired = place(w["a2"], [(w["show"], 1, w["sid"])])
    clock.set(D1 + timedelta(minutes=45))
    assert services.expire_due() == 1  # the unpaid card order after 30 minutes (R-PAY-2)
    waiting_card = place(w["a3"], [(w["park"], 3, None)])
    waiting_option = place(w["a1"], [(w["show"], 1, w["sid"])], method="cheque")

    clock.set(D2)
    # Refunded in part (one line of two), then in whole (every line).
    park_line = next(
        li for li in session().get(Order, web_card.id).lines if li.offer_id == w["park"]
    )
    refunds.refund_order(web_card.number, [park_line.id], "doublon", Operator())
    couple = session().get(Order, couple_cheque.id)
    refunds.refund_order(couple.number, [li.id for li in couple.lines], "doublon", Operator())
    return {
        "feb": feb,
        "web_card": web_card,
        "couple_cheque": couple_cheque,
        "phone_card": phone_card,
        "waiting_card": waiting_card,
        "waiting_option": waiting_option,
        "expired": expired,
    }


def _in(moment, period):
    lo, hi = period.utc_bounds()
    return moment is not None and lo <= moment < hi


def _expected(period, region=None):
    """The figures recomputed the long way, from every order, line and payment."""
    regions = dict(session().execute(select(DossierAgent.cgos_number, DossierAgent.region)).all())
    orders = [
        o
        for o in session().scalars(select(Order)).all()
        if region is None or regions.get(o.cgos_number) == region
    ]
    ids = {o.id for o in orders}
    paid = [o for o in orders if _in(o.paid_at, period) and o.status in WAS_PAID]
    committed = [o for o in orders if _in(o.placed_at, period) and o.status in UNPAID]
    lines = session().scalars(select(OrderLine).where(OrderLine.order_id.in_(ids))).all()
    given_back = [li for li in lines if li.status in GIVEN_BACK and _in(li.refunded_at, period)]
    refund_rows = [
        p
        for p in session().scalars(select(Payment).where(Payment.kind == "refund")).all()
        if p.order_id in ids and _in(p.created_at, period)
    ]
    paid_ids = {o.id for o in paid}
    return {
        "committed_cents": sum(o.participation_cents for o in committed),
        "committed_orders": len(committed),
        "paid_cents": sum(o.participation_cents for o in paid),
        "paid_orders": len(paid),
        "paid_total_cents": sum(o.total_cents for o in paid),
        "paid_goods_cents": sum(o.goods_cents for o in paid),
        "paid_fees_cents": sum(o.fees_cents for o in paid),
        "refunded_cents": sum(li.participation_cents for li in given_back),
        "refunded_lines": len(given_back),
        "refunded_amount_cents": sum(li.amount_cents for li in given_back),
        "refund_payments_cents": sum(p.amount_cents for p in refund_rows),
        "refund_payments": len(refund_rows),
        "placed_orders": sum(1 for o in orders if _in(o.placed_at, period)),
        "paid_line_participation": sum(
            li.participation_cents for li in lines if li.order_id in paid_ids
        ),
        "paid_line_amount": sum(li.amount_cents for li in lines if li.order_id in paid_ids),
    }


def _assert_reconciles(board, expected):
    for name in (
        "committed_cents",
        "committed_orders",
        "paid_cents",
        "paid_orders",
        "paid_total_cents",
        "paid_goods_cents",
        "paid_fees_cents",
        "refunded_cents",
        "refunded_lines",
        "refunded_amount_cents",
        "refund_payments_cents",
        "refund_payments",
        "placed_orders",
    ):
        assert getattr(board, name) == expected[name], name
    # Every breakdown sums to its total, to the cent.
    assert sum(d.placed_orders for d in board.by_day) == board.placed_orders
    assert sum(d.paid_orders for d in board.by_day) == board.paid_orders
    assert sum(d.paid_total_cents for d in board.by_day) == board.paid_total_cents
    assert sum(d.paid_participation_cents for d in board.by_day) == board.paid_cents
    assert sum(d.refunded_participation_cents for d in board.by_day) == board.refunded_cents
    for rows in (board.by_channel, board.by_method):
        assert sum(r.orders for r in rows) == board.paid_orders
        assert sum(r.total_cents for r in rows) == board.paid_total_cents
        assert sum(r.participation_cents for r in rows) == board.paid_cents
    for rows in (board.by_category, board.by_partner, board.by_offer):
        assert sum(r.participation_cents for r in rows) == expected["paid_line_participation"]
        assert sum(r.amount_cents for r in rows) == expected["paid_line_amount"]
    # The lines of the paid orders carry exactly the orders' participation and goods.
    assert expected["paid_line_participation"] == board.paid_cents
    assert expected["paid_line_amount"] == board.paid_goods_cents


def test_r_rep_1_every_total_reconciles_with_the_orders(world, clock, count_queries):
    made = _orders(world, clock)
    clock.set(D2 + timedelta(hours=1))
    with count_queries() as statements:
        board = figures.dashboard(Filters(MARCH))
    assert statements() <= figures.STATEMENTS
    with count_queries() as empty:  # the same statements for a period without any order
        figures.dashboard(Filters(Period(date(2027, 5, 1), date(2027, 5, 31))))
    assert empty() <= figures.STATEMENTS
    expected = _expected(MARCH)
    _assert_reconciles(board, expected)

    # The same figures by hand, to the cent: participation 1 450 c per ballet ticket
    # (40,00 − 25,50), 1 111 c per park ticket (33,33 − 22,22).
    assert board.paid_orders == 3  # web card, couple's cheque, phone card; not February's
    assert board.paid_cents == (2 * 1450 + 1111) + 2 * 1111 + 1450
    assert board.committed_orders == 2  # the card order waiting, the cheque option
    assert board.committed_cents == 3 * 1111 + 1450
    assert board.refunded_lines == 2  # the park line, then the couple's whole order
    assert board.refunded_cents == 1111 + 2 * 1111
    assert board.refund_payments_cents == 2222 + 2 * 2222
    assert board.placed_orders == 6  # the expired one too
    assert board.consumed_cents == board.committed_cents + board.paid_cents - 3333

    days = {d.day: d for d in board.by_day}
    assert len(board.by_day) == 31
    assert days[date(2027, 3, 1)].paid_orders == 3
    # Refunded at 23:30 Paris on 2 March (22:30 UTC): a Paris day, not a UTC one.
    assert days[date(2027, 3, 2)].refunded_participation_cents == 3333
    channels = {r.key: r for r in board.by_channel}
    assert channels["phone"].orders == 1 and channels["web"].orders == 2
    methods = {r.key: r for r in board.by_method}
    assert methods["cheque"].participation_cents == 2 * 1111
    assert {r.label for r in board.by_partner} == {"Sogec", "Festibillet"}
    assert {r.key for r in board.by_category} == {"spectacles", "parcs-et-loisirs"}
    assert made["expired"].id not in {
        o.id for o in session().scalars(select(Order).where(Order.status != OrderStatus.CANCELLED))
    }


def test_r_rep_1_region_filter_reads_the_agents_dossier(world, clock):
    _orders(world, clock)
    board = figures.dashboard(Filters(MARCH, BRETAGNE))
    expected = _expected(MARCH, BRETAGNE)
    _assert_reconciles(board, expected)
    assert board.paid_orders == 1 and board.paid_cents == 1450  # the phone order
    assert board.committed_cents == 3 * 1111
    assert board.by_region == []  # one region asked: no table of regions
    whole = figures.dashboard(Filters(MARCH))
    rows = {r.region: r for r in whole.by_region}
    assert sum(r.paid_cents for r in rows.values()) == whole.paid_cents
    assert sum(r.committed_cents for r in rows.values()) == whole.committed_cents
    assert sum(r.refunded_cents for r in rows.values()) == whole.refunded_cents
    assert rows[BRETAGNE].paid_cents == board.paid_cents


def test_r_rep_1_regions_in_alphabetical_order_accents_aside(world, clock):
    """« Île-de-France » among the I, not after « Rhône-Alpes » as a code point sort has it."""
    _orders(world, clock)
    for region in ("Île-de-France", "Normandie"):
        budgets.set_budget(Admin(), year=2027, region=region, amount_cents=100_000)
    names = [r.region for r in figures.dashboard(Filters(MARCH)).by_region]
    assert names == sorted(names, key=lambda n: n.replace("Î", "I"))
    assert names.index("Île-de-France") < names.index("Normandie")


def test_r_rep_1_period_edges_are_paris_days(world, clock):
    _orders(world, clock)
    first = figures.dashboard(Filters(Period(date(2027, 3, 1), date(2027, 3, 1))))
    assert first.paid_orders == 3 and first.refunded_cents == 0
    second = figures.dashboard(Filters(Period(date(2027, 3, 2), date(2027, 3, 2))))
    assert second.paid_orders == 0 and second.refunded_cents == 3333
    february = figures.dashboard(Filters(Period(date(2027, 2, 1), date(2027, 2, 28))))
    assert february.paid_orders == 1 and february.paid_cents == 1111
    # The expired order released what it held: it is nowhere but in « placed ».
    assert first.placed_orders == 6 and first.committed_orders == 2


def test_r_rep_1_cap_buckets_match_the_rule(world, clock):
    _orders(world, clock)
    board = figures.dashboard(Filters(MARCH))
    assert board.cap_year == 2027
    expected = {b: 0 for b in CapBucket}
    for household in session().scalars(select(Household)).all():
        row = session().get(HouseholdYear, (household.id, 2027))
        children = sum(1 for c in household.children if c.birth_date >= date(2027 - 20, 1, 1))
        expected[cap_bucket(row.used_cents if row else 0, household_cap(children))] += 1
    assert {r.bucket: r.households for r in board.cap_use} == expected
    assert board.households == session().query(Household).count()
    # The couple shares one cap of 750 € (one child): its use counts once.
    couple = session().get(HouseholdYear, ("H-COUPLE", 2027))
    assert couple is not None and couple.used_cents > 0


def test_r_rep_1_budget_alert_and_audit(world, clock):
    _orders(world, clock)
    board = figures.dashboard(Filters(MARCH))
    assert board.budget is None  # none set yet
    consumed = board.consumed_cents
    # A budget whose 80 % is exactly what was consumed: the alert is on (reached).
    budgets.set_budget(
        Admin(), year=2027, region=None, amount_cents=consumed * 100 // 80, alert_percent=80
    )
    board = figures.dashboard(Filters(MARCH))
    assert board.budget_state is not None
    assert board.budget_state.alert is (consumed * 100 >= 80 * (consumed * 100 // 80))
    budgets.set_budget(
        Admin(), year=2027, region=None, amount_cents=consumed * 10, alert_percent=80
    )
    board = figures.dashboard(Filters(MARCH))
    assert board.budget_state.alert is False and board.budget_state.percent == 10
    entries = (
        session()
        .scalars(
            select(budgets.audit.AuditEntry).where(
                budgets.audit.AuditEntry.action == budgets.ACTION
            )
        )
        .all()
    )
    assert len(entries) == 2 and entries[1].before == {
        "amount_cents": consumed * 100 // 80,
        "alert_percent": 80,
    }


def test_r_rep_1_only_admins_set_budgets(ctx):
    class Gestionnaire:
        role = "gestionnaire"
        audit_label = "staff:g@test"

    from shop.errors import DomainError

    with pytest.raises(DomainError, match="administrateur"):
        budgets.set_budget(Gestionnaire(), year=2027, region=None, amount_cents=100)
    with pytest.raises(DomainError) as err:
        budgets.set_budget(Admin(), year=2027, region="Atlantide", amount_cents=100)
    assert err.value.field == "region"
    with pytest.raises(DomainError) as err:
        budgets.set_budget(Admin(), year=2027, region=None, amount_cents=0)
    assert err.value.field == "amount"
    with pytest.raises(DomainError) as err:
        budgets.set_budget(Admin(), year=2027, region=None, amount_cents=100, alert_percent=101)
    assert err.value.field == "alert_percent"


def test_r_rep_1_one_budget_per_year_and_region(ctx):
    budgets.set_budget(Admin(), year=2027, region=None, amount_cents=100_000_000_00)
    budgets.set_budget(Admin(), year=2027, region=None, amount_cents=120_000_000_00)
    budgets.set_budget(Admin(), year=2027, region=RHONE, amount_cents=9_000_000_00)
    rows = budgets.budgets_of(2027)
    assert [(b.region, b.amount_cents) for b in rows] == [
        (None, 120_000_000_00),
        (RHONE, 9_000_000_00),
    ]
    from sqlalchemy.exc import IntegrityError

    from reports.models import ParticipationBudget
    from shop.db import unit_of_work

    with pytest.raises(IntegrityError), unit_of_work() as s:  # the national row is unique
        s.add(
            ParticipationBudget(
                year=2027,
                region=None,
                amount_cents=1,
                alert_percent=80,
                updated_at=datetime(2027, 1, 1),
                updated_by="test",
            )
        )
        s.flush()
    assert LineStatus.REFUNDED in GIVEN_BACK


def test_r_rep_1_an_event_cancelled_reconciles_too(world, clock):
    """R-OPS-4: the ballet's session cancelled after everything above — paid lines
    refunded (participation back), the unpaid option cancelled (released, not refunded) —
    and every total still equals the sum over what it covers."""
    _orders(world, clock)
    before = figures.dashboard(Filters(MARCH))
    clock.set(datetime(2027, 3, 3, 9, 0))
    summary = refunds.cancel_event(Operator(), session_id=world["sid"])
    assert summary.orders_refunded == 2 and summary.orders_cancelled == 1
    board = figures.dashboard(Filters(MARCH))
    _assert_reconciles(board, _expected(MARCH))
    # The web order's 2 tickets and the phone order's one: 3 × 14,50 € given back.
    assert board.refunded_cents == before.refunded_cents + 3 * 1450
    assert board.committed_cents == before.committed_cents - 1450  # the option released
    assert board.paid_cents == before.paid_cents  # paid stays as it was paid


def _boards(periods, regions=(None, BRETAGNE, RHONE)):
    return {(p, r): figures.dashboard(Filters(p, r)) for p in periods for r in regions}


def test_r_rep_1_rolled_days_give_the_figures_of_the_orders(world, clock, count_queries):
    """reports.rollup: the closed days read from their rolled rows give exactly what the
    orders give, for whole periods, periods cut at the last rolled day, and regions; an
    order of a day not yet rolled is read from the orders beside them."""
    from reports import rollup
    from reports.models import DayLineFacts, DayOrderFacts

    _orders(world, clock)
    periods = [
        MARCH,
        Period(date(2027, 3, 1), date(2027, 3, 1)),
        Period(date(2027, 3, 2), date(2027, 3, 2)),
        Period(date(2027, 2, 1), date(2027, 2, 28)),
        Period(date(2027, 1, 1), date(2027, 12, 31)),
    ]
    clock.set(datetime(2027, 3, 3, 0, 5))  # Paris: 2 March ended 5 minutes ago
    live = _boards(periods)
    assert rollup.roll_due() == 15  # 15 February (the first order) … 1 March
    clock.set(datetime(2027, 3, 3, 0, 15))  # 2 March is over for more than GRACE
    assert rollup.roll_due() == 1 and rollup.roll_due() == 0  # written once
    assert session().scalar(select(func.count()).select_from(DayOrderFacts)) > 0
    assert session().scalar(select(func.count()).select_from(DayLineFacts)) > 0
    assert rollup.split(MARCH) == (
        Period(date(2027, 3, 1), date(2027, 3, 2)),
        Period(date(2027, 3, 3), date(2027, 3, 31)),
    )
    with count_queries() as statements:
        rolled = _boards(periods)
    assert statements() <= figures.STATEMENTS * len(rolled)
    for key, board in rolled.items():
        assert board == live[key], key

    # A day not yet rolled: its order is read from the orders, beside the rolled days.
    clock.set(datetime(2027, 3, 3, 11, 0))
    today = place(world["a3"], [(world["park"], 1, None)], channel="phone")
    pay_card(today, held=True)
    for region in (None, BRETAGNE):
        board = figures.dashboard(Filters(MARCH, region))
        _assert_reconciles(board, _expected(MARCH, region))
    assert figures.dashboard(Filters(MARCH)).paid_orders == 4


def test_r_rep_1_a_day_is_rolled_once_it_is_over(ctx, clock):
    from reports import rollup

    # 29 March 2027, the spring clock change: the Paris day ends at 22:00 UTC.
    assert rollup.last_closed_day(datetime(2027, 3, 29, 22, 9)) == date(2027, 3, 28)
    assert rollup.last_closed_day(datetime(2027, 3, 29, 22, 10)) == date(2027, 3, 29)
    assert rollup.last_closed_day(datetime(2027, 12, 31, 23, 10)) == date(2027, 12, 31)
    from reports.models import RollupState

    session().execute(delete(RollupState))  # a missing state row is made again
    clock.set(datetime(2027, 3, 3, 12, 0))
    assert rollup.roll_due() == 1  # no order yet: yesterday written empty, the watermark
    assert rollup.roll_due() == 0
    assert rollup.split(MARCH)[0] == Period(date(2027, 3, 1), date(2027, 3, 2))
