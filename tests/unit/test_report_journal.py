"""The accounting journal and the report periods, as pure rules (R-REP-3b, R-REP-2a;
docs/RULES.md)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from reports import journal
from reports.periods import (
    Month,
    PeriodError,
    bounds_utc,
    check_period,
    day_start_utc,
    parse_day,
    parse_month,
)
from reports.rules import paris_day
from shop.config import load_config

ACCOUNTS = journal.accounts_from(None)


@pytest.mark.parametrize(
    ("kind", "method", "debit", "credit"),
    [
        ("payment", "card", "card", "agents"),
        ("payment", "demo", "card", "agents"),
        ("payment", "cheque", "cheque", "agents"),
        ("refund", "card", "agents", "card"),
        ("refund", "transfer", "agents", "transfer"),
        ("participation", "", "participation", "agents"),
        ("participation_return", "", "agents", "participation"),
    ],
)
def test_r_rep_3b_each_movement_is_one_balanced_entry(kind, method, debit, credit):
    m = journal.Movement(kind, date(2027, 3, 1), "P1", "C2027-000001", 12345, method)
    entry = journal.entry_for(m, ACCOUNTS)
    assert entry.balanced and entry.debit_cents == entry.credit_cents == 12345
    (d, c) = entry.lines
    assert (d.account, d.debit_cents, d.credit_cents) == (ACCOUNTS[debit], 12345, 0)
    assert (c.account, c.debit_cents, c.credit_cents) == (ACCOUNTS[credit], 0, 12345)
    assert "C2027-000001" in d.label


def test_r_rep_3b_a_journal_of_many_movements_balances_overall():
    moves = [
        journal.Movement("payment", date(2027, 3, 1), f"P{i}", "X", i * 101, "card")
        for i in range(1, 50)
    ] + [journal.Movement("participation_return", date(2027, 3, 2), "L1", "X", 1, "")]
    entries = list(journal.entries(moves, ACCOUNTS))
    assert len(entries) == len(moves)
    assert sum(e.debit_cents for e in entries) == sum(e.credit_cents for e in entries)


def test_r_rep_3b_accounts_come_from_the_settings_one_by_one(monkeypatch):
    monkeypatch.setenv("REPORT_ACCOUNT_CARD", "512300")
    monkeypatch.setenv("REPORT_ACCOUNT_AGENTS", "")
    config = load_config({"SECRET_KEY": "x"})
    accounts = journal.accounts_from(config["REPORT_ACCOUNTS"])
    assert accounts["card"] == "512300"
    assert accounts["agents"] == journal.DEFAULT_ACCOUNTS["agents"]  # empty keeps the default
    m = journal.Movement("payment", date(2027, 3, 1), "P1", "X", 100, "card")
    assert journal.entry_for(m, accounts).lines[0].account == "512300"


def test_r_rep_3b_settings_defaults_are_the_journal_defaults(monkeypatch):
    for name in journal.DEFAULT_ACCOUNTS:
        monkeypatch.delenv(f"REPORT_ACCOUNT_{name.upper()}", raising=False)
    assert load_config({"SECRET_KEY": "x"})["REPORT_ACCOUNTS"] == journal.DEFAULT_ACCOUNTS


@pytest.mark.parametrize(
    "movement",
    [
        journal.Movement("gift", date(2027, 3, 1), "P1", "X", 1, "card"),
        journal.Movement("payment", date(2027, 3, 1), "P1", "X", 1, "bitcoin"),
        journal.Movement("payment", date(2027, 3, 1), "P1", "X", -1, "card"),
    ],
)
def test_r_rep_3b_what_cannot_be_booked_is_refused(movement):
    with pytest.raises(journal.JournalError):
        journal.entry_for(movement, ACCOUNTS)


def test_r_rep_3b_an_unknown_account_name_is_refused():
    with pytest.raises(journal.JournalError, match="Compte inconnu"):
        journal.accounts_from({"cash": "530000"})


# -- Paris days ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc", "day"),
    [
        (datetime(2027, 3, 31, 21, 59), date(2027, 3, 31)),  # 23:59 in Paris (summer time)
        (datetime(2027, 3, 31, 22, 0), date(2027, 4, 1)),  # midnight in Paris
        (datetime(2027, 1, 31, 22, 59), date(2027, 1, 31)),  # 23:59 in winter
        (datetime(2027, 1, 31, 23, 0), date(2027, 2, 1)),
        (datetime(2027, 12, 31, 23, 30), date(2028, 1, 1)),  # a new year in Paris first
    ],
)
def test_r_rep_2a_a_payment_belongs_to_its_paris_day(utc, day):
    assert paris_day(utc) == day
    start, end = bounds_utc(day, day)
    assert start <= utc < end


def test_r_rep_2a_days_of_the_summer_time_change_last_23_and_25_hours():
    short = date(2027, 3, 28)
    long = date(2027, 10, 31)
    assert (bounds_utc(short, short)[1] - bounds_utc(short, short)[0]).total_seconds() == 23 * 3600
    assert (bounds_utc(long, long)[1] - bounds_utc(long, long)[0]).total_seconds() == 25 * 3600
    assert day_start_utc(date(2027, 4, 1)) == datetime(2027, 3, 31, 22, 0)


def test_r_rep_2_months_know_their_last_day():
    assert Month(2027, 2).last == date(2027, 2, 28)
    assert Month(2028, 2).last == date(2028, 2, 29)
    assert Month(2027, 12).last == date(2027, 12, 31)
    assert Month.of(date(2027, 4, 30)).key == "2027-04"


@pytest.mark.parametrize("text", ["", "2027-3-1", "01/03/2027", "2027-02-30", "abc", "2027-13-01"])
def test_r_rep_3_a_bad_day_is_a_french_error(text):
    with pytest.raises(PeriodError) as info:
        parse_day(text)
    assert "Date" in info.value.message


@pytest.mark.parametrize("text", ["", "2027-13", "2027-00", "mars", "2027-3"])
def test_r_rep_3_a_bad_month_is_a_french_error(text):
    with pytest.raises(PeriodError) as info:
        parse_month(text)
    assert "Mois" in info.value.message


def test_r_rep_3_days_and_months_stay_within_the_stores_years():
    """2000 to 2100: past 9999-12-31 a day's UTC bounds cannot be computed (it was a 500)."""
    assert parse_day("2000-01-01") == date(2000, 1, 1)
    assert parse_month("2100-12").last == date(2100, 12, 31)
    for day in ("1999-12-31", "2101-01-01", "9999-12-31", "0001-01-01"):
        with pytest.raises(PeriodError, match="de 2000 à 2100"):
            parse_day(day)
    for month in ("1999-12", "2101-01", "9999-12", "0000-01"):
        with pytest.raises(PeriodError, match="de 2000 à 2100"):
            parse_month(month)


def test_r_rep_3_a_period_runs_forward_and_is_at_most_a_year():
    check_period(date(2027, 1, 1), date(2027, 12, 31))
    with pytest.raises(PeriodError, match="précède"):
        check_period(date(2027, 3, 2), date(2027, 3, 1))
    with pytest.raises(PeriodError, match="trop longue"):
        check_period(date(2027, 1, 1), date(2028, 1, 2))
