"""Rate tables per season and family (R-VAC-2): read with defaults, edited by admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from catalog.models import Offer
from catalog.stays import (
    DEFAULT_TABLES,
    PRIX_MINI,
    STAY_FAMILIES,
    FamilyTable,
    Rate,
    Season,
    rate_for,
    season_of,
    stay_price,
)
from shop import audit, clock
from shop.db import session, unit_of_work
from shop.errors import DomainError
from vacations.models import RateTable


def tables_for(season: str) -> dict[str, FamilyTable]:
    """Every family's table for ``season``: the admin's edit where there is one."""
    tables = dict(DEFAULT_TABLES)
    for row in session().scalars(select(RateTable).where(RateTable.season == season)):
        tables[row.family] = FamilyTable.from_json(row.bands)
    return tables


def rate_for_stay(family: str, starts_on: date, qf_cents: int | None) -> Rate:
    """R-VAC-1: the household's rate for a stay, from the table of the stay's season."""
    return rate_for(family, qf_cents, tables_for(season_of(starts_on).key))


def check_table(table: FamilyTable) -> None:
    """A table an admin may save: rates 0–100 %, bounds rising, last band open."""
    bounds = [b.upper_cents for b in table.bands]
    if not bounds or bounds[-1] is not None or None in bounds[:-1]:
        raise DomainError("La dernière tranche doit être ouverte (QF supérieur).", "bands")
    inner = [b for b in bounds[:-1] if b is not None]  # all of them: checked just above
    if inner != sorted(set(inner)) or any(b <= 0 for b in inner):
        raise DomainError("Les bornes des tranches doivent être croissantes.", "bands")
    for pct in [b.percent for b in table.bands] + [table.unknown_percent]:
        if not 0 <= pct <= 100:
            raise DomainError("Un taux est compris entre 0 et 100 %.", "bands")


def save_table(season: str, family: str, table: FamilyTable, actor: Any) -> RateTable:
    """Admin edit of one table. Already priced registrations and orders keep their price:
    they copied it (R-VAC-2)."""
    if family not in STAY_FAMILIES:
        raise DomainError("Famille de séjour inconnue.", "family")
    check_table(table)
    with unit_of_work() as s:
        row = s.scalar(
            select(RateTable).where(RateTable.season == season, RateTable.family == family)
        )
        before = row.bands if row else DEFAULT_TABLES[family].to_json()
        if row is None:
            row = RateTable(season=season, family=family)
            s.add(row)
        row.bands = table.to_json()
        row.updated_at = clock.utcnow()
        row.updated_by = audit.actor_label(actor)
        audit.record(actor, "vacations.table_saved", f"{season}/{family}", before, row.bands)
        s.flush()
        return row


@dataclass(frozen=True)
class StayQuote:
    """What the offer page shows (R-VAC-3): band, rate and price per participant type."""

    season: Season
    rate: Rate
    adult_public_cents: int
    adult_cents: int
    child_public_cents: int | None
    child_cents: int | None
    first_child_free: bool


def quote_offer(offer: Offer, qf_cents: int | None) -> StayQuote | None:
    """The agent's prices for a stay offer, or ``None`` when it is not a priced stay."""
    if offer.kind != "sejour" or offer.stay_family not in STAY_FAMILIES or not offer.stay_starts_on:
        return None
    season = season_of(offer.stay_starts_on)
    rate = rate_for(offer.stay_family, qf_cents, tables_for(season.key))
    child = offer.child_public_price_cents
    return StayQuote(
        season=season,
        rate=rate,
        adult_public_cents=offer.public_price_cents,
        adult_cents=stay_price(offer.public_price_cents, rate.percent),
        child_public_cents=child,
        child_cents=None if child is None else stay_price(child, rate.percent),
        first_child_free=offer.stay_family == PRIX_MINI,
    )
