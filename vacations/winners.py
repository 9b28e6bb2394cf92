"""Who the Prix mini registrations are (R-VAC-8): the agents' names beside their numbers
on the draw table, and the winners' file for the holiday provider."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from catalog.models import Offer
from members.dossiers import dossier_source
from members.models import DossierAgent
from shop.clock import format_date_fr
from shop.db import session
from shop.money import format_eur
from vacations.models import (
    PAYMENT_METHODS,
    STATUS_LABELS,
    PrixMiniPayment,
    PrixMiniRegistration,
    RegistrationStatus,
)

WINNER_STATUSES = (RegistrationStatus.WON, RegistrationStatus.PAID)


@dataclass(frozen=True)
class Identity:
    nom: str
    prenom: str
    etablissement: str
    city: str
    email: str
    phone: str


def identities(numbers: list[str]) -> dict[str, Identity]:
    """Each number's name and établissement: one SELECT on the embedded dossiers; with the
    remote dossier service, one cached call per agent (the draw table shows 500 at most)."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    source = dossier_source()
    if source.is_local:
        rows = session().execute(
            select(
                DossierAgent.cgos_number,
                DossierAgent.nom,
                DossierAgent.prenom,
                DossierAgent.etablissement,
                DossierAgent.city,
                DossierAgent.email,
                DossierAgent.phone,
            ).where(DossierAgent.cgos_number.in_(wanted))
        )
        return {
            r.cgos_number: Identity(
                r.nom, r.prenom, r.etablissement, r.city, r.email or "", r.phone or ""
            )
            for r in rows
        }
    found = {}
    for number in wanted:
        record = source.get(number)
        if record is not None:
            found[number] = Identity(
                record.nom,
                record.prenom,
                record.etablissement,
                record.city,
                record.email or "",
                record.phone or "",
            )
    return found


CSV_HEADER = [
    "N° C.G.O.S",
    "nom",
    "prénom",
    "établissement",
    "ville",
    "e-mail",
    "téléphone",
    "séjour",
    "dates",
    "participants",
    "montant dû",
    "statut de paiement",
    "moyen de paiement",
    "référence du paiement",
]


def _participants(reg: PrixMiniRegistration) -> str:
    adults = f"{reg.adults} adulte{'s' if reg.adults > 1 else ''}"
    n = len(reg.children or [])
    return adults + (f", {n} enfant{'s' if n > 1 else ''}" if n else "")


def winner_rows(offer: Offer) -> Iterator[list[str]]:
    """The winners (paid or still to pay) of one stay, in draw order: what the holiday
    provider needs to contact and book them."""
    rows = (
        session()
        .execute(
            select(PrixMiniRegistration, PrixMiniPayment)
            .outerjoin(PrixMiniPayment, PrixMiniPayment.registration_id == PrixMiniRegistration.id)
            .where(
                PrixMiniRegistration.offer_id == offer.id,
                PrixMiniRegistration.status.in_(list(WINNER_STATUSES)),
            )
            .order_by(PrixMiniRegistration.id)
        )
        .all()
    )
    who = identities([reg.cgos_number for reg, _ in rows])
    dates = ""
    if offer.stay_starts_on and offer.stay_ends_on:
        starts, ends = format_date_fr(offer.stay_starts_on), format_date_fr(offer.stay_ends_on)
        dates = f"du {starts} au {ends}"
    empty = Identity("", "", "", "", "", "")
    for reg, payment in rows:
        person = who.get(reg.cgos_number, empty)
        yield [
            reg.cgos_number,
            person.nom,
            person.prenom,
            person.etablissement,
            person.city,
            person.email or reg.email or "",
            person.phone,
            offer.title,
            dates,
            _participants(reg),
            format_eur(reg.price_cents),
            STATUS_LABELS.get(reg.status, reg.status),
            PAYMENT_METHODS.get(payment.method, payment.method) if payment else "",
            payment.reference if payment else "",
        ]
