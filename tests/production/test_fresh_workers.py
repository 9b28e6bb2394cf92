"""Issue #17 defect 2 (security review H3): fresh gunicorn workers whose first database
access is a write — logout, the partner API, the demonstration payment — answered 500 on
PostgreSQL, and the failed logout left the session alive. Checked right after gunicorn
starts and right after ``kill -HUP`` of its master (new workers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.production import seed
from tests.production.client import Browser
from tests.production.crawler import is_login


@dataclass
class FirstRequests:
    """Prepared before the restart, so that nothing reads the database in between: each
    session's CSRF token, a pending card order, an API token."""

    buyer: Browser
    buyer_token: str
    order_number: str
    leaver: Browser
    leaver_token: str
    leaver_cookie: str
    api: Browser


def _prepare(world: Any) -> FirstRequests:
    cine = seed.offer_id(world.app, "E-billet CinéRéseau")
    buyer = world.browser("agent_a")
    number = seed.checkout_one(buyer, cine, method="card", pay=False)
    leaver = world.browser("agent_b")
    api = Browser(world.stack.url, "203.0.113.200")
    seed.login(api, world.accounts["api_1"])
    return FirstRequests(
        buyer,
        buyer.csrf_token(),
        number,
        leaver,
        leaver.csrf_token(),
        leaver.cookies["cgos_session"],
        api,
    )


def _first_requests_are_writes(world: Any, first: FirstRequests) -> None:
    answers = {
        # authenticate_token records the token's use before anything is read
        "api scan": first.api.post("/api/v1/scans", json={"code": "CODE-INCONNU"}),
        "logout": first.leaver.post("/deconnexion", data={"csrf_token": first.leaver_token}),
        "demo payment": first.buyer.post(
            f"/commande/{first.order_number}/paiement-demo",
            data={"csrf_token": first.buyer_token, "outcome": "succeed"},
        ),
        "api scan again": first.api.post("/api/v1/scans", json={"code": "CODE-INCONNU"}),
    }
    statuses = {what: resp.status_code for what, resp in answers.items()}
    assert all(status < 500 for status in statuses.values()), (statuses, world.stack.errors())
    assert statuses["logout"] == 302 and statuses["demo payment"] == 302, statuses
    assert answers["api scan"].headers["Content-Type"].startswith("application/json")

    # The logout really ended the session: its old cookie no longer opens « Mes commandes ».
    replay = Browser(world.stack.url, "203.0.113.201")
    replay.cookies.set("cgos_session", first.leaver_cookie)
    assert is_login(replay.get("/mes-commandes/"), "/connexion")
    # The payment went through: the order page says so.
    page = first.buyer.get(f"/mes-commandes/{first.order_number}")
    assert page.status_code == 200 and "Payée" in page.text


@pytest.mark.parametrize("how", ["start", "hup"])
def test_defect_2_first_requests_of_fresh_workers_are_writes(world: Any, how: str) -> None:
    first = _prepare(world)
    if how == "start":
        world.stack.restart_web()
    else:
        world.stack.hup()
    _first_requests_are_writes(world, first)
