"""Operators' inbox of contact messages (R-OPS-5): filter by state, read the thread,
take a message, answer it. Views only parse and render; ``support.services`` writes."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shop.db import session
from shop.errors import DomainError, NotFound
from shop.forms import place_error
from shop.paging import fetch_page, requested_page
from support import services
from support.forms import ReplyForm
from support.models import STATUS_LABELS, ContactMessage, MessageStatus

bp = Blueprint("messages", __name__, url_prefix="/messages")

PAGE_SIZE = 30


@bp.route("/")
def inbox():
    """Newest first, one page at a time: a fixed number of statements whatever the count."""
    state = request.args.get("etat", "")
    if state not in STATUS_LABELS:
        state = ""
    stmt = select(ContactMessage)
    if state:
        stmt = stmt.where(ContactMessage.status == state)
    found = fetch_page(
        stmt.order_by(ContactMessage.created_at.desc(), ContactMessage.id.desc()),
        requested_page(),
        PAGE_SIZE,
        scalars=True,
    )
    return render_template(
        "ops/support/inbox.html",
        messages=found.rows,
        paged=found,
        state=state,
        status_labels=STATUS_LABELS,
    )


def _message(message_id: int) -> ContactMessage:
    message = session().scalar(
        select(ContactMessage)
        .where(ContactMessage.id == message_id)
        .options(selectinload(ContactMessage.replies))
    )
    if message is None:
        raise NotFound()
    return message


def _render_message(message_id: int, form: ReplyForm, status: int = 200):
    return (
        render_template(
            "ops/support/message.html",
            message=_message(message_id),
            form=form,
            statuses=MessageStatus,
        ),
        status,
    )


@bp.route("/<int:message_id>")
def show(message_id: int):
    return _render_message(message_id, ReplyForm())


@bp.route("/<int:message_id>/repondre", methods=["POST"])
def answer(message_id: int):
    form = ReplyForm()
    if form.validate():
        try:
            services.reply(message_id, form.body.data, actor=current_user)
        except DomainError as err:
            if isinstance(err, NotFound):
                raise
            place_error(form, err, default="body")
        else:
            flash("Réponse envoyée à l'agent.", "success")
            return redirect(url_for(".show", message_id=message_id))
    return _render_message(message_id, form, 422)


@bp.route("/<int:message_id>/etat", methods=["POST"])
def change_status(message_id: int):
    """« Prendre en charge » posts ``en_cours``; the same route sets any other state."""
    status = request.form.get("status", MessageStatus.IN_PROGRESS)
    try:
        services.set_status(message_id, status, actor=current_user)
    except NotFound:
        raise
    except DomainError as err:
        flash(err.message, "error")
    else:
        taken = status == MessageStatus.IN_PROGRESS
        flash("Message pris en charge." if taken else "État du message modifié.", "success")
    return redirect(url_for(".show", message_id=message_id))
