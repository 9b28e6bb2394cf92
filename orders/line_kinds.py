"""Extension point: order lines whose price and places belong to a domain above orders.

orders prices, places and follows ordinary lines itself. A domain built on top of it (today
vacations: stays, R-VAC-1…5) registers a ``LineKind`` for an offer kind when it is wired
into the app (``vacations/views/agent.py``); the cart, the order services, the cheque desk
and the phone order page call these hooks instead of importing that domain. With no kind
registered, every line is an ordinary one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from werkzeug.datastructures import MultiDict

from catalog.models import Offer


class PricedLine(Protocol):
    """A special line priced now: the cart charges ``total_cents`` for the whole line."""

    @property
    def total_cents(self) -> int: ...

    @property
    def public_cents(self) -> int: ...


class LineKind(Protocol):
    """What orders asks of a kind of line another domain prices and follows."""

    def price(
        self, items: Sequence[tuple[Offer, dict[str, Any] | None]], qf_cents: int | None
    ) -> Sequence[PricedLine]:
        """Each (offer, cart options) priced today, in order."""
        ...

    def line_notes(
        self,
        offer: Offer,
        quantity: int,
        seen_cents: int,
        pricing: PricedLine,
        region: str | None,
    ) -> list[str]:
        """What stops the cart line being ordered now, explained on the line."""
        ...

    def order_options(self, options: dict[str, Any] | None, pricing: Any) -> dict[str, Any]:
        """What the order line keeps of the cart line's options, prices frozen."""
        ...

    def takes_stock(self, options: dict[str, Any] | None) -> bool:
        """False when the line's place was given elsewhere (not taken from stock)."""
        ...

    def late_payment_refusal(self, order: Any) -> str | None:
        """Why a late cheque cannot place this order again (French), or None."""
        ...

    def claim(self, order: Any, now: datetime) -> None:
        """Inside the placing unit of work: lock and tie what the order's lines pay for."""
        ...

    def on_paid(self, order: Any) -> None: ...

    def describe(self, options: dict[str, Any] | None) -> str:
        """The line's participants in French, for receipts and vouchers (R-AGT-3)."""
        ...

    def on_released(self, order: Any) -> None:
        """The order was cancelled unpaid: free what ``claim`` tied to it."""
        ...

    def phone_context(self, agent: Any) -> dict[str, Any]:
        """What the phone order page needs to book such a line for ``agent``."""
        ...

    def add_by_phone(self, agent: Any, offer_id: int, form: MultiDict[str, str]) -> None:
        """Put such a line in ``agent``'s cart from the phone order page's form."""
        ...


_KINDS: dict[str, LineKind] = {}


def register(offer_kind: str, kind: LineKind) -> None:
    """Lines of offers of ``offer_kind`` go through ``kind`` (idempotent)."""
    _KINDS[offer_kind] = kind


def kind_of(offer_kind: str) -> LineKind | None:
    return _KINDS.get(offer_kind)


def registered() -> list[tuple[str, LineKind]]:
    return list(_KINDS.items())


def takes_stock(options: dict[str, Any] | None) -> bool:
    return all(kind.takes_stock(options) for kind in _KINDS.values())


def late_payment_refusal(order: Any) -> str | None:
    for kind in _KINDS.values():
        refusal = kind.late_payment_refusal(order)
        if refusal is not None:
            return refusal
    return None


def claim(order: Any, now: datetime) -> None:
    for kind in _KINDS.values():
        kind.claim(order, now)


def describe(offer_kind: str, options: dict[str, Any] | None) -> str:
    """What a special line is for (« 2 adultes, 1 enfant (Léa) »), or "" for an ordinary one."""
    kind = _KINDS.get(offer_kind)
    return kind.describe(options) if kind is not None else ""


def on_paid(order: Any) -> None:
    for kind in _KINDS.values():
        kind.on_paid(order)


def on_released(order: Any) -> None:
    for kind in _KINDS.values():
        kind.on_released(order)


def phone_context(agent: Any) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for kind in _KINDS.values():
        context.update(kind.phone_context(agent))
    return context
