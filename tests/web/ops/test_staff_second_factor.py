"""Staff second factor (R-SEC-1): the code step, replay, recovery codes, throttle, forced
enrolment, partners offered it, secrets not readable in the database."""

from __future__ import annotations

import re

import pyotp
import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from auth import second_factor
from auth.models import SecurityEvent, StaffRecoveryCode, StaffUser
from shop.db import session, unit_of_work
from tests.factories import STAFF_RECOVERY_CODES, enrol_second_factor, login_staff


def _password_step(client, email, password):
    return client.post("/gestion/connexion", data={"email": email, "password": password})


def _user(app, email):
    with app.app_context():
        return session().scalar(select(StaffUser).where(StaffUser.email == email))


def _code(secret, app, offset=0):
    with app.app_context():
        step = second_factor.current_step() + offset
    return pyotp.TOTP(secret).at(step * second_factor.STEP_SECONDS)


def test_r_sec_1_operator_needs_the_code_after_the_password(client, make_staff, app, clock):
    clock.set("2027-03-01T10:00:00")
    email, password = make_staff("operator")
    resp = _password_step(client, email, password)
    assert resp.status_code == 302 and resp.location == "/gestion/connexion/code"
    # No session yet: the back office is closed.
    assert client.get("/gestion/").location.startswith("/gestion/connexion")
    # No other step can be taken first: each sends back to the code.
    for step in ("/gestion/connexion/activation", "/gestion/connexion/mot-de-passe"):
        assert client.get(step).location == "/gestion/connexion/code"
    assert client.get("/personnel/mot-de-passe").location.startswith("/gestion/connexion")
    page = client.get("/gestion/connexion/code").get_data(as_text=True)
    assert "Code de l&#39;application" in page or "Code de l'application" in page
    bad = client.post("/gestion/connexion/code", data={"code": "000000"})
    assert bad.status_code == 422
    assert "Code incorrect" in bad.get_data(as_text=True)
    assert client.get("/gestion/").status_code == 302


def test_r_sec_1_same_code_is_refused_on_replay(client, make_staff, app, clock):
    clock.set("2027-03-01T10:00:00")
    email, password = make_staff("admin", second_factor=False)
    user = _user(app, email)
    secret = None
    with app.app_context():
        secret = second_factor.unseal(user.totp_secret, user.id)
    code = _code(secret, app)
    _password_step(client, email, password)
    ok = client.post("/gestion/connexion/code", data={"code": code})
    assert ok.status_code == 302 and ok.location == "/gestion/"
    client.post("/deconnexion")
    _password_step(client, email, password)
    again = client.post("/gestion/connexion/code", data={"code": code})
    assert again.status_code == 422
    # An older step than the one used is refused too.
    older = client.post("/gestion/connexion/code", data={"code": _code(secret, app, -1)})
    assert older.status_code == 422


def test_r_sec_1_recovery_code_works_once(client, make_staff, app, clock):
    clock.set("2027-03-01T10:00:00")
    email, password = make_staff("operator")
    code = STAFF_RECOVERY_CODES[email][0]
    _password_step(client, email, password)
    resp = client.post("/gestion/connexion/code", data={"code": code.upper()})
    assert resp.status_code == 302 and resp.location == "/gestion/"
    client.post("/deconnexion")
    _password_step(client, email, password)
    assert client.post("/gestion/connexion/code", data={"code": code}).status_code == 422
    with app.app_context():
        kinds = set(session().scalars(select(SecurityEvent.kind)))
    assert {"recovery_code_used", "second_factor_failed", "login", "logout"} <= kinds


def test_r_sec_1_second_factor_is_throttled(client, make_staff, clock):
    clock.set("2027-03-01T10:00:00")
    email, password = make_staff("operator")
    _password_step(client, email, password)
    for _ in range(4):
        client.post("/gestion/connexion/code", data={"code": "123456"})
    fifth = client.post("/gestion/connexion/code", data={"code": "123456"})
    assert "bloqué pendant 15 minutes" in fifth.get_data(as_text=True)
    # The right code is refused too while locked.
    resp = client.post("/gestion/connexion/code", data={"code": STAFF_RECOVERY_CODES[email][0]})
    assert resp.status_code == 422


def test_r_sec_1_operator_without_second_factor_enrols_before_anything(
    client, app, make_staff, clock
):
    """create_staff alone leaves no factor: the login goes to enrolment, nothing else."""
    clock.set("2027-03-01T10:00:00")
    email, password = make_staff("partner", partner="sogec")  # no factor yet
    with app.app_context(), unit_of_work() as s:
        s.execute(
            StaffUser.__table__.update()
            .where(StaffUser.email == email)
            .values(role="operator", partner_id=None)
        )
    resp = _password_step(client, email, password)
    assert resp.location == "/gestion/connexion/activation"
    assert client.get("/gestion/").status_code == 302  # no session
    assert client.get("/gestion/connexion/code").status_code == 302
    page = client.get("/gestion/connexion/activation").get_data(as_text=True)
    # The QR code is drawn in the page (an SVG), by no script of its own: the only script
    # is the site menu's file.
    scripts = re.findall(r"<script[^>]*>", page)
    assert "<svg" in page and scripts == ['<script src="/static/js/menu.js" defer>']
    key = re.search(r'id="manual-key"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    # The stored secret is not the base32 secret (nor contains it).
    user = _user(app, email)
    assert user.totp_secret and key not in user.totp_secret and user.totp_enabled_at is None
    bad = client.post("/gestion/connexion/activation", data={"code": "000000"})
    assert bad.status_code == 422 and key in bad.get_data(as_text=True).replace(" ", "")
    done = client.post("/gestion/connexion/activation", data={"code": _code(key, app)})
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and text.count("<li><code>") == 10
    assert client.get("/gestion/").status_code == 200
    with app.app_context():
        hashes = list(session().scalars(select(StaffRecoveryCode.code_hash)))
    shown = re.findall(r"<li><code>([a-z0-9-]+)</code>", text)
    assert len(hashes) == 10 and not set(shown) & set(hashes)


def test_r_sec_1_partner_is_offered_it_and_then_must_use_it(client, app, make_staff, clock):
    clock.set("2027-03-01T10:00:00")
    email, password = make_staff("partner", partner="sogec")
    assert _password_step(client, email, password).location == "/partenaire/"
    page = client.get("/personnel/double-facteur").get_data(as_text=True)
    assert "Activer" in page
    client.post("/deconnexion")
    enrol_second_factor(app, email)
    assert _password_step(client, email, password).location == "/gestion/connexion/code"
    assert login_staff(client, email, password).location == "/partenaire/"


def test_r_sec_1_secret_is_not_readable_in_the_database(app, make_staff):
    email, _ = make_staff("admin")
    user = _user(app, email)
    with app.app_context():
        secret = second_factor.unseal(user.totp_secret, user.id)
        assert secret not in user.totp_secret
        assert user.totp_secret.startswith("v1:")
        # Bound to its account: copied onto another row it does not open.
        with pytest.raises(InvalidTag):
            second_factor.unseal(user.totp_secret, user.id + 1)


def test_r_sec_1_unknown_email_and_wrong_password_look_alike_but_are_logged(
    client, app, make_staff
):
    email, _ = make_staff("operator")
    one = _password_step(client, "personne@cgos-loisirs.example", "x" * 12)
    two = _password_step(client, email, "x" * 12)
    assert one.status_code == two.status_code == 422
    msg = "Adresse e-mail ou mot de passe incorrect."
    assert msg in one.get_data(as_text=True) and msg in two.get_data(as_text=True)
    with app.app_context():
        rows = session().execute(select(SecurityEvent.kind, SecurityEvent.email)).all()
    assert ("login_unknown", "personne@cgos-loisirs.example") in rows
    assert ("login_failed", email) in rows
