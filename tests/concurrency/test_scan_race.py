"""R-PAR-7, R-PAR-8 under real concurrency: several doors of one session scan the same
e-billet at one instant, each request with its own connection; exactly one answers
« valide »."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from catalog.models import Offer
from orders import services
from orders.models import ETicket
from partners import services as partner_services
from shop.db import session
from tests.concurrency.helpers import fill_cart, load_agent, seed_agents, seed_offer

DOORS = 8


def _one_paid_eticket(app: Any) -> tuple[int, int, str]:
    offer_id, session_id = seed_offer(app, session_stock=50, title="Concert — entrée")
    assert session_id is not None
    [number] = seed_agents(app, 1)
    total = fill_cart(app, number, offer_id, session_id)
    with app.app_context():
        agent = load_agent(number)
        order = services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact("porte@exemple.fr", True),
            expected_total_cents=total,
            checkout_token=uuid.uuid4().hex,
            actor=agent,
        )
        services.mark_paid(
            order.id, method="demo", amount_cents=total, provider_ref=None, actor="test"
        )
        secret = session().scalar(select(ETicket.secret).where(ETicket.order_id == order.id))
        partner_id = session().get(Offer, offer_id).partner_id
        return partner_id, session_id, secret


def _scan_together(app: Any, partner_id: int, session_id: int, secret: str) -> list[str]:
    barrier = threading.Barrier(DOORS)
    verdicts: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def door(n: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                result = partner_services.scan(partner_id, secret, session_id, actor=f"porte-{n}")
                with lock:
                    verdicts.append(result.verdict)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=door, args=(n,), daemon=True) for n in range(DOORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads), "a scan is still blocked"
    assert not errors, errors
    return verdicts


@pytest.mark.postgres_only
def test_r_par_7_eight_doors_scan_one_ticket_at_once(committing_app: Any) -> None:
    partner_id, session_id, secret = _one_paid_eticket(committing_app)
    verdicts = _scan_together(committing_app, partner_id, session_id, secret)
    assert sorted(verdicts) == ["deja_utilise"] * (DOORS - 1) + ["valide"]


def test_r_par_7_simultaneous_scans_on_the_embedded_database(committing_app: Any) -> None:
    """The same race on SQLite too: writers queue behind BEGIN IMMEDIATE, one admits."""
    partner_id, session_id, secret = _one_paid_eticket(committing_app)
    verdicts = _scan_together(committing_app, partner_id, session_id, secret)
    assert verdicts.count("valide") == 1 and len(verdicts) == DOORS
