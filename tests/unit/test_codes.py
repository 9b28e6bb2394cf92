"""Identifiers and access codes (R-GATE-2, R-GATE-3, R-GATE-4)."""

from __future__ import annotations

import pytest

from auth.codes import (
    CODE_ALPHABET,
    generate_access_code,
    mask_email,
    normalise_access_code,
    same_email,
)
from members.numbers import is_valid_cgos_number, normalise_cgos_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12345678A", "12345678A"), (" 1234 5678 a ", "12345678A"), ("1234-5678.b", "12345678B")],
)
def test_r_gate_2_number_is_normalised(raw, expected):
    assert normalise_cgos_number(raw) == expected


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("12345678A", True),
        ("1234567A", False),
        ("123456789", False),
        ("12345678AB", False),
        ("A12345678", False),
        ("", False),
    ],
)
def test_r_gate_2_number_is_8_digits_and_a_letter(number, valid):
    assert is_valid_cgos_number(number) is valid


def test_r_gate_3_codes_use_the_unambiguous_alphabet():
    for look_alike in "0O1IL":
        assert look_alike not in CODE_ALPHABET
    codes = {generate_access_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 8
        assert set(code) <= set(CODE_ALPHABET)


def test_r_gate_3_code_is_case_insensitive():
    assert normalise_access_code(" ab cd2345 ") == "ABCD2345"


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("marie.dupont@example.fr", "ma*****@ex*****.fr"),
        ("a@b.fr", "a*****@b*****.fr"),
        ("jean@mail.chu-lyon.fr", "je*****@ma*****.fr"),
    ],
)
def test_r_gate_4_email_is_half_masked(email, masked):
    assert mask_email(email) == masked


def test_r_gate_4_email_comparison_ignores_case_and_spaces():
    assert same_email(" Marie.Dupont@Example.FR ", "marie.dupont@example.fr")
    assert not same_email("marie.dupont@example.fr", "marie.dupond@example.fr")
    assert not same_email("", "")


@pytest.mark.parametrize(
    ("address", "bucket"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("", "unknown"),
        (None, "unknown"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_r_sec_2_failures_count_per_client_address_or_ipv6_64(address, bucket):
    from auth.codes import client_bucket

    assert client_bucket(address) == bucket
