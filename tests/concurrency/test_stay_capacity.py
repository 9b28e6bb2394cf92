"""R-VAC-1 with R-ORD-4: households booking a stay's last places at the same instant.

A stay's capacity is counted in participants and taken by the same conditional stock
UPDATE as tickets: families of 2 racing for 5 places leave exactly 1 place (never a
negative one), and no participation is taken from any household's cap.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.models import Offer, Partner
from catalog.services import OfferData, create_offer
from orders import cart as carts
from orders.models import HouseholdYear
from shop.db import session, unit_of_work
from tests.concurrency.helpers import Admin, Buyer, load_agent, rush, seed_agents
from vacations import bookings


def _seed_stay(app: Any, places: int) -> int:
    with app.app_context():
        with unit_of_work() as s:
            partner = s.scalar(select(Partner).where(Partner.slug == "rush"))
            if partner is None:
                partner = Partner(slug="rush", name="Rush", created_at=datetime.now())
                s.add(partner)
                s.flush()
            partner_id = partner.id
        starts = date.today() + timedelta(days=120)
        offer = create_offer(
            OfferData(
                partner_id=partner_id,
                kind="sejour",
                category="sejours",
                title="Village vacances — Gruissan",
                public_price_cents=50000,
                negotiated_price_cents=50000,
                cgos_price_cents=50000,
                child_public_price_cents=30000,
                deliveries=("email",),
                stock=places,
                stay_family="prix_reduit_adultes",
                stay_starts_on=starts,
                stay_ends_on=starts + timedelta(days=7),
            ),
            Admin(),
        )
        return offer.id


def _stay_rush(app: Any, households: int, places: int) -> None:
    offer_id = _seed_stay(app, places)
    numbers = seed_agents(app, households, qf=696.0)
    crowd = []
    for number in numbers:
        with app.app_context():
            agent = load_agent(number)
            bookings.add_stay(agent, offer_id, adults="2", child_ids=[])
            view = carts.view_cart(agent)
            assert not view.blocked
            crowd.append(Buyer(number, view.priced.total_cents))

    result = rush(app, crowd)
    print(f"\n{households} families of 2 for {places} places: {result.seconds:.2f} s")

    assert not result.errors, result.describe_errors()
    assert len(result.placed) == places // 2
    assert len(result.refused) == households - places // 2
    for out in result.refused:
        assert out.refusal.rule in ("R-ORD-4", "R-LIM-3"), out.refusal.rule
    with app.app_context():
        assert session().get(Offer, offer_id).stock == places % 2
        used = session().scalar(select(func.coalesce(func.sum(HouseholdYear.used_cents), 0)))
        assert used == 0  # stays never count in the cap


@pytest.mark.postgres_only
def test_twenty_families_for_the_last_five_places(committing_app: Any) -> None:
    _stay_rush(committing_app, households=20, places=5)


def test_six_families_for_the_last_five_places(committing_app: Any) -> None:
    _stay_rush(committing_app, households=6, places=5)
