"""Issue « production truth », defect 11: a validly signed Stripe event whose ``data``,
``data.object`` or ``metadata`` is not an object answered 500, so Stripe would have sent it
again for days. It is acknowledged (200, outcome "malformed", logged as an error) and
changes nothing: Stripe retries every non-2xx answer, and no retry can mend its shape."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

import pytest

from orders.models import ProcessedEvent
from tests.factories import order_of
from tests.stripe_standin import make_event, sign
from tests.web.payments.helpers import (
    WEBHOOK_SECRET,
    pay_by_card,
    payments,
    post_event,
    rows,
    subjects,
)


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(event: dict[str, Any]) -> None:
        node = event
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


SESSION = "checkout.session.completed"
INTENT = "payment_intent.succeeded"
SHAPES = {
    "data is a list": (SESSION, lambda e: e.update(data=[e["data"]])),
    "data is a string": (SESSION, _set(("data",), "object")),
    "data is null": (INTENT, _set(("data",), None)),
    "object is a string": (SESSION, _set(("data", "object"), "cs_test_x")),
    "object is a list": (INTENT, lambda e: e["data"].update(object=[e["data"]["object"]])),
    "object is null": (SESSION, _set(("data", "object"), None)),
    "metadata is a list": (SESSION, _set(("data", "object", "metadata"), ["order_number"])),
    "metadata is a string": (INTENT, _set(("data", "object", "metadata"), "L26-000001")),
    "metadata is null": (SESSION, _set(("data", "object", "metadata"), None)),
    "order number is a list": (
        INTENT,
        lambda e: e["data"]["object"]["metadata"].update(order_number=["L26-000001"]),
    ),
}


@pytest.fixture
def completed(buyer, parc, app, stripe_api):
    """A card order whose session the agent has paid on Stripe: (order, session, intent)."""
    pay_by_card(buyer, parc, 2)
    order = order_of(app)
    return (order, *stripe_api.complete(order.payment_ref))


@pytest.mark.parametrize("shape", SHAPES)
def test_defect_11_signed_malformed_event_is_acknowledged_and_changes_nothing(
    shape, app, stripe_api, mailbox, completed, caplog
):
    order, session, intent = completed
    kind, spoil = SHAPES[shape]
    event = make_event(kind, copy.deepcopy(session if kind == SESSION else intent))
    spoil(event)

    with caplog.at_level(logging.ERROR):
        resp = post_event(app, event)

    assert resp.status_code == 200
    assert resp.get_json() == {"received": True, "outcome": "malformed"}
    assert any(event["id"] in r.getMessage() for r in caplog.records)
    assert order_of(app).status == "pending_payment"
    assert payments(app, order) == []
    assert rows(app, ProcessedEvent) == []
    assert stripe_api.calls("POST", "/v1/refunds") == []
    mailbox.wait_for(1)
    assert subjects(mailbox, "payée") == []


@pytest.mark.parametrize("body", ["[]", '"evt_1"', "null", "42"])
def test_defect_11_signed_event_that_is_not_an_object_is_acknowledged(body, app, stripe_api, db):
    resp = app.test_client().post(
        "/paiement/webhook",
        data=body,
        headers={"Stripe-Signature": sign(body, WEBHOOK_SECRET)},
        content_type="application/json",
    )

    assert resp.status_code == 200
    assert resp.get_json() == {"received": True, "outcome": "malformed"}
    assert rows(app, ProcessedEvent) == []
