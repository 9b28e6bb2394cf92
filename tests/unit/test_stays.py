"""R-VAC-1/2/4/5: QF bands, every edge of every family, stay prices and seasons."""

from __future__ import annotations

from datetime import date

import pytest

from catalog.stays import (
    DEFAULT_TABLES,
    STAY_FAMILIES,
    FamilyTable,
    Season,
    child_alone_allowed,
    participant_prices,
    participants_refusal,
    rate_for,
    season_of,
    stay_price,
)

# (QF in cents or None) → expected percent, per family, at every edge of R-VAC-2.
QFS = [0, 60000, 60001, 80000, 80001, 100000, 100001, 126999, 127000, 127001, 500000, None]
EXPECTED = {
    "prix_mini": [58, 58, 55, 55, 52, 52, 48, 48, 48, 10, 10, 10],
    # Strict edge: 35 % only below 1270.00; 1270.00 itself → 10 %.
    "prix_reduit_adultes": [35, 35, 35, 35, 35, 35, 35, 35, 10, 10, 10, 10],
    "prix_reduit_enfants": [65, 65, 58, 58, 50, 50, 40, 40, 40, 10, 10, 10],
    "libre_evasion_adultes": [0] * 12,
    "libre_evasion_enfants": [50, 50, 42, 42, 33, 33, 25, 25, 25, 25, 25, 25],
    "sejours_adaptes": [50] * 12,
}


def test_every_family_has_a_default_table():
    assert set(DEFAULT_TABLES) == set(STAY_FAMILIES) == set(EXPECTED)


@pytest.mark.parametrize(
    ("family", "qf", "percent"),
    [(f, qf, pct) for f, pcts in EXPECTED.items() for qf, pct in zip(QFS, pcts, strict=True)],
)
def test_r_vac_2_band_edges(family, qf, percent):
    assert rate_for(family, qf).percent == percent


def test_r_vac_2_band_index_and_labels_at_edges():
    assert rate_for("prix_mini", 60000).band_index == 0
    assert rate_for("prix_mini", 60001).band_index == 1
    assert rate_for("prix_mini", 127000).band_index == 3
    assert rate_for("prix_mini", 127001).band_index == 4
    assert rate_for("prix_reduit_adultes", 127000).band_index == 4
    unknown = rate_for("prix_mini", None)
    assert unknown.unknown and unknown.label == "QF inconnu"
    assert rate_for("prix_mini", 60000).label == "QF jusqu’à 600,00 €"
    assert rate_for("prix_mini", 60001).label == "QF de 600,01 € à 800,00 €"
    assert "moins de 1\u202f270,00" in rate_for("prix_reduit_adultes", 126999).label
    assert "supérieur à 1\u202f270,00" in rate_for("prix_mini", 127001).label
    # R-VAC-2: QF 1 270,00 € is in Prix réduit adultes' last band, which starts at the bound.
    assert rate_for("prix_reduit_adultes", 127000).label == "QF à partir de 1\u202f270,00 €"


def test_edited_table_is_used_and_round_trips_json():
    table = FamilyTable.from_json(DEFAULT_TABLES["prix_mini"].to_json())
    assert table == DEFAULT_TABLES["prix_mini"]
    edited = {**DEFAULT_TABLES, "prix_mini": FamilyTable(table.bands, 20)}
    assert rate_for("prix_mini", None, edited).percent == 20


@pytest.mark.parametrize(
    ("public", "percent", "price"),
    [(100000, 58, 42000), (100000, 0, 100000), (12345, 35, 8024), (1, 50, 0), (3, 50, 1)],
)
def test_r_vac_1_stay_price_half_up(public, percent, price):
    # 12345 × 35 % = 4320.75 → 4321 off; 1 × 50 % = 0.5 → 1 off; 3 × 50 % = 1.5 → 2 off.
    assert stay_price(public, percent) == price


def test_r_vac_4_first_child_under_12_free_on_prix_mini():
    start = date(2027, 7, 10)
    births = [date(2012, 1, 1), date(2018, 5, 1), date(2020, 3, 1)]  # 15, 9, 7
    lines = participant_prices("prix_mini", 58, 100000, 50000, 2, births, start)
    assert [ln.price_cents for ln in lines] == [42000, 42000, 0, 21000, 21000]
    assert sum(ln.free for ln in lines) == 1
    other = participant_prices("prix_reduit_adultes", 35, 100000, 50000, 1, births, start)
    assert not any(ln.free for ln in other)


def test_r_vac_4_child_turning_12_before_start_is_not_free():
    lines = participant_prices(
        "prix_mini", 58, 100000, 50000, 1, [date(2015, 7, 10)], date(2027, 7, 10)
    )
    assert lines[-1].price_cents == 21000


def test_r_vac_5_child_alone_of_age_and_under_21():
    assert not child_alone_allowed(date(2009, 12, 31), 2026)  # 17 in 2026
    assert child_alone_allowed(date(2008, 12, 31), 2026)  # 18
    assert child_alone_allowed(date(2006, 1, 1), 2026)  # 20
    assert not child_alone_allowed(date(2005, 12, 31), 2026)  # 21


def test_seasons_and_previous_same_kind():
    assert season_of(date(2026, 7, 1)) == Season(2026, "ete")
    assert season_of(date(2027, 2, 1)) == Season(2026, "hiver")
    assert season_of(date(2026, 12, 20)).key == "hiver-2026"
    assert Season(2026, "ete").previous_same_kind() == (Season(2025, "ete"), Season(2024, "ete"))
    assert Season.parse("hiver-2025") == Season(2025, "hiver")
    with pytest.raises(ValueError):
        Season.parse("printemps-2025")


# -- R-VAC-5: who may travel on one booking -----------------------------------------------


@pytest.mark.parametrize(
    ("birth", "allowed"),
    [
        (date(2009, 12, 31), True),  # 18 in 2027
        (date(2010, 1, 1), False),  # 17 in 2027
        (date(2007, 1, 1), True),  # 20 in 2027
        (date(2006, 12, 31), False),  # 21 in 2027
    ],
)
def test_r_vac_5_child_alone_edges_in_the_booking_year(birth, allowed):
    refusal = participants_refusal("prix_reduit_adultes", 0, [birth], 2027)
    assert (refusal is None) is allowed
    if not allowed:
        assert refusal[0] == "children" and "en 2027" in refusal[1]


def test_r_vac_5_a_child_with_an_adult_needs_no_age():
    assert participants_refusal("prix_mini", 1, [date(2025, 1, 1)], 2027) is None


def test_r_vac_5_every_child_alone_must_be_of_age():
    births = [date(2008, 6, 1), date(2012, 6, 1)]
    assert participants_refusal("libre_evasion_adultes", 0, births, 2027) is not None


def test_participants_bounds():
    assert participants_refusal("prix_mini", 0, [], 2027) == (
        "adults",
        "Indiquez au moins un participant.",
    )
    assert participants_refusal("prix_mini", 3, [], 2027)[0] == "adults"
    assert participants_refusal("prix_mini", 2, [], 2027) is None


def test_children_stays_take_children_only():
    assert participants_refusal("prix_reduit_enfants", 1, [date(2015, 1, 1)], 2027)[0] == "adults"
    assert participants_refusal("libre_evasion_enfants", 0, [], 2027)[0] == "children"
    # A young child may go to a children's stay without an adult: R-VAC-5 is about adults'
    # and family stays (booklet: « majeurs s'ils voyagent seuls en séjour adultes et famille »).
    assert participants_refusal("libre_evasion_enfants", 0, [date(2017, 1, 1)], 2027) is None


def test_r_vac_1_the_participation_shown_is_the_half_up_reduction():
    """999,99 € at 50 % → participation 500,00 €, price 499,99 €: pages show the 500,00 €,
    from a cart line's pricing or an order line's frozen options alike."""
    from catalog.stays import ParticipantPrice, stay_price
    from vacations.stay_lines import StayPricing, participation_of

    price = stay_price(99_999, 50)
    assert price == 49_999
    pricing = StayPricing(
        season="ete-2027",
        percent=50,
        band="QF inconnu",
        participants=(ParticipantPrice("adulte", 99_999, price),),
    )
    assert participation_of(pricing) == 50_000
    options = {
        "stay": {
            "participants": [
                {"kind": "adulte", "public_cents": 99_999, "price_cents": price, "free": False}
            ]
        }
    }
    assert participation_of(options) == 50_000
    assert participation_of(None) == 0
