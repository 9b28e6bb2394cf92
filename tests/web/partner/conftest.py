"""The real-committing app of the concurrency tests, for the partner pages and API as
deployed (reads outside a transaction, tables emptied before and after each test); the
``setup`` of two partners shared by the shipment, entry-control and API tests."""

import pytest

from tests.concurrency.conftest import _committing_app, committing_app  # noqa: F401
from tests.factories import NOW_PARIS
from tests.web.partner.helpers import SESSION_AT


@pytest.fixture(name="setup")
def setup_fixture(app, client, clock, make_agent, make_offer, make_staff):
    """Two partners with a dated show each, one agent, a logged-in « acme » staff member."""
    clock.set(NOW_PARIS)
    number, code = make_agent()
    acme = make_offer(partner="acme", title="Concert Acme", sessions=[(SESSION_AT, 50)])
    other = make_offer(partner="autre", title="Opéra Autre", sessions=[(SESSION_AT, 50)])
    email, password = make_staff(role="partner", partner="acme")
    return {
        "number": number,
        "code": code,
        "acme": acme,
        "other": other,
        "staff": (email, password),
    }
