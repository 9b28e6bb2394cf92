"""Reconciliation of the finance reports and exports (R-REP-2, R-REP-3; docs/RULES.md
R-REP-2a…e, R-REP-3a…c): on orders made by the store's own services (tests/finance_world.py),
every total of every finance page and export equals the sum over the orders, payments and
refunds it covers, to the cent, recomputed here from the rows themselves; the journal
balances; the settlement is prix négocié × quantity paid minus refunded."""

from __future__ import annotations

import csv
import io
import tracemalloc
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from orders.models import Order, OrderLine, Payment
from reports import finance, journal, ledger
from reports.periods import PARIS, Month
from shop.db import session
from tests.finance_world import APRIL, MARCH, World, build


def paris_day(value: datetime) -> date:
    return value.replace(tzinfo=UTC).astimezone(PARIS).date()


@pytest.fixture
def world(ctx, make_agent, make_offer, make_partner, clock) -> World:
    return build(make_agent, make_offer, clock, make_partner)


def all_payments() -> list[Payment]:
    return list(session().scalars(select(Payment).order_by(Payment.id)))


def in_period(day: date, period: tuple[date, date]) -> bool:
    return period[0] <= day <= period[1]


def money_in(p: Payment) -> bool:
    return p.kind == "payment" and p.status in ("received", "captured")


def money_day(p: Payment) -> date:
    return paris_day(p.captured_at or p.created_at)


ACCOUNTS = journal.accounts_from(None)


def export(kind: str, period: tuple[date, date]) -> list[list[Any]]:
    return list(ledger.export_kinds(ACCOUNTS, "LOI")[kind].rows(*period))


# -- card payments -----------------------------------------------------------------------------


@pytest.mark.parametrize("period", [MARCH, APRIL], ids=["march", "april"])
def test_r_rep_2a_card_payments_by_day_and_batch_equal_the_payments(world, period):
    expected: dict[date, int] = defaultdict(int)
    batches: dict[tuple[date, str], int] = defaultdict(int)
    for p in all_payments():
        if money_in(p) and p.method in ("card", "demo") and in_period(money_day(p), period):
            expected[money_day(p)] += p.amount_cents
            batches[(money_day(p), "evening" if p.captured_at else "immediate")] += p.amount_cents
    by_day = finance.card_payments_by_day(*period)
    assert {r.day: r.amount_cents for r in by_day} == dict(expected)
    by_batch = finance.card_payments_by_batch(*period)
    assert {(r.day, r.batch): r.amount_cents for r in by_batch} == dict(batches)
    # And to the orders: the card orders paid with money in that period.
    o = world.orders
    if period == MARCH:
        orders_total = sum(o[n].total_cents for n in ("web1", "web2", "phone"))
        assert (date(2027, 3, 2), "evening") in batches  # the phone order's capture
    else:
        orders_total = o["midnight"].total_cents
    assert sum(r.amount_cents for r in by_day) == orders_total
    assert sum(r.amount_cents for r in by_batch) == orders_total


def test_r_rep_2a_a_payment_half_an_hour_after_midnight_paris_is_the_new_day(world):
    """Paid on 1 April at 00:30 in Paris, 31 March at 22:30 UTC: an April payment."""
    payment = session().scalar(
        select(Payment).where(Payment.order_id == world.orders["midnight"].id)
    )
    assert payment.created_at.day == 31 and payment.created_at.month == 3  # UTC
    april = finance.card_payments_by_day(*APRIL)
    assert [(r.day, r.count) for r in april] == [(date(2027, 4, 1), 1)]
    march = finance.card_payments_by_day(*MARCH)
    assert date(2027, 3, 31) not in {r.day for r in march}


def test_r_rep_2a_held_payments_wait_for_the_batch(world, clock):
    """A held phone payment is not money before its capture."""
    assert finance.card_awaiting_capture() == finance.Pending(0, 0)


# -- cheques -----------------------------------------------------------------------------------


def test_r_rep_2b_cheque_days_and_the_remittance_slip_equal_the_cheques(world):
    o = world.orders
    cashed = [p for p in all_payments() if money_in(p) and p.method == "cheque"]
    days = finance.cheque_days(*MARCH)
    assert [(d.day, d.count, d.amount_cents) for d in days] == [
        (date(2027, 3, 3), 2, sum(p.amount_cents for p in cashed))
    ]
    slip = finance.cheques_cashed(date(2027, 3, 3))
    assert [c.cheque_number for c in slip] == ["CHQ-1", "CHQ-2"]
    assert [c.order_number for c in slip] == [o["chq1"].number, o["chq2"].number]
    assert sum(c.amount_cents for c in slip) == o["chq1"].total_cents + o["chq2"].total_cents
    assert slip[0].drawer == o["chq1"].holder_name
    # The expired option's cheque never came: on no slip.
    assert finance.cheques_cashed(date(2027, 3, 10)) == []


# -- refunds -----------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [MARCH, APRIL], ids=["march", "april"])
def test_r_rep_2b_refunds_by_day_equal_the_refunds(world, period):
    expected: dict[tuple[date, str, bool], int] = defaultdict(int)
    for p in all_payments():
        if p.kind == "refund" and in_period(paris_day(p.created_at), period):
            expected[(paris_day(p.created_at), p.method, p.status == "refunded")] += p.amount_cents
    rows = finance.refunds_by_day(*period)
    assert {(r.day, r.method, r.made): r.amount_cents for r in rows} == dict(expected)
    assert expected  # each month has its refund


def test_r_rep_2b_transfers_to_make_total_equals_the_list(world):
    rows, total = finance.transfers_to_make()
    assert [r.order.number for r in rows] == [world.orders["chq2"].number]
    assert total.amount_cents == sum(r.payment.amount_cents for r in rows)
    assert total.count == len(rows) == 1


# -- settlement --------------------------------------------------------------------------------


def expected_settlement(partner_id: int, period: tuple[date, date]) -> dict[str, int]:
    """Recomputed from the lines: sold = order paid in the period; refunded = line refunded
    in the period."""
    sold = refunded = sold_part = refunded_part = sold_paid = refunded_paid = 0
    for line, order in session().execute(
        select(OrderLine, Order).join(Order).where(OrderLine.partner_id == partner_id)
    ):
        if order.paid_at and in_period(paris_day(order.paid_at), period):
            sold += line.quantity * line.unit_negotiated_cents
            sold_part += line.participation_cents
            sold_paid += line.amount_cents
        if line.refunded_at and in_period(paris_day(line.refunded_at), period):
            refunded += line.quantity * line.unit_negotiated_cents
            refunded_part += line.participation_cents
            refunded_paid += line.amount_cents
    return {
        "due": sold - refunded,
        "participation": sold_part - refunded_part,
        "agents": sold_paid - refunded_paid,
    }


def test_r_rep_2c_settlement_is_negotiated_price_times_paid_minus_refunded(world):
    march_alpha = finance.settlement(world.alpha, Month(2027, 3))
    # Sold in March: 2 + 1 + 1 + 1 + 1 Parc at 40 €; refunded in March: CHQ-2's Parc.
    assert march_alpha.sold_quantity == 6 and march_alpha.refunded_quantity == 1
    assert march_alpha.due_cents == 6 * 4000 - 4000
    march_beta = finance.settlement(world.beta, Month(2027, 3))
    # Agent 2's E-carte sold and refunded in March; the expired option never sold.
    assert (march_beta.sold_quantity, march_beta.refunded_quantity) == (1, 1)
    assert march_beta.due_cents == 0
    # The refund of 2 April comes off April's statement, March's is unchanged.
    april_alpha = finance.settlement(world.alpha, Month(2027, 4))
    assert april_alpha.sold_quantity == 0 and april_alpha.refunded_quantity == 2
    assert april_alpha.due_cents == -2 * 4000
    april_beta = finance.settlement(world.beta, Month(2027, 4))
    assert april_beta.due_cents == 5000
    for partner in (world.alpha, world.beta):
        for period, month in ((MARCH, Month(2027, 3)), (APRIL, Month(2027, 4))):
            got = finance.settlement(partner, month)
            want = expected_settlement(partner, period)
            assert (got.due_cents, got.participation_cents, got.agents_cents) == (
                want["due"],
                want["participation"],
                want["agents"],
            )
    listed = {s.partner_id: s.due_cents for s in finance.settlements(Month(2027, 3))}
    assert listed == {world.alpha: march_alpha.due_cents, world.beta: 0}


def test_r_rep_2c_a_partial_refund_deducts_only_its_line(world):
    web2 = world.orders["web2"]
    march = finance.settlement(world.alpha, Month(2027, 3))
    parc_line = next(line for line in march.lines if line.offer_id == world.parc)
    assert parc_line.refunded_quantity == 1  # CHQ-2's, not web2's Parc which stays paid
    assert web2.status == "partially_refunded"


# -- exports -----------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [MARCH, APRIL], ids=["march", "april"])
def test_r_rep_3a_every_export_total_equals_its_sources(world, period):
    payments = all_payments()
    paid_in = [p for p in payments if money_in(p) and in_period(money_day(p), period)]
    refunds = [
        p for p in payments if p.kind == "refund" and in_period(paris_day(p.created_at), period)
    ]
    rows = export("payments", period)
    assert sum(r[9] for r in rows) == sum(p.amount_cents for p in paid_in)
    assert sorted(r[0] for r in rows) == sorted(p.id for p in paid_in)
    rows = export("refunds", period)
    assert sum(r[7] for r in rows) == sum(p.amount_cents for p in refunds)
    assert len(rows) == len(refunds)
    sold_lines = [
        (line, order)
        for line, order in session().execute(select(OrderLine, Order).join(Order))
        if order.paid_at and in_period(paris_day(order.paid_at), period)
    ]
    rows = export("sales", period)
    assert len(rows) == len(sold_lines)
    assert sum(r[12] for r in rows) == sum(
        ln.quantity * ln.unit_negotiated_cents for ln, _ in sold_lines
    )
    assert sum(r[13] for r in rows) == sum(ln.participation_cents for ln, _ in sold_lines)
    assert sum(r[14] for r in rows) == sum(ln.amount_cents for ln, _ in sold_lines)
    want = {p: expected_settlement(p, period) for p in (world.alpha, world.beta)}
    rows = export("settlement", period)
    assert sum(r[6] for r in rows) == sum(w["due"] for w in want.values())
    assert sum(r[7] for r in rows) == sum(w["participation"] for w in want.values())
    assert sum(r[8] for r in rows) == sum(w["agents"] for w in want.values())
    rows = export("participation", period)
    assert sum(r[7] for r in rows) == sum(w["participation"] for w in want.values())
    # Tied to the orders themselves: what was paid in the period, order by order.
    paid_orders = [
        o
        for o in session().scalars(select(Order))
        if o.paid_at and in_period(paris_day(o.paid_at), period)
    ]
    assert sum(r[7] for r in rows if r[7] > 0) == sum(o.participation_cents for o in paid_orders)
    sales = export("sales", period)
    assert sum(r[14] for r in sales) == sum(o.goods_cents for o in paid_orders)
    assert sum(r[14] for r in sales) + sum(o.fees_cents for o in paid_orders) == sum(
        o.total_cents for o in paid_orders
    )


@pytest.mark.parametrize("period", [MARCH, APRIL], ids=["march", "april"])
def test_r_rep_3b_the_journal_balances_entry_by_entry(world, period):
    rows = export("journal", period)
    by_piece: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for _code, _day, piece, _account, _label, debit, credit in rows:
        by_piece[piece][0] += debit
        by_piece[piece][1] += credit
    assert all(d == c and d > 0 for d, c in by_piece.values())
    assert sum(r[5] for r in rows) == sum(r[6] for r in rows)
    payments = [p for p in all_payments() if money_in(p) and in_period(money_day(p), period)]
    refunds = [
        p
        for p in all_payments()
        if p.kind == "refund" and in_period(paris_day(p.created_at), period)
    ]
    # One entry per payment, per refund and per participation movement.
    moves = export("participation", period)
    assert len(by_piece) == len(payments) + len(refunds) + len(moves)
    bank_in = sum(r[5] for r in rows if r[3] in (ACCOUNTS["card"], ACCOUNTS["cheque"]))
    assert bank_in == sum(p.amount_cents for p in payments)
    participation = sum(r[5] - r[6] for r in rows if r[3] == ACCOUNTS["participation"])
    assert participation == sum(r[7] for r in moves)


def test_r_rep_3b_journal_accounts_come_from_the_settings(world, app):
    accounts = journal.accounts_from({**app.config["REPORT_ACCOUNTS"], "card": "512777"})
    rows = list(ledger.journal_rows(*MARCH, accounts, "VTE"))
    assert {r[0] for r in rows} == {"VTE"}
    assert "512777" in {r[3] for r in rows}
    assert ACCOUNTS["card"] not in {r[3] for r in rows}


@pytest.mark.parametrize("kind", ledger.KINDS)
def test_r_rep_3a_downloads_are_csv_with_bom_and_xlsx_in_euros(world, kind):
    spec = ledger.export_kinds(ACCOUNTS, "LOI")[kind]
    rows = list(spec.rows(*MARCH))
    made = ledger.download(kind, *MARCH, "csv", ACCOUNTS, "LOI")
    body = b"".join(made.chunks).decode("utf-8")
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert table[0] == spec.header and len(table) == len(rows) + 1
    for index in spec.money:
        cents = sum(int(Decimal(r[index].replace(",", ".")) * 100) for r in table[1:])
        assert cents == sum(r[index] for r in rows)
    made = ledger.download(kind, *MARCH, "xlsx", ACCOUNTS, "LOI")
    book = load_workbook(io.BytesIO(b"".join(made.chunks)), read_only=True)
    sheet = list(book.active.iter_rows(values_only=True))
    assert list(sheet[0]) == spec.header and len(sheet) == len(rows) + 1
    for index in spec.money:
        total = sum(Decimal(str(r[index])) for r in sheet[1:])
        assert total * 100 == sum(r[index] for r in rows)


# -- constant memory ---------------------------------------------------------------------------


def test_r_rep_3c_an_export_reads_by_batches(world, count_queries, monkeypatch):
    """Statements grow with the number of batches, not of rows: with batches of 2 rows,
    the 5 March payments take 3 statements."""
    monkeypatch.setattr(ledger.keyset, "__defaults__", (2,))
    with count_queries() as n:
        rows = export("payments", MARCH)
    assert len(rows) == 5
    assert n() == 3


def _more_payments(order_id: int, count: int) -> None:
    at = datetime(2027, 3, 20, 12, 0)
    session().execute(
        insert(Payment),
        [
            {
                "order_id": order_id,
                "method": "card",
                "kind": "payment",
                "amount_cents": 1234,
                "created_at": at,
                "status": "received",
                "details": {"note": "x" * 40},
            }
            for _ in range(count)
        ],
    )


def _peak_of_export() -> int:
    made = ledger.download("payments", *MARCH, "csv", ACCOUNTS, "LOI")
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in made.chunks)
        _, top = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > 0
    return top


def test_r_rep_3c_memory_does_not_grow_with_the_rows(world, monkeypatch):
    """R-REP-3c: the peak memory of a CSV export of 2 000 payments is that of 100 (batches
    of 50 here, so that few rows show it): rows are streamed, never gathered in a list."""
    monkeypatch.setattr(ledger.keyset, "__defaults__", (50,))
    order_id = world.orders["web1"].id
    _more_payments(order_id, 100)
    _peak_of_export()  # warm the statement caches
    small = _peak_of_export()
    _more_payments(order_id, 1900)
    big = _peak_of_export()
    assert big < small * 1.5, (small, big)
