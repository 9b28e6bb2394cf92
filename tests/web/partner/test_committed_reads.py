"""The partner API and address export as deployed: an app that commits for real, so a
request's reads run outside any transaction (``shop.db.read_connection``).

The ``db`` fixture's outer transaction hid defect 3: on PostgreSQL a server-side cursor
(``yield_per``) cannot be declared outside a transaction, so ``GET /api/v1/shipments``
answered 500 and the CSV stopped after its header.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.factories import login_staff
from tests.web.partner.world import FORMULA, STAFF_PASSWORD, seed_world


def test_defect_3_api_lists_every_parcel_page_by_page(committing_app: Any) -> None:
    world = seed_world(committing_app, orders_to_ship=5)
    client = committing_app.test_client()
    headers = {"Authorization": f"Bearer {world.token}"}
    seen: list[tuple[str, str]] = []
    cursor = None
    for _page in range(10):
        url = "/api/v1/shipments?limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        seen += [(e["order_number"], e["group"]) for e in body["data"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    expected = [(n, "billets") for n in world.to_ship] + [(world.card_order, "cartes")]
    assert seen == expected


def test_defect_3_address_csv_has_every_row(committing_app: Any) -> None:
    world = seed_world(committing_app, orders_to_ship=3)
    client = committing_app.test_client()
    assert login_staff(client, world.staff_email, STAFF_PASSWORD).location == "/partenaire/"
    response = client.get("/partenaire/expeditions/adresses.csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "commande"
    assert [r[0] for r in rows[1:]] == [*world.to_ship, world.card_order]


def test_defect_13_address_csv_defuses_what_agents_typed(app: Any, db: Any) -> None:
    world = seed_world(app, orders_to_ship=1)
    client = app.test_client()
    assert login_staff(client, world.staff_email, STAFF_PASSWORD).location == "/partenaire/"
    text = client.get("/partenaire/expeditions/adresses.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    [card] = [r for r in rows if r[0] == world.card_order]
    assert card[1:7] == [
        "cartes",
        "'+33 Camille Testeuse",
        "'" + FORMULA,
        "'@SUM(1+1)",
        "69003",
        "'-Lyon",
    ]
