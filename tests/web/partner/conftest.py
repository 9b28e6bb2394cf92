"""The real-committing app of the concurrency tests, for the partner pages and API as
deployed (reads outside a transaction, tables emptied before and after each test); the
``setup`` of two partners shared by the shipment, entry-control and API tests."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.concurrency.conftest import _committing_app, committing_app  # noqa: F401
from tests.factories import NOW_PARIS
from tests.web.partner.helpers import SESSION_AT
from tests.web.partner.world import World, seed_world


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


@pytest.fixture
def live_api(committing_app: Any) -> Iterator[tuple[str, World]]:  # noqa: F811
    """The API served on a loopback port by the real-committing app, over a partner's
    realistic data (the schemathesis run and the client written from the document)."""
    world = seed_world(committing_app, orders_to_ship=4)
    server = make_server("127.0.0.1", 0, committing_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="api-under-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", world
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
