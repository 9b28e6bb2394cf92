"""« Nous contacter » (R-HLP-1): the form prefilled from the dossier, and the agent's own
messages with the operators' replies. Every message is read through ``_own_message``."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from orders.models import Order
from shop.db import session
from shop.errors import DomainError, NotFound
from shop.forms import place_error
from support import services
from support.forms import ContactForm
from support.models import ContactMessage

bp = Blueprint("contact", __name__, url_prefix="/nous-contacter")

RECENT_MESSAGES = 20
ORDER_CHOICES = 50


def _own_order_numbers() -> list[str]:
    return list(
        session().scalars(
            select(Order.number)
            .where(Order.cgos_number == current_user.cgos_number, Order.number.is_not(None))
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(ORDER_CHOICES)
        )
    )


def _own_messages() -> list[ContactMessage]:
    return list(
        session().scalars(
            select(ContactMessage)
            .where(ContactMessage.cgos_number == current_user.cgos_number)
            .options(selectinload(ContactMessage.replies))
            .order_by(ContactMessage.created_at.desc(), ContactMessage.id.desc())
            .limit(RECENT_MESSAGES)
        )
    )


def _own_message(message_id: int) -> ContactMessage:
    message = session().scalar(
        select(ContactMessage).where(
            ContactMessage.id == message_id,
            ContactMessage.cgos_number == current_user.cgos_number,
        )
    )
    if message is None:
        raise NotFound()
    return message


def _prefilled() -> dict[str, str]:
    """R-HLP-1: the contact details come from the dossier; the agent may correct them."""
    record = current_user.record
    return {
        "nom": record.nom,
        "prenom": record.prenom,
        "cgos_number": record.cgos_number,
        "etablissement": record.etablissement,
        "email": record.email or "",
        "phone": record.phone or "",
        "order_number": request.args.get("commande", ""),
        "topic": "commande" if request.args.get("commande") else "",
    }


@bp.route("/", methods=["GET", "POST"])
def form():
    contact = ContactForm(data=_prefilled())
    contact.set_orders(_own_order_numbers())
    # The number is the one of the session, whatever the browser sent.
    contact.cgos_number.data = current_user.cgos_number
    status = 200
    if contact.is_submitted():
        if contact.validate():
            try:
                message = services.send_message(
                    services.ContactData(
                        topic=contact.topic.data,
                        nom=contact.nom.data,
                        prenom=contact.prenom.data,
                        etablissement=contact.etablissement.data,
                        email=contact.email.data,
                        phone=contact.phone.data,
                        body=contact.body.data,
                        order_number=contact.order_number.data or None,
                    ),
                    actor=current_user,
                )
            except DomainError as err:
                top = place_error(contact, err)
                if top:
                    contact.form_errors.append(top)
            else:
                return redirect(url_for(".sent", message_id=message.id))
        status = 422
    return (
        render_template("agent/support/contact.html", form=contact, messages=_own_messages()),
        status,
    )


@bp.route("/<int:message_id>/envoye")
def sent(message_id: int):
    return render_template("agent/support/sent.html", message=_own_message(message_id))
