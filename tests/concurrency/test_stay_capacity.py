"""R-VAC-1 with R-ORD-4: households booking a stay's last places at the same instant.

A stay's capacity is counted in participants and taken by the same conditional stock
UPDATE as tickets: families of 2 racing for 5 places leave exactly 1 place (never a
negative one), and no participation is taken from any household's cap.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.models import Offer
from catalog.services import OfferData, create_offer
from orders import cart as carts
from orders.models import HouseholdYear
from shop.db import session
from tests.concurrency.helpers import Admin, Buyer, load_agent, rush, rush_partner_id, seed_agents
from tests.factories import stay_fields
from vacations import bookings


def _seed_stay(app: Any, places: int) -> int:
    starts = date.today() + timedelta(days=120)
    fields = stay_fields(starts=starts, stock=places, sale_closes_at=None)
    with app.app_context():
        return create_offer(OfferData(partner_id=rush_partner_id(), **fields), Admin()).id


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
