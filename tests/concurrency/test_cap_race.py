"""R-CAP-4 under real concurrency: two members of one household check out at the same
instant carts whose participations together exceed what remains of the cap.

``place_order`` locks the household's yearly row first and re-prices under that lock, so
the second member finds the total changed and is told so; the cap is never exceeded and
the row always equals the sum of the placed orders' participation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from orders.models import HouseholdYear
from orders.pricing import household_cap
from shop.db import unit_of_work
from tests.concurrency.helpers import (
    Buyer,
    fill_cart,
    household_used,
    placed_participation,
    rush,
    seed_agents,
    seed_offer,
    view_total,
)

CAP = household_cap(children=0)  # 500 €: the test households have no children
HOUSEHOLDS = 5  # five households race at once, two members each


@pytest.mark.parametrize(
    ("used_before", "participation"),
    [
        pytest.param(None, 30_000, id="first-order-of-the-year"),  # the row is created
        pytest.param(20_000, 20_000, id="row-already-there"),
    ],
)
def test_r_cap_4_two_members_at_once_never_exceed_the_cap(
    committing_app: Any, used_before: int | None, participation: int
) -> None:
    app = committing_app
    year = date.today().year
    remaining = CAP - (used_before or 0)
    assert participation <= remaining < 2 * participation  # together they would exceed it
    offer_id, session_id = seed_offer(
        app,
        session_stock=100,
        public_cents=participation + 5_000,
        negotiated_cents=participation + 5_000,
        cgos_cents=5_000,
        title="Gala des Hôpitaux",
    )
    households = [f"H-RACE-{i}" for i in range(HOUSEHOLDS)]
    crowd: list[Buyer] = []
    for household in households:
        if used_before is not None:
            with app.app_context(), unit_of_work() as s:
                s.add(HouseholdYear(household_id=household, year=year, used_cents=used_before))
        for number in seed_agents(app, 2, household_id=household):
            total = fill_cart(app, number, offer_id, session_id)
            assert total == 5_000  # the whole participation fits, seen alone
            crowd.append(Buyer(number, total))

    result = rush(app, crowd)
    print(f"\n{HOUSEHOLDS} households x 2 members: rush took {result.seconds:.2f} s")

    assert not result.errors, result.describe_errors()
    assert len(result.placed) == HOUSEHOLDS  # one member of each household
    assert len(result.refused) == HOUSEHOLDS
    for out in result.refused:
        assert out.refusal.rule == "R-CAP-4"
        assert "a changé" in out.refusal.message
    for household in households:
        used = household_used(app, household, year)
        assert used == (used_before or 0) + participation
        assert used <= CAP
        assert used - (used_before or 0) == placed_participation(app, household)

    # The member who lost sees the new total (what the cap can no longer cover is theirs
    # to pay, R-CAP-3) and can confirm it: the cap is then used exactly, never more.
    loser = result.refused[0]
    new_total = view_total(app, loser.number)
    assert new_total == 5_000 + participation - (remaining - participation)
    second = rush(app, [Buyer(loser.number, new_total)])
    assert not second.errors and len(second.placed) == 1, second.describe_errors()
    household = next(h for h in households if household_used(app, h, year) == CAP)
    assert placed_participation(app, household) == CAP - (used_before or 0)
