"""Pure rules of rights, children and quotient familial (R-DOS-2, R-DOS-3, R-DOS-5, R-DOS-6)."""

from __future__ import annotations

from datetime import date

import pytest

from members.rights import (
    Household,
    count_children,
    counts_as_child,
    evaluate_rights,
    fiscal_parts,
    quotient_familial_cents,
    rights_end,
)


@pytest.mark.parametrize(
    ("today", "can_order"),
    [
        (date(2026, 1, 1), True),
        (date(2027, 10, 31), True),  # last day of rights
        (date(2027, 11, 1), False),  # the day after
    ],
)
def test_r_dos_2_dossier_year_opens_rights_until_31_october_next_year(today, can_order):
    rights = evaluate_rights("actif", 2026, today)
    assert rights.can_login
    assert rights.can_order is can_order
    assert rights_end(2026) == date(2027, 10, 31)


def test_r_dos_2_expired_rights_say_what_to_do():
    rights = evaluate_rights("actif", 2025, date(2026, 11, 1))
    assert not rights.can_order
    assert "constituez votre dossier C.G.O.S 2026" in rights.reason


def test_r_dos_2_disponibilite_suspends_even_with_a_current_dossier():
    rights = evaluate_rights("disponibilite", 2026, date(2026, 6, 1))
    assert rights.can_login and not rights.can_order
    assert "disponibilité" in rights.reason


def test_r_dos_2_retraite_keeps_rights():
    assert evaluate_rights("retraite", 2026, date(2026, 6, 1)).can_order


def test_r_dos_2_pm_cannot_log_in():
    rights = evaluate_rights("pm", 2026, date(2026, 6, 1))
    assert not rights.can_login and not rights.can_order
    assert "portail" in rights.reason


def test_r_dos_3_no_dossier_no_order():
    rights = evaluate_rights("actif", None, date(2026, 6, 1))
    assert rights.can_login and not rights.can_order
    assert "constituez votre dossier C.G.O.S" in rights.reason


@pytest.mark.parametrize(
    ("birth", "counts"),
    [
        (date(2006, 12, 31), True),  # 20 on 31 Dec 2026
        (date(2006, 1, 1), True),  # 20 on 31 Dec 2026
        (date(2005, 12, 31), False),  # 21 on 31 Dec 2026
        (date(2026, 12, 31), True),  # born that day
    ],
)
def test_r_dos_6_child_under_21_on_31_december(birth, counts):
    assert counts_as_child(birth, 2026) is counts


def test_r_dos_6_whatever_the_fiscal_status():
    # The count takes birth dates only: fiscal status never excludes a child.
    births = [date(2016, 5, 1), date(2006, 7, 1), date(2005, 7, 1)]
    assert count_children(births, 2026) == 2


def test_r_dos_5_worked_example_696():
    # RFR 36 000 €, allowances 132 €/month, agent + non-hospital spouse + 2 children.
    h = Household(hospital_agents=1, other_dependants=3)
    assert fiscal_parts(h) == 4.5
    assert quotient_familial_cents(3_600_000, 13_200, h) == 69_600


def test_r_dos_5_single_parent_counts_2_parts():
    h = Household(hospital_agents=1, single_parent=True, other_dependants=1)
    assert fiscal_parts(h) == 3
    # (24 000 / 12 + 0) / 3 = 666.666… → 666.67
    assert quotient_familial_cents(2_400_000, 0, h) == 66_667


def test_r_dos_5_couple_of_agents():
    h = Household(hospital_agents=2, other_dependants=1)
    assert fiscal_parts(h) == 4
    # (50 000 / 12 + 100) / 4 = 1066.666… → 1066.67
    assert quotient_familial_cents(5_000_000, 10_000, h) == 106_667


def test_r_dos_5_rounds_half_up():
    h = Household(hospital_agents=1)  # 1.5 parts
    # 18.0075 € / 1.5 → choose RFR so monthly = 1.5 * 1000.005 = 1500.0075 €
    assert quotient_familial_cents(1_800_009, 0, h) == 100_001  # 1000.005 → 1000.01
