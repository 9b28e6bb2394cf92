"""Partners (the organisations offers and staff accounts belong to), shipments of an order's
physical groups and the partners' API tokens (R-GATE-6, R-PAR-4, R-PAR-6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from orders.status import ShipmentStatus
from shop.db import Base, status_enum


class Partner(Base):
    """A fulfilment house or provider (R-GATE-6, §10)."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Shipment(Base):
    """One physical group of one order, posted by its partner: once per group (R-PAR-4)."""

    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint(
            "order_id", "partner_id", "group", name="uq_shipments_order_partner_group"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    group: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20))
    tracking_number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    shipped_at: Mapped[datetime] = mapped_column(DateTime)
    shipped_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[ShipmentStatus] = mapped_column(status_enum(ShipmentStatus, "shipment_status"))


class ApiToken(Base):
    """A partner's API token: only its SHA-256 is kept; revoked tokens stay for the record."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class PartnerNotice(Base):
    """Where and what a partner is mailed (R-PAR-10): its address (None: every active staff
    account of the partner) and whether it wants a mail for each order event too."""

    __tablename__ = "partner_notices"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    mail_orders: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class WebhookEndpoint(Base):
    """A partner's webhook (R-PAR-10), one per partner. The signing secret is not stored:
    it is derived from the app's SECRET_KEY and ``secret_salt`` (partners/webhooks.py)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    events: Mapped[list[str]] = mapped_column(JSON)
    secret_salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class WebhookDelivery(Base):
    """One event for one partner's endpoint: the body as sent, and how sending went."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class DoorScan(Base):
    """One scan made on a door device's entry-control page (R-PAR-9), live or queued while
    offline: (partner, device, local id) is applied once, however often the device replays
    it; a ticket admitted twice is kept as a conflict."""

    __tablename__ = "door_scans"
    __table_args__ = (
        UniqueConstraint("partner_id", "device_id", "local_id", name="uq_door_scans_device_local"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("offer_sessions.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    local_id: Mapped[str] = mapped_column(String(64))
    eticket_id: Mapped[int | None] = mapped_column(ForeignKey("etickets.id"), nullable=True)
    scanned_at: Mapped[datetime] = mapped_column(DateTime)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    local_verdict: Mapped[str | None] = mapped_column(String(20), nullable=True)
    verdict: Mapped[str] = mapped_column(String(20))
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
