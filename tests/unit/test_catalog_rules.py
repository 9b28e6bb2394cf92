"""Catalog rules at their edges (R-CAT-2, R-CAT-3, R-CAT-4, R-CAT-6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from catalog.rules import (
    Delivery,
    availability,
    on_sale,
    open_session_deliveries,
    participation_cents,
    visible_to,
)
from catalog.text import (
    catalog_words,
    normalise,
    search_terms,
    search_words,
    stem,
    two_typos_away,
    typo_distance,
    typo_variants,
)

OPENS = datetime(2026, 12, 1, 9, 0)
CLOSES = datetime(2026, 12, 20, 18, 0)
ALL = frozenset({Delivery.E_BILLET, Delivery.COURRIER, Delivery.RETRAIT})


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (OPENS - timedelta(seconds=1), False),
        (OPENS, True),  # the opening instant is included
        (CLOSES - timedelta(seconds=1), True),
        (CLOSES, False),  # the closing instant is not
    ],
)
def test_r_cat_6_sales_window_edges(now, expected):
    assert on_sale(OPENS, CLOSES, now) is expected


def test_r_cat_6_open_ended_window():
    assert on_sale(None, None, datetime(2030, 1, 1))


def _modes(days_before: int, hours_before: float = 0):
    session_day = date(2027, 3, 20)
    starts_at = datetime(2027, 3, 20, 19, 30)
    today = session_day - timedelta(days=days_before)
    now = starts_at - timedelta(days=days_before, hours=hours_before)
    return open_session_deliveries(ALL, starts_at, now, today, session_day)


def test_r_cat_6_courrier_open_10_days_before():
    assert Delivery.COURRIER in _modes(10)


def test_r_cat_6_courrier_closed_9_days_before():
    modes = _modes(9)
    assert Delivery.COURRIER not in modes
    assert modes == [Delivery.E_BILLET, Delivery.RETRAIT]


def test_r_cat_6_e_billet_and_retrait_until_the_start():
    starts_at = datetime(2027, 3, 20, 19, 30)
    day = date(2027, 3, 20)
    one_minute_before = open_session_deliveries(
        ALL, starts_at, starts_at - timedelta(minutes=1), day, day
    )
    assert one_minute_before == [Delivery.E_BILLET, Delivery.RETRAIT]
    assert open_session_deliveries(ALL, starts_at, starts_at, day, day) == []


def test_r_cat_6_only_modes_the_offer_allows():
    starts_at = datetime(2027, 3, 20, 19, 30)
    modes = open_session_deliveries(
        frozenset({Delivery.COURRIER}),
        starts_at,
        datetime(2027, 1, 1),
        date(2027, 1, 1),
        date(2027, 3, 20),
    )
    assert modes == [Delivery.COURRIER]


def test_r_cat_4_regional_offers_only_for_their_region():
    assert visible_to(None, "Bretagne")
    assert visible_to("Bretagne", "Bretagne")
    assert not visible_to("Bretagne", "Rhône-Alpes")
    assert not visible_to("Bretagne", None)


@pytest.mark.parametrize(
    ("stock", "supply", "orderable", "label"),
    [
        (0, "en_stock", False, "Épuisé"),
        (1, "en_stock", True, "En stock"),
        (5, "en_cours", True, "En cours d'approvisionnement : expédié dès réception"),
        (0, "en_cours", False, "Épuisé"),
    ],
)
def test_r_cat_3_stock_states(stock, supply, orderable, label):
    result = availability(on_sale_now=True, not_yet_open=False, stock=stock, supply_state=supply)
    assert (result.orderable, result.label) == (orderable, label)


def test_r_cat_6_not_yet_open_and_closed_are_told_apart():
    kw = {"stock": 5, "supply_state": "en_stock"}
    assert availability(on_sale_now=False, not_yet_open=True, **kw).label == "Pas encore en vente"
    assert availability(on_sale_now=False, not_yet_open=False, **kw).label == "Vente terminée"


def test_r_cat_2_participation_is_negotiated_minus_cgos():
    assert participation_cents(4000, 2500) == 1500
    assert participation_cents(2500, 2500) == 0


def test_r_cat_5_search_text_ignores_accents_and_case():
    assert normalise("Théâtre des Célestins – Œdipe") == "theatre des celestins oedipe"
    assert search_words("  l'Opéra  de LYON ") == ["opera", "lyon"]  # « de » is a stop word


@pytest.mark.parametrize(
    ("word", "root"),
    [("magazines", "magazine"), ("concerts", "concert"), ("parcs", "parc"), ("jeux", "jeux")],
)
def test_r_cat_5_a_plural_is_searched_by_its_singular(word, root):
    assert stem(word) == root


def test_r_cat_5_one_typo_variants():
    assert {"magazine", "concert"} <= typo_variants("magasine") | typo_variants("concrt")
    assert "theatre" in typo_variants("tehatre")  # two letters swapped
    assert "opera" in typo_variants("opra") and "pra" not in typo_variants("opra")
    assert typo_variants("zoo") == frozenset() and typo_variants("2027") == frozenset()


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("concrt", "concert", 1),
        ("tehatre", "theatre", 1),
        ("imaginere", "imaginaire", 2),
        ("magazine", "magazine", 0),
        ("abc", "xyz", 3),
        ("cinema", "", 3),
    ],
)
def test_r_cat_5_typo_distance(a, b, distance):
    assert typo_distance(a, b) == distance


def test_r_cat_5_two_typos_only_in_a_long_word_with_its_first_letter():
    assert two_typos_away("imaginere", "imaginaire")
    assert not two_typos_away("imaginere", "maginaire")  # first letter changed
    assert not two_typos_away("concrt", "cancer")  # too short for two


def test_r_cat_5_category_and_kind_words_are_indexed():
    assert catalog_words("abonnements-magazines", "abonnement").split()[:2] == [
        "abonnements",
        "magazines",
    ]
    assert "magazine" in catalog_words("abonnements-magazines", "abonnement").split()
    assert "ou" not in catalog_words("cartes-et-cheques", "carte").split()  # a stop word
    assert [t.stem for t in search_terms("Les Magazines de la Santé magazine")] == [
        "magazine",
        "sante",
    ]
