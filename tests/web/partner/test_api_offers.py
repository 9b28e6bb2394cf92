"""Partner API for offers (R-PAR-5, R-PAR-10, R-PAR-1): list offers, stock and supply state
of offers and sessions, price change requests. Another partner's object is a 404, input
off the document a 422 naming the field, a rule's refusal a 409 naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from catalog.models import Offer, OfferSession, PriceChangeRequest
from tests.factories import audit_entries, load
from tests.web.partner.helpers import auth, place, sessions_of, token_for


@pytest.fixture
def api(app, client, setup, make_offer):
    """The « acme » token, its dated show, an undated park ticket, and the other's offers."""
    park = make_offer(kind="billet_ouvert", partner="acme", title="Parc Acme", stock=30)
    theirs = make_offer(kind="billet_ouvert", partner="autre", title="Parc Autre", stock=9)
    return {**setup, "park": park, "their_park": theirs, "headers": auth(token_for(app))}


def _error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json"
    error = response.get_json()["error"]
    assert error.get("field") == field
    return error


# -- listOffers ---------------------------------------------------------------------------


def test_r_par_1_offers_lists_only_the_partners_own(app, client, api):
    place(app, api["number"], api["acme"], qty=2)
    body = client.get("/api/v1/offers", headers=api["headers"]).get_json()
    assert [o["title"] for o in body["data"]] == ["Concert Acme", "Parc Acme"]
    show, park = body["data"]
    assert show == {
        "id": api["acme"],
        "kind": "billet_date",
        "title": "Concert Acme",
        "published": True,
        "approval": "approved",
        "public_price_cents": 4000,
        "negotiated_price_cents": 4000,
        "cgos_price_cents": 2500,
        "participation_cents": 1500,
        "stock": None,
        "supply_state": "en_stock",
        "sessions": 1,
        "sold": 2,
        "pending": 0,
    }
    assert park["stock"] == 30 and park["sessions"] == 0 and body["next_cursor"] is None


def test_r_par_6_offers_pages_by_cursor(client, api):
    first = client.get("/api/v1/offers?limit=1", headers=api["headers"]).get_json()
    assert [o["id"] for o in first["data"]] == [api["acme"]]
    assert first["next_cursor"] == str(api["acme"])
    second = client.get(
        f"/api/v1/offers?limit=1&cursor={first['next_cursor']}", headers=api["headers"]
    ).get_json()
    assert [o["id"] for o in second["data"]] == [api["park"]]
    assert second["next_cursor"] is None
    bad = client.get("/api/v1/offers?cursor=abc", headers=api["headers"])
    _error(bad, 422, "cursor")
    _error(client.get("/api/v1/offers?limit=0", headers=api["headers"]), 422, "limit")
    assert client.get("/api/v1/offers").status_code == 401


# -- updateOffer --------------------------------------------------------------------------


def test_r_par_5_patch_offer_stock_and_supply_state(app, client, api):
    url = f"/api/v1/offers/{api['park']}"
    response = client.patch(url, json={"stock": 12}, headers=api["headers"])
    assert response.status_code == 200
    assert response.get_json()["stock"] == 12 and response.get_json()["supply_state"] == "en_stock"
    response = client.patch(url, json={"supply_state": "en_cours"}, headers=api["headers"])
    assert response.get_json()["stock"] == 12 and response.get_json()["supply_state"] == "en_cours"
    offer = load(app, Offer, api["park"])
    assert (offer.stock, offer.supply_state) == (12, "en_cours")
    entries = audit_entries(app, f"offer:{api['park']}", "offer.stock_set")
    assert [e.after["stock"] for e in entries] == [12, 12]
    assert entries[0].actor == f"api:{offer.partner_id}:Entrepôt"


def test_r_par_1_patch_another_partners_offer_is_404(app, client, api):
    for oid in (api["their_park"], api["other"], 2_147_483_000):
        response = client.patch(f"/api/v1/offers/{oid}", json={"stock": 1}, headers=api["headers"])
        assert _error(response, 404)["code"] == "not_found"
    assert load(app, Offer, api["their_park"]).stock == 9


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stock": -1}, "stock"),
        ({"stock": "12"}, "stock"),
        ({"stock": True}, "stock"),
        ({"stock": 1_000_001}, "stock"),
        ({"stock": 1.5}, "stock"),
        ({"supply_state": "epuise"}, "supply_state"),
        ({}, "stock"),
        ([1], None),
    ],
)
def test_r_par_5_bad_stock_input_is_a_422_naming_the_field(app, client, api, body, field):
    response = client.patch(f"/api/v1/offers/{api['park']}", json=body, headers=api["headers"])
    assert _error(response, 422, field)["code"] == "invalid"
    assert load(app, Offer, api["park"]).stock == 30


def test_r_par_5_dated_offer_stock_is_per_session_409(app, client, api):
    response = client.patch(
        f"/api/v1/offers/{api['acme']}", json={"stock": 3}, headers=api["headers"]
    )
    assert _error(response, 409, "stock")["code"] == "conflict"
    not_json = client.patch(f"/api/v1/offers/{api['park']}", data="stock=3", headers=api["headers"])
    assert _error(not_json, 415)["code"] == "unsupported_media_type"


# -- updateSession ------------------------------------------------------------------------


def test_r_par_5_patch_session_stock(app, client, api):
    [sid] = sessions_of(app, api["acme"])
    response = client.patch(
        f"/api/v1/sessions/{sid}",
        json={"stock": 7, "supply_state": "en_cours"},
        headers=api["headers"],
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["offer_id"], body["stock"]) == (sid, api["acme"], 7)
    assert body["supply_state"] == "en_cours" and body["sold"] == 0
    row = load(app, OfferSession, sid)
    assert (row.stock, row.supply_state) == (7, "en_cours")
    assert audit_entries(app, f"offer:{api['acme']}/session:{sid}", "session.stock_set")
    listed = client.get("/api/v1/sessions", headers=api["headers"]).get_json()["data"]
    assert [s["remaining"] for s in listed] == [7]


def test_r_par_1_patch_another_partners_or_cancelled_session_is_404(app, client, api):
    from shop.db import unit_of_work

    [theirs] = sessions_of(app, api["other"])
    [mine] = sessions_of(app, api["acme"])
    response = client.patch(f"/api/v1/sessions/{theirs}", json={"stock": 1}, headers=api["headers"])
    _error(response, 404)
    assert load(app, OfferSession, theirs).stock == 50
    with app.app_context(), unit_of_work() as s:
        s.get(OfferSession, mine).cancelled = True
    response = client.patch(f"/api/v1/sessions/{mine}", json={"stock": 1}, headers=api["headers"])
    _error(response, 404)
    bad = client.patch(f"/api/v1/sessions/{theirs}", json={"stock": -4}, headers=api["headers"])
    _error(bad, 422, "stock")  # the shape first: nothing is looked up for a bad body


# -- price requests (R-PAR-10) ------------------------------------------------------------


def _requests(app: Any) -> list[PriceChangeRequest]:
    from shop.db import session

    with app.app_context():
        return list(session().scalars(select(PriceChangeRequest).order_by(PriceChangeRequest.id)))


def test_r_par_10_price_request_over_the_api_leaves_prices_as_they_are(app, client, api):
    url = f"/api/v1/offers/{api['park']}/price-requests"
    body = {"negotiated_price_cents": 3800, "cgos_price_cents": 2000, "reason": "Contrat 2027"}
    response = client.post(url, json=body, headers=api["headers"])
    assert response.status_code == 201
    created = response.get_json()
    assert created["status"] == "pending" and created["offer_title"] == "Parc Acme"
    assert (created["current_participation_cents"], created["requested_participation_cents"]) == (
        1500,
        1800,
    )
    offer = load(app, Offer, api["park"])
    assert (offer.negotiated_price_cents, offer.cgos_price_cents) == (4000, 2500)
    [req] = _requests(app)
    assert req.requested_by == f"api:{offer.partner_id}:Entrepôt"
    listed = client.get("/api/v1/price-requests?status=pending", headers=api["headers"])
    assert [r["id"] for r in listed.get_json()["data"]] == [created["id"]]
    none = client.get("/api/v1/price-requests?status=approved", headers=api["headers"])
    assert none.get_json() == {"data": []}
    _error(client.get("/api/v1/price-requests?status=vu", headers=api["headers"]), 422, "status")


def test_r_par_1_price_request_for_another_partners_offer_is_404(app, client, api):
    body = {"negotiated_price_cents": 3800, "cgos_price_cents": 2000}
    for oid in (api["their_park"], 2_147_483_000):
        response = client.post(
            f"/api/v1/offers/{oid}/price-requests", json=body, headers=api["headers"]
        )
        _error(response, 404)
    assert _requests(app) == []
    # the other partner's requests are not listed either
    other = auth(token_for(app, "autre"))
    client.post(f"/api/v1/offers/{api['their_park']}/price-requests", json=body, headers=other)
    assert client.get("/api/v1/price-requests", headers=api["headers"]).get_json() == {"data": []}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"cgos_price_cents": 2000}, 422, "negotiated_price_cents"),
        ({"negotiated_price_cents": -1, "cgos_price_cents": 0}, 422, "negotiated_price_cents"),
        ({"negotiated_price_cents": "38", "cgos_price_cents": 0}, 422, "negotiated_price_cents"),
        ({"negotiated_price_cents": 3800, "cgos_price_cents": 0, "reason": 5}, 422, "reason"),
        (
            {"negotiated_price_cents": 3800, "cgos_price_cents": 0, "reason": "x" * 501},
            422,
            "reason",
        ),
        (
            {"negotiated_price_cents": 3800, "cgos_price_cents": 0, "reason": "a\x00b"},
            422,
            "reason",
        ),
        ({"negotiated_price_cents": 2000, "cgos_price_cents": 2500}, 409, "cgos_price_cents"),
        ({"negotiated_price_cents": 5000, "cgos_price_cents": 2500}, 409, "negotiated_price_cents"),
        ({"negotiated_price_cents": 4000, "cgos_price_cents": 2500}, 409, "negotiated_price_cents"),
    ],
)
def test_r_par_10_bad_price_request_names_the_field(app, client, api, body, status, field):
    response = client.post(
        f"/api/v1/offers/{api['park']}/price-requests", json=body, headers=api["headers"]
    )
    _error(response, status, field)
    assert _requests(app) == []


def test_r_par_10_openapi_documents_the_offers_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert {
        "listOffers",
        "updateOffer",
        "updateSession",
        "listSessions",
        "requestPriceChange",
        "listPriceRequests",
    } <= operations
    control = document["components"]["schemas"]["ControlSession"]
    assert "remaining" in control["required"]
