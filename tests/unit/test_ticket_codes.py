"""R-PAR-8: the code typed at the door is normalised before lookup (pure rules)."""

from __future__ import annotations

import pytest

from partners.rules import is_ticket_code, normalise_ticket_code

PRINTED = "ABCD EFGH JKMN PQRS TUVW XYZ2 3456 789A"  # as orders.etickets.spaced prints it
STORED = "ABCDEFGHJKMNPQRSTUVWXYZ23456789A"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (STORED, STORED),
        (PRINTED, STORED),
        (PRINTED.lower(), STORED),
        ("abcd-efgh-jkmn-pqrs-tuvw-xyz2-3456-789a", STORED),
        ("  abcd\u00a0efgh\u202fjkmn.pqrs\ttuvw xyz2  3456 789a\n", STORED),
        ("AbCd_eFgH", "ABCDEFGH"),
        ("", ""),
        (None, ""),
        ("   ", ""),
        # the look-alikes have no counterpart in the alphabet: kept, so the code is refused
        ("o0 1il", "O01IL"),
    ],
)
def test_normalise_ticket_code(typed: str | None, expected: str) -> None:
    assert normalise_ticket_code(typed) == expected


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        (STORED, True),
        ("ABCD2345", True),
        ("", False),
        ("A" * 65, False),
        ("ABCD0EFG", False),  # 0 is not in the e-billet alphabet
        ("ABCDOEFG", False),  # nor O
        ("ABCD1EFG", False),  # nor 1
        ("ABCDIEFG", False),  # nor I
        ("ABCDLEFG", False),  # nor L
        ("ABC\x00DEF", False),
        ("ÉCOLE", False),
        ("abcd", False),  # not normalised
    ],
)
def test_is_ticket_code(code: str, ok: bool) -> None:
    assert is_ticket_code(code) is ok
