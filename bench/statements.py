"""SQL statements per page and per order, counted in process with an SQLAlchemy event.

Run by ``bench.run`` twice: on the demo catalog and on the large one, each time with a
one-line and an eight-line cart, so a count that grows with the catalog or the cart shows.
CSRF and rate limits are off in this app only (they issue no SQL); everything else is
the production code path against the benchmark database.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

_TOKEN = re.compile(r'name="checkout_token" value="([^"]+)"')
_TOTAL = re.compile(r'name="expected_total" value="(\d+)"')


@contextmanager
def _counting(engine):
    seen: list[str] = []

    def _count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def count_statements(
    pages: dict[str, str], numbers: list[str], code: str, cart_offers: list[int]
) -> dict[str, Any]:
    """Statements of each page in ``pages`` (as ``numbers[0]``), with the shared catalog
    cache (warm) and without it (every query run), then of a purchase with a 2-line cart
    (``numbers[1]``) and an 8-line cart (``numbers[2]``)."""
    from shop import create_app

    out: dict[str, Any] = {"pages": {}, "pages_without_cache": {}, "orders": {}}
    cold = create_app(
        {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "CATALOG_CACHE_SECONDS": 0}
    )
    _pages(cold, pages, numbers[0], code, out["pages_without_cache"])
    cold.extensions["db"].engine.dispose()
    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    engine = app.extensions["db"].engine
    _pages(app, pages, numbers[0], code, out["pages"])
    _orders(app, numbers[1:], code, cart_offers, out["orders"])
    engine.dispose()
    return out


def _login(client, number: str, code: str) -> None:
    r = client.post("/connexion", data={"cgos_number": number, "access_code": code})
    assert r.status_code == 302, f"connexion refusée pour {number}: {r.status_code}"


def _pages(app, pages: dict[str, str], number: str, code: str, out: dict[str, int]) -> None:
    engine = app.extensions["db"].engine
    client = app.test_client()
    _login(client, number, code)
    for name, url in pages.items():
        assert client.get(url).status_code == 200, url  # warm-up (templates, cache)
        with _counting(engine) as seen:
            status = client.get(url).status_code
        assert status == 200, f"{url}: HTTP {status}"
        out[name] = len(seen)


def _orders(app, numbers: list[str], code: str, cart_offers: list[int], out: dict) -> None:
    engine = app.extensions["db"].engine

    for size, number in ((2, numbers[0]), (len(cart_offers), numbers[1])):
        client = app.test_client()
        _login(client, number, code)
        row: dict[str, int] = {}
        for i, offer_id in enumerate(cart_offers[:size]):
            with _counting(engine) as seen:
                r = client.post(
                    f"/panier/ajouter/{offer_id}", data={"quantity": "1", "delivery": "e_billet"}
                )
            assert r.status_code == 302, f"ajout {offer_id}: HTTP {r.status_code}"
            if i == size - 1:
                row["add_to_cart"] = len(seen)
        with _counting(engine) as seen:
            assert client.get("/panier/").status_code == 200
        row["cart_page"] = len(seen)
        with _counting(engine) as seen:
            page = client.get("/commande/")
        row["checkout_page"] = len(seen)
        html = page.get_data(as_text=True)
        with _counting(engine) as seen:
            r = client.post(
                "/commande/",
                data={
                    "checkout_token": _TOKEN.search(html).group(1),
                    "expected_total": _TOTAL.search(html).group(1),
                    "email": "mesure@bench.example",
                    "accept_cgv": "1",
                    "payment_method": "card",
                },
            )
        assert r.status_code == 302, f"commande: HTTP {r.status_code}"
        row["place_order"] = len(seen)
        with _counting(engine) as seen:
            r = client.post(r.headers["Location"], data={"outcome": "succeed"})
        assert r.status_code == 302, f"paiement: HTTP {r.status_code}"
        row["pay"] = len(seen)
        out[f"{size}_lines"] = row
