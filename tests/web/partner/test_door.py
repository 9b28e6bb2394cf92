"""Entry control that survives the venue's network (R-PAR-9): the ticket list kept on the
door's device, the page's live scan and the sync of the scans queued offline (first scan
wins, conflicts, replays), scoped to the partner (R-PAR-1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from orders.etickets import spaced
from orders.models import ETicket
from partners.door import ticket_hash
from partners.models import DoorScan
from partners.views import door as door_views
from shop.audit import AuditEntry
from shop.db import session, unit_of_work
from tests.factories import NOW_PARIS, login_agent, utc
from tests.web.partner.helpers import as_partner, place, secrets_of, sessions_of

NOW = utc(NOW_PARIS)  # naive UTC, the store's clock in these tests
DEVICE_A = "dev-porte-a-0001"
DEVICE_B = "dev-porte-b-0002"


def _ms(at: datetime) -> int:
    return int(at.replace(tzinfo=UTC).timestamp() * 1000)


def _sync(client: Any, sid: int, device: str, *scans: dict[str, Any]) -> Any:
    return client.post(
        f"/partenaire/controle/{sid}/synchro", json={"device_id": device, "scans": list(scans)}
    )


def _queued(local_id: str, code: str, at: datetime, verdict: str = "valide") -> dict[str, Any]:
    return {"id": local_id, "code": code, "scanned_at": _ms(at), "verdict": verdict}


def _live(client: Any, sid: int, code: str, local_id: str, device: str = DEVICE_A) -> Any:
    return client.post(
        f"/partenaire/controle/{sid}/scan", json={"device_id": device, "id": local_id, "code": code}
    )


def _used_at(app: Any, secret: str) -> datetime | None:
    with app.app_context():
        return session().scalar(select(ETicket.used_at).where(ETicket.secret == secret))


def _count(app: Any, model: Any, *where: Any) -> int:
    with app.app_context():
        return session().scalar(select(func.count()).select_from(model).where(*where))


def _cancel(app: Any, secret: str) -> None:
    with app.app_context(), unit_of_work() as s:
        s.execute(update(ETicket).where(ETicket.secret == secret).values(status="cancelled"))


def test_r_par_9_the_device_gets_hashes_never_secrets(app, client, clock, setup):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet", qty=3)
    valid, used, cancelled = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    _cancel(app, cancelled)
    as_partner(client, setup)
    assert _live(client, sid, used, "l1").get_json()["result"]["verdict"] == "valide"
    response = client.get(f"/partenaire/controle/{sid}/billets")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    for secret in (valid, used, cancelled):
        assert secret not in body and spaced(secret) not in body
    data = response.get_json()
    assert (data["admitted"], data["expected"]) == (1, 2)
    assert data["labels"]["inconnu"] == "Inconnu hors ligne"
    tickets = {t["hash"]: t for t in data["tickets"]}
    assert tickets[ticket_hash(sid, valid)]["status"] == "valid"
    assert tickets[ticket_hash(sid, used)]["status"] == "used"
    assert tickets[ticket_hash(sid, used)]["used_at_fr"] == "lundi 1er mars 2027 à 10:00"
    assert tickets[ticket_hash(sid, cancelled)]["status"] == "cancelled"
    assert {t["number"] for t in data["tickets"]} == {"1/3", "2/3", "3/3"}
    assert all(t["holder"] for t in data["tickets"])


def test_r_par_9_another_partners_session_is_404_everywhere(app, client, setup):
    [theirs] = sessions_of(app, setup["other"])
    number = place(app, setup["number"], setup["other"], delivery="e_billet")
    [secret] = secrets_of(app, number)
    as_partner(client, setup)
    assert client.get(f"/partenaire/controle/{theirs}/billets").status_code == 404
    assert client.get("/partenaire/controle/999999/billets").status_code == 404
    assert _live(client, theirs, secret, "x1").status_code == 404
    assert _sync(client, theirs, DEVICE_A, _queued("x2", secret, NOW)).status_code == 404
    assert _used_at(app, secret) is None
    assert _count(app, DoorScan) == 0


def test_r_par_9_live_scans_answer_like_the_form_and_update_the_counts(app, client, setup):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet")
    [secret] = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    first = _live(client, sid, spaced(secret).lower(), "l1").get_json()
    assert first["result"]["verdict"] == "valide" and first["result"]["label"] == "Valide"
    assert first["result"]["ticket_number"] == "1/1" and first["result"]["holder"]
    assert (first["admitted"], first["expected"]) == (1, 1)
    again = _live(client, sid, secret, "l2").get_json()["result"]
    assert again["verdict"] == "deja_utilise" and not again["conflict"]
    assert again["used_at_fr"] == "lundi 1er mars 2027 à 10:00"
    unknown = _live(client, sid, "ABCD EFGH", "l3").get_json()["result"]
    assert unknown["verdict"] == "invalide"


def test_r_par_9_another_sessions_ticket_is_not_burnt_live_or_queued(
    app, client, setup, make_offer
):
    show = make_offer(
        partner="acme", title="Cirque Acme", sessions=[(NOW, 20), (NOW + timedelta(days=1), 20)]
    )
    tonight, later = sessions_of(app, show)
    number = place(app, setup["number"], show, delivery="e_billet", session_id=later)
    [secret] = secrets_of(app, number)
    as_partner(client, setup)
    assert _live(client, tonight, secret, "l1").get_json()["result"]["verdict"] == "autre_seance"
    queued = _sync(client, tonight, DEVICE_A, _queued("q1", secret, NOW, "inconnu"))
    assert queued.get_json()["results"][0]["verdict"] == "autre_seance"
    assert _used_at(app, secret) is None
    assert ticket_hash(later, secret) not in client.get(
        f"/partenaire/controle/{tonight}/billets"
    ).get_data(as_text=True)


def test_r_par_9_first_scan_wins_whatever_the_order_of_the_syncs(app, client, clock, setup):
    """Device B synced first, but device A had admitted the holder two minutes earlier:
    the ticket's used time becomes A's scan, and A's sync answers the conflict (the holder
    came in twice)."""
    number = place(app, setup["number"], setup["acme"], delivery="e_billet", qty=2)
    secret, other = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    early, late = NOW - timedelta(minutes=10), NOW - timedelta(minutes=8)
    b = _sync(client, sid, DEVICE_B, _queued("b1", secret, late)).get_json()
    assert b["results"][0]["verdict"] == "valide" and not b["results"][0]["conflict"]
    assert _used_at(app, secret) == late
    a = _sync(client, sid, DEVICE_A, _queued("a1", secret, early)).get_json()
    [result] = a["results"]
    assert result["conflict"] and result["verdict"] == "deja_utilise"
    assert result["message"] == "Billet admis deux fois."
    assert result["ticket_number"] == "1/2"
    assert _used_at(app, secret) == early  # the earliest scan
    assert (a["admitted"], a["expected"]) == (1, 2)
    assert _count(app, DoorScan, DoorScan.conflict.is_(True)) == 1
    assert _count(app, AuditEntry, AuditEntry.action == "eticket.scan_conflict") == 1
    # Within one batch the scans are applied in the order they were made, not as sent.
    c = _sync(
        client,
        sid,
        DEVICE_A,
        _queued("a3", other, NOW - timedelta(minutes=1), "deja_utilise"),
        _queued("a2", other, NOW - timedelta(minutes=3)),
    ).get_json()
    assert [(r["id"], r["verdict"]) for r in c["results"]] == [
        ("a2", "valide"),
        ("a3", "deja_utilise"),
    ]
    assert not any(r["conflict"] for r in c["results"])
    assert _used_at(app, other) == NOW - timedelta(minutes=3)
    assert c["admitted"] == 2


def test_r_par_9_admitted_offline_but_used_online_meanwhile_is_a_conflict(
    app, client, clock, setup
):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet")
    [secret] = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    assert _live(client, sid, secret, "online-1", DEVICE_B).get_json()["result"]["verdict"] == (
        "valide"
    )
    clock.advance(minutes=5)
    later = utc(NOW_PARIS) + timedelta(minutes=2)
    [result] = _sync(client, sid, DEVICE_A, _queued("off-1", secret, later)).get_json()["results"]
    assert result["conflict"] and result["used_at_fr"] == "lundi 1er mars 2027 à 10:00"
    assert _used_at(app, secret) == NOW  # the online scan came first and stays first


def test_r_par_9_a_replayed_queue_is_applied_once(app, client, clock, setup):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet")
    [secret] = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    scan = _queued("q1", secret, NOW - timedelta(minutes=1))
    first = _sync(client, sid, DEVICE_A, scan).get_json()["results"][0]
    again = _sync(client, sid, DEVICE_A, scan).get_json()["results"][0]
    assert first["verdict"] == again["verdict"] == "valide"
    assert not first["replayed"] and again["replayed"] and not again["conflict"]
    assert _count(app, DoorScan) == 1
    assert _count(app, AuditEntry, AuditEntry.action == "eticket.scanned") == 1
    # The same local id from another device is another scan: a conflict.
    other = _sync(client, sid, DEVICE_B, scan).get_json()["results"][0]
    assert other["conflict"] and not other["replayed"]


def test_r_par_9_a_live_scan_whose_reply_was_lost_is_not_a_conflict(app, client, setup):
    """The page queues a scan when its reply never came; the server had applied it."""
    number = place(app, setup["number"], setup["acme"], delivery="e_billet")
    [secret] = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    assert _live(client, sid, secret, "lost-1").status_code == 200
    [result] = _sync(client, sid, DEVICE_A, _queued("lost-1", secret, NOW)).get_json()["results"]
    assert result["replayed"] and result["verdict"] == "valide" and not result["conflict"]


def test_r_par_9_a_cancelled_ticket_admitted_offline_is_a_conflict(app, client, setup):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet", qty=2)
    cancelled, refused = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    _cancel(app, cancelled)
    as_partner(client, setup)
    results = _sync(
        client,
        sid,
        DEVICE_A,
        _queued("q1", cancelled, NOW - timedelta(minutes=2)),
        _queued("q2", refused, NOW - timedelta(minutes=1), "inconnu"),
    ).get_json()["results"]
    assert results[0]["verdict"] == "invalide" and results[0]["conflict"]
    assert results[0]["message"] == "Billet annulé mais admis hors ligne."
    # A valid ticket the device refused offline (not in its list yet) is not burnt.
    assert results[1]["verdict"] == "inconnu" and not results[1]["conflict"]
    assert _used_at(app, cancelled) is None and _used_at(app, refused) is None


def test_r_par_9_a_device_clock_ahead_cannot_date_a_scan_in_the_future(app, client, setup):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet")
    [secret] = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    _sync(client, sid, DEVICE_A, _queued("q1", secret, NOW + timedelta(hours=3)))
    assert _used_at(app, secret) == NOW


def test_r_par_9_malformed_syncs_are_422_in_french(app, client, setup):
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    url = f"/partenaire/controle/{sid}/synchro"
    good = _queued("q1", "ABCD", NOW)
    for body in (
        [],
        {"scans": [good]},
        {"device_id": "court", "scans": [good]},
        {"device_id": DEVICE_A, "scans": []},
        {"device_id": DEVICE_A, "scans": "x"},
        {"device_id": DEVICE_A, "scans": [{**good, "scanned_at": "hier"}]},
        {"device_id": DEVICE_A, "scans": [{**good, "scanned_at": True}]},
        {"device_id": DEVICE_A, "scans": [{**good, "verdict": "autre"}]},
        {"device_id": DEVICE_A, "scans": [{**good, "id": "a b"}]},
        {"device_id": DEVICE_A, "scans": [{**good, "code": ""}]},
        {"device_id": DEVICE_A, "scans": [{**good, "code": "A" * 201}]},
        {"device_id": DEVICE_A, "scans": [good] * 501},
    ):
        response = client.post(url, json=body)
        assert response.status_code == 422, body
        assert response.get_json()["error"]
    assert client.post(url, data="pas du json").status_code == 422
    live = client.post(f"/partenaire/controle/{sid}/scan", json={"device_id": DEVICE_A})
    assert live.status_code == 422
    assert _count(app, DoorScan) == 0


def test_r_par_9_the_control_page_may_use_the_camera_and_no_other_page(app, client, setup):
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    page = client.get(f"/partenaire/controle?seance={sid}")
    assert "camera=(self)" in page.headers["Permissions-Policy"]
    assert "microphone=()" in page.headers["Permissions-Policy"]
    html = page.get_data(as_text=True)
    assert "Scanner avec la caméra" in html
    assert "/static/vendor/jsqr/jsQR.js" in html and "/static/js/door.js" in html
    assert f'data-tickets-url="/partenaire/controle/{sid}/billets"' in html
    for path in ("/partenaire/controle", "/partenaire/expeditions", "/"):
        assert "camera=()" in client.get(path).headers["Permissions-Policy"], path
    for static in ("/static/vendor/jsqr/jsQR.js", "/static/js/door.js", "/static/css/door.css"):
        response = client.get(static)
        response.close()
        assert response.status_code == 200, static


def test_r_par_9_the_service_worker_is_a_partners_script_never_stored(app, client, setup):
    as_partner(client, setup)
    response = client.get("/partenaire/controle/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-store"
    # Its scope is the control page's path, one level above the script.
    assert response.headers["Service-Worker-Allowed"] == "/partenaire/controle"
    body = response.get_data(as_text=True)
    assert '"/partenaire/controle"' in body
    for asset in ("/static/js/door.js", "/static/vendor/jsqr/jsQR.js", "/static/css/shop.css"):
        assert f'"{asset}"' in body
    # The ticket list, the scans and the sync are never kept by it.
    assert "/billets" not in body and "/synchro" not in body
    assert 'var PREFIX = "door-";' in body
    # The page registers it.
    [sid] = sessions_of(app, setup["acme"])
    page = client.get(f"/partenaire/controle?seance={sid}").get_data(as_text=True)
    assert 'data-sw-url="/partenaire/controle/sw.js"' in page
    assert 'data-sw-scope="/partenaire/controle"' in page


def test_r_par_9_the_workers_cache_is_renamed_when_a_kept_file_changes(
    app, client, setup, monkeypatch, tmp_path
):
    as_partner(client, setup)
    first = client.get("/partenaire/controle/sw.js").get_data(as_text=True)
    assert first == client.get("/partenaire/controle/sw.js").get_data(as_text=True)
    static = tmp_path / "static"
    for name in door_views.OFFLINE_ASSETS:
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_text("/* v2 */")
    monkeypatch.setattr(app, "static_folder", str(static))
    second = client.get("/partenaire/controle/sw.js").get_data(as_text=True)
    version = re.compile(r'var CACHE = PREFIX \+ "([0-9a-f]{16})"')
    before, after = version.findall(first), version.findall(second)
    assert len(before) == len(after) == 1
    assert before != after


def test_r_par_9_the_worker_and_the_token_are_for_partners_only(client, setup):
    for url in ("/partenaire/controle/sw.js", "/partenaire/controle/jeton"):
        response = client.get(url)
        assert response.status_code in (302, 401, 403, 404)
        assert b"self.addEventListener" not in response.data
    number, code = setup["number"], setup["code"]
    login_agent(client, number, code)
    for url in ("/partenaire/controle/sw.js", "/partenaire/controle/jeton"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404)
        assert b"self.addEventListener" not in response.data
        assert b"csrf_token" not in response.data


def test_r_par_9_a_stale_token_is_replaced_by_a_fresh_one(app, client, setup, monkeypatch):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet", qty=1)
    [secret] = secrets_of(app, number)
    [sid] = sessions_of(app, setup["acme"])
    as_partner(client, setup)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    scan = {"device_id": DEVICE_A, "scans": [_queued("q1", secret, NOW)]}
    stale = client.post(
        f"/partenaire/controle/{sid}/synchro", json=scan, headers={"X-CSRFToken": "ancien"}
    )
    assert stale.status_code == 400 and not stale.is_json  # what the page takes for « stale »
    fresh = client.get("/partenaire/controle/jeton")
    assert fresh.status_code == 200
    assert "no-store" in fresh.headers["Cache-Control"]
    token = fresh.get_json()["csrf_token"]
    synced = client.post(
        f"/partenaire/controle/{sid}/synchro", json=scan, headers={"X-CSRFToken": token}
    )
    assert synced.status_code == 200
    assert synced.get_json()["admitted"] == 1


def test_r_par_9_a_partners_logout_clears_the_device(client, setup):
    as_partner(client, setup)
    response = client.post("/deconnexion")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_r_par_9_an_agents_logout_leaves_the_device_alone(client, setup):
    login_agent(client, setup["number"], setup["code"])
    response = client.post("/deconnexion")
    assert response.status_code == 302
    assert "Clear-Site-Data" not in response.headers
