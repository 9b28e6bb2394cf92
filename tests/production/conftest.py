"""Production-mode layer: the store served the way the README's "Production" section
deploys it, and tested from the outside.

- ``gunicorn -c gunicorn.conf.py wsgi:app`` with ``WEB_CONCURRENCY=2`` (fresh worker
  processes, and again after ``kill -HUP``), one ``celery -A shop.celery_app worker``,
  a private ``redis-server`` as ``REDIS_URL`` (rate limits, caches, broker), mails to the
  suite's aiosmtpd server, ``TRUSTED_PROXY_COUNT=1`` (see ``tests/production/stack.py``).
- The suite's database (SQLite file or ``TEST_DATABASE_URL``) migrated by the session
  ``app`` fixture, committing for real (no savepoint-wrapped session): emptied before and
  after, like the browser tests.
- Cookies: ``SESSION_COOKIE_SECURE`` keeps its production default (1). The test client
  plays the TLS proxy: it sends ``X-Forwarded-Proto: https`` and ``X-Forwarded-For`` and
  its jar returns Secure cookies over the loopback. Turning Secure off (as the benchmark
  does) would test a configuration nobody deploys, and would hide a cookie that is not
  Secure; the login helper asserts it is.
- Data: ``seed-demo``'s services in this process, then purchases and messages through
  gunicorn as the agents make them (``tests/production/seed.py``).

One stack per package (about 5 s to start); each test module may HUP or restart it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shop import create_app
from tests.harness import DATABASE_URL, Clock, Mailbox, base_overrides, dispose_engine, truncate_all
from tests.processes import RedisServer
from tests.production import seed
from tests.production.client import Browser
from tests.production.stack import SECRET_KEY, Stack, production_stack


@dataclass
class World:
    """The running stack, its users and what they own."""

    stack: Stack
    accounts: dict[str, seed.Account]
    orders: dict[str, list[str]]  # role → order numbers
    messages: dict[str, list[int]]  # role → contact message ids
    app: Any  # an in-process app on the same database, for reading ids

    def browser(self, role: str, ip: str | None = None) -> Browser:
        """A new client (own cookies) for ``role``, logged in."""
        index = list(self.accounts).index(role)
        b = Browser(self.stack.url, ip or f"203.0.113.{10 + index}")
        seed.login(b, self.accounts[role])
        return b


@pytest.fixture(scope="package")
def production_app(app: Any, smtp_server: tuple[Mailbox, int]) -> Iterator[Any]:
    """An in-process app on the suite's database that commits for real (seeding, reads);
    ``app`` is a dependency so that the schema exists."""
    local = create_app(base_overrides(smtp_server[1], SECRET_KEY=SECRET_KEY))
    local.extensions["clock"] = Clock()
    truncate_all(local)
    try:
        yield local
    finally:
        truncate_all(local)
        dispose_engine(local)


@pytest.fixture(scope="package")
def world(
    production_app: Any, smtp_server: tuple[Mailbox, int], tmp_path_factory: Any
) -> Iterator[World]:
    accounts = seed.seed_reference_data(production_app)
    redis = RedisServer()
    redis.start()
    logs: Path = tmp_path_factory.mktemp("stack")
    try:
        with production_stack(
            DATABASE_URL,
            redis.url,
            smtp_server[1],
            logs=logs,
            # Sessions a test prepares before restarting gunicorn are still in Redis when
            # the fresh workers get their first requests (as under steady traffic), even
            # if the busy CI machine takes longer than the default 10 s to restart.
            SESSION_CACHE_SECONDS="300",
        ) as stack:
            w = World(stack, accounts, {}, {}, production_app)
            _shop(w)
            yield w
    finally:
        redis.close()


def _shop(w: World) -> None:
    """Each agent buys by card (an e-billet and a paper ticket sent by its partner, hence
    a shipment group) and writes to support; a line stays in each cart."""
    offer = {
        name: seed.offer_id(w.app, title)
        for name, title in [
            ("cine", "E-billet CinéRéseau"),  # sogec, open e-billet
            ("paper", "Place Les Écrans de France"),  # sogec, open ticket by post
            ("circus", "Cirque Éclipse"),  # festibillet, dated
        ]
    }
    purchases = {
        "agent_a": [("cine", "e_billet"), ("paper", "courrier")],
        "agent_b": [("cine", "e_billet"), ("paper", "courrier"), ("circus", "courrier")],
    }
    for role, items in purchases.items():
        b = w.browser(role)
        for name, delivery in items:
            assert seed.add_to_cart(b, offer[name], delivery) == 302, (role, name)
        w.orders[role] = [seed.checkout(b), seed.checkout_one(b, offer["cine"], method="cheque")]
        w.messages[role] = [seed.write_to_support(b)]
        if role == "agent_a":
            seed.pre_register(b, w.app)
        seed.seat_alerts(w.app, w.accounts[role].owner, offer["cine"])
        assert seed.add_to_cart(b, offer["cine"], "e_billet") == 302


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here carries the ``production`` marker (``-m "not production"`` skips the
    layer in a quick local run; CI runs it on both databases)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.production)
