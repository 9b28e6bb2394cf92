"""Issue 19: the parcels benchmark's statements do not grow with the number of parcels
(``bench/parcels.py``; timings are not asserted)."""

from __future__ import annotations

from bench.parcels import measure_parcels
from tests.factories import NOW_PARIS

READS = ("queue_page", "slips_pdf", "pick_list_pdf", "address_csv")


def test_statements_are_the_same_for_few_and_many_parcels(committing_app):
    """As deployed (real commits): the mails go out from the sender thread, whose
    statements are not the request's."""
    app = committing_app
    app.extensions["clock"].set(NOW_PARIS)
    small = measure_parcels(app, 3, "peu")
    large = measure_parcels(app, 12, "beaucoup")
    for name in READS:
        assert small[name]["statements"] == large[name]["statements"], name
    # Both databases: the shipments go in one executemany, the audit entries and outbox
    # mails in one INSERT each (their insert sentinels let SQLite batch them too).
    assert large["csv_upload"]["statements"] == small["csv_upload"]["statements"]
