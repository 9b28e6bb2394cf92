"""« Équipe » (R-SEC-1): admins create, disable, reset staff accounts, end their sessions,
manage partners' API tokens and read the security log; the password change page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from auth.models import SecurityEvent, StaffUser
from auth.retention import purge_security_log
from partners.models import ApiToken
from shop.audit import AuditEntry
from shop.db import session, unit_of_work
from tests.factories import login_staff


def _id(app, email):
    with app.app_context():
        return session().scalar(select(StaffUser.id).where(StaffUser.email == email))


def _admin(client, make_staff):
    email, password = make_staff("admin")
    assert login_staff(client, email, password).status_code == 302
    return email


def test_r_sec_1_team_page_is_for_admins_only(client, make_staff):
    email, password = make_staff("operator")
    login_staff(client, email, password)
    assert client.get("/gestion/equipe/").status_code == 404
    assert client.get("/gestion/equipe/securite").status_code == 404
    assert (
        client.post(f"/gestion/equipe/{_id(client.application, email)}/sessions").status_code == 404
    )
    assert "Équipe" not in client.get("/gestion/").get_data(as_text=True)


def test_r_sec_1_admin_lists_and_creates_an_account(client, app, make_staff, make_partner):
    make_partner("sogec")
    _admin(client, make_staff)
    page = client.get("/gestion/equipe/").get_data(as_text=True)
    assert "Second facteur" in page and "Activé" in page
    bad = client.post(
        "/gestion/equipe/", data={"email": "pas-une-adresse", "name": "X", "role": "operator"}
    )
    assert bad.status_code == 422 and 'value="pas-une-adresse"' in bad.get_data(as_text=True)
    resp = client.post(
        "/gestion/equipe/",
        data={"email": "nouvel.op@cgos-loisirs.example", "name": "Nouvel", "role": "operator"},
    )
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    temporary = re.search(r'id="temporary-password">([^<]+)<', text).group(1)
    with app.app_context():
        entry = session().scalar(select(AuditEntry).where(AuditEntry.action == "staff.created"))
    assert entry is not None and temporary not in str(entry.after)
    # First login: password to change, then enrolment, before any page.
    other = app.test_client()
    first = other.post(
        "/gestion/connexion",
        data={"email": "nouvel.op@cgos-loisirs.example", "password": temporary},
    )
    assert first.location == "/gestion/connexion/activation"


def test_r_sec_1_disabled_account_sessions_end_at_once(client, app, make_staff):
    _admin(client, make_staff)
    email, password = make_staff("operator")
    one, two = app.test_client(), app.test_client()
    login_staff(one, email, password)
    login_staff(two, email, password)
    assert one.get("/gestion/").status_code == 200 and two.get("/gestion/").status_code == 200
    staff_id = _id(app, email)
    assert client.post(f"/gestion/equipe/{staff_id}/desactiver").status_code == 302
    for c in (one, two):
        resp = c.get("/gestion/")
        assert resp.status_code == 302 and "/gestion/connexion" in resp.location
    assert login_staff(one, email, password).status_code == 422
    client.post(f"/gestion/equipe/{staff_id}/reactiver")
    assert login_staff(one, email, password).status_code == 302
    with app.app_context():
        actions = set(session().scalars(select(AuditEntry.action)))
    assert {"staff.disabled", "staff.enabled"} <= actions


def test_r_sec_1_end_sessions_and_reset_password(client, app, make_staff):
    _admin(client, make_staff)
    email, password = make_staff("operator")
    other = app.test_client()
    login_staff(other, email, password)
    staff_id = _id(app, email)
    client.post(f"/gestion/equipe/{staff_id}/sessions")
    assert other.get("/gestion/").status_code == 302
    login_staff(other, email, password)
    page = client.post(f"/gestion/equipe/{staff_id}/mot-de-passe").get_data(as_text=True)
    temporary = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    assert other.get("/gestion/").status_code == 302  # the reset ended the session
    assert login_staff(other, email, password).status_code == 422
    resp = login_staff(other, email, temporary)
    assert resp.location == "/gestion/connexion/mot-de-passe"
    assert other.get("/gestion/").status_code == 302
    short = other.post(
        "/gestion/connexion/mot-de-passe", data={"new_password": "court", "confirm": "court"}
    )
    assert short.status_code == 422 and "12 caractères" in short.get_data(as_text=True)
    done = other.post(
        "/gestion/connexion/mot-de-passe",
        data={"new_password": "un-nouveau-mot-de-passe", "confirm": "un-nouveau-mot-de-passe"},
    )
    assert done.location == "/gestion/"
    assert other.get("/gestion/").status_code == 200


def test_r_sec_1_reset_second_factor_sends_back_to_enrolment(client, app, make_staff):
    _admin(client, make_staff)
    email, password = make_staff("operator")
    client.post(f"/gestion/equipe/{_id(app, email)}/second-facteur")
    other = app.test_client()
    resp = other.post("/gestion/connexion", data={"email": email, "password": password})
    assert resp.location == "/gestion/connexion/activation"


def test_r_sec_1_admin_sets_partner_admin(client, app, make_staff):
    _admin(client, make_staff)
    email, _ = make_staff("partner", partner="sogec")
    client.post(f"/gestion/equipe/{_id(app, email)}/admin-partenaire", data={"valeur": "1"})
    with app.app_context():
        assert session().scalar(select(StaffUser.partner_admin).where(StaffUser.email == email))
    assert client.post("/gestion/equipe/999999/sessions").status_code == 404


def test_r_sec_1_password_change_ends_other_sessions(client, app, make_staff):
    email, password = make_staff("partner", partner="sogec")
    login_staff(client, email, password)
    other = app.test_client()
    login_staff(other, email, password)
    wrong = client.post(
        "/personnel/mot-de-passe",
        data={"current_password": "faux", "new_password": "x" * 14, "confirm": "x" * 14},
    )
    assert wrong.status_code == 422 and "Mot de passe actuel incorrect" in wrong.get_data(
        as_text=True
    )
    differ = client.post(
        "/personnel/mot-de-passe",
        data={"current_password": password, "new_password": "x" * 14, "confirm": "y" * 14},
    )
    assert differ.status_code == 422
    ok = client.post(
        "/personnel/mot-de-passe",
        data={"current_password": password, "new_password": "x" * 14, "confirm": "x" * 14},
    )
    assert ok.status_code == 302
    assert client.get("/partenaire/").status_code == 200
    assert other.get("/partenaire/").status_code == 302


def test_r_sec_1_tokens_from_the_back_office(client, app, make_staff, make_partner):
    make_partner("sogec")
    _admin(client, make_staff)
    resp = client.post("/gestion/equipe/jetons/", data={"partner": "sogec", "name": "Caisse"})
    raw = re.search(r'id="new-token">([^<]+)<', resp.get_data(as_text=True)).group(1)
    assert raw.startswith("cgos_")
    assert client.post("/gestion/equipe/jetons/", data={"partner": "sogec"}).status_code == 422
    with app.app_context():
        token_id = session().scalar(select(ApiToken.id))
    client.post(f"/gestion/equipe/jetons/{token_id}/revoquer")
    assert "Révoqué le" in client.get("/gestion/equipe/jetons/").get_data(as_text=True)
    assert client.post("/gestion/equipe/jetons/999999/revoquer").status_code == 404


def test_r_sec_1_security_log_page_filters_and_retention(client, app, make_staff, clock):
    email = _admin(client, make_staff)
    client.post("/gestion/connexion", data={"email": "x@y.example", "password": "z" * 12})
    page = client.get("/gestion/equipe/securite?type=login_unknown").get_data(as_text=True)
    assert "x@y.example" in page and email not in page
    page = client.get(f"/gestion/equipe/securite?compte={email}").get_data(as_text=True)
    assert "Connexion" in page and "x@y.example" not in page
    assert client.get("/gestion/equipe/securite?du=nimporte&au=2027-13-45").status_code == 200
    with app.app_context():
        with unit_of_work() as s:
            s.add(
                SecurityEvent(
                    at=datetime(2020, 1, 1), kind="login", email="old@x", client="", detail=""
                )
            )
        clock.set(datetime.now() + timedelta(days=1))
        assert purge_security_log() >= 1
        assert session().scalar(select(SecurityEvent).where(SecurityEvent.email == "old@x")) is None
