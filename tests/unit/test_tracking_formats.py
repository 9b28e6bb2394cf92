"""R-PAR-4: tracking numbers checked against the carriers' formats of each mode, at the
edges of each pattern (issue 19)."""

from __future__ import annotations

import re

import pytest

from partners import openapi, rules

REGISTERED = ["recommande", "r2", "r3", "valeur_declaree"]


@pytest.mark.parametrize("mode", REGISTERED)
@pytest.mark.parametrize(
    "number",
    ["RR123456789FR", "rr123456789fr", "RR 123 456 789 FR", "RR-123-456-789-FR", "1A12345678901"],
)
def test_registered_modes_accept_s10_and_the_domestic_number(mode, number):
    assert rules.tracking_error(mode, number) is None


@pytest.mark.parametrize("mode", REGISTERED)
@pytest.mark.parametrize(
    "number",
    [
        "RR12345678FR",  # 8 digits
        "RR1234567890FR",  # 10 digits
        "R123456789FR",  # 1 letter first
        "RR123456789F",  # 1 letter last
        "RR123456789F1",
        "12123456789FR",
        "1A1234567890",  # domestic: 10 digits after the letter
        "1A123456789012",  # 12
        "AA12345678901",  # domestic: a letter where the digit goes
        "1L23456789012X",
    ],
)
def test_registered_modes_refuse_near_misses(mode, number):
    error = rules.tracking_error(mode, number)
    assert error is not None and "RR123456789FR" in error


@pytest.mark.parametrize("mode", ["suivi", "lettre_verte"])
@pytest.mark.parametrize("number", ["1" * 11, "A" * 15, "6A12345678901", "1l 2345 6789 012"])
def test_tracked_letters_take_11_to_15_letters_or_digits(mode, number):
    assert rules.tracking_error(mode, number) is None


@pytest.mark.parametrize("number", ["1" * 10, "A" * 16, "1L2345678901_", "1L23456789.12"])
def test_tracked_letters_refuse_outside_11_to_15(number):
    assert rules.tracking_error("suivi", number) is not None


@pytest.mark.parametrize("mode", sorted(rules.TRACKED_MODES))
def test_tracked_modes_require_a_number(mode):
    assert "obligatoire" in (rules.tracking_error(mode, "  ") or "")


def test_lettre_verte_needs_none():
    assert rules.tracking_error("lettre_verte", None) is None
    assert rules.tracking_error("lettre_verte", "") is None


def test_normalised_number_is_compact_and_in_capitals():
    assert rules.normalise_tracking(" rr 123-456-789 fr\n") == "RR123456789FR"
    assert rules.normalise_tracking(None) == ""


@pytest.mark.parametrize("mode", list(rules.MODE_LABELS))
def test_api_document_pattern_is_the_rule(mode):
    """What the document calls valid the rule accepts, compact form (schemathesis relies on it)."""
    variant = next(
        v
        for v in openapi.SCHEMAS["ShippedRequest"]["oneOf"]
        if v["properties"]["mode"]["const"] == mode
    )
    prop = variant["properties"]["tracking_number"]
    pattern = (prop.get("oneOf") or [prop])[0]["pattern"]
    for number in ("RR123456789FR", "1A12345678901", "1" * 11, "1" * 15, "1" * 16, "R1"):
        assert bool(re.search(pattern, number)) == (rules.tracking_error(mode, number) is None)
