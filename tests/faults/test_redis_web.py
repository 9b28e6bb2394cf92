"""R-SEC-3, defect 5a: Redis stopped and restarted while agents log in and buy.

The store runs with a private redis-server for everything Redis does in production: rate
limits, the catalog and session caches, the drain flag and the Celery queue (no worker
here: with the queue down mails go out in-process). While Redis is down every page still
answers without a 5xx, the login limits count in memory, and once Redis is back the
limits are counted there again.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from shop.db import session
from shop.mail import MailStatus, OutboxMail, retry_pending
from tests.faults.shop_flow import (
    assert_consistent,
    buy,
    login,
    no_5xx,
    seed_store,
    staff_login,
)
from tests.harness import close_app, committing_app

LIMIT = 6  # login POSTs per minute and address, during the test


@pytest.fixture
def redis_store(app: Any, private_redis: Any, smtp_server: Any) -> Iterator[Any]:
    real = committing_app(
        app,
        smtp_server[1],
        REDIS_URL=private_redis.url,
        RATELIMIT_STORAGE_URI=private_redis.url,
        RATELIMIT_LOGIN=f"{LIMIT} per minute",
        CATALOG_CACHE_SECONDS=30,
        SESSION_CACHE_SECONDS=10,
    )
    try:
        yield seed_store(real, agents=3)
    finally:
        close_app(real)


def _limiter_keys(server: Any) -> list[bytes]:
    import redis

    client = redis.Redis.from_url(server.url, socket_timeout=1)
    try:
        return client.keys("LIMITS*")
    finally:
        client.close()


def test_r_sec_3_redis_down_logins_and_purchases_answer(
    redis_store: Any, private_redis: Any, mailbox: Any
) -> None:
    store = redis_store
    app = store.app
    first, second, third = (app.test_client() for _ in range(3))
    assert login(first, store.numbers[0]).status_code == 302
    no_5xx([first.get("/"), first.get("/categorie/parcs-et-loisirs")])
    no_5xx(buy(first, store))
    assert _limiter_keys(private_redis), "the limits are counted in Redis"

    private_redis.stop()
    started = time.monotonic()
    responses = [
        login(second, store.numbers[1]),
        third.post(
            "/code-acces",
            data={"cgos_number": store.numbers[2], "birth_year": "1984", "birth_month": "5"},
        ),
        staff_login(third, store),
        first.get("/"),
        first.get("/categorie/parcs-et-loisirs"),
        first.get(f"/offre/{store.offer_id}"),
        first.get("/recherche?q=parc"),
        second.get("/"),
        *buy(second, store, 2),
        *buy(first, store),
        first.get("/mes-commandes/"),
    ]
    took = time.monotonic() - started
    no_5xx(responses)
    assert responses[0].status_code == 302, "agent login during the outage"
    assert responses[2].status_code == 302, "staff login during the outage"
    assert [
        r.status_code
        for r in responses
        if r.request.path == "/commande/" and r.request.method == "POST"
    ] == [302, 302]
    assert took < 15, f"{took:.1f} s for {len(responses)} requests with Redis down"

    # The per-address limit still holds, counted in memory.
    statuses = [login(app.test_client(), "99999999Z").status_code for _ in range(LIMIT + 1)]
    assert 429 in statuses and 500 not in statuses, statuses

    private_redis.start()
    deadline = time.monotonic() + 20
    while not _limiter_keys(private_redis):
        assert time.monotonic() < deadline, "limits never counted in Redis again"
        status = login(app.test_client(), "99999999Z").status_code
        assert status in (422, 429), status
        time.sleep(0.5)
    statuses = [login(app.test_client(), "99999999Z").status_code for _ in range(LIMIT + 1)]
    assert statuses[-1] == 429, statuses

    # Nothing lost: three orders, each with its mail (the first one's drain was queued in
    # the Redis that died: the scheduled retry sends it); stock and cap consistent.
    assert assert_consistent(store) == 3
    with app.app_context():
        retry_pending()
        statuses = list(session().scalars(select(OutboxMail.status)))
    assert statuses == [MailStatus.SENT] * 3, statuses
    subjects = [m["Subject"] for m in mailbox.wait_for(3, timeout=10)]
    assert sum("commande" in s.lower() for s in subjects) >= 3, subjects


def test_r_sec_3_redis_hung_costs_a_second_not_a_timeout_per_call(
    redis_store: Any, private_redis: Any, mailbox: Any
) -> None:
    """Redis stopped (SIGSTOP) rather than dead: every call would wait for its socket
    timeout. After the first one, the process leaves Redis alone for a while."""
    store = redis_store
    app = store.app
    first, second = app.test_client(), app.test_client()
    assert login(first, store.numbers[0]).status_code == 302
    no_5xx([first.get("/")])

    pid = private_redis._process.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        responses = [
            login(second, store.numbers[1]),
            *buy(first, store),
            first.get("/"),
            first.get("/categorie/parcs-et-loisirs"),
            first.get("/mes-commandes/"),
        ]
        took = time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGCONT)
    no_5xx(responses)
    assert responses[0].status_code == 302
    assert responses[4].status_code == 302, "the order is placed"
    assert took < 8, f"{took:.1f} s for {len(responses)} requests with Redis hung"
    assert assert_consistent(store) == 1
    (msg,) = mailbox.wait_for(1, timeout=10)  # sent in-process, the queue being unreachable
    assert "commande" in msg["Subject"].lower()


def test_r_sec_3_redis_killed_during_a_rush_of_logins_and_purchases(
    redis_store: Any, private_redis: Any, mailbox: Any
) -> None:
    """B7: buyers log in and buy in parallel while Redis dies and comes back."""
    store = redis_store
    app = store.app
    app.config["RATELIMIT_LOGIN"] = "1000 per minute"  # all buyers share one address here
    results: list[list[Any]] = [[] for _ in store.numbers]
    errors: list[BaseException] = []

    def shopper(index: int) -> None:
        try:
            for _ in range(4):
                client = app.test_client()
                results[index].append(login(client, store.numbers[index]))
                results[index].extend(buy(client, store))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(len(store.numbers))]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    private_redis.stop()
    time.sleep(1.5)
    private_redis.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a buyer is stuck"
    assert not errors, errors

    responses = [r for rs in results for r in rs]
    no_5xx(responses)
    logins = [r for r in responses if r.request.path == "/connexion"]
    assert [r.status_code for r in logins] == [302] * 12
    placed = [r for r in responses if r.request.path == "/commande/" and r.request.method == "POST"]
    assert [r.status_code for r in placed] == [302] * 12
    assert assert_consistent(store) == 12
    with app.app_context():
        retry_pending()  # what beat or cron does for a drain lost with Redis
        statuses = list(session().scalars(select(OutboxMail.status)))
    assert statuses == [MailStatus.SENT] * 12, statuses
