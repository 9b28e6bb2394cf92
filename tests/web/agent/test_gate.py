"""The agent gate (R-GATE-1…5, R-DOS-2, R-DOS-3) through the web pages."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.factories import login_agent

MEMBERS_ONLY = ["/", "/?x=1"]
PUBLIC = [
    "/connexion",
    "/code-acces",
    "/aide",
    "/cgv",
    "/mentions-legales",
    "/accessibilite",
    "/donnees-personnelles",
    "/gestion/connexion",
    "/static/css/shop.css",
]


@pytest.mark.parametrize("url", MEMBERS_ONLY)
def test_r_gate_1_members_only_pages_redirect_to_login(client, url):
    resp = client.get(url)
    assert resp.status_code == 302
    assert resp.location.startswith("/connexion?next=")


@pytest.mark.parametrize("url", PUBLIC)
def test_r_gate_1_public_pages_open_to_anyone(client, url):
    with client.get(url) as resp:
        assert resp.status_code == 200


def test_r_gate_1_staff_pages_redirect_anonymous_to_staff_login(client):
    for url in ("/gestion/", "/gestion/journal", "/partenaire/"):
        resp = client.get(url)
        assert resp.status_code == 302
        assert resp.location.startswith("/gestion/connexion")


def test_labels_read_as_in_spec(client):
    html = client.get("/connexion").get_data(as_text=True)
    for label in ("N° C.G.O.S", "Code d&#39;accès prestataires", "Se connecter", "Code oublié ?"):
        assert label in html


def test_r_gate_2_login_normalises_number_and_code(client, make_agent):
    number, code = make_agent(code="ABCD2345")
    spaced = f" {number[:4]} {number[4:8]} {number[8].lower()} "
    resp = login_agent(client, spaced, code.lower())
    assert resp.status_code == 302 and resp.location == "/"
    assert "Bonjour Camille" in client.get("/").get_data(as_text=True)


def test_r_gate_2_same_message_for_wrong_code_and_unknown_number(client, make_agent):
    number, _ = make_agent()
    wrong_code = login_agent(client, number, "ZZZZ9999").get_data(as_text=True)
    unknown = login_agent(client, "99999998Z", "ZZZZ9999").get_data(as_text=True)
    assert "Identifiants incorrects" in wrong_code
    assert "Identifiants incorrects" in unknown
    strip = lambda html: html.split('name="cgos_number"')[0]  # noqa: E731
    assert strip(wrong_code) == strip(unknown)


def test_bad_number_format_is_shown_beside_the_field_and_kept(client):
    resp = login_agent(client, "1234", "ABCD2345")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "8 chiffres suivis d&#39;une lettre" in html
    assert 'value="1234"' in html
    assert 'aria-invalid="true"' in html


def test_empty_login_form_is_refused_in_french(client):
    resp = client.post("/connexion", data={})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Saisissez votre N° C.G.O.S." in html
    assert "Saisissez votre code d&#39;accès prestataires." in html


def test_r_gate_5_fourth_failure_still_allows_fifth_locks(client, make_agent, clock):
    number, code = make_agent()
    clock.set(datetime(2026, 3, 10, 9, 0))
    for _ in range(4):
        assert "Identifiants incorrects" in login_agent(client, number, "WRONG234").get_data(
            as_text=True
        )
    # After 4 failures the right code still works and resets the counter.
    assert login_agent(client, number, code).status_code == 302
    client.post("/deconnexion")
    for _ in range(4):
        login_agent(client, number, "WRONG234")
    fifth = login_agent(client, number, "WRONG234").get_data(as_text=True)
    assert "bloquée pendant 15 minutes" in fifth
    assert "Code oublié" in fifth
    # Locked: even the right code is refused now.
    assert "bloquée" in login_agent(client, number, code).get_data(as_text=True)


def test_r_gate_5_lock_lifts_after_15_minutes(client, make_agent, clock):
    number, code = make_agent()
    clock.set(datetime(2026, 3, 10, 9, 0))
    for _ in range(5):
        login_agent(client, number, "WRONG234")
    clock.advance(minutes=14, seconds=59)
    assert "bloquée" in login_agent(client, number, code).get_data(as_text=True)
    clock.advance(seconds=2)
    assert login_agent(client, number, code).status_code == 302


def test_r_gate_5_unknown_number_locks_the_same_way(client, clock):
    clock.set(datetime(2026, 3, 10, 9, 0))
    for _ in range(4):
        login_agent(client, "99999997Z", "WRONG234")
    assert "bloquée" in login_agent(client, "99999997Z", "WRONG234").get_data(as_text=True)


def test_r_dos_2_pm_refused_with_pointer_to_portal(client, make_agent, app):
    number, code = make_agent(status="pm")
    resp = login_agent(client, number, code)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert app.config["PM_PORTAL_URL"] in html
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("today", "can_order"),
    [(date(2027, 10, 31), True), (date(2027, 11, 1), False)],
)
def test_r_dos_2_rights_end_31_october_of_next_year(client, make_agent, clock, today, can_order):
    number, code = make_agent(dossier_year=2026)
    clock.set(today)
    login_agent(client, number, code)
    html = client.get("/").get_data(as_text=True)
    assert ("Vous ne pouvez pas commander" not in html) is can_order
    if not can_order:
        assert "constituez votre dossier C.G.O.S 2027" in html


def test_r_dos_3_disponibilite_logs_in_and_is_told_why(client, make_agent):
    number, code = make_agent(status="disponibilite")
    assert login_agent(client, number, code).status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "Vous ne pouvez pas commander" in html
    assert "disponibilité" in html


def test_retiree_keeps_rights(client, make_agent, clock):
    number, code = make_agent(status="retraite", dossier_year=2026)
    clock.set(date(2026, 12, 1))
    login_agent(client, number, code)
    assert "Droits ouverts jusqu'au dimanche 31 octobre 2027" in client.get("/").get_data(
        as_text=True
    )


def test_session_renewed_at_login_and_ended_server_side_at_logout(client, make_agent, app):
    number, code = make_agent()
    client.get("/connexion")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    login_agent(client, number, code)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        stolen = dict(sess)
    client.post("/deconnexion")
    assert client.get("/").status_code == 302
    # Replaying the cookie content from before logout does not log back in.
    with client.session_transaction() as sess:
        sess.update(stolen)
    assert client.get("/").status_code == 302


def test_next_parameter_never_leaves_the_site(client, make_agent):
    number, code = make_agent()
    resp = client.post(
        "/connexion?next=//evil.example/x", data={"cgos_number": number, "access_code": code}
    )
    assert resp.location == "/"


@pytest.mark.parametrize(
    "target",
    ["/%0A", "/%0D%0ASet-Cookie:x=1", "/mes-commandes/%0A", "/%09/evil.example", "/\\evil.example"],
)
def test_next_with_control_characters_falls_back_home(client, make_agent, target):
    """A newline in ``next`` would make the redirect header invalid (a 500 after a login
    that succeeded): such a target is dropped, the agent lands on the home page."""
    number, code = make_agent()
    resp = client.post(
        f"/connexion?next={target}", data={"cgos_number": number, "access_code": code}
    )
    assert resp.status_code == 302
    assert resp.location == "/"
    assert client.get("/").status_code == 200


def test_next_local_path_is_kept(client, make_agent):
    number, code = make_agent()
    resp = client.post(
        "/connexion?next=/mes-commandes/%3Fpage%3D2",
        data={"cgos_number": number, "access_code": code},
    )
    assert resp.location == "/mes-commandes/?page=2"


def test_session_expires_after_idle_time(client, make_agent, clock, app):
    number, code = make_agent()
    clock.set(datetime(2026, 3, 10, 9, 0))
    login_agent(client, number, code)
    assert client.get("/").status_code == 200
    clock.advance(minutes=app.config["SESSION_LIFETIME_MINUTES"], seconds=1)
    assert client.get("/").status_code == 302


def test_activity_keeps_the_session_alive_up_to_12_hours(client, make_agent, clock, app):
    number, code = make_agent()
    clock.set(datetime(2026, 3, 10, 9, 0))
    login_agent(client, number, code)
    for _ in range(11):
        clock.advance(hours=1)
        assert client.get("/").status_code == 200
    clock.advance(hours=1, seconds=1)
    assert client.get("/").status_code == 302


def test_security_headers(client):
    resp = client.get("/connexion")
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_unknown_page_is_a_french_404(client):
    resp = client.get("/nulle-part")
    assert resp.status_code == 404
    assert "Page introuvable" in resp.get_data(as_text=True)


def test_r_hlp_2_faq_answers_the_common_questions(client):
    page = client.get("/aide").get_data(as_text=True)
    for topic in ("code d&#39;accès", "chèque", "livraison", "e-billet", "annulation"):
        assert topic.lower() in page.lower() or topic.replace("&#39;", "'") in page.lower()
    assert "Billetterie C.G.O.S - SOGEC GESTION" in page


def test_health_check_answers_without_login_or_database(client, app):
    """``/sante`` is the deployment's liveness check (and the benchmarks' trivial page)."""
    from sqlalchemy import event

    engine = app.extensions["db"].engine
    seen: list[str] = []

    def _count(*args):
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", _count)
    try:
        resp = client.get("/sante")
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    assert resp.status_code == 200
    assert resp.get_data(as_text=True) == "ok\n"
    assert resp.headers["Cache-Control"] == "no-store"
    assert seen == []


def test_r_gate_3_code_hashed_with_older_parameters_is_rehashed_at_login(client, make_agent, app):
    """Codes use Argon2id at OWASP's minimum; an older, costlier hash is replaced when the
    agent next logs in with the right code (and only then)."""
    from argon2 import PasswordHasher
    from sqlalchemy import update

    from auth.models import AccessCode
    from shop.db import session, unit_of_work

    number, code = make_agent(code="ABCD2345")
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(code)
    with app.app_context(), unit_of_work() as s:
        s.execute(update(AccessCode).where(AccessCode.cgos_number == number).values(code_hash=old))
    assert login_agent(client, number, "WRONG234").status_code == 422
    with app.app_context():
        assert session().get(AccessCode, number).code_hash == old
    assert login_agent(client, number, code).status_code == 302
    with app.app_context():
        new = session().get(AccessCode, number).code_hash
    assert new != old and new.startswith("$argon2id$v=19$m=7168,t=5,p=1$")


def test_r_gate_3_argon2_build_reproduces_known_hashes():
    """Whatever build of the Argon2 bindings is installed (PyPI's wheel, or the one
    ``bin/build-argon2`` compiles for the host's CPU), it gives the hashes every other
    build gives: codes hashed on one host verify on any other."""
    from argon2 import PasswordHasher
    from argon2.low_level import Type, hash_secret_raw

    from auth.services import hash_code

    def raw(secret: bytes, salt: bytes, t: int, m: int) -> str:
        return hash_secret_raw(
            secret, salt, time_cost=t, memory_cost=m, parallelism=1, hash_len=32, type=Type.ID
        ).hex()

    assert raw(b"3EZKP3MF", b"cgos-loisirs-kat", 5, 7168) == (
        "eba3b6778f960198bb12b871e50c7946ef74d2c6752484f23bc8bd6e471f593e"
    )
    assert raw(b"password", b"somesalt", 2, 65536) == (
        "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7"
    )
    stored = hash_code("3EZKP3MF")
    assert PasswordHasher().verify(stored, "3EZKP3MF")
