"""R-AGT-2 with R-ORD-4 under real concurrency: seats come back all at once while buyers
check out, the « Prévenez-moi » job runs in two processes' worth of threads, and the
holders then order while the job runs again. Whatever the interleaving, seats sold plus
seats held plus the stock left is exactly what there was: nothing oversold, nothing lost,
no seat held twice.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, update

from catalog.models import OfferSession
from orders import alerts, services
from orders import cart as carts
from orders.models import AlertState, OrderLine, SeatAlert
from orders.status import LineStatus
from shop.db import session, unit_of_work
from shop.errors import DomainError
from tests.concurrency.helpers import fill_cart, load_agent, seed_agents, seed_offer

SEATS = 10


def _set_stock(app: Any, sid: int, stock: int) -> None:
    with app.app_context(), unit_of_work() as s:
        s.execute(update(OfferSession).where(OfferSession.id == sid).values(stock=stock))


def _ledger(app: Any, sid: int) -> tuple[int, int, int]:
    """(sold, held, stock left) of the session."""
    with app.app_context():
        s = session()
        sold = s.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
                OrderLine.session_id == sid, OrderLine.status == LineStatus.ACTIVE
            )
        )
        held = s.scalar(
            select(func.coalesce(func.sum(SeatAlert.held_quantity), 0)).where(
                SeatAlert.session_id == sid, SeatAlert.state == AlertState.HELD
            )
        )
        stock = s.scalar(select(OfferSession.stock).where(OfferSession.id == sid))
        return int(sold), int(held), int(stock)


def _together(app: Any, actions: list[Callable[[], Any]], timeout: float = 30.0) -> list[Any]:
    """Run every action at the same instant, each in its own thread, app context and
    connection; returns what each returned or raised (DomainError), raises on anything else."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(i: int, action: Callable[[], Any]) -> None:
        try:
            with app.app_context():
                session().close()
                barrier.wait(timeout=timeout)
                try:
                    results[i] = action()
                except DomainError as exc:
                    results[i] = exc
        except BaseException as exc:  # noqa: BLE001 - reported below
            results[i] = exc

    threads = [
        threading.Thread(target=run, args=(i, a), daemon=True) for i, a in enumerate(actions)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 5)
    assert not any(t.is_alive() for t in threads), "a thread is still blocked"
    errors = [r for r in results if isinstance(r, BaseException) and not isinstance(r, DomainError)]
    assert not errors, errors
    return results


def _buy(number: str, total: int) -> Callable[[], Any]:
    def action() -> Any:
        agent = load_agent(number)
        return services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact("a@exemple.fr", True),
            expected_total_cents=total,
            checkout_token=uuid.uuid4().hex,
            actor=agent,
        )

    return action


def _claim_and_buy(number: str) -> Callable[[], Any]:
    def action() -> Any:
        agent = load_agent(number)
        for alert, _offer, _sess in alerts.alerts_of(agent):
            if alert.state == AlertState.HELD:
                alerts.claim_hold(agent, alert)
        total = carts.view_cart(agent).priced.total_cents
        return services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact("a@exemple.fr", True),
            expected_total_cents=total,
            checkout_token=uuid.uuid4().hex,
            actor=agent,
        )

    return action


@pytest.mark.postgres_only
def test_r_agt_2_returned_seats_buyers_and_the_job_at_once_never_oversell(
    committing_app: Any,
) -> None:
    _returned_seats(committing_app, buyers=12, waiters=8, seats=SEATS)


def test_r_agt_2_a_small_rush_on_both_backends(committing_app: Any) -> None:
    """The same race with fewer threads, run on SQLite too (BEGIN IMMEDIATE serialises)."""
    _returned_seats(committing_app, buyers=4, waiters=4, seats=3)


def _returned_seats(app: Any, *, buyers: int, waiters: int, seats: int) -> None:
    offer_id, sid = seed_offer(app, session_stock=seats, title="Gala")
    assert sid is not None
    crowd = seed_agents(app, buyers)
    line = seed_agents(app, waiters)
    totals = {n: fill_cart(app, n, offer_id, sid) for n in crowd}  # carts hold nothing
    _set_stock(app, sid, 0)  # sold out: the waiters join the line
    with app.app_context():
        for i, n in enumerate(line):
            alerts.subscribe(load_agent(n), offer_id, session_id=sid, quantity=1 + i % 2)
    _set_stock(app, sid, seats)  # the seats come back at once

    # The buyers and three runs of the job, at the same instant.
    results = _together(app, [_buy(n, totals[n]) for n in crowd] + [alerts.serve_alerts] * 3)
    sold, held, left = _ledger(app, sid)
    print(f"\nrush 1: sold {sold}, held {held}, left {left}")
    assert left >= 0 and sold + held + left == seats
    for r in results[: len(crowd)]:
        if isinstance(r, DomainError):
            assert "épuisé" in r.message.lower(), r.message

    # The holders order while the job and the remaining buyers run again.
    with app.app_context():
        holders = sorted(
            set(
                session().scalars(
                    select(SeatAlert.cgos_number).where(SeatAlert.state == AlertState.HELD)
                )
            )
        )
    _together(
        app,
        [_claim_and_buy(n) for n in holders]
        + [_buy(n, totals[n]) for n in crowd]
        + [alerts.serve_alerts] * 2,
    )
    sold, held, left = _ledger(app, sid)
    print(f"rush 2: {len(holders)} holders, sold {sold}, held {held}, left {left}")
    assert left >= 0 and sold + held + left == seats
    with app.app_context():
        # Every hold that ended in an order was consumed once: no hold is both used and
        # still counted, and no agent holds seats twice for the session.
        live = (
            session()
            .scalars(select(SeatAlert.cgos_number).where(SeatAlert.state == AlertState.HELD))
            .all()
        )
        assert len(live) == len(set(live))
