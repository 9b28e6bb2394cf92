"""Pure catalog rules: offer kinds, delivery modes, sales windows, regional visibility
(R-CAT-1, R-CAT-3, R-CAT-4, R-CAT-6). No Flask, no database, no clock: times come in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

# Dates the catalog accepts (forms, import, search): also keeps Paris ↔ UTC in range.
MIN_YEAR, MAX_YEAR = 2000, 2100


class Kind(StrEnum):
    BILLET_DATE = "billet_date"
    BILLET_OUVERT = "billet_ouvert"
    CARTE = "carte"
    ABONNEMENT = "abonnement"
    CHEQUE_CULTURE = "cheque_culture"
    SEJOUR = "sejour"


# Keyed by text: offers hold their kind as the column's string.
KIND_LABELS: dict[str, str] = {
    Kind.BILLET_DATE: "Billet daté",
    Kind.BILLET_OUVERT: "Billet non daté",
    Kind.CARTE: "Carte ou chèque",
    Kind.ABONNEMENT: "Abonnement magazine",
    Kind.CHEQUE_CULTURE: "Chèques culture",
    Kind.SEJOUR: "Séjour vacances",
}


class Delivery(StrEnum):
    E_BILLET = "e_billet"
    COURRIER = "courrier"
    RETRAIT = "retrait"
    EMAIL = "email"  # electronic cards sent by e-mail
    POSTE = "poste"  # physical cards, cheques, magazines sent by post


DELIVERY_LABELS = {
    Delivery.E_BILLET: "E-billet",
    Delivery.COURRIER: "Courrier",
    Delivery.RETRAIT: "Retrait sur place",
    Delivery.EMAIL: "Envoi par e-mail",
    Delivery.POSTE: "Envoi postal",
}

# Which delivery modes make sense for which kind.
KIND_DELIVERIES: dict[Kind, frozenset[Delivery]] = {
    Kind.BILLET_DATE: frozenset({Delivery.E_BILLET, Delivery.COURRIER, Delivery.RETRAIT}),
    Kind.BILLET_OUVERT: frozenset({Delivery.E_BILLET, Delivery.COURRIER}),
    Kind.CARTE: frozenset({Delivery.EMAIL, Delivery.POSTE}),
    Kind.ABONNEMENT: frozenset({Delivery.POSTE, Delivery.EMAIL}),
    Kind.CHEQUE_CULTURE: frozenset({Delivery.POSTE}),
    Kind.SEJOUR: frozenset({Delivery.EMAIL}),
}

# Pages say « plus que N » at or below this stock and only « En stock » above it, so a sale
# from a larger stock changes nothing an agent sees (the shared offer page stays valid).
LOW_STOCK_SHOWN = 10
COURRIER_MIN_DAYS = 10  # the partner posts 8 days before; 2 days to prepare (R-CAT-6)


class SupplyState(StrEnum):
    EN_STOCK = "en_stock"
    EN_COURS = "en_cours"


SUPPLY_LABELS = {
    SupplyState.EN_STOCK: "En stock",
    SupplyState.EN_COURS: "En cours d'approvisionnement",
}


def on_sale(opens_at: datetime | None, closes_at: datetime | None, now: datetime) -> bool:
    """R-CAT-6: on sale from the opening instant (included) to the closing one (excluded)."""
    if opens_at is not None and now < opens_at:
        return False
    return not (closes_at is not None and now >= closes_at)


def visible_to(offer_region: str | None, agent_region: str | None) -> bool:
    """R-CAT-4: national offers for everyone, regional ones for that region's agents."""
    return offer_region is None or offer_region == agent_region


def open_session_deliveries(
    allowed: frozenset[str] | set[str],
    starts_at: datetime,
    now: datetime,
    today: date,
    session_day: date,
) -> list[Delivery]:
    """R-CAT-6 for a dated session: courrier while the session is ≥ 10 days away,
    retrait sur place and e-billet until it starts. ``today``/``session_day`` in Paris.
    """
    if now >= starts_at:
        return []
    modes: list[Delivery] = []
    if Delivery.E_BILLET in allowed:
        modes.append(Delivery.E_BILLET)
    if Delivery.COURRIER in allowed and (session_day - today).days >= COURRIER_MIN_DAYS:
        modes.append(Delivery.COURRIER)
    if Delivery.RETRAIT in allowed:
        modes.append(Delivery.RETRAIT)
    return modes


@dataclass(frozen=True)
class Availability:
    """What the offer page says about buying now, and why not."""

    orderable: bool
    label: str


def availability(
    *,
    on_sale_now: bool,
    not_yet_open: bool,
    stock: int | None,
    supply_state: str,
    has_future_session: bool = True,
) -> Availability:
    """R-CAT-3: sold out is shown and never orderable; en cours d'approvisionnement is."""
    if not on_sale_now:
        if not_yet_open:
            return Availability(False, "Pas encore en vente")
        return Availability(False, "Vente terminée")
    if not has_future_session:
        return Availability(False, "Plus aucune date disponible")
    if stock is not None and stock <= 0:
        return Availability(False, "Épuisé")
    if supply_state == SupplyState.EN_COURS:
        return Availability(True, "En cours d'approvisionnement : expédié dès réception")
    return Availability(True, "En stock")


def participation_cents(negotiated_cents: int, cgos_cents: int) -> int:
    """R-CAT-2: participation C.G.O.S per unit = prix négocié − prix C.G.O.S (never < 0)."""
    return max(0, negotiated_cents - cgos_cents)


class PriceRequestStatus(StrEnum):
    """R-PAR-10: a partner's request to change the négocié and C.G.O.S prices."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class PriceRequestKind(StrEnum):
    """R-PAR-10: new prices for an offer on sale, or the prices of a partner's new offer
    (approving it puts the offer on sale)."""

    PRICE_CHANGE = "price_change"
    NEW_OFFER = "new_offer"


PRICE_REQUEST_KIND_LABELS = {
    PriceRequestKind.PRICE_CHANGE: "Changement de prix",
    PriceRequestKind.NEW_OFFER: "Nouvelle offre",
}


class OfferApproval(StrEnum):
    """R-PAR-10: whether C.G.O.S accepted an offer. Only an approved (and published) offer
    is shown to agents; a partner's new offer waits, or stays hidden once refused."""

    APPROVED = "approved"
    PENDING = "pending"
    REFUSED = "refused"


APPROVAL_LABELS = {
    OfferApproval.APPROVED: "Validée",
    OfferApproval.PENDING: "En attente de validation par le C.G.O.S",
    OfferApproval.REFUSED: "Refusée par le C.G.O.S",
}


PRICE_REQUEST_LABELS = {
    PriceRequestStatus.PENDING: "En attente",
    PriceRequestStatus.APPROVED: "Approuvée",
    PriceRequestStatus.REFUSED: "Refusée",
    PriceRequestStatus.WITHDRAWN: "Retirée",
}


def price_errors(
    kind: str, public_cents: int, negotiated_cents: int, cgos_cents: int
) -> list[tuple[str, str]]:
    """R-CAT-2, R-CAT-7: the prices of one offer hold together; (field, French message).
    Checked when an offer is saved and again when a price request is approved (R-PAR-10)."""
    errors: list[tuple[str, str]] = []
    for name, value in (
        ("public_price_cents", public_cents),
        ("negotiated_price_cents", negotiated_cents),
        ("cgos_price_cents", cgos_cents),
    ):
        if value < 0:
            errors.append((name, "Le prix ne peut pas être négatif."))
    if cgos_cents > negotiated_cents:
        errors.append(("cgos_price_cents", "Le prix C.G.O.S ne peut pas dépasser le prix négocié."))
    if negotiated_cents > public_cents and kind != Kind.SEJOUR:
        errors.append(
            ("negotiated_price_cents", "Le prix négocié ne peut pas dépasser le prix public.")
        )
    return errors
