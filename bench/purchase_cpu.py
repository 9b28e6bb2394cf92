"""CPU time of each step of a complete purchase, in process (no HTTP, no load client).

Usage, on a database seeded by ``bench.run`` (its agents share ``BENCH_CODE``):

    DATABASE_URL=... python -m bench.purchase_cpu [--purchases 60]

Each purchase is the load client's eight requests (bench/client.py): login page, log in,
offer page, « Ajouter au panier », checkout page, place the order by card, pay on the
demonstration page, confirmation; each by a different agent, through Flask's test client,
with CSRF on as served. Prints the mean CPU time per step, which says where a purchase's
cost is whatever the machine's load. Set REDIS_URL as ``bench.run`` does to measure the
served set-up (sessions and limits in Redis).
"""

from __future__ import annotations

import argparse
import re
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from auth.models import AccessCode
from bench.seed import BENCH_CODE, STOCK_OFFER_TITLE
from catalog.models import Offer
from shop import create_app
from shop.db import session

_TOKEN = re.compile(r'name="checkout_token" value="([^"]+)"')
_TOTAL = re.compile(r'name="expected_total" value="(\d+)"')
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csrf(page: str) -> str:
    found = _CSRF.search(page)
    if found is None:
        raise SystemExit("pas de jeton CSRF dans la page")
    return found.group(1)


def _purchase(app: Any, number: str, offer_id: int, cpu: dict[str, float]) -> None:
    client = app.test_client()

    def step(name: str, call: Callable[[], Any], status: int = 200) -> Any:
        start = time.process_time()
        response = call()
        cpu[name] += time.process_time() - start
        if response.status_code != status:
            raise SystemExit(f"{name} : HTTP {response.status_code}")
        return response

    login_page = step("login page", lambda: client.get("/connexion")).get_data(as_text=True)
    step(
        "login",
        lambda: client.post(
            "/connexion",
            data={
                "csrf_token": _csrf(login_page),
                "cgos_number": number,
                "access_code": BENCH_CODE,
            },
        ),
        302,
    )
    offer = step("offer page", lambda: client.get(f"/offre/{offer_id}")).get_data(as_text=True)
    token = _csrf(offer)
    step(
        "add to cart",
        lambda: client.post(
            f"/panier/ajouter/{offer_id}",
            data={"csrf_token": token, "quantity": "1", "delivery": "e_billet"},
        ),
        302,
    )
    page = step("checkout page", lambda: client.get("/commande/")).get_data(as_text=True)
    form = {
        "csrf_token": _csrf(page),
        "checkout_token": _TOKEN.search(page).group(1),
        "expected_total": _TOTAL.search(page).group(1),
        "email": f"{number.lower()}@bench.example",
        "accept_cgv": "1",
        "payment_method": "card",
    }
    placed = step("place order", lambda: client.post("/commande/", data=form), 302)
    paid = step(
        "pay",
        lambda: client.post(placed.location, data={"csrf_token": token, "outcome": "succeed"}),
        302,
    )
    step("confirmation", lambda: client.get(paid.location))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--purchases", type=int, default=60)
    args = parser.parse_args()
    app = create_app(
        {
            "SESSION_COOKIE_SECURE": False,
            "RATELIMIT_LOGIN": "100000 per minute",
        }
    )
    with app.app_context():
        offer_id = session().scalar(
            select(Offer.id).where(Offer.title.startswith(STOCK_OFFER_TITLE)).order_by(Offer.id)
        )
        # The bench agents are the ones sharing one code hash (demo agents have their own).
        shared = session().scalar(
            select(AccessCode.code_hash)
            .group_by(AccessCode.code_hash)
            .order_by(func.count().desc())
            .limit(1)
        )
        numbers = list(
            session().scalars(
                select(AccessCode.cgos_number)
                .where(AccessCode.code_hash == shared)
                .order_by(AccessCode.cgos_number.desc())
                .limit(args.purchases + 5)
            )
        )
    if offer_id is None or len(numbers) < args.purchases + 5:
        raise SystemExit("base non préparée : lancez d'abord python -m bench.run")
    cpu: dict[str, float] = defaultdict(float)
    for number in numbers[:5]:  # warm-up
        _purchase(app, number, offer_id, cpu)
    cpu.clear()
    for number in numbers[5:]:
        _purchase(app, number, offer_id, cpu)
    total = sum(cpu.values())
    print(f"CPU per purchase: {total / args.purchases * 1000:.1f} ms")
    for name, seconds in cpu.items():
        print(f"  {name:14} {seconds / args.purchases * 1000:5.1f} ms")


if __name__ == "__main__":
    main()
