"""The webhooks in the OpenAPI document (R-PAR-10): every event the store sends is listed
under the top-level ``webhooks`` with its headers, and the bodies really sent validate
against the document's schemas, so a receiver can be written from the document alone."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from partners import openapi_webhooks, webhooks
from tests.factories import Operator
from tests.web.partner.helpers import place
from tests.webhook_receiver import serve_webhooks


def _validator(document, kind):
    """The event's schema as the document names it, its references resolved within it."""
    content = document["webhooks"][kind]["post"]["requestBody"]["content"]
    ref = content["application/json"]["schema"]["$ref"]
    return Draft202012Validator(
        {"$ref": ref, "components": document["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def test_every_event_documented_with_signature_headers(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert set(document["webhooks"]) == {*webhooks.EVENT_LABELS, webhooks.PING}
    assert set(openapi_webhooks.EVENTS) == {*webhooks.EVENT_LABELS, webhooks.PING}
    post = document["webhooks"]["order.paid"]["post"]
    headers = {p["name"] for p in post["parameters"] if p["in"] == "header"}
    assert headers == {"X-CGOS-Signature", "X-CGOS-Event-Id", "X-CGOS-Event-Type"}
    assert "HMAC-SHA256" in post["description"]
    assert document["paths"]["/shipments"]  # the API's own paths are still there


def test_bodies_sent_validate_against_the_document(app, client, setup):
    from orders import refunds
    from partners.models import Partner
    from shop.db import session

    document = client.get("/api/v1/openapi.json").get_json()
    with serve_webhooks() as receiver:
        with app.app_context():
            acme = session().query(Partner).filter_by(slug="acme").one()
            webhooks.save_endpoint(
                acme.id, receiver.url, list(webhooks.EVENT_LABELS), True, actor="test"
            )
            webhooks.send_ping(acme.id, actor="test")
        place(app, setup["number"], setup["acme"], method="cheque", pay=False)
        with app.app_context():
            from orders import services
            from orders.models import Order

            option = session().query(Order).filter_by(status="option").one()
            services.cancel_order(option.id, reason="test", actor=Operator())
        place(app, setup["number"], setup["acme"], qty=2)
        with app.app_context():
            from catalog.models import OfferSession

            sid = session().query(OfferSession.id).filter_by(offer_id=setup["acme"]).scalar()
            refunds.cancel_event(Operator(), session_id=sid, reason="Intempéries")
    kinds = [e["type"] for e in receiver.events]
    assert kinds == ["ping", "order.cancelled", "order.paid", "session.cancelled", "order.refunded"]
    for event in receiver.events:
        errors = list(_validator(document, event["type"]).iter_errors(event))
        assert errors == [], (event["type"], [e.message for e in errors])
    broken = {**receiver.events[2], "data": {"lines": [{"id": "1"}]}}
    assert list(_validator(document, "order.paid").iter_errors(broken))
