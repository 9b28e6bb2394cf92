"""Catalog tables: partners, offers of every kind, dated sessions, pictures (R-CAT-1…4),
partners' price change requests (R-PAR-10)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from catalog.rules import Delivery, OfferApproval, PriceRequestKind, PriceRequestStatus
from partners.models import Partner
from shop.db import Base, status_enum

# R-CAT-5 tables made by migration 0022, not by the models: SQLite's full-text index of
# the offers (an FTS5 table and its shadow tables) and, on both databases, the vocabulary
# of the search texts (fts5vocab on SQLite, a table filled by a trigger on PostgreSQL).
SEARCH_INDEX = "offers_fts"
SEARCH_VOCABULARY = "offers_vocab"


def is_search_index_table(name: str) -> bool:
    """A search index table: the schema comparison leaves them out."""
    return name in (SEARCH_INDEX, SEARCH_VOCABULARY) or name.startswith(f"{SEARCH_INDEX}_")


class Offer(Base):
    """One thing on sale. Prices are integer cents; participation = négocié − C.G.O.S."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint(
            "cgos_price_cents >= 0 AND negotiated_price_cents >= cgos_price_cents "
            "AND public_price_cents >= 0",
            name="prices_consistent",
        ),
        CheckConstraint("per_order_max >= 1", name="per_order_max_positive"),
        Index("ix_offers_listing", "category", "published", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str | None] = mapped_column(String(200), nullable=True)
    city: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Printed on e-billets beside the venue and the city (R-AGT-3).
    venue_address: Mapped[str | None] = mapped_column(String(250), nullable=True)
    # « Retrait sur place »: where, when and with what to collect the tickets (R-AGT-3);
    # empty: the store's default text (orders.receipts.DEFAULT_PICKUP).
    pickup_instructions: Mapped[str | None] = mapped_column(Text, nullable=True)
    region: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    public_price_cents: Mapped[int] = mapped_column(Integer)
    negotiated_price_cents: Mapped[int] = mapped_column(Integer)
    cgos_price_cents: Mapped[int] = mapped_column(Integer)
    child_public_price_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    face_value_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    per_order_max: Mapped[int] = mapped_column(Integer, default=10)
    regional_ticketing: Mapped[bool] = mapped_column(Boolean, default=False)
    physical: Mapped[bool] = mapped_column(Boolean, default=True)
    deliveries: Mapped[str] = mapped_column(String(80))
    stock: Mapped[int | None] = mapped_column(Integer, nullable=True)
    supply_state: Mapped[str] = mapped_column(String(20), default="en_stock")
    sale_opens_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sale_closes_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    stay_family: Mapped[str | None] = mapped_column(String(40), nullable=True)
    stay_starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    stay_ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    # R-PAR-10: a partner's new offer waits for C.G.O.S; agents see approved ones only.
    approval: Mapped[OfferApproval] = mapped_column(
        status_enum(OfferApproval, "offer_approval"),
        default=OfferApproval.APPROVED,
        server_default=OfferApproval.APPROVED.value,
    )
    # R-CAT-5, written by catalog.text.offer_search_columns: what the offer is (title,
    # category and kind words) and everything an agent may type to find it. SQLite indexes
    # both in the FTS5 table SEARCH_INDEX, kept in step by triggers (migration 0022).
    search_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    partner: Mapped[Partner] = relationship()
    sessions: Mapped[list[OfferSession]] = relationship(
        back_populates="offer", order_by="OfferSession.starts_at", cascade="all, delete-orphan"
    )
    pictures: Mapped[list[OfferPicture]] = relationship(
        back_populates="offer", order_by="OfferPicture.position", cascade="all, delete-orphan"
    )

    @property
    def delivery_set(self) -> frozenset[str]:
        return frozenset(d for d in self.deliveries.split(",") if d)

    @property
    def participation_cents(self) -> int:
        return max(0, self.negotiated_price_cents - self.cgos_price_cents)

    @property
    def has_sessions(self) -> bool:
        return self.kind == "billet_date"

    def allows(self, mode: Delivery) -> bool:
        return mode in self.delivery_set

    @property
    def shown_to_agents(self) -> bool:
        """Published by its editor and approved by C.G.O.S (R-PAR-10); regions and sale
        windows are checked apart."""
        return self.published and self.approval == OfferApproval.APPROVED

    @property
    def awaiting_approval(self) -> bool:
        return self.approval == OfferApproval.PENDING


def shown_to_agents() -> ColumnElement[bool]:
    """``Offer.shown_to_agents`` as a filter of the agent-facing queries."""
    return and_(Offer.published.is_(True), Offer.approval == OfferApproval.APPROVED)


class OfferSession(Base):
    """A date of a dated event, with its own stock (R-CAT-1, R-CAT-3)."""

    __tablename__ = "offer_sessions"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        Index("ix_offer_sessions_offer_start", "offer_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    venue: Mapped[str | None] = mapped_column(String(200), nullable=True)
    city: Mapped[str | None] = mapped_column(String(120), nullable=True)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    supply_state: Mapped[str] = mapped_column(String(20), default="en_stock")
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)

    offer: Mapped[Offer] = relationship(back_populates="sessions")


class OfferPicture(Base):
    """Pictures kept in the database so every app process serves the same files."""

    __tablename__ = "offer_pictures"
    # Never reuse a deleted picture's id on SQLite: browsers keep its sizes a year (issue 21).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str] = mapped_column(String(40))
    alt: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Pixels of the stored picture (None until its sizes are made: ``catalog pictures``).
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)

    offer: Mapped[Offer] = relationship(back_populates="pictures")


class PictureFile(Base):
    """The bytes of one derived picture, named by their SHA-256 (also the ETag): equal
    files are stored once, whichever pictures they were made from (issue 21)."""

    __tablename__ = "picture_files"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class OfferPictureSize(Base):
    """One size of a picture as agents' pages ask for it (``catalog.pictures.derive_sizes``):
    a kind (16:9 card or whole photo), a format and a width, made once at upload."""

    __tablename__ = "offer_picture_sizes"
    __table_args__ = (UniqueConstraint("picture_id", "kind", "fmt", "width"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    picture_id: Mapped[int] = mapped_column(
        ForeignKey("offer_pictures.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    fmt: Mapped[str] = mapped_column(String(5))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(ForeignKey("picture_files.digest"), index=True)


class PriceChangeRequest(Base):
    """R-PAR-10: a partner asks for new négocié and C.G.O.S prices; an admin decides.

    Prices live on the offer only (sessions share them), so a request names its offer.
    The prices at the time of the request are kept beside the requested ones, so the
    decision shows what changes even if the offer moved since. A « nouvelle offre » request
    carries the prices a partner's new offer is created with (current = requested); its
    approval puts the offer on sale.
    """

    __tablename__ = "price_change_requests"
    __table_args__ = (
        CheckConstraint(
            "requested_cgos_cents >= 0 AND requested_negotiated_cents >= requested_cgos_cents",
            name="requested_prices_consistent",
        ),
        Index("ix_price_change_requests_partner_status", "partner_id", "status", "id"),
        Index("ix_price_change_requests_status_requested", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    kind: Mapped[PriceRequestKind] = mapped_column(
        status_enum(PriceRequestKind, "price_request_kind"),
        default=PriceRequestKind.PRICE_CHANGE,
        server_default=PriceRequestKind.PRICE_CHANGE.value,
    )
    current_negotiated_cents: Mapped[int] = mapped_column(Integer)
    current_cgos_cents: Mapped[int] = mapped_column(Integer)
    requested_negotiated_cents: Mapped[int] = mapped_column(Integer)
    requested_cgos_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PriceRequestStatus] = mapped_column(
        status_enum(PriceRequestStatus, "price_request_status")
    )
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    offer: Mapped[Offer] = relationship()

    @property
    def for_new_offer(self) -> bool:
        return self.kind == PriceRequestKind.NEW_OFFER

    @property
    def current_participation_cents(self) -> int:
        return max(0, self.current_negotiated_cents - self.current_cgos_cents)

    @property
    def requested_participation_cents(self) -> int:
        return max(0, self.requested_negotiated_cents - self.requested_cgos_cents)
