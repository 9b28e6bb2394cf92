"""R-DOS-4 / R-SEC-3, defect 6: the dossier service down, failing or slow while agents
are logged in.

A real HTTP server on the loopback plays the service (tests/services); the store reaches
it with a short timeout. Each "fresh worker" is the process cache forgotten: the agent's
last good answer, kept in Redis, stands in. With no answer known, a French 503 page,
asked once and not again before ``DOSSIER_RETRY_SECONDS``; once the service is back,
pages and the cart are as they were.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from auth.services import issue_access_code
from members.dossiers import RemoteDossierSource
from tests.concurrency.helpers import seed_offer
from tests.dossier_standin import FakeDossierService
from tests.faults.shop_flow import CODE, STOCK, Store, assert_consistent, buy, login, no_5xx
from tests.harness import close_app, committing_app, free_port

TIMEOUT = 0.5


@pytest.fixture
def remote_store(
    app: Any, dossier_service: FakeDossierService, private_redis: Any, smtp_server: Any
) -> Iterator[Store]:
    real = committing_app(
        app,
        smtp_server[1],
        REDIS_URL=private_redis.url,
        DOSSIER_SERVICE_URL=dossier_service.url,
        DOSSIER_SERVICE_TIMEOUT=TIMEOUT,
        DOSSIER_CACHE_SECONDS=0,  # every page asks the service
        DOSSIER_RETRY_SECONDS=30,
    )
    RemoteDossierSource.clear_cache()
    try:
        numbers = [dossier_service.add(household_id="H-DOS")["cgos_number"] for _ in range(2)]
        offer_id, _ = seed_offer(real, stock=STOCK, title="Parc des fautes")
        with real.app_context():
            for number in numbers:
                issue_access_code(number, actor="test", send=False, code=CODE)
        dossier_service.delay = 5.0
        yield Store(real, numbers, "H-DOS", offer_id, "")
    finally:
        RemoteDossierSource.clear_cache()
        close_app(real)


def _pages(client: Any, store: Store) -> list[Any]:
    return [
        client.get(path)
        for path in ("/", "/panier/", f"/offre/{store.offer_id}", "/mes-commandes/", "/aide")
    ]


@pytest.mark.parametrize("fault", ["slow", "500", "down"])
def test_r_dos_4_logged_in_agents_keep_their_last_known_dossier(
    remote_store: Store, dossier_service: FakeDossierService, fault: str
) -> None:
    store, fake = remote_store, dossier_service
    client = store.app.test_client()
    assert login(client, store.numbers[0]).status_code == 302
    no_5xx(buy(client, store))

    RemoteDossierSource.clear_cache()  # a fresh worker
    if fault == "down":
        store.app.config["DOSSIER_SERVICE_URL"] = f"http://127.0.0.1:{free_port()}/"
    else:
        fake.mode = fault
    asked = len(fake.requests)
    started = time.monotonic()
    pages = _pages(client, store)
    took = time.monotonic() - started
    responses = [*pages, *buy(client, store, 2), *_pages(client, store)]

    assert [r.status_code for r in pages] == [200] * len(pages)
    no_5xx(responses)
    assert "Camille Testeuse" in pages[0].get_data(as_text=True)
    # One try for the whole outage, not one per page.
    assert len(fake.requests) - asked <= 1
    assert took < TIMEOUT + 2.5, f"{took:.2f} s for {len(pages)} pages"
    assert assert_consistent(store) == 2


def test_r_dos_4_no_known_dossier_is_a_french_503_then_the_cart_is_back(
    remote_store: Store, dossier_service: FakeDossierService, private_redis: Any
) -> None:
    store, fake = remote_store, dossier_service
    store.app.config["DOSSIER_RETRY_SECONDS"] = 3
    client = store.app.test_client()
    assert login(client, store.numbers[1]).status_code == 302
    added = client.post(
        f"/panier/ajouter/{store.offer_id}", data={"quantity": "1", "delivery": "e_billet"}
    )
    assert added.status_code == 302  # one line in the cart

    for fault in ("500", "slow"):
        RemoteDossierSource.clear_cache()
        private_redis.stop()  # nothing kept anywhere: Redis lost its data
        private_redis.start()
        fake.mode = fault
        asked = len(fake.requests)
        started = time.monotonic()
        first = client.get("/panier/")
        second = client.get("/")
        took = time.monotonic() - started
        for resp in (first, second):
            body = resp.get_data(as_text=True)
            assert resp.status_code == 503, (fault, resp.status_code)
            assert resp.headers["Retry-After"] == "30"
            assert "temporairement indisponible" in body
            assert "Internal Server Error" not in body and "Traceback" not in body
        # The error page did not ask the service again, nor did the next page.
        assert len(fake.requests) - asked == 1
        assert took < TIMEOUT + 1.5, f"{fault}: {took:.2f} s"

    fake.mode = "ok"
    time.sleep(3.1)  # DOSSIER_RETRY_SECONDS
    cart = client.get("/panier/")
    assert cart.status_code == 200
    assert "Parc des fautes" in cart.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_r_dos_4_the_500_page_never_asks_for_the_dossier(
    remote_store: Store, dossier_service: FakeDossierService, private_redis: Any
) -> None:
    """An unrelated failure while the service is down: the French 500 page, without
    loading the agent (Flask-Login's template context would ask the service again)."""
    store, fake = remote_store, dossier_service

    def broken() -> str:
        raise RuntimeError("panne sans rapport avec les dossiers")

    store.app.add_url_rule("/panne-de-test", "broken_for_test", broken)
    store.app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    client = store.app.test_client()
    assert login(client, store.numbers[0]).status_code == 302
    RemoteDossierSource.clear_cache()
    private_redis.stop()  # no last good answer either
    private_redis.start()
    fake.mode = "500"
    asked = len(fake.requests)

    resp = client.get("/panne-de-test")

    body = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "Erreur technique" in body and "Internal Server Error" not in body
    assert len(fake.requests) == asked


def test_r_dos_4_one_bad_record_does_not_pause_the_service_for_everyone(
    remote_store: Store, dossier_service: FakeDossierService
) -> None:
    """A record that does not parse is that agent's problem (his last good answer stands
    in): the next agent's dossier is still asked for; only a failing service is left
    alone."""
    from members.dossiers import dossier_source

    store, fake = remote_store, dossier_service
    fake.mode = "bad_record"
    with store.app.app_context():
        assert dossier_source().get(store.numbers[0]) is not None  # the last good one
        fake.mode = "ok"
        asked = len(fake.requests)
        assert dossier_source().get(store.numbers[1]) is not None
    assert len(fake.requests) == asked + 1
