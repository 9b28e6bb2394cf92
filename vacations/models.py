"""Vacation tables: rate tables per season and family, Prix mini pre-registrations, draws."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base


class RateTable(Base):
    """An admin's edit of one family's table for one season (R-VAC-2); absent → defaults.

    ``bands`` is ``FamilyTable.to_json()``. Prices are copied when a registration or an order
    is made, so editing a table never changes what was already priced."""

    __tablename__ = "stay_rate_tables"
    __table_args__ = (UniqueConstraint("season", "family"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    season: Mapped[str] = mapped_column(String(20))
    family: Mapped[str] = mapped_column(String(40))
    bands: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class RegistrationStatus(StrEnum):
    PRE_REGISTERED = "preinscrit"
    EXCLUDED = "exclu"  # a Prix mini stay in one of the two previous seasons of the kind
    WON = "gagnant"  # has until pay_by to pay
    WAITING = "attente"  # on the waiting list, at position ``rank``
    PAID = "paye"
    LAPSED = "forclos"  # won but did not pay within 7 days: the place went to the next


STATUS_LABELS: dict[str, str] = {  # looked up by the column's text
    RegistrationStatus.PRE_REGISTERED: "Préinscrit",
    RegistrationStatus.EXCLUDED: "Non éligible",
    RegistrationStatus.WON: "Tiré au sort",
    RegistrationStatus.WAITING: "Liste d'attente",
    RegistrationStatus.PAID: "Payé",
    RegistrationStatus.LAPSED: "Forclos (non payé)",
}


class PrixMiniRegistration(Base):
    """One agent's pre-registration to one Prix mini stay; one per agent per season."""

    __tablename__ = "prix_mini_registrations"
    __table_args__ = (
        UniqueConstraint("season", "cgos_number"),
        Index("ix_prix_mini_registrations_offer_status", "offer_id", "status", "id"),
        Index("ix_prix_mini_registrations_household_season", "household_id", "season"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    season: Mapped[str] = mapped_column(String(20))
    # No foreign key: dossiers may come from the remote dossier service (like orders).
    cgos_number: Mapped[str] = mapped_column(String(9))
    household_id: Mapped[str] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    adults: Mapped[int] = mapped_column(Integer, default=1)
    children: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO birth dates
    percent: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)
    # Each participant's price as kept at pre-registration: [{kind, public_cents, price_cents,
    # free}]; the winner pays exactly this, whatever the tables or prices became since.
    breakdown: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=RegistrationStatus.PRE_REGISTERED)
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pay_by: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    notified_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The order a winner placed to pay the stay; cleared if that order is released unpaid.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True, index=True)


class PrixMiniDraw(Base):
    """A draw, reproducible: the same seed over the same ``results["eligible"]`` ids gives
    the same winners and waiting list (R-VAC-4)."""

    __tablename__ = "prix_mini_draws"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), unique=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    places: Mapped[int] = mapped_column(Integer)
    drawn_at: Mapped[datetime] = mapped_column(DateTime)
    drawn_by: Mapped[str] = mapped_column(String(200))
    results: Mapped[dict[str, Any]] = mapped_column(JSON)


PAYMENT_METHODS: dict[str, str] = {  # a Prix mini stay paid outside the store
    "cheque": "Chèque",
    "virement": "Virement",
    "carte": "Carte bancaire",
    "cheques_vacances": "Chèques-Vacances",
    "especes": "Espèces",
}


class PrixMiniPayment(Base):
    """What a winner paid outside the store (cheque, transfer, card at the desk…), recorded
    by an operator: the amount, checked against the registration's price, the method and
    the reference of the cheque or transfer. One per registration: the stay is paid whole."""

    __tablename__ = "prix_mini_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("prix_mini_registrations.id"), unique=True
    )
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(120), default="")
    received_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_by: Mapped[str] = mapped_column(String(200))
