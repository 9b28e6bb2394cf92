"""Vacation stays priced by quotient familial band (R-VAC-1…5): families, rate tables, prices.

Pure: ints, dates and frozen dataclasses in, results out. Rates are whole percents; QF and
prices are integer cents. Editable tables come in as arguments (``tables=``); the defaults
are those of R-VAC-2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# The families of the vacation tables (R-VAC-2), as (code, French label).
FAMILY_LABELS: tuple[tuple[str, str], ...] = (
    ("prix_mini", "Prix mini"),
    ("prix_reduit_adultes", "Prix réduit adultes et famille"),
    ("prix_reduit_enfants", "Prix réduit enfants et adolescents"),
    ("libre_evasion_adultes", "Libre évasion adultes et famille"),
    ("libre_evasion_enfants", "Libre évasion enfants et adolescents"),
    ("sejours_adaptes", "Séjours adaptés (handicap)"),
)
STAY_FAMILIES: tuple[str, ...] = tuple(code for code, _ in FAMILY_LABELS)
PRIX_MINI = "prix_mini"
# Children's stays (camps): only the household's children travel, no adult (booklet p. 40).
CHILD_FAMILIES = frozenset({"prix_reduit_enfants", "libre_evasion_enfants"})
MAX_ADULTS = 2  # the agent and their spouse or partner
FREE_CHILD_UNDER = 12  # R-VAC-4: the first child under 12 travels free on a Prix mini stay
CHILD_ALONE_MAX_AGE = 21  # R-VAC-5


@dataclass(frozen=True)
class Band:
    """QF up to ``upper_cents`` (``None``: no upper bound); ``inclusive`` says if the bound
    itself belongs to the band (R-VAC-2: all do, except Prix réduit adultes' < 1270)."""

    upper_cents: int | None
    percent: int
    inclusive: bool = True

    def holds(self, qf_cents: int) -> bool:
        if self.upper_cents is None:
            return True
        return qf_cents <= self.upper_cents if self.inclusive else qf_cents < self.upper_cents


@dataclass(frozen=True)
class FamilyTable:
    """One family's bands, lowest first, and the rate for an unknown QF."""

    bands: tuple[Band, ...]
    unknown_percent: int

    def to_json(self) -> dict[str, Any]:
        return {
            "bands": [[b.upper_cents, b.percent, b.inclusive] for b in self.bands],
            "unknown": self.unknown_percent,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FamilyTable:
        return cls(
            bands=tuple(Band(u, int(p), bool(i)) for u, p, i in data["bands"]),
            unknown_percent=int(data["unknown"]),
        )


# The standard band edges of R-VAC-2, in cents.
EDGES = (60000, 80000, 100000, 127000)


def _table(rates: Sequence[int], unknown: int, strict_last: bool = False) -> FamilyTable:
    bands = [Band(edge, pct) for edge, pct in zip(EDGES, rates[:4], strict=True)]
    if strict_last:
        bands[-1] = Band(EDGES[-1], rates[3], inclusive=False)
    return FamilyTable((*bands, Band(None, rates[4])), unknown)


DEFAULT_TABLES: Mapping[str, FamilyTable] = {
    "prix_mini": _table((58, 55, 52, 48, 10), 10),
    "prix_reduit_adultes": _table((35, 35, 35, 35, 10), 10, strict_last=True),
    "prix_reduit_enfants": _table((65, 58, 50, 40, 10), 10),
    "libre_evasion_adultes": _table((0, 0, 0, 0, 0), 0),
    "libre_evasion_enfants": _table((50, 42, 33, 25, 25), 25),
    "sejours_adaptes": _table((50, 50, 50, 50, 50), 50),
}


def _eur(cents: int) -> str:
    euros, rest = divmod(cents, 100)
    return f"{euros:,}".replace(",", "\u202f") + f",{rest:02d}"


def band_label(table: FamilyTable, index: int) -> str:
    """French label of band ``index`` (``-1``: unknown QF)."""
    if index < 0:
        return "QF inconnu"
    band = table.bands[index]
    lower = table.bands[index - 1].upper_cents if index else None
    low = None if lower is None else lower + (1 if table.bands[index - 1].inclusive else 0)
    if band.upper_cents is None:
        if lower is None:
            return "Tout QF"
        # After a band that stops strictly below its bound (Prix réduit adultes' « < 1270 »)
        # the bound itself is in this one: QF 1 270,00 € reads « à partir de 1 270,00 € ».
        before = table.bands[index - 1]
        return f"QF {'supérieur à' if before.inclusive else 'à partir de'} {_eur(lower)} €"
    up = f"{_eur(band.upper_cents)} €"
    if low is None:
        return f"QF {'jusqu’à' if band.inclusive else 'inférieur à'} {up}"
    return f"QF de {_eur(low)} € à {'' if band.inclusive else 'moins de '}{up}"


@dataclass(frozen=True)
class Rate:
    """The rate that applies, with its band (``band_index`` −1 for unknown QF)."""

    family: str
    percent: int
    band_index: int
    label: str

    @property
    def unknown(self) -> bool:
        return self.band_index < 0


def rate_for(
    family: str, qf_cents: int | None, tables: Mapping[str, FamilyTable] = DEFAULT_TABLES
) -> Rate:
    """R-VAC-1/2: the rate read from the band of ``qf_cents`` in the family's table."""
    table = tables[family]
    if qf_cents is None:
        return Rate(family, table.unknown_percent, -1, band_label(table, -1))
    for index, band in enumerate(table.bands):
        if band.holds(qf_cents):
            return Rate(family, band.percent, index, band_label(table, index))
    raise ValueError(f"table {family!r} has no open last band")


def stay_price(public_cents: int, percent: int) -> int:
    """R-VAC-1: public price × (1 − rate), the reduction rounded half-up to the cent."""
    reduction = (Decimal(public_cents) * percent / 100).quantize(Decimal(1), ROUND_HALF_UP)
    return public_cents - int(reduction)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class ParticipantPrice:
    kind: str  # "adulte" or "enfant"
    public_cents: int
    price_cents: int
    free: bool = False


def participant_prices(
    family: str,
    percent: int,
    adult_public_cents: int,
    child_public_cents: int | None,
    adults: int,
    child_births: Sequence[date],
    starts_on: date,
) -> list[ParticipantPrice]:
    """Price of each participant; on a Prix mini stay the first child (youngest first
    among those under 12 on the first day) is free (R-VAC-4)."""
    lines = [
        ParticipantPrice("adulte", adult_public_cents, stay_price(adult_public_cents, percent))
        for _ in range(adults)
    ]
    child_public = child_public_cents if child_public_cents is not None else adult_public_cents
    free_given = family != PRIX_MINI
    for birth in sorted(child_births, reverse=True):
        if not free_given and age_on(birth, starts_on) < FREE_CHILD_UNDER:
            lines.append(ParticipantPrice("enfant", child_public, 0, free=True))
            free_given = True
        else:
            price = stay_price(child_public, percent)
            lines.append(ParticipantPrice("enfant", child_public, price))
    return lines


def child_alone_allowed(birth: date, booking_year: int) -> bool:
    """R-VAC-5: a child travelling alone is of age (18) and under 21 in the booking year."""
    age = booking_year - birth.year
    return 18 <= age < CHILD_ALONE_MAX_AGE


@dataclass(frozen=True)
class HouseholdChild:
    """A child of the agent's dossier as booking forms offer it; ``id`` is the child's rank
    by birth date, so forms work whether dossiers live in the store's tables or come from
    the dossier service (which gives children no ids)."""

    id: int
    prenom: str
    birth_date: date


def ranked_children(children: Sequence[Any]) -> list[HouseholdChild]:
    """Every child of a dossier (objects with ``prenom`` and ``birth_date``), eldest first."""
    ordered = sorted(children, key=lambda c: (c.birth_date, c.prenom))
    return [HouseholdChild(i, c.prenom, c.birth_date) for i, c in enumerate(ordered)]


def participants_refusal(
    family: str, adults: int, child_births: Sequence[date], booking_year: int
) -> tuple[str, str] | None:
    """Who may travel on one booking, as ``(field, French message)`` or ``None`` when fine.

    Adults-and-family stays take one or two adults with the household's children; with no
    adult, each child travels alone and must be of age and under 21 in the booking year
    (R-VAC-5). Children's stays take children only."""
    if family in CHILD_FAMILIES:
        if adults:
            return ("adults", "Ce séjour est réservé aux enfants et adolescents : aucun adulte.")
        if not child_births:
            return ("children", "Choisissez au moins un enfant qui part en séjour.")
        return None
    if not 0 <= adults <= MAX_ADULTS:
        return ("adults", f"Indiquez de 0 à {MAX_ADULTS} adultes.")
    if adults == 0:
        if not child_births:
            return ("adults", "Indiquez au moins un participant.")
        if not all(child_alone_allowed(b, booking_year) for b in child_births):
            return (
                "children",
                "Un enfant qui part seul doit être majeur et avoir moins de 21 ans "
                f"en {booking_year}, l'année de la réservation.",
            )
    return None


# -- seasons (R-VAC-4) --------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Season:
    """Summer ``ete`` (April–September of ``year``) or winter ``hiver`` (October of ``year``
    to March of ``year + 1``)."""

    year: int
    kind: str

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.year}"

    @property
    def label(self) -> str:
        if self.kind == "ete":
            return f"été {self.year}"
        return f"hiver {self.year}-{self.year + 1}"

    def previous_same_kind(self, count: int = 2) -> tuple[Season, ...]:
        return tuple(Season(self.year - n, self.kind) for n in range(1, count + 1))

    @classmethod
    def parse(cls, key: str) -> Season:
        kind, _, year = key.partition("-")
        if kind not in ("ete", "hiver") or not year.isdigit():
            raise ValueError(f"saison invalide : {key!r}")
        return cls(int(year), kind)


def season_of(day: date) -> Season:
    """The season a stay starting on ``day`` belongs to."""
    if 4 <= day.month <= 9:
        return Season(day.year, "ete")
    return Season(day.year if day.month >= 10 else day.year - 1, "hiver")
