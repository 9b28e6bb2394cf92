"""Contact messages from agents and the thread of replies (R-HLP-1, R-OPS-5)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base


class MessageStatus(StrEnum):
    NEW = "nouveau"
    IN_PROGRESS = "en_cours"
    ANSWERED = "repondu"


STATUS_LABELS: dict[str, str] = {
    MessageStatus.NEW: "Nouveau",
    MessageStatus.IN_PROGRESS: "En cours",
    MessageStatus.ANSWERED: "Répondu",
}

# Topics of the form (R-HLP-1), kept as written on the paper form.
TOPICS: dict[str, str] = {
    "commande": "Suivi de ma commande",
    "expedition": "Suivi de mon expédition",
    "ebillets": "Suivi de mes e-billets",
    "autre": "Autre demande",
    "vacances": "Vacances",
}


class ReplyDirection(StrEnum):
    STAFF = "staff"
    AGENT = "agent"


class ContactMessage(Base):
    """What an agent wrote through « Nous contacter », with the contact details they gave."""

    __tablename__ = "contact_messages"
    __table_args__ = (Index("ix_contact_messages_inbox", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cgos_number: Mapped[str] = mapped_column(String(9), index=True)
    topic: Mapped[str] = mapped_column(String(20))
    nom: Mapped[str] = mapped_column(String(100))
    prenom: Mapped[str] = mapped_column(String(100))
    etablissement: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str] = mapped_column(String(30))
    order_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=MessageStatus.NEW)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    assigned_to: Mapped[str | None] = mapped_column(String(200), nullable=True)

    replies: Mapped[list[ContactReply]] = relationship(
        back_populates="message", order_by="ContactReply.id", cascade="all, delete-orphan"
    )

    @property
    def topic_label(self) -> str:
        return TOPICS.get(self.topic, self.topic)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


class ContactReply(Base):
    """One message of the thread after the first: an operator's answer (or the agent's)."""

    __tablename__ = "contact_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("contact_messages.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    direction: Mapped[str] = mapped_column(String(10), default=ReplyDirection.STAFF)

    message: Mapped[ContactMessage] = relationship(back_populates="replies")
