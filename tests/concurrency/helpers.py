"""Seeding through the services, and a rush of buyers placing orders at the same instant.

Everything here runs inside app contexts of a real-committing app (``committing_app``):
each buyer thread has its own app context, hence its own session and connection.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from auth.principals import AgentUser, agent_user
from catalog.models import Offer, OfferSession
from catalog.services import OfferData, create_offer, save_session
from members.dossier_format import parse_dossier
from members.dossiers import dossier_source
from members.importer import save_records
from orders import cart as carts
from orders import services
from orders.models import HouseholdYear, Order
from partners.models import Partner
from shop.db import session, unit_of_work
from shop.errors import DomainError
from tests.factories import agent_json


class Admin:
    role = "admin"
    partner_id = None
    audit_label = "staff:concurrency-admin"


def seed_agents(app: Any, count: int, **overrides: Any) -> list[str]:
    """Import ``count`` agents (one dossier import); returns their N° C.G.O.S."""
    records = [parse_dossier(agent_json(**overrides)) for _ in range(count)]
    with app.app_context():
        save_records(records, actor="test")
    return [r.cgos_number for r in records]


def rush_partner_id() -> int:
    """The partner of every offer seeded here (created once), inside an app context."""
    with unit_of_work() as s:
        partner = s.scalar(select(Partner).where(Partner.slug == "rush"))
        if partner is None:
            partner = Partner(slug="rush", name="Rush", created_at=datetime.now())
            s.add(partner)
            s.flush()
        return partner.id


def seed_offer(
    app: Any,
    *,
    session_stock: int | None = None,
    stock: int | None = None,
    public_cents: int = 4000,
    negotiated_cents: int = 4000,
    cgos_cents: int = 2500,
    title: str = "Le Lac des cygnes",
) -> tuple[int, int | None]:
    """A dated ticket with one session of ``session_stock`` seats, or (with ``stock``) an
    open ticket with offer-level stock. Returns ``(offer_id, session_id)``."""
    dated = session_stock is not None
    with app.app_context():
        partner_id = rush_partner_id()
        offer = create_offer(
            OfferData(
                partner_id=partner_id,
                kind="billet_date" if dated else "billet_ouvert",
                category="spectacles" if dated else "parcs-et-loisirs",
                title=title,
                public_price_cents=public_cents,
                negotiated_price_cents=negotiated_cents,
                cgos_price_cents=cgos_cents,
                deliveries=("e_billet",),
                stock=None if dated else stock,
            ),
            Admin(),
        )
        session_id = None
        if dated:
            starts = (datetime.now() + timedelta(days=20)).replace(
                hour=19, minute=0, second=0, microsecond=0
            )
            session_id = save_session(offer.id, Admin(), starts_at=starts, stock=session_stock).id
        return offer.id, session_id


def load_agent(number: str) -> AgentUser:
    record = dossier_source().get(number)
    assert record is not None, number
    return agent_user(record)


def fill_cart(
    app: Any, number: str, offer_id: int, session_id: int | None, quantity: int = 1
) -> int:
    """Put the offer in the agent's cart through the cart service; returns the total the
    agent sees (and confirms) at checkout."""
    with app.app_context():
        agent = load_agent(number)
        carts.add_to_cart(
            agent, offer_id, quantity=quantity, delivery="e_billet", session_id=session_id
        )
        view = carts.view_cart(agent)
        assert not view.blocked, [n for lv in view.lines for n in lv.notes]
        return view.priced.total_cents


def view_total(app: Any, number: str) -> int:
    with app.app_context():
        return carts.view_cart(load_agent(number)).priced.total_cents


@dataclass(frozen=True)
class Buyer:
    number: str
    expected_total_cents: int


@dataclass
class Outcome:
    number: str
    order_id: int | None = None
    refusal: DomainError | None = None
    error: BaseException | None = None
    started: float = 0.0
    ended: float = 0.0


@dataclass
class Rush:
    outcomes: list[Outcome]
    seconds: float
    placed: list[Outcome] = field(init=False)
    refused: list[Outcome] = field(init=False)
    errors: list[Outcome] = field(init=False)

    def __post_init__(self) -> None:
        self.placed = [o for o in self.outcomes if o.order_id is not None]
        self.refused = [o for o in self.outcomes if o.refusal is not None]
        self.errors = [o for o in self.outcomes if o.error is not None]

    def describe_errors(self) -> str:
        return "; ".join(f"{o.number}: {o.error!r}" for o in self.errors)


def rush(app: Any, buyers: list[Buyer], *, timeout: float = 20.0) -> Rush:
    """Every buyer calls ``place_order`` at the same instant (a barrier), each in its own
    thread and app context (own session, own connection). Bounded by ``timeout``."""
    barrier = threading.Barrier(len(buyers))
    outcomes = [Outcome(b.number) for b in buyers]

    def buy(buyer: Buyer, out: Outcome) -> None:
        try:
            with app.app_context():
                agent = load_agent(buyer.number)
                # Give the connection back before waiting: 40 buyers share a pool of 20.
                session().close()
                barrier.wait(timeout=timeout)
                out.started = time.perf_counter()
                try:
                    order = services.place_order(
                        agent,
                        payment_method="card",
                        contact=services.Contact(agent.record.email or "a@exemple.fr", True),
                        expected_total_cents=buyer.expected_total_cents,
                        checkout_token=uuid.uuid4().hex,
                        actor=agent,
                    )
                    out.order_id = order.id
                except DomainError as exc:
                    out.refusal = exc
                finally:
                    out.ended = time.perf_counter()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            out.error = exc

    threads = [
        threading.Thread(target=buy, args=(b, o), name=f"buyer-{i}", daemon=True)
        for i, (b, o) in enumerate(zip(buyers, outcomes, strict=True))
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout + 5
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        barrier.abort()
        raise AssertionError(f"{len(stuck)} buyer(s) still blocked after {timeout} s: {stuck}")
    started = [o.started for o in outcomes if o.started]
    ended = [o.ended for o in outcomes if o.ended]
    seconds = (max(ended) - min(started)) if started and ended else 0.0
    return Rush(outcomes, seconds)


def session_stock(app: Any, session_id: int) -> int:
    with app.app_context():
        return session().scalar(select(OfferSession.stock).where(OfferSession.id == session_id))


def offer_stock(app: Any, offer_id: int) -> int | None:
    with app.app_context():
        return session().scalar(select(Offer.stock).where(Offer.id == offer_id))


def order_count(app: Any) -> int:
    with app.app_context():
        return session().scalar(select(func.count(Order.id)))


def household_used(app: Any, household_id: str, year: int) -> int | None:
    with app.app_context():
        return session().scalar(
            select(HouseholdYear.used_cents).where(
                HouseholdYear.household_id == household_id, HouseholdYear.year == year
            )
        )


def placed_participation(app: Any, household_id: str) -> int:
    with app.app_context():
        return session().scalar(
            select(func.coalesce(func.sum(Order.participation_cents), 0)).where(
                Order.household_id == household_id
            )
        )
