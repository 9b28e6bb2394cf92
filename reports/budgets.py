"""Setting and reading the yearly participation budgets (R-REP-1): admins set them, every
change audited; the dashboard reads the one of its period's year and region."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from members.regions import REGIONS
from reports.models import ParticipationBudget
from reports.rules import DEFAULT_ALERT_PERCENT, FIRST_YEAR, LAST_YEAR, check_budget
from shop import audit, clock
from shop.db import session, unit_of_work
from shop.errors import DomainError

ACTION = "report.budget_set"
ADMINS_ONLY = "Seul un administrateur peut fixer un budget."


@dataclass(frozen=True)
class Budget:
    year: int
    region: str | None
    amount_cents: int
    alert_percent: int
    updated_by: str


YEAR_REFUSED = f"Année invalide : de {FIRST_YEAR} à {LAST_YEAR}."


def _is_system(actor: Any) -> bool:
    """The command line and the demonstration seed act as a plain string."""
    return isinstance(actor, str)


def set_budget(
    actor: Any,
    *,
    year: int | None,
    region: str | None,
    amount_cents: int | None,
    alert_percent: int | None = DEFAULT_ALERT_PERCENT,
) -> Budget:
    """R-REP-1: create or replace the budget of ``year`` for ``region`` (None: national),
    audited with what it was before. Admins only: a gestionnaire reads budgets, never sets
    them. A second admin saving the same budget at once gets a « réessayez »."""
    if not _is_system(actor) and getattr(actor, "role", None) != "admin":
        raise DomainError(ADMINS_ONLY, rule="R-REP-1")
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(YEAR_REFUSED, field="year")
    region = region or None
    if region is not None and region not in REGIONS:
        raise DomainError("Choisissez une région de la liste.", field="region")
    errors = check_budget(amount_cents, alert_percent)
    if errors:
        field, message = next(iter(errors.items()))
        raise DomainError(message, field=field, rule="R-REP-1")
    assert amount_cents is not None and alert_percent is not None
    subject = f"budget:{year}:{region or 'national'}"
    try:
        with unit_of_work() as s:
            row = s.scalar(_query(year, region))
            before = None
            if row is None:
                row = ParticipationBudget(year=year, region=region)
                s.add(row)
            else:
                before = {"amount_cents": row.amount_cents, "alert_percent": row.alert_percent}
            row.amount_cents = amount_cents
            row.alert_percent = alert_percent
            row.updated_at = clock.utcnow()
            row.updated_by = audit.actor_label(actor)
            audit.record(
                actor,
                ACTION,
                subject,
                before=before,
                after={
                    "year": year,
                    "region": region or "national",
                    "amount_cents": amount_cents,
                    "alert_percent": alert_percent,
                },
            )
            s.flush()
            return _budget(row)
    except IntegrityError:
        raise DomainError(
            "Ce budget vient d'être enregistré par quelqu'un d'autre : réessayez.", field="amount"
        ) from None


def _query(year: int, region: str | None) -> Any:
    where = (
        ParticipationBudget.region.is_(None)
        if region is None
        else ParticipationBudget.region == region
    )
    return select(ParticipationBudget).where(ParticipationBudget.year == year, where)


def _budget(row: ParticipationBudget) -> Budget:
    return Budget(row.year, row.region, row.amount_cents, row.alert_percent, row.updated_by)


def budget_for(year: int, region: str | None) -> Budget | None:
    """The budget of ``year`` for ``region`` (None: national), if one was set."""
    row = session().scalar(_query(year, region or None))
    return _budget(row) if row is not None else None


def budgets_of(year: int) -> list[Budget]:
    """Every budget of ``year``: the national one first, then the regions by name."""
    rows = (
        session().scalars(select(ParticipationBudget).where(ParticipationBudget.year == year)).all()
    )
    found = [_budget(r) for r in rows]
    return sorted(found, key=lambda b: (b.region is not None, b.region or ""))
