"""The yearly participation budgets the dashboard compares its figures with (R-REP-1)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base


class ParticipationBudget(Base):
    """What C.G.O.S means to spend on participation in a calendar year, nationally
    (``region`` NULL) or for one region, and the share of it that raises the alert.

    One row per year and region: a unique index on (year, region) for the regions, and a
    partial one on the year alone for the national row (NULLs are never equal in a unique
    constraint, on SQLite as on PostgreSQL)."""

    __tablename__ = "participation_budgets"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        CheckConstraint("alert_percent BETWEEN 1 AND 100", name="alert_percent_range"),
        Index("uq_participation_budgets_year_region", "year", "region", unique=True),
        Index(
            "uq_participation_budgets_national",
            "year",
            unique=True,
            postgresql_where=text("region IS NULL"),
            sqlite_where=text("region IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # BIGINT: a national budget in cents passes the 21 million euros of an INTEGER.
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    alert_percent: Mapped[int] = mapped_column(Integer, default=80)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(200))
