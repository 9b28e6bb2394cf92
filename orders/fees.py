"""Delivery groups and their fees (R-FEE-1…5). Pure: cents and choices in, fees out.

Fees are never subsidised and are not refunded when a show is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Group(StrEnum):
    """What travels together and pays one fee."""

    BILLETS = "billets"  # paper tickets by post
    CARTES = "cartes"  # physical reduction cards and gift cheques
    MAGAZINES = "magazines"
    CHEQUES_CULTURE = "cheques_culture"


GROUP_LABELS: dict[str, str] = {  # looked up by the column's text too
    Group.BILLETS: "Billets envoyés par courrier",
    Group.CARTES: "Cartes et chèques envoyés par la poste",
    Group.MAGAZINES: "Abonnements magazines",
    Group.CHEQUES_CULTURE: "Chèques culture (recommandé R2)",
}


class TicketPost(StrEnum):
    LETTRE_VERTE = "lettre_verte"
    SUIVI = "suivi"
    RECOMMANDE = "recommande"


class CardPost(StrEnum):
    LETTRE_VERTE = "lettre_verte"
    R2 = "r2"
    R3 = "r3"
    VALEUR_DECLAREE = "valeur_declaree"


@dataclass(frozen=True)
class Tariff:
    """Editable postal tariff (R-FEE-1 defaults); cents."""

    ticket_handling: int = 200
    ticket_suivi: int = 150
    ticket_recommande: int = 500
    card_lettre_verte: int = 200
    card_r2: int = 400
    card_r3: int = 600
    card_valeur_declaree: int = 1000
    magazine_handling: int = 200
    culture_r2: int = 400


CARD_TIER_1_MAX = 15_300  # 153.00 €
CARD_TIER_2_MAX = 45_800  # 458.00 €
CARD_TIER_3_MAX = 500_000  # 5 000.00 €


@dataclass(frozen=True)
class FeeTable:
    """The fee table the store's pages quote (the cart's shipping choices, the CGV, the
    FAQ), so an amount is written once: the tariff the cart charges and the cards' tiers."""

    tariff: Tariff = Tariff()
    card_tier_1_max: int = CARD_TIER_1_MAX
    card_tier_2_max: int = CARD_TIER_2_MAX
    card_tier_3_max: int = CARD_TIER_3_MAX


@dataclass(frozen=True)
class Fee:
    group: Group
    cents: int
    label: str
    options: tuple[str, ...] = ()  # what the agent may choose, when there is a choice
    chosen: str | None = None


@dataclass(frozen=True)
class FeeRefusal:
    group: Group
    rule: str
    message: str


def ticket_fee(option: str | None, t: Tariff = Tariff()) -> Fee:
    """R-FEE-1: 2 € per order for paper tickets, plus an optional postal supplement."""
    chosen = option if option in {o.value for o in TicketPost} else TicketPost.LETTRE_VERTE
    supplement = {TicketPost.SUIVI: t.ticket_suivi, TicketPost.RECOMMANDE: t.ticket_recommande}
    cents = t.ticket_handling + supplement.get(TicketPost(chosen), 0)
    label = {
        TicketPost.LETTRE_VERTE: "Frais d'envoi des billets (lettre verte)",
        TicketPost.SUIVI: "Frais d'envoi des billets (lettre suivie)",
        TicketPost.RECOMMANDE: "Frais d'envoi des billets (recommandé)",
    }[TicketPost(chosen)]
    return Fee(Group.BILLETS, cents, label, tuple(o.value for o in TicketPost), chosen)


def card_fee(amount_cents: int, option: str | None, t: Tariff = Tariff()) -> Fee | FeeRefusal:
    """R-FEE-2: the tier follows what the agent pays for the physical cards of the order."""
    if amount_cents <= CARD_TIER_1_MAX:
        if option == CardPost.R2:
            return Fee(
                Group.CARTES,
                t.card_r2,
                "Envoi des cartes et chèques en recommandé R2",
                (CardPost.LETTRE_VERTE.value, CardPost.R2.value),
                CardPost.R2,
            )
        return Fee(
            Group.CARTES,
            t.card_lettre_verte,
            "Envoi des cartes et chèques en lettre verte",
            (CardPost.LETTRE_VERTE.value, CardPost.R2.value),
            CardPost.LETTRE_VERTE,
        )
    if amount_cents <= CARD_TIER_2_MAX:
        return Fee(
            Group.CARTES, t.card_r3, "Envoi des cartes et chèques en recommandé R3", (), CardPost.R3
        )
    if amount_cents <= CARD_TIER_3_MAX:
        return Fee(
            Group.CARTES,
            t.card_valeur_declaree,
            "Envoi des cartes et chèques en valeur déclarée",
            (),
            CardPost.VALEUR_DECLAREE,
        )
    return FeeRefusal(
        Group.CARTES,
        "R-FEE-2",
        "Les cartes et chèques envoyés par la poste ne peuvent pas dépasser 5 000,00 € "
        "dans une même commande : scindez votre commande.",
    )


def magazine_fee(t: Tariff = Tariff()) -> Fee:
    """R-FEE-3: 2 € handling per order containing subscriptions."""
    return Fee(Group.MAGAZINES, t.magazine_handling, "Frais de gestion des abonnements")


def culture_fee(t: Tariff = Tariff()) -> Fee:
    """R-FEE-4: culture cheques travel by recommandé R2 only, 4 € per order."""
    return Fee(Group.CHEQUES_CULTURE, t.culture_r2, "Envoi des chèques culture en recommandé R2")
