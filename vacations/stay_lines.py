"""Stays in the cart and in orders (R-VAC-1, R-VAC-3…5): participants, price, capacity.

A stay cart line holds its participants in ``options["stay"]``; its quantity is the number
of participants, the places it takes from the offer's capacity, reserved by the same
conditional stock UPDATE as tickets. A Prix mini winner's line points at the registration
instead: the draw already gave the place, and the price is the one kept at pre-registration.
The participation on a stay never counts in the yearly cap (R-VAC-1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from catalog.models import Offer
from catalog.rules import on_sale, visible_to
from catalog.stays import PRIX_MINI, ParticipantPrice, participant_prices, rate_for, season_of
from shop import clock
from shop.db import for_update, session
from shop.errors import DomainError
from vacations.models import PrixMiniRegistration, RegistrationStatus
from vacations.rates import tables_for

S = RegistrationStatus


@dataclass(frozen=True)
class StayPricing:
    """A stay line priced now: the rate, its band and each participant's price."""

    season: str
    percent: int
    band: str
    participants: tuple[ParticipantPrice, ...]
    registration: PrixMiniRegistration | None = None

    @property
    def total_cents(self) -> int:
        return sum(p.price_cents for p in self.participants)

    @property
    def public_cents(self) -> int:
        return sum(p.public_cents for p in self.participants)


def family_of(offer: Offer) -> str:
    """A stay's rate family. The back office can save a stay without one: it has no price."""
    if offer.stay_family is None:
        raise DomainError("Ce séjour n'a pas encore de tarif : il ne peut pas être réservé.")
    return offer.stay_family


def stay_of(options: dict[str, Any] | None) -> dict[str, Any]:
    return (options or {}).get("stay") or {}


def births_of(stay: dict[str, Any]) -> list[date]:
    return [date.fromisoformat(c["birth"]) for c in stay.get("children", [])]


def describe(options: dict[str, Any] | None, pricing: StayPricing | None = None) -> str:
    """« 2 adultes, 2 enfants (Tom, Léa), dont 1 gratuit » for pages and mails; a cart line
    passes its current ``pricing``, an order line has its prices in ``options``."""
    stay = stay_of(options)
    if not stay:
        return ""
    adults = int(stay.get("adults", 0))
    children = len(stay.get("children", []))
    if pricing is not None:
        free = sum(1 for p in pricing.participants if p.free)
    else:
        free = sum(1 for p in stay.get("participants", []) if p.get("free"))
    parts = []
    if adults:
        parts.append(f"{adults} adulte{'s' if adults > 1 else ''}")
    if children:
        names = ", ".join(c.get("prenom", "") for c in stay["children"] if c.get("prenom"))
        label = f"{children} enfant{'s' if children > 1 else ''}"
        parts.append(f"{label} ({names})" if names else label)
    text = ", ".join(parts)
    return f"{text}, dont {free} gratuit" if free else text


def participation_of(line: StayPricing | dict[str, Any] | None) -> int:
    """R-VAC-1: a stay's participation in cents, the public price less what the agent pays
    (each reduction already rounded half-up): from a cart line's ``pricing`` or an order
    line's frozen ``options``. Pages show it: never 0,00 € for a subsidised stay."""
    if isinstance(line, StayPricing):
        return line.public_cents - line.total_cents
    parts = stay_of(line).get("participants", [])
    return sum(int(p["public_cents"]) - int(p["price_cents"]) for p in parts)


def price_stays(
    items: Sequence[tuple[Offer, dict[str, Any] | None]], qf_cents: int | None
) -> list[StayPricing]:
    """Price stay lines with today's tables: one query per season, one for registrations."""
    reg_ids = {stay_of(opts).get("registration_id") for _, opts in items} - {None}
    regs: dict[int, PrixMiniRegistration] = {}
    if reg_ids:
        regs = {
            r.id: r
            for r in session().scalars(
                select(PrixMiniRegistration).where(PrixMiniRegistration.id.in_(reg_ids))
            )
        }
    tables: dict[str, Any] = {}
    priced = []
    for offer, opts in items:
        stay = stay_of(opts)
        assert offer.stay_starts_on is not None, "check_offer requires a stay's dates"
        season = season_of(offer.stay_starts_on)
        reg_id: int | None = stay.get("registration_id")
        reg = regs.get(reg_id) if reg_id is not None else None
        if reg is not None:
            # R-VAC-4: the price kept when the agent pre-registered.
            participants = tuple(
                ParticipantPrice(p["kind"], p["public_cents"], p["price_cents"], p["free"])
                for p in reg.breakdown or []
            ) or _participants(
                offer, reg.percent, reg.adults, [*map(date.fromisoformat, reg.children)]
            )
            priced.append(StayPricing(season.key, reg.percent, "", participants, reg))
            continue
        if season.key not in tables:
            tables[season.key] = tables_for(season.key)
        rate = rate_for(family_of(offer), qf_cents, tables[season.key])
        participants = _participants(
            offer, rate.percent, int(stay.get("adults", 0)), births_of(stay)
        )
        priced.append(StayPricing(season.key, rate.percent, rate.label, participants))
    return priced


def _participants(
    offer: Offer, percent: int, adults: int, births: list[date]
) -> tuple[ParticipantPrice, ...]:
    assert offer.stay_starts_on is not None, "check_offer requires a stay's dates"
    return tuple(
        participant_prices(
            family_of(offer),
            percent,
            offer.public_price_cents,
            offer.child_public_price_cents,
            adults,
            births,
            offer.stay_starts_on,
        )
    )


def line_notes(
    offer: Offer, quantity: int, seen_cents: int, pricing: StayPricing, region: str | None
) -> list[str]:
    """What stops a stay line being ordered now, explained on the line."""
    if not offer.shown_to_agents or not visible_to(offer.region, region):
        return ["Cette offre n'est plus proposée."]
    notes: list[str] = []
    today = clock.today()
    reg = pricing.registration
    if reg is not None:
        if reg.status != S.WON or (reg.pay_by is not None and reg.pay_by <= clock.utcnow()):
            notes.append(
                "Votre place tirée au sort n'est plus réservée : le délai de 7 jours pour "
                "régler le séjour est dépassé."
            )
    else:
        if not on_sale(offer.sale_opens_at, offer.sale_closes_at, clock.utcnow()):
            notes.append("Les réservations de ce séjour sont closes.")
        if offer.stock is not None and offer.stock < quantity:
            notes.append(
                "Complet."
                if offer.stock <= 0
                else f"Il ne reste que {offer.stock} place(s) : modifiez les participants."
            )
    if offer.stay_starts_on is not None and offer.stay_starts_on <= today:
        notes.append("Ce séjour a déjà commencé.")
    if reg is None and pricing.total_cents != seen_cents:
        notes.append(
            "Le prix du séjour a changé depuis l'ajout au panier (taux de votre tranche ou "
            "prix public) : vérifiez le nouveau montant puis validez la ligne."
        )
    return notes


def order_options(options: dict[str, Any] | None, pricing: StayPricing) -> dict[str, Any]:
    """What the order keeps of a stay: participants, rate and each price, frozen."""
    stay = dict(stay_of(options))
    stay.update(
        season=pricing.season,
        percent=pricing.percent,
        band=pricing.band,
        participants=[
            {
                "kind": p.kind,
                "public_cents": p.public_cents,
                "price_cents": p.price_cents,
                "free": p.free,
            }
            for p in pricing.participants
        ],
    )
    return {"stay": stay}


def takes_stock(options: dict[str, Any] | None) -> bool:
    """A Prix mini winner's place was given by the draw, not taken from stock."""
    return stay_of(options).get("registration_id") is None


def claim_registrations(order: Any, now: datetime) -> None:
    """Lock each Prix mini registration an order pays and tie it to the order; the order
    must be paid before the winner's 7 days are over (R-VAC-4)."""
    for line in order.lines:
        reg_id = stay_of(line.options).get("registration_id")
        if reg_id is None:
            continue
        reg = session().scalar(
            for_update(
                select(PrixMiniRegistration).where(PrixMiniRegistration.id == reg_id)
            ).execution_options(populate_existing=True)
        )
        if (
            reg is None
            or reg.cgos_number != order.cgos_number
            or reg.status != S.WON
            or (reg.pay_by is not None and reg.pay_by <= now)
        ):
            raise DomainError(
                f"« {line.title} » : votre place tirée au sort n'est plus réservée.",
                rule="R-VAC-4",
            )
        if reg.order_id is not None:
            raise DomainError(
                f"« {line.title} » : une commande est déjà en cours de paiement pour ce "
                "séjour (voir « Mes commandes »).",
                rule="R-VAC-4",
            )
        reg.order_id = order.id
        if reg.pay_by is not None and (order.expires_at is None or order.expires_at > reg.pay_by):
            order.expires_at = reg.pay_by


def _registrations_of(order_id: int) -> Iterable[PrixMiniRegistration]:
    return session().scalars(
        for_update(
            select(PrixMiniRegistration).where(PrixMiniRegistration.order_id == order_id)
        ).execution_options(populate_existing=True)
    )


def _pays_a_draw(order: Any) -> bool:
    return any(stay_of(line.options).get("registration_id") for line in order.lines)


def on_order_paid(order: Any) -> None:
    """The winner paid: the stay is theirs, and counts for the next seasons' exclusion."""
    if not _pays_a_draw(order):
        return
    for reg in _registrations_of(order.id):
        reg.status = S.PAID
        reg.paid_at = clock.utcnow()


def on_order_released(order: Any) -> None:
    """The order was cancelled unpaid: the winner may pay again until their deadline."""
    if not _pays_a_draw(order):
        return
    for reg in _registrations_of(order.id):
        reg.order_id = None


def is_prix_mini(offer: Offer) -> bool:
    return offer.stay_family == PRIX_MINI
