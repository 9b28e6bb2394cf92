"""A fulfilment house preparing 200 parcels (issue 19): the partner's pages timed and their
SQL statements counted, for N paid parcels of one partner (N = 50 and N = 200 by default).

Measured, each through the real views (Flask test client, CSRF and rate limits off):
the queue page, the packing slips PDF of all N parcels, the pick list PDF of all N, the
address CSV (read to its end) and the CSV upload that marks all N shipped. The statements
must not grow with N: every read loads its rows in a fixed number of queries, and the
upload records the N shipments in batched statements (``partners.services.record_shipments``).

``python -m bench.parcels`` runs on a fresh SQLite file (``--database-url`` for another
database, migrated here; PostgreSQL: an empty database). Only the statements of the
request's own thread are counted (the mail sender thread's are not the page's).

The parcels are inserted with Core rows, as ``bench.seed`` does: paid orders by post, one
dated line each over three sessions of one show, in a dossier's name; the partner, its
show and its staff member go through the services.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select

from auth.services import create_staff
from catalog.services import OfferData, create_offer, save_session
from orders.models import Order, OrderFee, OrderLine
from orders.services import order_number
from partners.models import Partner
from shop import clock, create_app
from shop.db import session, unit_of_work
from shop.migrate import upgrade

SIZES = (50, 200)
PASSWORD = "mot-de-passe-de-mesure-42"  # noqa: S105 - a bench account on a throwaway database
APP_CONFIG = {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}


class _Admin:
    role = "admin"
    partner_id = None
    audit_label = "staff:bench"


@contextmanager
def counting(engine: Any):
    """The statements run by this thread meanwhile (``len(seen)``)."""
    me = threading.get_ident()
    seen: list[str] = []

    def _count(_conn, _cursor, statement, *_args):
        if threading.get_ident() == me:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def seed_parcels(app: Any, n: int, slug: str) -> tuple[str, list[str]]:
    """A partner ``slug`` with its staff member and ``n`` paid parcels to post; returns
    the staff e-mail and the order numbers."""
    with app.app_context():
        now = clock.utcnow()  # the app's clock (a test may have set it), not the machine's
        with unit_of_work() as s:
            partner = Partner(slug=slug, name=slug.title(), created_at=now)
            s.add(partner)
            s.flush()
            partner_id = partner.id
        offer = create_offer(
            OfferData(
                partner_id=partner_id,
                kind="billet_date",
                category="spectacles",
                title=f"Spectacle de mesure {slug}",
                public_price_cents=4000,
                negotiated_price_cents=4000,
                cgos_price_cents=2500,
                deliveries=("courrier",),
            ),
            _Admin(),
        )
        sessions = []
        for days in (12, 30, 60):
            starts = now + timedelta(days=days)
            sessions.append(
                (save_session(offer.id, _Admin(), starts_at=starts, stock=10_000), starts)
            )
        email = f"colis@{slug}.example"
        create_staff(email, "Préparation", "partner", PASSWORD, slug, actor="bench")
        numbers = _orders(n, offer.id, partner_id, sessions, now)
    return email, numbers


def _orders(n: int, offer_id: int, partner_id: int, sessions: list, now: datetime) -> list[str]:
    with unit_of_work() as s:
        start = (s.scalar(select(func.max(Order.id))) or 0) + 1
        orders, lines, fees, numbers = [], [], [], []
        for k in range(n):
            oid = start + k
            number = order_number(oid, now.year)
            numbers.append(number)
            session_row, starts = sessions[k % len(sessions)]
            session_id = getattr(session_row, "id", session_row)
            placed = now - timedelta(hours=n - k)
            orders.append(
                {
                    "id": oid,
                    "number": number,
                    "checkout_token": f"bench-parcel-{oid}",
                    "cgos_number": "100000001",
                    "household_id": "bench-parcels",
                    "year": now.year,
                    "status": "paid",
                    "payment_method": "card",
                    "channel": "web",
                    "placed_by": "agent:100000001",
                    "placed_at": placed,
                    "paid_at": placed + timedelta(minutes=2),
                    "goods_cents": 2500,
                    "participation_cents": 1500,
                    "fees_cents": 0,
                    "total_cents": 2500,
                    "holder_name": f"Agent de mesure {k}",
                    "contact_email": f"agent{k}@mesure.example",
                    "ship_address": {
                        "name": f"Agent de mesure {k}",
                        "line1": f"{k} rue de la Mesure",
                        "postal_code": "69003",
                        "city": "Lyon",
                    },
                    "cgv_accepted_at": placed,
                }
            )
            lines.append(
                {
                    "order_id": oid,
                    "offer_id": offer_id,
                    "session_id": session_id,
                    "partner_id": partner_id,
                    "kind": "billet_date",
                    "title": "Spectacle de mesure",
                    "session_starts_at": starts,
                    "venue": None,
                    "delivery": "courrier",
                    "group": "billets",
                    "quantity": 1 + k % 3,
                    "unit_public_cents": 4000,
                    "unit_negotiated_cents": 4000,
                    "unit_cgos_cents": 2500,
                    "participation_cents": 1500,
                    "amount_cents": 2500,
                    "regional_ticketing": False,
                    "options": None,
                    "status": "active",
                }
            )
            fees.append(
                {
                    "order_id": oid,
                    "group": "billets",
                    "label": "Envoi",
                    "option": "suivi",
                    "cents": 0,
                }
            )
        s.execute(insert(Order), orders)
        s.execute(insert(OrderLine), lines)
        s.execute(insert(OrderFee), fees)
    return numbers


def _upload_file(numbers: list[str]) -> bytes:
    rows = ["commande;groupe;mode;numero_suivi"]
    rows += [f"{n};billets;suivi;1L{k:011d}" for k, n in enumerate(numbers)]
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8")


def measure_parcels(app: Any, n: int, slug: str | None = None) -> dict[str, Any]:
    """Seconds and statements of the five operations for ``n`` new parcels of a new
    partner (``slug``)."""
    email, numbers = seed_parcels(app, n, slug or f"mesure-{n}")
    engine = app.extensions["db"].engine
    client = app.test_client()
    response = client.post("/gestion/connexion", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, "connexion du partenaire refusée"
    keys = [f"{number}/billets" for number in numbers]
    operations = {
        "queue_page": lambda: client.get("/partenaire/expeditions"),
        "slips_pdf": lambda: client.post(
            "/partenaire/expeditions/bordereaux.pdf", data={"colis": keys}
        ),
        "pick_list_pdf": lambda: client.post(
            "/partenaire/expeditions/preparation.pdf", data={"colis": keys}
        ),
        "address_csv": lambda: client.get("/partenaire/expeditions/adresses.csv"),
        "csv_upload": lambda: client.post(
            "/partenaire/expeditions/import",
            data={"fichier": (io.BytesIO(_upload_file(numbers)), "envois.csv")},
            content_type="multipart/form-data",
        ),
    }
    client.get("/partenaire/expeditions")  # warm-up: templates, compiled statements
    out: dict[str, Any] = {"parcels": n}
    for name, call in operations.items():
        with counting(engine) as seen:
            t = time.perf_counter()
            response = call()
            body = response.get_data()  # a streamed body is read to its end
            seconds = time.perf_counter() - t
        ok = response.status_code in (200, 302)
        assert ok, f"{name}: {response.status_code} {body[:300]!r}"
        out[name] = {"seconds": round(seconds, 3), "statements": len(seen), "bytes": len(body)}
    with app.app_context():
        shipped = session().scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.number.in_(numbers), Order.status == "shipped")
        )
    assert shipped == n, f"{shipped} commandes expédiées sur {n}"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a migrated-here database (default: SQLite file)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'parcels.db'}"
        app = create_app({**APP_CONFIG, "DATABASE_URL": url})
        upgrade(app)
        results = [measure_parcels(app, int(n)) for n in args.sizes.split(",")]
        app.extensions["db"].engine.dispose()
    json.dump(results, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
