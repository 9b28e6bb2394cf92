"""R-SEC-2 with R-GATE-5: a stranger who knows an N° C.G.O.S (or a staff e-mail) locks only
their own client out, never the agent or the admin, at the login, at « Code oublié » and at
the staff login."""

from __future__ import annotations

import re
from datetime import datetime

from tests.factories import login_agent, login_staff

ATTACKER = "203.0.113.9"
AGENT = "198.51.100.7"


def _from(client, address):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _step1(client, number, month="5"):
    return client.post(
        "/code-acces", data={"cgos_number": number, "birth_year": "1984", "birth_month": month}
    )


def test_r_sec_2_failures_from_one_address_do_not_lock_the_agent_elsewhere(app, make_agent, clock):
    number, code = make_agent()
    clock.set(datetime(2026, 3, 10, 9, 0))
    attacker = _from(app.test_client(), ATTACKER)
    for _ in range(10):
        html = login_agent(attacker, number, "WRONG234").get_data(as_text=True)
    assert "bloquée pendant 15 minutes" in html
    # R-GATE-5 still holds for the attacker's client: even the right code is refused there.
    assert login_agent(attacker, number, code).status_code == 422
    agent = _from(app.test_client(), AGENT)
    assert login_agent(agent, number, code).status_code == 302


def test_r_sec_2_many_addresses_throttle_the_number_without_locking_the_agent(
    app, make_agent, clock
):
    """Past LOGIN_MAX_FAILURES_PER_NUMBER failures from all clients, each further client
    is locked at its first failure (guessing slows down to one try per address), yet the
    agent typing the right code from a fresh address gets in."""
    number, code = make_agent()
    clock.set(datetime(2026, 3, 10, 9, 0))
    limit = app.config["LOGIN_MAX_FAILURES_PER_NUMBER"]
    per_client = app.config["LOGIN_MAX_FAILURES"]
    for i in range(-(-limit // per_client)):
        bot = _from(app.test_client(), f"203.0.113.{10 + i}")
        for _ in range(per_client):
            login_agent(bot, number, "WRONG234")
    late = _from(app.test_client(), "203.0.113.200")
    assert "bloquée" in login_agent(late, number, "WRONG234").get_data(as_text=True)
    assert login_agent(late, number, code).status_code == 422
    assert login_agent(_from(app.test_client(), AGENT), number, code).status_code == 302


def test_r_sec_2_ipv6_clients_count_per_64_block(app, make_agent, clock):
    """One host owns a whole /64: changing the last bits is the same client."""
    number, code = make_agent()
    clock.set(datetime(2026, 3, 10, 9, 0))
    for i in range(5):
        bot = _from(app.test_client(), f"2001:db8:1:2::{i + 1:x}")
        html = login_agent(bot, number, "WRONG234").get_data(as_text=True)
    assert "bloquée" in html
    other_host = _from(app.test_client(), "2001:db8:1:2::ff")
    assert login_agent(other_host, number, code).status_code == 422
    assert login_agent(_from(app.test_client(), "2001:db8:9:9::1"), number, code).status_code == 302


def test_r_sec_2_staff_lock_is_tied_to_the_client(app, make_staff, clock):
    clock.set(datetime(2026, 3, 10, 9, 0))
    email, password = make_staff("admin")
    attacker = _from(app.test_client(), ATTACKER)
    for _ in range(6):
        html = login_staff(attacker, email, "mauvais-mot-de-passe").get_data(as_text=True)
    assert "bloqué pendant 15 minutes" in html
    assert login_staff(attacker, email, password).status_code == 422
    assert login_staff(_from(app.test_client(), AGENT), email, password).status_code == 302


def test_r_sec_2_code_request_lock_is_tied_to_the_client(app, make_agent, clock):
    number, _ = make_agent()
    clock.set(datetime(2026, 3, 10, 9, 0))
    attacker = _from(app.test_client(), ATTACKER)
    for month in ("1", "2", "3", "4", "6", "7"):
        _step1(attacker, number, month=month)
    assert "bloquée" in _step1(attacker, number).get_data(as_text=True)
    resp = _step1(_from(app.test_client(), AGENT), number)
    assert resp.status_code == 302 and resp.location.endswith("/code-acces/adresse")


def test_l11_locked_code_request_does_not_send_the_agent_to_itself(app, make_agent, clock):
    """The locked « Code oublié » page says what to do instead: wait, use the current code,
    or call the ticket office; it never points back to « Code oublié ? »."""
    number, _ = make_agent()
    clock.set(datetime(2026, 3, 10, 9, 0))
    client = _from(app.test_client(), ATTACKER)
    for month in ("1", "2", "3", "4", "6"):
        html = _step1(client, number, month=month).get_data(as_text=True)
    alert = re.search(r'role="alert"[^>]*>(.*?)</', html, re.S).group(1)
    assert "bloquée pendant 15 minutes" in alert
    assert "Code oublié" not in alert and "Code oublié" not in html
    assert "01 70 56 59 24" in alert
    assert "connexion" not in alert.lower()


def test_r_gate_5_login_lock_still_points_to_code_oublie(app, make_agent, clock):
    number, _ = make_agent()
    clock.set(datetime(2026, 3, 10, 9, 0))
    client = _from(app.test_client(), ATTACKER)
    for _ in range(5):
        html = login_agent(client, number, "WRONG234").get_data(as_text=True)
    assert "bloquée pendant 15 minutes" in html and "Code oublié" in html


def test_r_gate_3_a_new_code_lifts_every_client_lock(app, make_agent, clock):
    from auth.services import issue_access_code

    number, _ = make_agent()
    clock.set(datetime(2026, 3, 10, 9, 0))
    client = _from(app.test_client(), ATTACKER)
    for _ in range(5):
        login_agent(client, number, "WRONG234")
    with app.app_context():
        code = issue_access_code(number, actor="test", send=False)
    assert login_agent(client, number, code).status_code == 302
