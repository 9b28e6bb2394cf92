"""« Mes commandes »: the agent's orders with their true status (R-ORD-1, R-ORD-6), their
e-billets (R-ORD-3) and « Renvoyer la confirmation ».

Open to every logged-in agent, rights open or not (R-DOS-3): past orders and e-billets
stay theirs. Every order is read through ``_own_order``, so someone else's number is a 404.
"""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from catalog.rules import DELIVERY_LABELS
from orders import cheques, etickets, refunds, services
from orders.fees import GROUP_LABELS
from orders.models import Order
from orders.presenters import order_sections
from orders.status import STATUS_LABELS, OrderStatus
from shop import clock
from shop.db import session
from shop.errors import DomainError, NotFound
from shop.paging import fetch_counted_page, requested_page

bp = Blueprint("my_orders", __name__, url_prefix="/mes-commandes")

PER_PAGE = 20
LINE_STATUS_LABELS = {"refunded": "Remboursé", "withdrawn": "Rétractation"}


def _own_order(number: str) -> Order:
    """The agent's order with its lines and fees in two more queries (constant per page)."""
    order = session().scalar(
        select(Order)
        .where(Order.number == number, Order.cgos_number == current_user.cgos_number)
        .options(selectinload(Order.lines), selectinload(Order.fees))
    )
    if order is None:
        raise NotFound()
    return order


@bp.route("/")
def index():
    mine = Order.cgos_number == current_user.cgos_number
    total = session().scalar(select(func.count(Order.id)).where(mine)) or 0
    found = fetch_counted_page(
        select(Order).where(mine).order_by(Order.placed_at.desc(), Order.id.desc()),
        total,
        requested_page(),
        PER_PAGE,
        scalars=True,
    )
    return render_template(
        "agent/orders/history.html",
        orders=found.rows,
        paged=found,
        status_labels=STATUS_LABELS,
    )


@bp.route("/<number>")
def detail(number: str):
    order = _own_order(number)
    return render_template(
        "agent/orders/detail.html",
        order=order,
        status_label=STATUS_LABELS[OrderStatus(order.status)],
        tickets=etickets.tickets_of(order),
        group_labels=GROUP_LABELS,
        cheque_payee=services.CHEQUE_PAYEE,
        delivery_labels=DELIVERY_LABELS,
        line_status_labels=LINE_STATUS_LABELS,
        withdrawable={
            line.id: refunds.withdrawal_open_until(order, line)
            for line in order.lines
            if refunds.can_withdraw(order, line, clock.utcnow())
        },
        returned_cheques=cheques.returned_cheques(order),
        **order_sections(order),
    )


@bp.route("/<number>/retractation/<int:line_id>", methods=["POST"])
def withdraw(number: str, line_id: int):
    """R-ORD-5: « Me rétracter » on Avantages goods within 15 days of delivery."""
    order = _own_order(number)
    try:
        refunds.withdraw(order.cgos_number, number, line_id, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(
            "Votre rétractation est enregistrée : un accusé de réception vous a été envoyé "
            "par e-mail.",
            "success",
        )
    return redirect(url_for(".detail", number=number))


def _pdf(data: bytes, filename: str):
    response = send_file(
        io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=filename
    )
    # A ticket is as good as money: never kept by a shared browser or proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<number>/e-billets/<int:ticket_id>.pdf")
def ticket_pdf(number: str, ticket_id: int):
    """R-ORD-3: one e-billet, to its owner only, once the order is paid (else 404)."""
    item = etickets.ticket_of(_own_order(number), ticket_id)
    return _pdf(etickets.render_pdf([item]), item.filename)


@bp.route("/<number>/e-billets.pdf")
def all_tickets_pdf(number: str):
    """Every valid e-billet of the order in one file, a page each."""
    tickets = etickets.tickets_of(_own_order(number))
    if not tickets:
        raise NotFound()
    return _pdf(etickets.render_pdf(tickets), f"e-billets-{number}.pdf")


@bp.route("/<number>/renvoyer-confirmation", methods=["POST"])
def resend(number: str):
    """R-ORD-6: the mail of the order's current status, queued again."""
    order = _own_order(number)
    try:
        etickets.resend_confirmation(order.id, actor=current_user)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        flash(exc.message, "error")
    else:
        flash(f"La confirmation a été renvoyée à {order.contact_email}.", "success")
    return redirect(url_for(".detail", number=number))
