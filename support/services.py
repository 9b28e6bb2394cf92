"""Contact messages (R-HLP-1) and their answers by operators (R-OPS-5).

Only these verbs write; every staff change is audit-logged (R-OPS-6 spirit) and every mail
goes through the outbox, released after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from orders.models import Order
from shop import clock
from shop.audit import actor_label, record
from shop.db import for_update, session, unit_of_work
from shop.errors import DomainError, NotFound
from shop.mail import queue_mail
from support.models import TOPICS, ContactMessage, ContactReply, MessageStatus, ReplyDirection


@dataclass(frozen=True)
class ContactData:
    topic: str
    nom: str
    prenom: str
    etablissement: str
    email: str
    phone: str
    body: str
    order_number: str | None = None


def send_message(data: ContactData, *, actor: Any) -> ContactMessage:
    """R-HLP-1: store the agent's message for the inbox and acknowledge it by e-mail.

    The message is filed under the logged-in agent's number; an attached order must be
    one of theirs, otherwise it is refused beside the field."""
    if data.topic not in TOPICS:
        raise DomainError("Choisissez le sujet de votre demande dans la liste.", field="topic")
    body = data.body.strip()
    if not body:
        raise DomainError("Écrivez votre message.", field="body")
    with unit_of_work() as s:
        order_number = data.order_number or None
        if order_number is not None:
            owned = s.scalar(
                select(Order.id).where(
                    Order.number == order_number, Order.cgos_number == actor.cgos_number
                )
            )
            if owned is None:
                raise DomainError(
                    "Cette commande ne fait pas partie de vos commandes.", field="order_number"
                )
        now = clock.utcnow()
        message = ContactMessage(
            cgos_number=actor.cgos_number,
            topic=data.topic,
            nom=data.nom,
            prenom=data.prenom,
            etablissement=data.etablissement,
            email=data.email,
            phone=data.phone,
            order_number=order_number,
            body=body,
            status=MessageStatus.NEW,
            created_at=now,
            updated_at=now,
        )
        s.add(message)
        s.flush()
        queue_mail(
            message.email,
            "support/acknowledgement",
            f"Nous avons bien reçu votre message n° {message.id}",
            message=message,
        )
    return message


def _locked_message(message_id: int) -> ContactMessage:
    message = session().scalar(
        for_update(select(ContactMessage).where(ContactMessage.id == message_id))
    )
    if message is None:
        raise NotFound()
    return message


def reply(message_id: int, body: str, *, actor: Any) -> ContactReply:
    """R-OPS-5: an operator's answer joins the thread, is e-mailed to the agent and marks
    the message « répondu »."""
    text = (body or "").strip()
    if not text:
        raise DomainError("Écrivez la réponse.", field="body")
    with unit_of_work() as s:
        message = _locked_message(message_id)
        before = {"status": message.status, "assigned_to": message.assigned_to}
        now = clock.utcnow()
        answer = ContactReply(
            message_id=message.id,
            author=getattr(actor, "display_name", None) or actor_label(actor),
            body=text,
            sent_at=now,
            direction=ReplyDirection.STAFF,
        )
        s.add(answer)
        message.status = MessageStatus.ANSWERED
        message.updated_at = now
        message.assigned_to = message.assigned_to or actor_label(actor)
        s.flush()
        record(
            actor,
            "message.replied",
            f"message:{message.id}",
            before=before,
            after={
                "status": message.status,
                "assigned_to": message.assigned_to,
                "reply_id": answer.id,
            },
        )
        queue_mail(
            message.email,
            "support/reply",
            f"Réponse à votre message n° {message.id}",
            message=message,
            reply=answer,
        )
    return answer


def set_status(message_id: int, status: str, *, actor: Any) -> ContactMessage:
    """R-OPS-5: « Prendre en charge » (en cours) or any other state; taking a message
    assigns it to the operator. Setting the state it already has changes nothing."""
    try:
        new = MessageStatus(status)
    except ValueError:
        raise DomainError("État inconnu.", field="status") from None
    with unit_of_work():
        message = _locked_message(message_id)
        if message.status == new:
            return message
        before = {"status": message.status, "assigned_to": message.assigned_to}
        message.status = new
        message.updated_at = clock.utcnow()
        if new == MessageStatus.IN_PROGRESS:
            message.assigned_to = actor_label(actor)
        record(
            actor,
            "message.status_changed",
            f"message:{message.id}",
            before=before,
            after={"status": message.status, "assigned_to": message.assigned_to},
        )
    return message
