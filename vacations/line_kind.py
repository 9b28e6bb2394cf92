"""Stays as a kind of order line (``orders.line_kinds``): how orders prices, places, pays
and releases a stay line without importing vacations. Registered when the vacations
blueprints are wired into the app (``vacations/views/agent.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from catalog.models import Offer
from catalog.rules import Kind
from orders import line_kinds
from vacations import bookings, stay_lines
from vacations.forms import PhoneStayForm
from vacations.stay_lines import StayPricing


class Stays:
    """The stay hooks orders calls (R-VAC-1, R-VAC-4, R-VAC-5)."""

    def price(
        self, items: Sequence[tuple[Offer, dict[str, Any] | None]], qf_cents: int | None
    ) -> list[StayPricing]:
        return stay_lines.price_stays(items, qf_cents)

    def line_notes(
        self, offer: Offer, quantity: int, seen_cents: int, pricing: Any, region: str | None
    ) -> list[str]:
        return stay_lines.line_notes(offer, quantity, seen_cents, pricing, region)

    def order_options(self, options: dict[str, Any] | None, pricing: Any) -> dict[str, Any]:
        return stay_lines.order_options(options, pricing)

    def takes_stock(self, options: dict[str, Any] | None) -> bool:
        return stay_lines.takes_stock(options)

    def late_payment_refusal(self, order: Any) -> str | None:
        if any(not stay_lines.takes_stock(line.options) for line in order.lines):
            # R-VAC-4: the 7 days are over, the drawn place went to the next on the list.
            return "le délai de 7 jours pour régler le séjour Prix mini est dépassé"
        return None

    def claim(self, order: Any, now: datetime) -> None:
        stay_lines.claim_registrations(order, now)

    def on_paid(self, order: Any) -> None:
        stay_lines.on_order_paid(order)

    def on_released(self, order: Any) -> None:
        stay_lines.on_order_released(order)

    def describe(self, options: dict[str, Any] | None) -> str:
        return stay_lines.describe(options)

    def phone_context(self, agent: Any) -> dict[str, Any]:
        return {"children": bookings.household_children(agent)}

    def add_by_phone(self, agent: Any, offer_id: int, form: MultiDict[str, str]) -> None:
        """A stay booked by phone: participants from the household (R-VAC-5), or the place
        the agent won in the Prix mini draw (R-VAC-4)."""
        stay = PhoneStayForm(formdata=form)
        if stay.prix_mini.data:
            bookings.add_prix_mini(agent, offer_id)
            return
        child_ids = stay.child_ids()
        bookings.add_stay(
            agent,
            offer_id,
            adults=stay.adults.number,
            child_ids=[-1] if child_ids is None else child_ids,  # -1: not on the dossier
        )


STAYS = Stays()


def register() -> None:
    line_kinds.register(Kind.SEJOUR, STAYS)
