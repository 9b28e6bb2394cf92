"""Peak memory of the partners' address CSV export (R-PAR-3) for N paid orders.

Usage, on an empty migrated database:

    DATABASE_URL=... python -m bench.csv_memory --orders 10000 --orders 100000

Seeds N paid orders with one physical-card group each (in batches), then streams every CSV
row the export writes and reports rows, time and the Python heap peak (tracemalloc) while
streaming: bounded memory means the peak does not grow with N.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from datetime import datetime

from sqlalchemy import func, insert, select

from catalog.models import Offer
from orders.models import Order, OrderLine
from partners import parcels
from partners.models import Partner
from partners.views.portal import CSV_HEADER
from shop import create_app
from shop.csv_export import stream_csv
from shop.db import session, unit_of_work

BATCH = 5_000


def _seed(total: int) -> int:
    """Grow the data set to ``total`` paid orders; returns the partner's id."""
    now = datetime(2026, 11, 1, 10, 0)
    with unit_of_work() as s:
        partner = s.scalar(select(Partner).where(Partner.slug == "bench-csv"))
        if partner is None:
            partner = Partner(slug="bench-csv", name="Bench CSV", created_at=now)
            s.add(partner)
            s.flush()
            s.add(
                Offer(
                    partner_id=partner.id,
                    kind="carte",
                    category="cartes-et-cheques",
                    title="Carte bench",
                    public_price_cents=5000,
                    negotiated_price_cents=5000,
                    cgos_price_cents=4000,
                    deliveries="poste",
                    stock=0,
                    created_at=now,
                    updated_at=now,
                    search_text="carte bench",
                )
            )
        partner_id = partner.id
    offer_id = session().scalar(select(Offer.id).where(Offer.partner_id == partner_id))
    have = session().scalar(select(func.count(Order.id))) or 0
    start = session().scalar(select(func.max(Order.id))) or 0
    address = {
        "name": "Mme Camille Test",
        "line1": "1 rue de l'Hôpital",
        "line2": "",
        "postal_code": "69003",
        "city": "Lyon",
        "country": "FR",
    }
    for first in range(have, total, BATCH):
        count = min(BATCH, total - first)
        ids = range(start + first + 1, start + first + 1 + count)
        with unit_of_work() as s:
            s.execute(
                insert(Order),
                [
                    {
                        "id": i,
                        "number": f"B{i:09d}",
                        "checkout_token": f"bench-{i}",
                        "cgos_number": "12345678A",
                        "household_id": "H-BENCH",
                        "year": 2026,
                        "status": "paid",
                        "payment_method": "card",
                        "channel": "web",
                        "placed_by": "bench",
                        "placed_at": now,
                        "paid_at": now,
                        "goods_cents": 4000,
                        "participation_cents": 1000,
                        "fees_cents": 200,
                        "total_cents": 4200,
                        "holder_name": "Mme Camille Test",
                        "contact_email": "c@exemple.fr",
                        "ship_address": address,
                        "cgv_accepted_at": now,
                    }
                    for i in ids
                ],
            )
            s.execute(
                insert(OrderLine),
                [
                    {
                        "order_id": i,
                        "offer_id": offer_id,
                        "partner_id": partner_id,
                        "kind": "carte",
                        "title": "Carte bench",
                        "delivery": "poste",
                        "group": "cartes",
                        "quantity": 1,
                        "unit_public_cents": 5000,
                        "unit_negotiated_cents": 5000,
                        "unit_cgos_cents": 4000,
                        "participation_cents": 1000,
                        "amount_cents": 4000,
                        "regional_ticketing": False,
                        "status": "active",
                    }
                    for i in ids
                ],
            )
    return partner_id


def _stream(partner_id: int) -> tuple[int, int, float]:
    rows = -1  # the header is the first chunk
    tracemalloc.start()
    started = time.perf_counter()
    for _chunk in stream_csv(CSV_HEADER, parcels.iter_address_rows(partner_id)):
        rows += 1
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rows, peak, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, action="append", required=True)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        print(f"{app.extensions['db'].dialect}: address CSV export")
        for total in sorted(args.orders):
            partner_id = _seed(total)
            session().close()
            rows, peak, elapsed = _stream(partner_id)
            print(f"{rows:>8} rows  {elapsed:6.1f} s  heap peak {peak / 1e6:6.1f} MB")


if __name__ == "__main__":
    main()
