"""Shared parsing of numbers typed in addresses and forms (issue 17, defect 11): what an
INTEGER column cannot hold is no row, and page numbers stay within the list."""

from __future__ import annotations

import pytest

from shop.forms import MAX_ID, db_int
from shop.paging import MAX_PAGE, clamp, requested_page


@pytest.mark.parametrize("raw", ["1", " 42 ", str(MAX_ID)])
def test_defect_11_db_int_accepts_what_a_column_holds(raw):
    assert db_int(raw) == int(raw)


@pytest.mark.parametrize(
    "raw", ["", "0", "-1", "2147483648", "9" * 20, "9" * 5000, "٣", "1.5", "1e3", "abc", None]
)
def test_defect_11_db_int_refuses_the_rest(raw):
    with pytest.raises(ValueError):
        db_int(raw)


@pytest.mark.parametrize(
    ("query", "page"),
    [("", 1), ("page=3", 3), ("page=0", 1), ("page=-5", 1), ("page=abc", 1), ("page=٣", 1),
     ("page=99999999999999999999", MAX_PAGE), (f"page={'9' * 5000}", MAX_PAGE)],
)  # fmt: skip
def test_defect_11_requested_page(app, query, page):
    with app.test_request_context(f"/?{query}"):
        assert requested_page() == page


def test_defect_11_clamp_to_the_last_page():
    assert clamp(999, 25, 24) == 2
    assert clamp(999, 0, 24) == 1
    assert clamp(2, 48, 24) == 2
