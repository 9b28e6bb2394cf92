"""Carts and the household's yearly participation (R-CAP-1, R-CAP-2, issue « panier »)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base


class HouseholdYear(Base):
    """Participation used by a household in a calendar year: the row locked to serialise
    orders of one household (R-CAP-4)."""

    __tablename__ = "household_years"
    __table_args__ = (CheckConstraint("used_cents >= 0", name="used_not_negative"),)

    household_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    used_cents: Mapped[int] = mapped_column(Integer, default=0)


class Cart(Base):
    """One cart per agent, kept in the database so it follows them across browsers."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cgos_number: Mapped[str] = mapped_column(String(9), unique=True)
    ticket_post: Mapped[str | None] = mapped_column(String(20), nullable=True)
    card_post: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Physical cards may go to another address than the dossier's (R-FEE-2).
    card_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart", order_by="CartLine.id", cascade="all, delete-orphan"
    )


class CartLine(Base):
    """A quantity of one offer (and session), with the prices seen when it was added, so a
    later change is explained on the line rather than silently applied."""

    __tablename__ = "cart_lines"
    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("offer_sessions.id"), nullable=True)
    delivery: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    seen_cgos_cents: Mapped[int] = mapped_column(Integer)
    seen_negotiated_cents: Mapped[int] = mapped_column(Integer)
    # Magazines: delivery address (one of at most 3 per order) or the reader's e-mail.
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    added_at: Mapped[datetime] = mapped_column(DateTime)

    cart: Mapped[Cart] = relationship(back_populates="lines")
