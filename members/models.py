"""Dossier tables of the embedded dossier service (R-DOS-1, R-DOS-4): households, agents,
children. Filled by ``dossier import`` and the demonstration seed; read through
``members.dossiers``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from members.search_key import KEY_LENGTH, search_key
from shop.db import Base


def _default_key(context: Any) -> str:
    """A dossier inserted without the importer (tests, bulk inserts) still gets its key."""
    return search_key(context.get_current_parameters())


class Household(Base):
    """One dossier shared by a couple of agents; caps and children belong here (R-CAP-1)."""

    __tablename__ = "households"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agents: Mapped[list[DossierAgent]] = relationship(back_populates="household")
    children: Mapped[list[DossierChild]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="DossierChild.id"
    )


class DossierAgent(Base):
    """What the store keeps of an agent's dossier (R-DOS-1): no more than it needs."""

    __tablename__ = "dossier_agents"

    cgos_number: Mapped[str] = mapped_column(String(9), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    civilite: Mapped[str] = mapped_column(String(10))
    nom: Mapped[str] = mapped_column(String(120), index=True)
    prenom: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200), nullable=True)
    postal_code: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2), default="FR")
    etablissement: Mapped[str] = mapped_column(String(200), index=True)
    etablissement_city: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    dossier_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    qf_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # R-OPS-1: the forgiving search's key (members/search_key.py), rewritten on every save.
    search_key: Mapped[str] = mapped_column(
        String(KEY_LENGTH), default=_default_key, server_default=""
    )

    household: Mapped[Household] = relationship(back_populates="agents")


class DossierChild(Base):
    __tablename__ = "dossier_children"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    prenom: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date] = mapped_column(Date)
    fiscal_status: Mapped[str] = mapped_column(String(20))

    household: Mapped[Household] = relationship(back_populates="children")
