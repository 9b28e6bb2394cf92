"""Carts, the household's yearly participation, orders, payments and e-billets."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.status import LineStatus, OrderStatus, PaymentStatus
from shop.db import Base, status_enum


class HouseholdYear(Base):
    """Participation used by a household in a calendar year: the row locked to serialise
    orders of one household (R-CAP-4)."""

    __tablename__ = "household_years"
    __table_args__ = (CheckConstraint("used_cents >= 0", name="used_not_negative"),)

    household_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    used_cents: Mapped[int] = mapped_column(Integer, default=0)


class ReceiptCounter(Base):
    """The last receipt number given in a calendar year (R-AGT-3): incremented in the
    payment's transaction under the row's lock, so numbers follow without gaps (a sequence
    would lose the numbers of rolled-back payments)."""

    __tablename__ = "receipt_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Cart(Base):
    """One web cart per agent, kept in the database so it follows them across browsers,
    and one basket per operator entering a phone or post order for them (R-OPS-9)."""

    __tablename__ = "carts"
    __table_args__ = (Index("ix_carts_cgos_number_owner", "cgos_number", "owner", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cgos_number: Mapped[str] = mapped_column(String(9))
    # "" for the agent's web cart, "staff:<id>" for an operator's basket (R-OPS-9).
    owner: Mapped[str] = mapped_column(String(40), default="", server_default="")
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


class Order(Base):
    """A placed order: prices, participation and fees frozen as they were accepted."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
        Index("ix_orders_due", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)
    checkout_token: Mapped[str] = mapped_column(String(64), unique=True)
    cgos_number: Mapped[str] = mapped_column(String(9), index=True)
    household_id: Mapped[str] = mapped_column(String(40), index=True)
    year: Mapped[int] = mapped_column(Integer)
    # No index of its own: ``ix_orders_due`` (status, expires_at) serves status lookups.
    status: Mapped[OrderStatus] = mapped_column(status_enum(OrderStatus, "order_status"))
    payment_method: Mapped[str] = mapped_column(String(10))  # "card" | "cheque"
    channel: Mapped[str] = mapped_column(String(10), default="web")  # web | phone | post
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Indexed for the reports' periods (R-REP-1): orders paid between two instants.
    paid_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    goods_cents: Mapped[int] = mapped_column(Integer)
    participation_cents: Mapped[int] = mapped_column(Integer)
    fees_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    holder_name: Mapped[str] = mapped_column(String(250))
    contact_email: Mapped[str] = mapped_column(String(320))
    ship_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    card_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    ticket_post: Mapped[str | None] = mapped_column(String(20), nullable=True)
    card_post: Mapped[str | None] = mapped_column(String(20), nullable=True)
    cgv_accepted_at: Mapped[datetime] = mapped_column(DateTime)
    # The agent's region when the order was placed (R-REP-1): the reports' region.
    region: Mapped[str | None] = mapped_column(String(80), nullable=True)
    payment_ref: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
    # An order for an agent without e-mail: when its letter was printed (R-OPS-9).
    letter_printed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # R-AGT-3: « R2026-000042 », given once when the order is paid (orders.receipts).
    receipt_number: Mapped[str | None] = mapped_column(
        String(20), unique=True, index=True, nullable=True
    )

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    fees: Mapped[list[OrderFee]] = relationship(
        back_populates="order", order_by="OrderFee.id", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("offer_sessions.id"), nullable=True, index=True
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    session_starts_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    venue: Mapped[str | None] = mapped_column(String(200), nullable=True)
    delivery: Mapped[str] = mapped_column(String(20))
    group: Mapped[str | None] = mapped_column(String(20), nullable=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_public_cents: Mapped[int] = mapped_column(Integer)
    unit_negotiated_cents: Mapped[int] = mapped_column(Integer)
    unit_cgos_cents: Mapped[int] = mapped_column(Integer)
    participation_cents: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    regional_ticketing: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[LineStatus] = mapped_column(status_enum(LineStatus, "line_status"))
    # Indexed for the reports' periods (R-REP-1): participation refunded between two instants.
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderFee(Base):
    __tablename__ = "order_fees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    group: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(120))
    option: Mapped[str | None] = mapped_column(String(20), nullable=True)
    cents: Mapped[int] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="fees")


class Payment(Base):
    """Money received (or given back) for an order; ``provider_ref`` makes it idempotent.

    ``status`` is also the capture state of held phone card payments (R-PAY-5) and the
    state of refunds: the minute jobs find their due rows through ``ix_payments_due``
    (status, created_at) and ``etickets_due_at``, never by reading ``details``.
    """

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_due", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))  # card | cheque | demo | transfer
    kind: Mapped[str] = mapped_column(String(10), default="payment")  # payment | refund
    provider_ref: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[PaymentStatus] = mapped_column(status_enum(PaymentStatus, "payment_status"))
    captured_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # A captured phone payment's e-billets go out from this instant (next Paris day, R-PAY-5);
    # set back to None once they are sent.
    etickets_due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ProcessedEvent(Base):
    """Webhook events already handled: a duplicate insert means "already done"."""

    __tablename__ = "processed_events"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime)


class ETicket(Base):
    """One e-billet (R-ORD-3): an unguessable secret printed as a barcode."""

    __tablename__ = "etickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1..quantity within the line
    secret: Mapped[str] = mapped_column(String(64), unique=True)
    holder: Mapped[str] = mapped_column(String(250))
    status: Mapped[str] = mapped_column(String(20), default="valid")  # valid | cancelled
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AlertState(StrEnum):
    """A « Prévenez-moi » request's life (R-AGT-2): waiting in line; ``held`` seats kept
    24 hours; ``notified`` of a sale opening without counted stock (nothing to hold);
    ``used`` by an order; the hold ``expired``; ``cancelled`` by the agent or closed
    (session cancelled, sale over, rights closed: ``reason`` says which)."""

    WAITING = "waiting"
    HELD = "held"
    NOTIFIED = "notified"
    USED = "used"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class SeatAlert(Base):
    """« Prévenez-moi » (R-AGT-2): an agent waiting for seats of a sold-out session or an
    offer not yet on sale. While ``held``, ``held_quantity`` seats are taken from the
    session's (or offer's) stock for this agent alone until ``hold_expires_at``."""

    __tablename__ = "seat_alerts"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("held_quantity >= 0", name="held_not_negative"),
        # The line of one session or offer, in order; the job's due holds.
        Index("ix_seat_alerts_line", "offer_id", "session_id", "state", "id"),
        Index("ix_seat_alerts_due", "state", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cgos_number: Mapped[str] = mapped_column(String(9), index=True)
    household_id: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("offer_sessions.id", ondelete="CASCADE"), nullable=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    held_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[AlertState] = mapped_column(
        status_enum(AlertState, "seat_alert_state"), default=AlertState.WAITING
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Why it ended, in French, as « Mes alertes » shows it.
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
