"""Partner JSON API with per-partner tokens (R-PAR-6, R-PAR-1, R-PAR-7, R-PAR-8)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from orders.etickets import spaced
from tests.web.partner.helpers import (
    SESSION_AT,
    auth,
    order_of,
    place,
    secrets_of,
    sessions_of,
    token_for,
)


def test_r_par_6_401_without_or_with_unknown_token(app, client, setup):
    response = client.get("/api/v1/shipments")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/shipments", headers=auth("cgos_nope")).status_code == 401


def test_r_par_6_token_is_stored_hashed_and_revocable(app, client, setup):
    from partners.models import ApiToken
    from partners.services import hash_token, revoke_token
    from shop.db import session

    token = token_for(app)
    assert client.get("/api/v1/shipments", headers=auth(token)).status_code == 200
    with app.app_context():
        row = session().scalar(select(ApiToken))
        assert row.token_hash == hash_token(token) and token not in row.token_hash
        assert row.last_used_at is not None
        revoke_token(row.id, actor="test")
    response = client.get("/api/v1/shipments", headers=auth(token))
    assert response.status_code == 401


def test_r_par_1_other_partners_order_is_404_over_the_api(app, client, setup):
    theirs = place(app, setup["number"], setup["other"])
    token = token_for(app)
    response = client.post(
        f"/api/v1/shipments/{theirs}/billets/shipped",
        json={"mode": "lettre_verte"},
        headers=auth(token),
    )
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found", "message": "Introuvable."}}
    assert order_of(app, theirs).status == "paid"
    listing = client.get("/api/v1/shipments", headers=auth(token)).get_json()
    assert theirs not in [e["order_number"] for e in listing["data"]]


def test_r_par_6_cursor_pagination_lists_each_group_once(app, client, setup):
    numbers = [place(app, setup["number"], setup["acme"]) for _ in range(5)]
    place(app, setup["number"], setup["other"])
    token = token_for(app)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        url = "/api/v1/shipments?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=auth(token)).get_json()
        seen += [e["order_number"] for e in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == numbers and pages == 3
    bad = client.get("/api/v1/shipments?cursor=%%%", headers=auth(token))
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "cursor"


def test_r_par_4_mark_shipped_over_the_api(app, client, setup, mailbox):
    number = place(app, setup["number"], setup["acme"])
    token = token_for(app)
    url = f"/api/v1/shipments/{number}/billets/shipped"
    missing = client.post(url, json={"mode": "recommande"}, headers=auth(token))
    assert missing.status_code == 422
    assert missing.get_json()["error"]["field"] == "tracking_number"
    assert "obligatoire" in missing.get_json()["error"]["message"]
    done = client.post(
        url, json={"mode": "recommande", "tracking_number": "RR123456789FR"}, headers=auth(token)
    )
    assert done.status_code == 201 and done.get_json()["tracking_number"] == "RR123456789FR"
    assert order_of(app, number).status == "shipped"
    again = client.post(
        url, json={"mode": "recommande", "tracking_number": "RR123456789FR"}, headers=auth(token)
    )
    assert again.status_code == 404  # no longer in a shippable state
    not_json = client.post(url, data="x", headers=auth(token))
    assert not_json.status_code == 415


def test_r_par_7_scan_over_the_api(app, client, setup):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet")
    theirs = place(app, setup["number"], setup["other"], delivery="e_billet")
    [secret] = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    token = token_for(app)

    def scan(code: str) -> dict:
        body = {"code": code, "session_id": sid}
        response = client.post("/api/v1/scans", json=body, headers=auth(token))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    first = scan(spaced(secret).lower())  # R-PAR-8: as printed, in lower case
    assert first["verdict"] == "valide" and first["title"] == "Concert Acme"
    assert first["ticket_number"] == "1/1" and first["holder"]
    assert first["session_starts_at"] == SESSION_AT.isoformat() + "Z"
    second = scan(secret)
    assert second["verdict"] == "deja_utilise" and second["used_at"] == first["used_at"]
    assert scan(secrets_of(app, theirs)[0])["verdict"] == "invalide"


def test_r_par_8_another_session_over_the_api_is_not_burnt(app, client, setup, make_offer):
    later_at = SESSION_AT + timedelta(days=1)
    show = make_offer(partner="acme", title="Cirque", sessions=[(SESSION_AT, 9), (later_at, 9)])
    first, second = sessions_of(app, show)
    [secret] = secrets_of(
        app, place(app, setup["number"], show, delivery="e_billet", session_id=second)
    )
    token = token_for(app)
    other = client.post(
        "/api/v1/scans", json={"code": secret, "session_id": first}, headers=auth(token)
    ).get_json()
    assert other["verdict"] == "autre_seance" and other["label"] == "Autre séance"
    assert other["used_at"] is None
    assert other["session_starts_at"] == later_at.isoformat() + "Z"
    ok = client.post(
        "/api/v1/scans", json={"code": secret, "session_id": second}, headers=auth(token)
    ).get_json()
    assert ok["verdict"] == "valide"


def test_r_par_8_scan_needs_one_of_the_partners_sessions(app, client, setup):
    [theirs] = sessions_of(app, setup["other"])
    token = token_for(app)
    for body in ({"code": "ABCD2345"}, {"code": "ABCD2345", "session_id": None}):
        response = client.post("/api/v1/scans", json=body, headers=auth(token))
        assert response.status_code == 422 and response.mimetype == "application/json"
        assert response.get_json()["error"]["field"] == "session_id"
    for sid in (theirs, 999999):  # R-PAR-1: another partner's is as unknown
        body = {"code": "ABCD2345", "session_id": sid}
        response = client.post("/api/v1/scans", json=body, headers=auth(token))
        assert response.status_code == 404 and response.mimetype == "application/json"
        assert response.get_json()["error"]["code"] == "not_found"


def test_r_par_8_sessions_over_the_api_with_sold_and_used_counts(app, client, clock, setup):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet", qty=2)
    [sid] = sessions_of(app, setup["acme"])
    token = token_for(app)
    client.post(
        "/api/v1/scans",
        json={"code": secrets_of(app, number)[0], "session_id": sid},
        headers=auth(token),
    )
    response = client.get("/api/v1/sessions", headers=auth(token))
    assert response.status_code == 200
    [row] = response.get_json()["data"]  # R-PAR-1: not the other partner's
    assert row == {
        "id": sid,
        "title": "Concert Acme",
        "starts_at": SESSION_AT.isoformat() + "Z",
        "venue": "Opéra de Lyon",  # the offer's, the session naming none
        "city": "Lyon",
        "today": False,
        "sold": 2,
        "expected": 2,
        "used": 1,
        "remaining": 48,  # places still on sale, beside the sold ones
    }
    assert client.get("/api/v1/sessions").status_code == 401


def test_r_par_6_openapi_document(app, client, setup):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {
        "/shipments",
        "/shipments/{order_number}/{group}/shipped",
        "/scans",
        "/sessions",
    } <= set(doc["paths"])


def test_cli_creates_a_token_printed_once(app, setup, make_partner):
    from partners.models import ApiToken
    from partners.services import hash_token
    from shop.db import session

    make_partner("acme")
    result = app.test_cli_runner().invoke(args=["partner", "token", "create", "acme", "Caisse"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    with app.app_context():
        row = session().scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
        assert row is not None and row.name == "Caisse"


def test_r_par_6_token_listed_and_revoked_from_the_command_line(app, db, make_partner):
    """The CLI creates, lists and revokes a token; a revoked one answers 401."""
    make_partner("cli-partner")
    runner = app.test_cli_runner()
    created = runner.invoke(args=["partner", "token", "create", "cli-partner", "Entrepôt"])
    assert created.exit_code == 0, created.output
    raw = created.output.strip().splitlines()[-1]
    client = app.test_client()
    ok = client.get("/api/v1/shipments", headers={"Authorization": f"Bearer {raw}"})
    assert ok.status_code == 200
    listed = runner.invoke(args=["partner", "token", "list", "cli-partner"])
    token_id = listed.output.split()[0]
    assert "Entrepôt" in listed.output and "actif" in listed.output
    revoked = runner.invoke(args=["partner", "token", "revoke", token_id])
    assert revoked.exit_code == 0
    assert "révoqué" in runner.invoke(args=["partner", "token", "list", "cli-partner"]).output
    denied = client.get("/api/v1/shipments", headers={"Authorization": f"Bearer {raw}"})
    assert denied.status_code == 401
    assert runner.invoke(args=["partner", "token", "revoke", "999999"]).exit_code == 1
