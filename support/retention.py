"""Support's retention purge (RULES.md §12; mechanism in shop/retention.py)."""

from __future__ import annotations

from sqlalchemy import delete, select

from shop import clock
from shop.db import unit_of_work
from shop.jobs import due_task
from shop.retention import deleted, years_before
from support.models import ContactMessage, ContactReply

CONTACT_YEARS = 3  # « Messages « Nous contacter » et réponses : 3 ans »


@due_task("retention.contact", "Supprime les messages « Nous contacter » de plus de 3 ans")
def purge_contact_messages() -> int:
    """Three years after the thread's last change (the message or a reply)."""
    cutoff = years_before(clock.utcnow(), CONTACT_YEARS)
    with unit_of_work() as s:
        old = select(ContactMessage.id).where(
            ContactMessage.updated_at < cutoff,
            ~ContactMessage.id.in_(
                select(ContactReply.message_id).where(ContactReply.sent_at >= cutoff)
            ),
        )
        ids = list(s.scalars(old))
        if not ids:
            return 0
        s.execute(delete(ContactReply).where(ContactReply.message_id.in_(ids)))
        return deleted(s, delete(ContactMessage).where(ContactMessage.id.in_(ids)))
