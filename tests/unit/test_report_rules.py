"""R-REP-1 edges (docs/RULES.md R-REP-1): the dashboard's period, the households' cap-use
buckets, the budget alert, Paris days, and the SVG charts' text alternatives."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from reports import charts
from reports.rules import (
    BAD_DATE,
    OUT_OF_YEARS,
    BudgetState,
    CapBucket,
    Period,
    cap_bucket,
    check_budget,
    child_born_on_or_after,
    consumed_cents,
    paris_day,
    parse_day,
    parse_hour_key,
    parse_period,
)

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("du", "au", "start", "end"),
    [
        ("", "", date(2026, 1, 1), date(2026, 12, 31)),  # default: the current year
        ("2026-03-01", "2026-03-31", date(2026, 3, 1), date(2026, 3, 31)),
        ("01/03/2026", "31/03/2026", date(2026, 3, 1), date(2026, 3, 31)),  # typed in French
        ("2026-03-01", "", date(2026, 3, 1), date(2026, 12, 31)),  # to the year's end
        ("", "2025-06-30", date(2025, 1, 1), date(2025, 6, 30)),  # from the year's start
        ("2026-05-05", "2026-05-05", date(2026, 5, 5), date(2026, 5, 5)),  # one day
        ("2025-01-01", "2026-12-31", date(2025, 1, 1), date(2026, 12, 31)),  # 730 days
        ("2024-01-01", "2025-12-31", date(2024, 1, 1), date(2025, 12, 31)),  # 731: the most
    ],
)
def test_r_rep_1_period_accepted(du, au, start, end):
    choice = parse_period(du, au, TODAY)
    assert choice.errors == {}
    assert (choice.period.start, choice.period.end) == (start, end)


@pytest.mark.parametrize(
    ("du", "au", "field", "message"),
    [
        ("2026-13-01", "", "du", BAD_DATE),
        ("hier", "", "du", BAD_DATE),
        ("", "31/02/2026", "au", BAD_DATE),
        ("1999-12-31", "", "du", OUT_OF_YEARS),  # before the years the store knows
        ("", "2101-01-01", "au", OUT_OF_YEARS),
        ("2026-03-02", "2026-03-01", "au", "La date de fin doit suivre la date de début."),
        ("2024-01-01", "2026-01-01", "au", "La période ne peut pas dépasser deux ans (731 jours)."),
        ("x" * 5000, "", "du", BAD_DATE),
    ],
)
def test_r_rep_1_period_refused_beside_its_field(du, au, field, message):
    choice = parse_period(du, au, TODAY)
    assert choice.errors[field] == message
    # The page still shows figures meanwhile: the current year.
    assert choice.period == Period(date(2026, 1, 1), date(2026, 12, 31))


def test_r_rep_1_period_bounds_are_paris_midnights():
    # Winter (UTC+1) and summer (UTC+2); the day the clocks go forward has 23 hours.
    assert Period(date(2026, 1, 1), date(2026, 1, 1)).utc_bounds() == (
        datetime(2025, 12, 31, 23, 0),
        datetime(2026, 1, 1, 23, 0),
    )
    lo, hi = Period(date(2026, 3, 29), date(2026, 3, 29)).utc_bounds()
    assert (lo, hi) == (datetime(2026, 3, 28, 23, 0), datetime(2026, 3, 29, 22, 0))
    assert Period(date(2026, 1, 1), date(2026, 12, 31)).year == 2026
    assert Period(date(2025, 12, 1), date(2026, 1, 31)).year is None


def test_r_rep_1_hours_fold_into_paris_days():
    assert paris_day(parse_hour_key("2026-03-01 22")) == date(2026, 3, 1)  # 23 h Paris
    assert paris_day(parse_hour_key("2026-03-01 23")) == date(2026, 3, 2)  # midnight Paris
    assert paris_day(parse_hour_key("2026-07-01 21")) == date(2026, 7, 1)  # 23 h in summer
    assert paris_day(parse_hour_key("2026-07-01 22")) == date(2026, 7, 2)
    assert parse_day("2026-02-29") is None and parse_day("2028-02-29") == date(2028, 2, 29)


CAP = 50_000  # 500 €


@pytest.mark.parametrize(
    ("used", "bucket"),
    [
        (0, CapBucket.NONE),
        (-5, CapBucket.NONE),
        (1, CapBucket.LOW),  # one cent used is no longer 0 %
        (24_999, CapBucket.LOW),  # 49,998 %
        (25_000, CapBucket.MID),  # exactly 50 %
        (44_999, CapBucket.MID),  # 89,998 %
        (45_000, CapBucket.HIGH),  # exactly 90 %
        (50_000, CapBucket.HIGH),  # the whole cap
    ],
)
def test_r_rep_1_cap_bucket_edges(used, bucket):
    assert cap_bucket(used, CAP) == bucket


def test_r_rep_1_child_counts_until_the_year_of_21():
    # R-DOS-6: under 21 on 31 December: born in 2006 counts in 2026, born in 2005 not.
    assert child_born_on_or_after(2026) == date(2006, 1, 1)


@pytest.mark.parametrize(
    ("budget", "percent", "consumed", "alert", "over", "shown"),
    [
        (100_000, 80, 79_999, False, False, 79),
        (100_000, 80, 80_000, True, False, 80),  # reached: the alert is on
        (100_000, 80, 100_000, True, False, 100),
        (100_000, 80, 100_001, True, True, 100),
        (100_000, 100, 99_999, False, False, 99),
        (100_000, 1, 1_000, True, False, 1),
        (100_000, 80, -500, False, False, 0),  # more refunded than committed and paid
    ],
)
def test_r_rep_1_budget_alert_threshold(budget, percent, consumed, alert, over, shown):
    state = BudgetState(budget, percent, consumed)
    assert state.alert is alert
    assert state.over is over
    assert state.percent == shown
    assert state.remaining_cents == budget - consumed


def test_r_rep_1_consumed_is_committed_plus_paid_minus_refunded():
    assert consumed_cents(committed=1_000, paid=5_000, refunded=1_500) == 4_500


@pytest.mark.parametrize(
    ("amount", "percent", "fields"),
    [
        (1, 80, set()),
        (None, 80, {"amount"}),
        (0, 80, {"amount"}),
        (10**13 + 1, 80, {"amount"}),
        (100, 0, {"alert_percent"}),
        (100, 101, {"alert_percent"}),
        (100, None, {"alert_percent"}),
        (100, 100, set()),
    ],
)
def test_r_rep_1_budget_form_rules(amount, percent, fields):
    assert set(check_budget(amount, percent)) == fields


def test_r_rep_1_charts_are_described_and_escaped():
    bars = [charts.Bar("Spectacles <b>", 1_000, "10,00 €"), charts.Bar("Parcs", 0, "0,00 €")]
    svg = charts.hbar_chart("g", "Montant par catégorie", bars)
    assert 'role="img"' in svg and 'aria-labelledby="g-titre g-desc"' in svg
    assert '<title id="g-titre">Montant par catégorie</title>' in svg
    assert "Spectacles &lt;b&gt; : 10,00 €" in svg  # the text alternative names each value
    assert "<b>" not in svg
    assert svg.count(">10,00 €</text>") == 1 and svg.count(">0,00 €</text>") == 1
    assert "style=" not in svg  # the pages' CSP forbids inline styles


def test_r_rep_1_chart_bar_widths():
    assert charts.bar_width(0, 100, 300) == 0
    assert charts.bar_width(1, 1_000_000, 300) == 1  # a small value still shows
    assert charts.bar_width(100, 100, 300) == 300
    assert charts.bar_width(50, 100, 300) == 150


def test_r_rep_1_budget_gauge_tells_parts_apart_without_colour():
    svg = charts.budget_gauge(
        "b",
        budget_cents=100_000,
        paid_net_cents=50_000,
        committed_cents=10_000,
        alert_percent=80,
        texts={
            "budget": "1 000,00 €",
            "paid": "500,00 €",
            "committed": "100,00 €",
            "consumed": "600,00 €",
            "percent": "60 %",
        },
    )
    assert "<pattern" in svg and "Engagé (hachuré) 100,00 €" in svg
    assert "Payé net 500,00 €" in svg and "Seuil 80 %" in svg
    assert "soit 600,00 € consommés (60 %)" in svg
    empty = charts.hbar_chart("e", "Rien", [])
    assert "Aucune donnée sur la période." in empty


def test_r_rep_1_long_tables_sum_the_rest_in_one_row_on_the_page():
    from reports.figures import Dashboard, Filters, LineRow
    from reports.tables import BY_KEY

    board = Dashboard(Filters(Period(date(2026, 1, 1), date(2026, 12, 31))))
    board.by_offer = [LineRow(str(i), f"Offre {i}", 1, 2, 1_000 + i, 100) for i in range(45)]
    table = BY_KEY["offres"]
    page = table.page_body(board)
    assert len(page) == 40 and page[-1][0] == "Autres (6, dans les téléchargements)"
    assert table.total_row(page) == table.total_row(table.body(board))  # same total
    assert len(table.all_rows(board)) == 46  # the download: every offer and the total
