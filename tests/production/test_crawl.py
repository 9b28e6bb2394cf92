"""Every route of ``app.url_map`` as every role (issue #17, production-mode layer; the
security review's authorisation matrix A1): no 5xx, members-only pages gated, the others'
objects 404/403, staff pages closed to agents and the reverse. See ``crawler.py``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.production.crawler import (
    Crawler,
    absent_kinds,
    collect_targets,
    is_login,
    unfilled_rules,
)
from tests.production.seed import Account

REVIEWED_MATRIX = 307  # requests of the security review's authorisation matrix (A1)


def test_every_route_parameter_can_be_filled(production_app: Any) -> None:
    """A new route whose URL arguments the crawler cannot fill fails here, by name: add
    its arguments to crawler.PARAMETERS (and the seed, if it needs a new kind of id)."""
    assert unfilled_rules(production_app.url_map) == []


def _members_page(account: Account) -> str:
    if account.kind == "agent":
        return "/mes-commandes/"
    if account.role == "gestionnaire":
        return "/gestion/rapports/"  # R-REP-4: the rest of /gestion is a 404 for them
    return "/partenaire/" if account.role.startswith("partner_") else "/gestion/"


def test_crawl_every_route_as_every_role(world: Any) -> None:
    targets = collect_targets(world.app, world.accounts)
    sessions = {role: (account, world.browser(role)) for role, account in world.accounts.items()}
    crawler = Crawler(world.app.url_map, targets, world.app.extensions["db"].dialect)
    with ThreadPoolExecutor(max_workers=3) as pool:
        outcome = crawler.crawl(sessions, lambda phase: list(pool.map(phase, sessions)))

    # Last, each session ends with « Se déconnecter »: the old cookie opens nothing.
    for account, browser in sessions.values():
        if account.kind in ("agent", "staff"):
            page = _members_page(account)
            assert browser.get(page).status_code == 200, (account.role, page)
            resp = browser.post("/deconnexion", data={"csrf_token": browser.csrf_token()})
            assert resp.status_code == 302, (account.role, resp.status_code)
            login = "/connexion" if account.kind == "agent" else "/gestion/connexion"
            assert is_login(browser.get(page), login), (account.role, "still logged in")

    print(
        f"\n{outcome.requests} requests, statuses {dict(sorted(outcome.by_status.items()))}; "
        f"made-up ids only for: {absent_kinds(targets)}; known 5xx: {sorted(outcome.known)}"
    )
    for key, statuses in sorted(outcome.by_role.items()):
        print(f"  {key}: {dict(sorted(statuses.items()))}")
    assert not outcome.problems, "\n".join(sorted(outcome.problems))
    assert absent_kinds(targets) == [], "seed at least one object of each kind"
    assert outcome.requests >= REVIEWED_MATRIX


def test_a_new_route_with_unknown_parameters_is_named() -> None:
    """The table check above fails for a route nobody taught the crawler, by its name."""
    from werkzeug.routing import Map, Rule

    url_map = Map([Rule("/mes-gadgets/<int:gadget_id>", endpoint="agent.gadgets.show")])
    (problem,) = unfilled_rules(url_map)
    assert "/mes-gadgets/<int:gadget_id> (agent.gadgets.show)" in problem
    assert "gadget_id" in problem
