"""A fulfilment house going live from the OpenAPI document alone (issue 19, « Done when »):
its client knows operation ids only (tests/web/partner/openapi_client.py). It lists the
sessions, updates a stock, asks for a price change, lists and bulk-ships its parcels, and
receives a webhook it verifies with the scheme and schema the document gives (R-PAR-5,
R-PAR-6, R-PAR-10). Served by the real-committing app, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.web.partner.helpers import place
from tests.web.partner.openapi_client import DocumentClient
from tests.web.partner.world import World
from tests.webhook_receiver import Receiver, serve_webhooks

# A tracking number of the format the document gives for each mode (None: not needed).
TRACKING = {
    "lettre_verte": None,
    "suivi": "1L23456789012",
    "recommande": "RR123456789FR",
    "r2": "RR123456790FR",
    "r3": "RR123456791FR",
    "valeur_declaree": "1A12345678901",
}


@pytest.fixture
def receiver() -> Any:
    with serve_webhooks() as r:
        yield r


def _hook(app: Any, world: World, receiver: Receiver) -> str:
    """The partner administrator's « Intégration » page, done through its service."""
    from partners import webhooks

    with app.app_context():
        _endpoint, secret = webhooks.save_endpoint(
            world.acme_id, receiver.url, ["order.paid"], True, actor="test"
        )
    assert secret is not None
    return secret


def test_client_from_document_goes_live(
    live_api: tuple[str, World], committing_app: Any, receiver: Receiver
) -> None:
    base, world = live_api
    api = DocumentClient(f"{base}/api/v1/openapi.json", world.token)

    # Sessions with their sold and remaining counts.
    status, sessions = api.call("listSessions")
    assert status == 200
    (concert,) = [s for s in sessions["data"] if s["title"] == "Concert Acme"]
    assert concert["sold"] >= 1 and concert["remaining"] >= 0
    assert "Opéra Autre" not in [s["title"] for s in sessions["data"]]  # R-PAR-1

    # Stock of the card offer, then of the session.
    status, offers = api.call("listOffers", limit=50)
    assert status == 200
    card = next(o for o in offers["data"] if o["id"] == world.card_id)
    status, updated = api.call("updateOffer", {"stock": 42}, offer_id=card["id"])
    assert status == 200 and updated["stock"] == 42
    status, _ = api.call("updateSession", {"supply_state": "en_cours"}, session_id=concert["id"])
    assert status == 200
    status, missing = api.call("updateOffer", {"stock": 1}, offer_id=world.other_show_id)
    assert status == 404 and missing["error"]["code"] == "not_found"

    # A price change is a request; the price itself stays (R-PAR-10).
    status, asked = api.call(
        "requestPriceChange",
        {
            "negotiated_price_cents": card["negotiated_price_cents"],
            "cgos_price_cents": card["cgos_price_cents"] - 100,
            "reason": "Nouveau contrat 2027",
        },
        offer_id=card["id"],
    )
    assert status == 201 and asked["status"] == "pending"
    status, pending = api.call("listPriceRequests", status="pending")
    assert [r["id"] for r in pending["data"]] == [asked["id"]]
    _, offers = api.call("listOffers")
    again = next(o for o in offers["data"] if o["id"] == card["id"])
    assert again["cgos_price_cents"] == card["cgos_price_cents"]

    # Every parcel to ship, a page at a time, most urgent first; then all shipped at once.
    parcels: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"status": "to_ship", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        status, page = api.call("listShipments", **params)
        assert status == 200
        parcels += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    numbers = {p["order_number"] for p in parcels}
    assert set(world.to_ship) | {world.card_order} <= numbers and world.shipped not in numbers
    deadlines = [p["posting_deadline"] or "9999" for p in parcels]
    assert deadlines == sorted(deadlines)
    items = [
        {
            "order_number": p["order_number"],
            "group": p["group"],
            "mode": p["paid_mode"],
            "tracking_number": TRACKING[p["paid_mode"]],
        }
        for p in parcels
    ]
    status, shipped = api.call("markShippedBulk", {"shipments": items})
    assert status == 200, shipped
    _, left = api.call("listShipments", status="to_ship")
    assert left["data"] == []
    _, done = api.call("listShipments", status="shipped", limit=200)
    assert numbers <= {p["order_number"] for p in done["data"]}

    # A paid order reaches the partner's system, signed as the document says.
    secret = _hook(committing_app, world, receiver)
    number = place(committing_app, world.agent, world.show_id)
    deadline = time.monotonic() + 10
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    (delivery,) = receiver.received
    event = api.verify_webhook(secret, dict(delivery.headers.items()), delivery.body)
    assert event["type"] == "order.paid"
    assert event["data"]["order"]["number"] == number
    with pytest.raises(AssertionError, match="signature"):
        api.verify_webhook("whsec_wrong", dict(delivery.headers.items()), delivery.body)
