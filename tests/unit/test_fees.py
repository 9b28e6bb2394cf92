"""Delivery fee tiers at their edges (R-FEE-1…5)."""

from __future__ import annotations

import pytest

from orders.fees import FeeRefusal, Group, card_fee, culture_fee, magazine_fee, ticket_fee


@pytest.mark.parametrize(
    ("option", "cents"),
    [(None, 200), ("lettre_verte", 200), ("suivi", 350), ("recommande", 700), ("bogus", 200)],
)
def test_r_fee_1_paper_tickets_2_euros_plus_supplement(option, cents):
    assert ticket_fee(option).cents == cents


@pytest.mark.parametrize(
    ("amount", "option", "cents", "chosen"),
    [
        (15_300, None, 200, "lettre_verte"),  # 153.00 €: lettre verte by default
        (15_300, "r2", 400, "r2"),  # or R2 at the agent's choice
        (15_301, None, 600, "r3"),  # 153.01 €: R3, no choice
        (15_301, "lettre_verte", 600, "r3"),
        (45_800, None, 600, "r3"),  # 458.00 €
        (45_801, None, 1000, "valeur_declaree"),  # 458.01 €
        (500_000, None, 1000, "valeur_declaree"),  # 5 000.00 €
    ],
)
def test_r_fee_2_card_tiers(amount, option, cents, chosen):
    fee = card_fee(amount, option)
    assert (fee.cents, fee.chosen) == (cents, chosen)


def test_r_fee_2_only_the_first_tier_offers_a_choice():
    assert card_fee(15_300, None).options == ("lettre_verte", "r2")
    assert card_fee(15_301, None).options == ()


def test_r_fee_2_above_5000_euros_is_refused():
    refusal = card_fee(500_001, None)
    assert isinstance(refusal, FeeRefusal)
    assert refusal.rule == "R-FEE-2"
    assert "scindez votre commande" in refusal.message


def test_r_fee_3_and_4_flat_fees():
    assert magazine_fee().cents == 200 and magazine_fee().group == Group.MAGAZINES
    assert culture_fee().cents == 400 and culture_fee().group == Group.CHEQUES_CULTURE
