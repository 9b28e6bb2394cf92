"""Bad input and errors under /api answer JSON 4xx, never a 500 or an HTML page (defect 11,
security review L2 and L10), and the OpenAPI document is valid and complete (R-PAR-6)."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from tests.harness import IS_POSTGRES, base_overrides, dispose_engine, free_port
from tests.web.partner.helpers import (
    as_partner,
    auth,
    order_of,
    place,
    scan_page,
    secrets_of,
    sessions_of,
    token_for,
)


def _error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] and error["message"]
    if field:
        assert error["field"] == field
    return error


@pytest.mark.parametrize("session_id", [2**31, 10**19 + 1, 2**63, 1e300, 0, -1, 1.5, "1", True])
def test_defect_11_scan_session_id_out_of_range_is_422(app, client, setup, session_id):
    response = client.post(
        "/api/v1/scans",
        json={"code": "ABCD2345EFGH", "session_id": session_id},
        headers=auth(token_for(app)),
    )
    _error(response, 422, "session_id")


def test_a_session_id_written_as_a_whole_float_is_an_integer(app, client, setup):
    [sid] = sessions_of(app, setup["acme"])
    response = client.post(
        "/api/v1/scans",
        data=f'{{"code": "ABCD2345", "session_id": {sid}.0}}',
        headers={**auth(token_for(app)), "Content-Type": "application/json"},
    )
    assert response.status_code == 200 and response.get_json()["verdict"] == "invalide"


@pytest.mark.parametrize("code", ["ABC\x00DEF", "\x00", "A" * 65, "", "   ", "ÉCOLE", 12])
def test_defect_11_scan_code_with_nul_or_out_of_shape_is_422(app, client, setup, code):
    response = client.post("/api/v1/scans", json={"code": code}, headers=auth(token_for(app)))
    _error(response, 422, "code")


def test_defect_11_tracking_number_over_60_characters_is_422(app, client, setup):
    number = place(app, setup["number"], setup["acme"])
    url = f"/api/v1/shipments/{number}/billets/shipped"
    token = token_for(app)
    for tracking in ("9" * 61, "9" * 60, "RR\x00123", "<script>x</script>", " RR123", ""):
        response = client.post(
            url, json={"mode": "suivi", "tracking_number": tracking}, headers=auth(token)
        )
        _error(response, 422, "tracking_number")
    assert order_of(app, number).status == "paid"
    # 60 characters fit the column, but no carrier's number is that long (issue 19).
    ok = client.post(url, json={"mode": "suivi", "tracking_number": "9" * 15}, headers=auth(token))
    assert ok.status_code == 201 and ok.get_json()["tracking_number"] == "9" * 15
    again = client.post(url, json={"mode": "lettre_verte"}, headers=auth(token))
    assert _error(again, 404)["code"] == "not_found"  # the order is shipped now


def test_a_second_shipment_of_one_group_is_409(app, client, setup):
    from auth.principals import agent_user
    from catalog.models import OfferSession
    from members.dossiers import dossier_source
    from orders import cart as carts
    from orders import services
    from shop.db import session
    from tests.web.partner.helpers import pay_order

    with app.app_context():  # two partners' parcels: shipping one leaves the order open
        agent = agent_user(dossier_source().get(setup["number"]))
        for oid in (setup["acme"], setup["other"]):
            sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == oid))
            carts.add_to_cart(agent, oid, quantity=1, delivery="courrier", session_id=sid)
        order = services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact("agent@exemple.fr", True),
            expected_total_cents=carts.view_cart(agent).priced.total_cents,
            checkout_token="tok-409",
            actor=agent,
        )
    pay_order(app, order.id)
    url = f"/api/v1/shipments/{order.number}/billets/shipped"
    token = token_for(app)
    assert client.post(url, json={"mode": "lettre_verte"}, headers=auth(token)).status_code == 201
    assert order_of(app, order.number).status == "partially_shipped"
    again = client.post(url, json={"mode": "lettre_verte"}, headers=auth(token))
    assert "déjà marqué" in _error(again, 409)["message"]


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v2/shipments", "/api/v1/shipments/L26-000001", "/api/x"]
)
def test_unknown_paths_under_api_are_json_404(app, client, setup, path):
    for method in ("GET", "POST", "DELETE"):
        response = client.open(path, method=method, headers=auth(token_for(app)))
        assert _error(response, 404)["code"] == "not_found"
    page = client.get("/nulle-part")  # outside /api the French page stays
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_wrong_methods_are_json_405_with_allow(app, client, setup):
    token = token_for(app)
    for method, path, allowed in (
        ("GET", "/api/v1/scans", "OPTIONS, POST"),
        ("TRACE", "/api/v1/scans", "OPTIONS, POST"),
        ("DELETE", "/api/v1/shipments", "GET, HEAD, OPTIONS"),
        ("POST", "/api/v1/shipments", "GET, HEAD, OPTIONS"),
        ("GET", "/api/v1/shipments/L26-000001/billets/shipped", "OPTIONS, POST"),
        ("PUT", "/api/v1/openapi.json", "GET, HEAD, OPTIONS"),
    ):
        response = client.open(path, method=method, headers=auth(token))
        assert _error(response, 405)["code"] == "method_not_allowed"
        assert response.headers["Allow"] == allowed


def test_malformed_json_is_400_and_another_content_type_415(app, client, setup):
    token = token_for(app)
    for body in ('{"code": "ABC"', "{'code': 1}", b"\xff\xfe{}"):
        response = client.post(
            "/api/v1/scans",
            data=body,
            headers={**auth(token), "Content-Type": "application/json"},
        )
        assert _error(response, 400)["code"] == "bad_request"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = auth(token) | ({"Content-Type": content_type} if content_type else {})
        response = client.post("/api/v1/scans", data='{"code": "ABC"}', headers=headers)
        assert _error(response, 415)["code"] == "unsupported_media_type"
    not_object = client.post("/api/v1/scans", json=["ABC"], headers=auth(token))
    _error(not_object, 422)


def test_l10_an_uncaught_error_under_api_answers_json(smtp_server):
    """The database is down (nothing listens where it should be): the API answers the
    documented JSON error, the rest of the store its French page."""
    if IS_POSTGRES:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/absent"
    else:
        url = "sqlite:////nonexistent-directory/absent.db"
    down = base_overrides(smtp_server[1], DATABASE_URL=url, PROPAGATE_EXCEPTIONS=False)
    from shop import create_app

    app = create_app(down)
    try:
        client = app.test_client()
        response = client.get("/api/v1/shipments", headers=auth("cgos_whatever"))
        error = _error(response, 500)
        assert error["code"] == "server_error" and "Erreur technique" in error["message"]
        scan = client.post("/api/v1/scans", json={"code": "ABC"}, headers=auth("cgos_x"))
        _error(scan, 500)
    finally:
        dispose_engine(app)


def test_portal_nul_in_an_order_number_or_a_code_is_no_500(app, client, setup):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet")
    [secret] = secrets_of(app, number)
    as_partner(client, setup)
    assert client.get("/partenaire/expeditions/L27-%00/billets").status_code == 404
    assert client.get(f"/partenaire/expeditions/{number}/%00").status_code == 404
    [sid] = sessions_of(app, setup["acme"])
    page = scan_page(client, secret[:4] + "\x00" + secret[4:], sid)  # the form drops a NUL
    assert "entrée autorisée" in page


def test_portal_tracking_number_with_odd_characters_is_refused_beside_the_field(app, client, setup):
    number = place(app, setup["number"], setup["acme"])
    as_partner(client, setup)
    response = client.post(
        f"/partenaire/expeditions/{number}/billets",
        data={"mode": "suivi", "tracking_number": "RR\x00<b>1</b>"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="tracking_number-erreur"' in page and "lettres, des chiffres" in page
    assert order_of(app, number).status == "paid"


def test_r_par_6_openapi_document_is_valid_and_complete(app, client, setup):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)  # raises on an invalid OpenAPI document
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                assert "schema" in parameter, (where, parameter["name"])
            if "requestBody" in operation:
                assert operation["requestBody"]["content"]["application/json"]["schema"]
            for status, response in operation["responses"].items():
                assert response["content"]["application/json"]["schema"], (where, status)
            assert {"401", "500"} <= set(operation["responses"]), where
