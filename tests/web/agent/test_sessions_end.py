"""R-SEC-1: a new access code or a change of rights ends the agent's other sessions, in
every process at once; the login cookie lives as long as the browser (L9)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime

import pytest

from members.dossier_format import parse_dossier
from members.importer import save_records
from tests.factories import agent_json, login_agent
from tests.harness import Mailbox

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CODE_RE = re.compile(r"prestataires CGOS Loisirs : ([A-Z0-9]{8})")


@pytest.fixture
def agent_line(app, db, clock):
    """One agent's dossier line, imported, with a code; returns (line, code)."""
    clock.set(datetime(2026, 3, 10, 9, 0))
    line = agent_json(email="camille@exemple.fr", dossier_year=2025)
    _import(app, line)
    from auth.services import issue_access_code

    with app.app_context():
        issue_access_code(line["cgos_number"], actor="test", send=False, code="ABCD2345")
    return line, "ABCD2345"


def _import(app, line, **changes) -> None:
    with app.app_context():
        save_records([parse_dossier({**line, **changes})], actor="test")


def _logged_in(app, line, code):
    client = app.test_client()
    assert login_agent(client, line["cgos_number"], code).status_code == 302
    assert client.get("/mes-commandes/").status_code == 200
    return client


def _ended(client) -> bool:
    resp = client.get("/mes-commandes/")
    return resp.status_code == 302 and "/connexion" in resp.location


def test_r_sec_1_code_issued_by_the_cli_ends_the_sessions(app, agent_line):
    line, code = agent_line
    tab = _logged_in(app, line, code)
    result = app.test_cli_runner().invoke(
        args=["access-code", "issue", line["cgos_number"], "--print"]
    )
    assert result.exit_code == 0, result.output
    assert _ended(tab)
    new_code = result.output.strip().rsplit(" ", 1)[1]
    assert _logged_in(app, line, new_code)


def test_r_sec_1_code_oublie_ends_the_other_sessions_but_the_askers(app, agent_line, mailbox):
    """Code oublié from a logged-in browser keeps that browser's session; every other one
    (a shared PC someone forgot to log out of) ends."""
    line, code = agent_line
    forgotten_pc = _logged_in(app, line, code)
    asker = _logged_in(app, line, code)
    asker.post(
        "/code-acces",
        data={"cgos_number": line["cgos_number"], "birth_year": "1984", "birth_month": "5"},
    )
    html = asker.post(
        "/code-acces/adresse",
        data={"email": "camille@exemple.fr", "email_confirm": "camille@exemple.fr"},
    ).get_data(as_text=True)
    assert "vous a été envoyé" in html
    new_code = CODE_RE.search(Mailbox.text_of(mailbox.wait_for(1)[0])).group(1)
    assert _ended(forgotten_pc)
    assert asker.get("/mes-commandes/").status_code == 200
    assert _logged_in(app, line, new_code)


def test_r_sec_1_anonymous_code_request_ends_every_session(app, agent_line, mailbox):
    line, code = agent_line
    tab = _logged_in(app, line, code)
    other = app.test_client()
    other.post(
        "/code-acces",
        data={"cgos_number": line["cgos_number"], "birth_year": "1984", "birth_month": "5"},
    )
    other.post(
        "/code-acces/adresse",
        data={"email": "camille@exemple.fr", "email_confirm": "camille@exemple.fr"},
    )
    mailbox.wait_for(1)
    assert _ended(tab)


@pytest.mark.parametrize("status", ["disponibilite", "retraite", "pm"])
def test_r_sec_1_a_status_change_by_import_ends_the_sessions(app, agent_line, status):
    line, code = agent_line
    tab = _logged_in(app, line, code)
    _import(app, line, status=status)
    assert _ended(tab)


def test_r_sec_1_rights_opened_by_a_new_dossier_year_end_the_sessions(app, agent_line, clock):
    """Rights closed (dossier 2024 on 10 March 2026), then opened by the 2025 dossier."""
    line, code = agent_line
    _import(app, line, dossier_year=2024)
    tab = _logged_in(app, line, code)
    assert "Vous ne pouvez pas commander" in tab.get("/").get_data(as_text=True)
    _import(app, line, dossier_year=2025)
    assert _ended(tab)


def test_r_sec_1_an_import_that_changes_no_right_keeps_the_sessions(app, agent_line):
    line, code = agent_line
    tab = _logged_in(app, line, code)
    _import(app, line, phone="0611111111", dossier_year=2026)  # still open, same status
    assert tab.get("/mes-commandes/").status_code == 200


def test_r_sec_1_pm_back_to_actif_by_import_does_not_revive_the_session(app, agent_line):
    """Two imports with no page seen in between: pm, then actif again."""
    line, code = agent_line
    tab = _logged_in(app, line, code)
    _import(app, line, status="pm")
    _import(app, line, status="actif")
    assert _ended(tab)
    assert _logged_in(app, line, code)


def test_r_sec_1_a_session_seen_as_pm_stays_ended(app, agent_line):
    """A status changed without an import (a remote dossier service): the first page seen
    as pm ends the session, so actif again does not bring it back."""
    from sqlalchemy import update

    from members.models import DossierAgent
    from shop.db import unit_of_work

    line, code = agent_line
    tab = _logged_in(app, line, code)

    def set_status(status: str) -> None:
        with app.app_context(), unit_of_work() as s:
            s.execute(
                update(DossierAgent)
                .where(DossierAgent.cgos_number == line["cgos_number"])
                .values(status=status)
            )

    set_status("pm")
    assert _ended(tab)
    set_status("actif")
    assert _ended(tab)


@pytest.fixture
def real_redis(app, db) -> Iterator[str]:
    """The session cache on a real Redis (TEST_REDIS_URL), as deployed: 10 s."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    saved = {k: app.config.get(k) for k in ("REDIS_URL", "SESSION_CACHE_SECONDS")}
    app.config.update(REDIS_URL=REDIS_URL, SESSION_CACHE_SECONDS=10)
    app.extensions.pop("cache_redis", None)
    before = set(client.scan_iter("cgos:cache:*"))
    yield REDIS_URL
    app.config.update(saved)
    app.extensions.pop("cache_redis", None)
    for key in set(client.scan_iter("cgos:cache:*")) - before:
        client.delete(key)
    client.close()


def test_r_sec_1_ended_sessions_end_at_once_despite_the_session_cache(app, agent_line, real_redis):
    """The sessions' rows were cached in Redis a moment before; a new code and a status
    change end them in every process at once, not SESSION_CACHE_SECONDS later."""
    import redis

    line, code = agent_line
    tab = _logged_in(app, line, code)
    assert tab.get("/mes-commandes/").status_code == 200
    cached = list(redis.Redis.from_url(REDIS_URL).scan_iter("cgos:cache:session:*"))
    assert cached, "the session rows were not cached"
    result = app.test_cli_runner().invoke(
        args=["access-code", "issue", line["cgos_number"], "--print"]
    )
    assert result.exit_code == 0, result.output
    assert _ended(tab)
    new_code = result.output.strip().rsplit(" ", 1)[1]
    tab = _logged_in(app, line, new_code)
    assert tab.get("/mes-commandes/").status_code == 200
    _import(app, line, status="disponibilite")
    assert _ended(tab)


def test_l9_the_login_cookie_ends_with_the_browser(app, agent_line, clock):
    """No Expires nor Max-Age: closing the browser of a shared hospital PC logs out; the
    server-side idle timeout and the 12-hour limit still apply."""
    line, code = agent_line
    client = app.test_client()
    resp = login_agent(client, line["cgos_number"], code)
    [cookie] = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("cgos_session=")]
    assert "expires" not in cookie.lower() and "max-age" not in cookie.lower()
    assert "HttpOnly" in cookie
    clock.advance(minutes=app.config["SESSION_LIFETIME_MINUTES"], seconds=1)
    assert _ended(client)
