"""Booking a stay into the cart: participants from the household (R-VAC-1, R-VAC-5), or a
Prix mini winner's place (R-VAC-4). Checkout is then the store's usual one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from auth.principals import AgentUser
from catalog.models import Offer
from catalog.rules import Delivery, Kind, on_sale, visible_to
from catalog.stays import (
    PRIX_MINI,
    HouseholdChild,
    participants_refusal,
    ranked_children,
    season_of,
)
from members.rights import counts_as_child
from orders.cart import cart_row, require_rights
from orders.models import CartLine
from shop import clock
from shop.db import session, unit_of_work
from shop.errors import DomainError, NotFound
from vacations import lottery, stay_lines
from vacations.models import RegistrationStatus


def household_children(agent: AgentUser, *, all_ages: bool = False) -> list[HouseholdChild]:
    """The household's children who count for the store this year (R-DOS-6)."""
    year = agent.today.year
    return [
        c
        for c in ranked_children(agent.record.children)
        if all_ages or counts_as_child(c.birth_date, year)
    ]


def _stay_offer(agent: AgentUser, offer_id: int) -> Offer:
    offer = session().get(Offer, offer_id)
    if (
        offer is None
        or offer.kind != Kind.SEJOUR
        or not offer.shown_to_agents
        or not visible_to(offer.region, agent.record.region)
        or offer.stay_starts_on is None
    ):
        raise NotFound()
    return offer


def _parse_adults(raw: Any) -> int:
    try:
        return int(str(raw if raw is not None else "").strip())
    except ValueError:
        raise DomainError("Indiquez le nombre d'adultes en chiffres.", "adults") from None


def _put_line(agent: AgentUser, offer: Offer, quantity: int, options: dict[str, Any]) -> CartLine:
    """One booking per stay in the cart: a new one replaces the previous."""
    pricing = stay_lines.price_stays([(offer, options)], agent.record.qf_cents)[0]
    now = clock.utcnow()
    with unit_of_work() as s:
        cart = cart_row(agent, now)
        for old in s.scalars(
            select(CartLine).where(CartLine.cart_id == cart.id, CartLine.offer_id == offer.id)
        ):
            s.delete(old)
        line = CartLine(
            cart_id=cart.id,
            offer_id=offer.id,
            session_id=None,
            delivery=Delivery.EMAIL.value,
            quantity=quantity,
            seen_cgos_cents=pricing.total_cents,
            seen_negotiated_cents=pricing.public_cents,
            options=options,
            added_at=now,
        )
        s.add(line)
        cart.updated_at = now
    return line


def add_stay(agent: AgentUser, offer_id: int, *, adults: Any, child_ids: list[int]) -> CartLine:
    """Put a stay in the cart for some of the household: the places are taken from the
    stay's capacity only when the order is placed, like any stock (R-ORD-4)."""
    require_rights(agent)
    offer = _stay_offer(agent, offer_id)
    if offer.stay_family == PRIX_MINI:
        raise DomainError(
            "Les séjours Prix mini sont attribués par tirage au sort : préinscrivez-vous.",
            rule="R-VAC-4",
        )
    n_adults = _parse_adults(adults)
    known = {c.id: c for c in household_children(agent, all_ages=True)}
    if any(cid not in known for cid in child_ids):
        raise DomainError("Ces enfants ne figurent pas sur votre dossier.", "children")
    year = agent.today.year
    for cid in child_ids:
        if not counts_as_child(known[cid].birth_date, year):
            raise DomainError(
                f"{known[cid].prenom} a 21 ans ou plus en {year} : les offres Vacances ne lui "
                "sont plus ouvertes.",
                "children",
                rule="R-VAC-5",
            )
    children = [known[cid] for cid in sorted(set(child_ids), key=list(known).index)]
    refusal = participants_refusal(
        stay_lines.family_of(offer), n_adults, [c.birth_date for c in children], agent.today.year
    )
    if refusal is not None:
        raise DomainError(refusal[1], refusal[0], rule="R-VAC-5")
    if not on_sale(offer.sale_opens_at, offer.sale_closes_at, clock.utcnow()):
        raise DomainError("Les réservations de ce séjour ne sont pas ouvertes.", rule="R-CAT-6")
    assert offer.stay_starts_on is not None, "_stay_offer refuses a stay without dates"
    if offer.stay_starts_on <= clock.today():
        raise DomainError("Ce séjour a déjà commencé.")
    places = n_adults + len(children)
    if offer.stock is not None and offer.stock < places:
        raise DomainError(
            "Ce séjour est complet."
            if offer.stock <= 0
            else f"Il ne reste que {offer.stock} place(s) pour ce séjour.",
            "adults",
            rule="R-CAT-3",
        )
    options = {
        "stay": {
            "adults": n_adults,
            "children": [
                {"id": c.id, "prenom": c.prenom, "birth": c.birth_date.isoformat()}
                for c in children
            ],
            "registration_id": None,
        }
    }
    return _put_line(agent, offer, places, options)


def add_prix_mini(agent: AgentUser, offer_id: int) -> CartLine:
    """A winner of the draw puts their stay in the cart to pay it within 7 days."""
    require_rights(agent)
    offer = _stay_offer(agent, offer_id)
    if offer.stay_family != PRIX_MINI:
        raise NotFound()
    assert offer.stay_starts_on is not None, "_stay_offer refuses a stay without dates"
    reg = lottery.registration_of(agent.cgos_number, season_of(offer.stay_starts_on).key)
    if reg is None or reg.offer_id != offer.id:
        raise NotFound()
    if reg.status != RegistrationStatus.WON or (
        reg.pay_by is not None and reg.pay_by <= clock.utcnow()
    ):
        raise DomainError("Votre place n'est pas (ou plus) en attente de paiement.", rule="R-VAC-4")
    if reg.order_id is not None:
        raise DomainError(
            "Une commande est déjà en cours de paiement pour ce séjour (voir « Mes commandes »).",
            rule="R-VAC-4",
        )
    options = {
        "stay": {
            "adults": reg.adults,
            "children": [{"birth": b} for b in reg.children],
            "registration_id": reg.id,
        }
    }
    return _put_line(agent, offer, reg.adults + len(reg.children), options)
