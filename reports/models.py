"""The yearly participation budgets the dashboard compares its figures with, and the closed
days' figures it reads instead of every order (R-REP-1)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    text,
)
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


class DayOrderFacts(Base):
    """One closed Paris day's orders, by region (« » when the agent had none), channel and
    payment method: those placed that day, and those paid that day with their sums.

    Written once by ``reports.rollup`` when the day is over and never changed: an order
    is placed once, paid once (``paid_at`` is set once and a paid order stays paid or
    refunded, orders.status), and keeps its region, channel, method and amounts. The
    dashboard reads these rows for the closed days of its period and the orders for the
    others, so a year is a few thousand rows instead of every order."""

    __tablename__ = "report_day_orders"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    region: Mapped[str] = mapped_column(String(80), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    payment_method: Mapped[str] = mapped_column(String(10), primary_key=True)
    placed_orders: Mapped[int] = mapped_column(Integer, default=0)
    paid_orders: Mapped[int] = mapped_column(Integer, default=0)
    paid_total_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_goods_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fees_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_participation_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class DayLineFacts(Base):
    """The lines of the orders paid on one closed Paris day, by region, offer and partner:
    the orders that bought the offer (each order is paid on one day, so the days' counts
    add up), quantity, amount and participation. Written with ``DayOrderFacts``."""

    __tablename__ = "report_day_lines"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    region: Mapped[str] = mapped_column(String(80), primary_key=True)
    offer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    participation_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class RollupState(Base):
    """The last Paris day whose facts are written (one row, id 1; NULL before the first
    run). Locked by the job while it writes, so two runs never write a day twice."""

    __tablename__ = "report_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rolled_through: Mapped[date | None] = mapped_column(Date, nullable=True)
