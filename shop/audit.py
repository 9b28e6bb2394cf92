"""Audit log of staff and admin actions (R-OPS-6): who, when, what, before/after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, delete
from sqlalchemy.orm import Mapped, mapped_column, orm_insert_sentinel

from shop import clock
from shop.db import Base, session, unit_of_work
from shop.jobs import due_task
from shop.retention import deleted, years_before


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Lets SQLite insert a unit of work's entries in one statement and match each row to
    # its id (SQLAlchemy's « insertmanyvalues »): 200 parcels shipped = one INSERT.
    _sentinel: Mapped[int | None] = orm_insert_sentinel()


def actor_label(actor: Any) -> str:
    """A stable text for whoever acted: a staff member, an agent, or a command line."""
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    label = getattr(actor, "audit_label", None)
    return label if isinstance(label, str) else repr(actor)


def record(
    actor: Any,
    action: str,
    subject: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the current unit of work; it commits or rolls back with the change."""
    entry = AuditEntry(
        at=clock.utcnow(),
        actor=actor_label(actor),
        action=action,
        subject=subject,
        before=before,
        after=after,
    )
    session().add(entry)
    return entry


def _unit_store() -> dict[tuple[str, Any, str], Any]:
    """The values kept for the current unit of work. Each outermost ``unit_of_work`` starts
    a new ``after_commit`` list: a store made for another list is stale and starts over."""
    info = session().info
    unit = info.get("after_commit")
    if unit is None:  # outside a unit of work: nothing to keep
        return {}
    kept = info.get("audit_before")
    if kept is None or kept[0] is not unit:
        kept = (unit, {})
        info["audit_before"] = kept
    store: dict[tuple[str, Any, str], Any] = kept[1]
    return store


def remember(row: Any, field: str, value: Any) -> None:
    """Keep what ``field`` of ``row`` was before this unit of work first changed it, so
    its audit entry says the true before value however many steps the change took."""
    key = (row.__tablename__, getattr(row, "id", None), field)
    _unit_store().setdefault(key, value)


def value_before(row: Any, field: str) -> Any:
    """``field`` of ``row`` as it was when this unit of work started changing it (its
    present value when unchanged)."""
    key = (row.__tablename__, getattr(row, "id", None), field)
    store = _unit_store()
    return store[key] if key in store else getattr(row, field)


AUDIT_YEARS = 5  # « Journal des actions du personnel : 5 ans » (RULES.md §12)


@due_task("retention.audit", "Supprime les entrées du journal de plus de 5 ans")
def purge_audit() -> int:
    cutoff = years_before(clock.utcnow(), AUDIT_YEARS)
    with unit_of_work() as s:
        return deleted(s, delete(AuditEntry).where(AuditEntry.at < cutoff))
