"""Pure rules for store rights (R-DOS-2, R-DOS-3), the quotient familial (R-DOS-5) and
which children count (R-DOS-6). No Flask, no database, no clock: dates come in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Status(StrEnum):
    ACTIF = "actif"
    RETRAITE = "retraite"
    DISPONIBILITE = "disponibilite"
    PM = "pm"


class FiscalStatus(StrEnum):
    A_CHARGE = "a_charge"
    ALTERNEE = "alternee"
    NON_A_CHARGE = "non_a_charge"


STATUS_LABELS = {
    Status.ACTIF: "Actif",
    Status.RETRAITE: "Retraité",
    Status.DISPONIBILITE: "En disponibilité",
    Status.PM: "Personnel médical",
}


@dataclass(frozen=True)
class Rights:
    """What an agent may do today, and the French sentence that explains it."""

    can_login: bool
    can_order: bool
    reason: str | None = None
    open_until: date | None = None


def rights_end(dossier_year: int) -> date:
    """A dossier of year Y opens rights until 31 October of Y+1 inclusive."""
    return date(dossier_year + 1, 10, 31)


def evaluate_rights(status: str, dossier_year: int | None, today: date) -> Rights:
    """R-DOS-2 and R-DOS-3: pm refused, disponibilité suspends, retraité keeps, Y+1 end."""
    if status == Status.PM:
        return Rights(
            can_login=False,
            can_order=False,
            reason=(
                "Les personnels médicaux disposent de leur propre portail : "
                "connectez-vous sur l'espace dédié aux personnels médicaux."
            ),
        )
    if status == Status.DISPONIBILITE:
        return Rights(
            can_login=True,
            can_order=False,
            reason=(
                "Vos droits sont suspendus pendant votre disponibilité. Ils reprendront "
                "à votre retour en activité : constituez alors votre dossier C.G.O.S."
            ),
        )
    if dossier_year is None:
        return Rights(
            can_login=True,
            can_order=False,
            reason=(
                "Aucun dossier C.G.O.S n'est enregistré à votre nom : constituez votre "
                "dossier C.G.O.S pour ouvrir vos droits."
            ),
        )
    end = rights_end(dossier_year)
    if today > end:
        return Rights(
            can_login=True,
            can_order=False,
            reason=(
                f"Vos droits ont pris fin le 31 octobre {end.year} : constituez votre "
                f"dossier C.G.O.S {end.year} pour les rouvrir."
            ),
            open_until=end,
        )
    return Rights(can_login=True, can_order=True, open_until=end)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def counts_as_child(birth: date, year: int) -> bool:
    """R-DOS-6: under 21 on 31 December of ``year``, whatever the fiscal status."""
    return age_on(birth, date(year, 12, 31)) < 21


def count_children(births: list[date], year: int) -> int:
    return sum(1 for b in births if counts_as_child(b, year))


@dataclass(frozen=True)
class Household:
    """The people behind a quotient familial (R-DOS-5)."""

    hospital_agents: int = 1
    single_parent: bool = False
    other_dependants: int = 0  # non-hospital spouse, each dependent child


def fiscal_parts(h: Household) -> Decimal:
    """1.5 per hospital agent (2 for an agent raising children alone), +1 per dependant."""
    per_agent = Decimal(2) if h.single_parent and h.hospital_agents == 1 else Decimal("1.5")
    return per_agent * h.hospital_agents + h.other_dependants


def quotient_familial_cents(rfr_cents: int, monthly_allowances_cents: int, h: Household) -> int:
    """QF = (RFR / 12 + monthly allowances) / parts, rounded half-up to 2 decimals, in cents."""
    parts = fiscal_parts(h)
    if parts <= 0:
        raise ValueError("parts must be positive")
    monthly = Decimal(rfr_cents) / 12 + Decimal(monthly_allowances_cents)
    return int((monthly / parts).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
