"""Money helpers: integer cents, half-up rounding, French formatting (RULES.md §12)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from shop.clock import format_date_fr, format_datetime_fr
from shop.money import MoneyError, format_eur, percent_of, to_cents


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        ("153.00", 15300),
        ("153,01", 15301),
        (458.0, 45800),
        ("0.005", 1),
        ("0.004", 0),
        ("5 000,00", 500000),
        (2, 200),
    ],
)
def test_to_cents_rounds_half_up(value, cents):
    assert to_cents(value) == cents


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", "1e400", "-1e13"])
def test_to_cents_refuses_non_amounts(value):
    with pytest.raises(MoneyError):
        to_cents(value)


def test_percent_of_rounds_half_up():
    assert percent_of(15000, 50) == 7500
    assert percent_of(999, 50) == 500  # 499.5 → 500
    assert percent_of(12345, 58) == 7160  # 7160.1


def test_amounts_are_written_the_french_way():
    assert format_eur(123450) == "1\u202f234,50\xa0€"
    assert format_eur(0) == "0,00\xa0€"
    assert format_eur(11000) == "110,00\xa0€"


def test_dates_are_written_the_french_way():
    assert format_date_fr(date(2026, 12, 12)) == "samedi 12 décembre 2026"
    # 19:30 UTC in winter is 20:30 in Paris.
    assert format_datetime_fr(datetime(2026, 12, 12, 19, 30)) == "samedi 12 décembre 2026 à 20:30"
    # The first of the month is « 1er »; the 11th, the 21st and the 31st are not.
    assert format_date_fr(date(2027, 3, 1)) == "lundi 1er mars 2027"
    assert format_date_fr(date(2027, 3, 11)) == "jeudi 11 mars 2027"
    assert format_date_fr(date(2027, 3, 21)) == "dimanche 21 mars 2027"
    assert format_datetime_fr(datetime(2027, 2, 28, 23, 30)) == "lundi 1er mars 2027 à 00:30"


def test_option_deadline_shown_as_its_last_day():
    from shop.clock import format_last_day_fr

    # Midnight (Paris) starting 1 December = end of 30 November; 23:00 UTC in winter.
    assert format_last_day_fr(datetime(2026, 11, 30, 23, 0)) == "lundi 30 novembre 2026 inclus"
