"""R-PAR-9 under real concurrency: door devices sync their offline queues at one instant,
each request with its own connection. The ticket's used time is the earliest scan however
the syncs interleave; exactly one scan is a plain admission, the others are conflicts; a
scan replayed by parallel requests is applied once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.models import Offer
from orders import services
from orders.models import ETicket
from partners import door
from partners.models import DoorScan
from shop.db import session
from tests.concurrency.helpers import fill_cart, load_agent, seed_agents, seed_offer

DEVICES = 6


def _one_paid_eticket(app: Any) -> tuple[int, int, str]:
    offer_id, session_id = seed_offer(app, session_stock=50, title="Gala — porte")
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


def _together(app: Any, work: Callable[[int], door.DoorOutcome]) -> list[door.DoorOutcome]:
    barrier = threading.Barrier(DEVICES)
    outcomes: list[door.DoorOutcome] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def device(n: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                outcome = work(n)
                with lock:
                    outcomes.append(outcome)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=device, args=(n,), daemon=True) for n in range(DEVICES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "a sync is still blocked"
    assert not errors, errors
    return outcomes


@pytest.mark.parametrize("replay_code", ["ticket", "unknown"])
def test_r_par_9_parallel_syncs_first_scan_wins_and_replays_apply_once(
    committing_app: Any, replay_code: str
) -> None:
    app = committing_app
    partner_id, session_id, secret = _one_paid_eticket(app)
    base = datetime.now().replace(microsecond=0) - timedelta(minutes=30)
    times = [base + timedelta(minutes=DEVICES - n) for n in range(DEVICES)]  # last is first

    def admitted_offline(n: int) -> door.DoorOutcome:
        scan = door.DoorScanIn(f"s{n}", secret, times[n], "valide")
        [outcome] = door.apply_scans(partner_id, session_id, f"device-{n:04d}", [scan], actor="t")
        return outcome

    outcomes = _together(app, admitted_offline)
    assert sorted(o.conflict for o in outcomes) == [False] + [True] * (DEVICES - 1)
    with app.app_context():
        used = session().scalar(select(ETicket.used_at).where(ETicket.secret == secret))
        assert used == min(times)

    code = secret if replay_code == "ticket" else "ABCD EFGH"

    def replayed(_n: int) -> door.DoorOutcome:
        scan = door.DoorScanIn("again", code, base, "deja_utilise")
        [outcome] = door.apply_scans(partner_id, session_id, "device-same", [scan], actor="t")
        return outcome

    again = _together(app, replayed)
    assert len({(o.verdict, o.conflict) for o in again}) == 1
    assert sum(not o.replayed for o in again) == 1
    with app.app_context():
        count = select(func.count()).select_from(DoorScan)
        assert session().scalar(count.where(DoorScan.device_id == "device-same")) == 1
