"""Benchmark population on top of ``seed-demo --large``: agents, households, past orders,
and the two offers the load clients buy (Core bulk inserts, a few seconds).

``python -m bench.seed --agents 50000 --orders 200000`` (DATABASE_URL as for the app).

Every bench agent shares one access code (``BENCH_CODE``) hashed once: hashing 50 000
codes with Argon2id would take minutes and measure nothing. Past orders are paid orders
of the previous year (one e-billet line each), so this year's participation caps are
untouched and the purchase clients never hit a cap or a quantity limit. Each has its
card payment as the store wrote it: ``received`` for a web order (``mark_paid``), and for
the phone orders (one in ten) ``captured`` by the evening batch with its e-billets long
released (``etickets_due_at`` back to NULL), so the due jobs' indexes face a real history.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

BENCH_CODE = "BENCHK3Y"  # 8 characters of the unambiguous alphabet (R-GATE-3)
BENCH_PREFIX = "9"
PHONE_SHARE = 10  # one past order in PHONE_SHARE was taken by phone
STOCK_OFFER_TITLE = "Parc de mesure — billet 1 jour"
RUSH_OFFER_TITLE = "Concert de mesure — mise en vente"
RUSH_SEATS = 100
CART_OFFERS = 8  # the largest cart of the statement count


def bench_number(i: int) -> str:
    """The i-th bench agent's N° C.G.O.S (8 digits and a letter, never a demo number)."""
    return f"{BENCH_PREFIX}{i:07d}B"


def _agents(n: int, year: int, now: datetime, rng: random.Random) -> tuple[list, list, list]:
    from members.regions import REGIONS

    households: list[dict[str, Any]] = []
    agents: list[dict[str, Any]] = []
    children: list[dict[str, Any]] = []
    i = 0
    h = 0
    while i < n:
        hid = f"H-BENCH-{h:06d}"
        households.append({"id": hid})
        region = REGIONS[h % len(REGIONS)]
        members = 2 if (h % 4 == 0 and i + 1 < n) else 1  # a quarter are couples of agents
        for _ in range(members):
            agents.append(
                {
                    "cgos_number": bench_number(i),
                    "household_id": hid,
                    "civilite": "Mme" if i % 2 else "M.",
                    "nom": f"Mesure{i:06d}",
                    "prenom": "Agent",
                    "birth_date": date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                    "email": f"agent{i}@bench.example",
                    "phone": None,
                    "address_line1": f"{1 + i % 200} rue de l'Hôpital",
                    "address_line2": None,
                    "postal_code": f"{10000 + i % 85000:05d}",
                    "city": "Ville",
                    "country": "FR",
                    "etablissement": f"Centre hospitalier {h % 900}",
                    "etablissement_city": "Ville",
                    "region": region,
                    "status": "actif",
                    "dossier_year": year,
                    "qf_cents": rng.randrange(40000, 180000),
                    "updated_at": now,
                }
            )
            i += 1
        for c in range(rng.choice((0, 0, 1, 2, 3))):
            children.append(
                {
                    "household_id": hid,
                    "prenom": f"Enfant{c}",
                    "birth_date": date(year - rng.randrange(1, 25), 6, 1),
                    "fiscal_status": "a_charge",
                }
            )
        h += 1
    return households, agents, children


def _batched(s, stmt, rows: list[dict[str, Any]], size: int = 5000) -> None:
    for start in range(0, len(rows), size):
        s.execute(stmt, rows[start : start + size])


def _bench_offers(s, now: datetime, today: date) -> dict[str, int]:
    from catalog.models import Offer, OfferSession
    from catalog.text import offer_search_columns
    from partners.models import Partner

    partner_id = s.scalar(select(Partner.id).order_by(Partner.id).limit(1))
    base = {
        "partner_id": partner_id,
        "summary": "Offre réservée aux mesures de charge.",
        "description": "Offre de mesure.",
        "region": None,
        "child_public_price_cents": None,
        "face_value_cents": None,
        "per_order_max": 10,
        "regional_ticketing": False,
        "physical": False,
        "deliveries": "e_billet",
        "supply_state": "en_stock",
        "sale_opens_at": None,
        "sale_closes_at": None,
        "stay_family": None,
        "stay_starts_on": None,
        "stay_ends_on": None,
        "featured": False,
        "published": True,
        "created_at": now,
        "updated_at": now,
    }
    park = dict(
        base,
        kind="billet_ouvert",
        category="parcs-et-loisirs",
        title=STOCK_OFFER_TITLE,
        venue=None,
        city="Lyon",
        public_price_cents=4500,
        negotiated_price_cents=3800,
        cgos_price_cents=2900,
        stock=10_000_000,
        valid_from=today,
        valid_until=today + timedelta(days=365),
        **offer_search_columns(
            title=STOCK_OFFER_TITLE, category="parcs-et-loisirs", kind="billet_ouvert", city="Lyon"
        ),
    )
    concert = dict(
        base,
        kind="billet_date",
        category="concerts",
        title=RUSH_OFFER_TITLE,
        venue="Halle de mesure",
        city="Lyon",
        public_price_cents=6000,
        negotiated_price_cents=5200,
        cgos_price_cents=3900,
        stock=None,
        valid_from=None,
        valid_until=None,
        **offer_search_columns(
            title=RUSH_OFFER_TITLE,
            category="concerts",
            kind="billet_date",
            venue="Halle de mesure",
            city="Lyon",
        ),
    )
    park_ids = []
    for k in range(1, CART_OFFERS + 1):
        title = f"{STOCK_OFFER_TITLE} n° {k}"
        row = dict(
            park,
            title=title,
            **offer_search_columns(
                title=title, category="parcs-et-loisirs", kind="billet_ouvert", city="Lyon"
            ),
        )
        park_ids.append(s.scalar(insert(Offer).returning(Offer.id), row))
    concert_id = s.scalar(insert(Offer).returning(Offer.id), concert)
    session_id = s.scalar(
        insert(OfferSession).returning(OfferSession.id),
        {
            "offer_id": concert_id,
            "starts_at": now + timedelta(days=40),
            "venue": None,
            "city": None,
            "stock": RUSH_SEATS,
            "supply_state": "en_stock",
            "cancelled": False,
        },
    )
    return {
        "stock_offer": park_ids[0],
        "cart_offers": park_ids,
        "rush_offer": concert_id,
        "rush_session": session_id,
    }


def _past_orders(
    s, n: int, agents: list[dict[str, Any]], offers: Sequence[tuple], year: int, rng: random.Random
) -> float:
    """The past orders with their lines and payments; returns the seconds spent inserting
    the payments (the part the due jobs' measure added to the seed)."""
    from orders.models import Order, OrderLine, Payment
    from orders.services import order_number
    from orders.status import PaymentStatus

    start_id = (s.scalar(select(func.max(Order.id))) or 0) + 1
    past = year - 1
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    jan1 = datetime(past, 1, 1, 9, 0)
    for k in range(n):
        oid = start_id + k
        agent = agents[rng.randrange(len(agents))]
        offer_id, partner_id, title, cgos, negotiated, public = offers[rng.randrange(len(offers))]
        qty = rng.choice((1, 1, 2, 2, 3, 4))
        participation = (negotiated - cgos) * qty
        amount = cgos * qty
        placed = jan1 + timedelta(minutes=rng.randrange(0, 364 * 24 * 60))
        paid = placed + timedelta(minutes=2)
        phone = k % PHONE_SHARE == 0
        placed_by = "staff:bench@cgos.example" if phone else f"agent:{agent['cgos_number']}"
        orders.append(
            {
                "id": oid,
                "number": order_number(oid, past),
                "checkout_token": f"bench-past-{oid}",
                "cgos_number": agent["cgos_number"],
                "household_id": agent["household_id"],
                "year": past,
                "status": "paid",
                "payment_method": "card",
                "channel": "phone" if phone else "web",
                "placed_by": placed_by,
                "placed_at": placed,
                "expires_at": None,
                "paid_at": paid,
                "cancelled_at": None,
                "cancel_reason": None,
                "goods_cents": amount,
                "participation_cents": participation,
                "fees_cents": 0,
                "total_cents": amount,
                "holder_name": f"{agent['civilite']} {agent['prenom']} {agent['nom']}",
                "contact_email": agent["email"],
                "ship_address": {"name": agent["nom"], "line1": agent["address_line1"]},
                "card_address": None,
                "ticket_post": None,
                "card_post": None,
                "cgv_accepted_at": placed,
                "region": agent["region"],
                "payment_ref": None,
            }
        )
        lines.append(
            {
                "order_id": oid,
                "offer_id": offer_id,
                "session_id": None,
                "partner_id": partner_id,
                "kind": "billet_ouvert",
                "title": title,
                "session_starts_at": None,
                "venue": None,
                "delivery": "e_billet",
                "group": None,
                "quantity": qty,
                "unit_public_cents": public,
                "unit_negotiated_cents": negotiated,
                "unit_cgos_cents": cgos,
                "participation_cents": participation,
                "amount_cents": amount,
                "regional_ticketing": False,
                "options": None,
                "status": "active",
                "refunded_at": None,
            }
        )
        # The store's payment row (mark_paid; a phone card hold then capture_batch, R-PAY-5).
        captured = paid.replace(hour=20, minute=30) + timedelta(days=paid.hour >= 20)
        payments.append(
            {
                "order_id": oid,
                "method": "card",
                "kind": "payment",
                "provider_ref": f"pi_bench{oid:07d}",
                "amount_cents": amount,
                "created_at": paid,
                "status": PaymentStatus.CAPTURED if phone else PaymentStatus.RECEIVED,
                "captured_at": captured if phone else None,
                "etickets_due_at": None,  # a captured order's e-billets went out the next day
                "details": {"event": f"evt_bench{oid:07d}", "checkout_session": f"cs_{oid:07d}"},
            }
        )
    _batched(s, insert(Order), orders)
    _batched(s, insert(OrderLine), lines)
    t = time.perf_counter()
    _batched(s, insert(Payment), payments)
    return round(time.perf_counter() - t, 2)


def seed_bench(agents: int, orders: int, seed: int = 2026) -> dict[str, Any]:
    """Agents (with households and children), the two bench offers and past orders."""
    from auth.models import AccessCode
    from auth.services import hash_code
    from catalog.models import Offer
    from members.models import DossierAgent, DossierChild, Household
    from shop import clock
    from shop.db import get_db, unit_of_work

    rng = random.Random(seed)
    now = clock.utcnow()
    today = clock.today()
    year = today.year
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    households, agent_rows, children = _agents(agents, year, now, rng)
    code_hash = hash_code(BENCH_CODE)
    with unit_of_work() as s:
        _batched(s, insert(Household), households)
        _batched(s, insert(DossierAgent), agent_rows)
        _batched(s, insert(DossierChild), children)
        _batched(
            s,
            insert(AccessCode),
            [
                {"cgos_number": a["cgos_number"], "code_hash": code_hash, "issued_at": now}
                for a in agent_rows
            ],
        )
        ids = _bench_offers(s, now, today)
    timings["agents_s"] = round(time.perf_counter() - t0, 2)
    t1 = time.perf_counter()
    with unit_of_work() as s:
        offers = list(
            s.execute(
                select(
                    Offer.id,
                    Offer.partner_id,
                    Offer.title,
                    Offer.cgos_price_cents,
                    Offer.negotiated_price_cents,
                    Offer.public_price_cents,
                )
                .where(Offer.kind == "billet_ouvert")
                .order_by(Offer.id)
                .limit(500)
            )
        )
        timings["payments_insert_s"] = _past_orders(s, orders, agent_rows, offers, year, rng)
        if get_db().dialect == "postgresql":
            s.execute(
                text("SELECT setval(pg_get_serial_sequence('orders', 'id'), max(id)) FROM orders")
            )
    if get_db().dialect == "postgresql":
        with unit_of_work() as s:
            s.execute(text("ANALYZE"))
    timings["orders_s"] = round(time.perf_counter() - t1, 2)
    return {
        "agents": len(agent_rows),
        "households": len(households),
        "children": len(children),
        "past_orders": orders,
        "code": BENCH_CODE,
        **ids,
        **timings,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=50_000)
    parser.add_argument("--orders", type=int, default=200_000)
    args = parser.parse_args(argv)
    from shop import create_app

    app = create_app()
    with app.app_context():
        result = seed_bench(args.agents, args.orders)
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
