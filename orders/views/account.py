"""« Mes commandes »: the agent's orders with their true status (R-ORD-1, R-ORD-6), their
e-billets (R-ORD-3) and « Renvoyer la confirmation ».

Open to every logged-in agent, rights open or not (R-DOS-3): past orders and e-billets
stay theirs. Every order is read through ``_own_order``, so someone else's number is a 404.
"""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from catalog.rules import DELIVERY_LABELS
from members.space import add_space_section
from orders import agenda, cheques, etickets, receipts, refunds, services
from orders.cap_use import cap_use
from orders.fees import GROUP_LABELS
from orders.links import order_url
from orders.models import Order
from orders.presenters import order_sections
from orders.status import STATUS_LABELS, OrderStatus
from shop import clock
from shop.db import session
from shop.errors import DomainError, NotFound
from shop.money import format_eur
from shop.paging import fetch_counted_page, requested_page

bp = Blueprint("my_orders", __name__, url_prefix="/mes-commandes")
# R-AGT-3: every mail about an order links to it (shop/templates/emails/orders/_link.txt).
bp.add_app_template_global(order_url, "order_url")
# R-AGT-1: « Mon espace » (members) shows the household's cap through this section.
add_space_section("orders.cap", "agent/orders/_cap.html", cap_use)

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
        receipt=receipts.receipt_ready(order),
        agenda=bool(agenda.dated_lines(order)),
        stays=receipts.stays_of(order) if order.status in receipts.RECEIPT_STATES else [],
        pickup=receipts.pickup_notes(order),
        venues=receipts.venues_of(order),
        **order_sections(order),
    )


@bp.route("/<number>/annuler-option", methods=["GET", "POST"])
def cancel_option(number: str):
    """R-AGT-4: cancel one's own cheque option before the cheque is cashed, once confirmed
    on a page of its own (stock and participation go back at once)."""
    order = _own_order(number)
    if request.method == "POST":
        try:
            services.cancel_own_option(current_user, number)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            flash(exc.message, "error")
        else:
            flash(
                "Votre option est annulée : les places et la participation C.G.O.S réservées "
                "sont libérées. N'envoyez pas de chèque ; un chèque déjà posté vous sera "
                "retourné.",
                "success",
            )
        return redirect(url_for(".detail", number=number))
    if order.status != OrderStatus.OPTION or order.payment_method != "cheque":
        flash(services.OPTION_GONE.get(order.status, services.OPTION_PAID), "error")
        return redirect(url_for(".detail", number=number))
    return render_template(
        "agent/orders/confirm.html",
        order=order,
        title="Annuler mon option",
        question=f"Annuler l'option de la commande {order.number} ?",
        lines=order.lines,
        consequences=[
            "Les places et la participation C.G.O.S réservées sont libérées tout de suite.",
            "N'envoyez pas de chèque : un chèque déjà posté ne sera pas encaissé et vous "
            "sera retourné.",
            "L'annulation est définitive : pour obtenir ces articles, il faudra passer une "
            "nouvelle commande, dans la limite des places disponibles.",
        ],
        action=url_for(".cancel_option", number=order.number),
        confirm_label="Oui, annuler mon option",
        back_label="Non, garder mon option",
    )


@bp.route("/<number>/retractation/<int:line_id>", methods=["GET", "POST"])
def withdraw(number: str, line_id: int):
    """R-ORD-5: « Me rétracter » on Avantages goods within 15 days of delivery, asked to
    confirm first on a page naming the article (R-AGT-4)."""
    order = _own_order(number)
    if request.method == "GET":
        line = next((li for li in order.lines if li.id == line_id), None)
        if line is None:
            raise NotFound()
        if not refunds.can_withdraw(order, line, clock.utcnow()):
            flash("Cet article ne peut pas (ou plus) faire l'objet d'une rétractation.", "error")
            return redirect(url_for(".detail", number=number))
        return render_template(
            "agent/orders/confirm.html",
            order=order,
            title="Me rétracter",
            question=f"Vous rétracter pour « {line.title} » ?",
            lines=[line],
            consequences=[
                f"Cet article vous sera remboursé ({format_eur(line.amount_cents)}) sous 14 "
                "jours et sa participation C.G.O.S rendue à votre plafond annuel.",
                "S'il vous a déjà été expédié, renvoyez-le à : C.G.O.S Billetterie Avantages - "
                "SOGEC GESTION, 91973 Courtaboeuf Cedex.",
                "La rétractation est définitive ; un accusé de réception vous est envoyé "
                "par e-mail.",
            ],
            action=url_for(".withdraw", number=number, line_id=line_id),
            confirm_label="Oui, me rétracter",
            back_label="Non, garder cet article",
        )
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


@bp.route("/<number>/recu.pdf")
def receipt_pdf(number: str):
    """R-AGT-3: the numbered receipt of a paid order, to its owner only (else 404)."""
    order = receipts.receipt_order(_own_order(number))
    return _pdf(receipts.render_receipt(order), f"recu-{order.receipt_number}.pdf")


@bp.route("/<number>/agenda.ics")
def agenda_ics(number: str):
    """R-AGT-3: « Ajouter à mon agenda » — the order's dated tickets and stays (RFC 5545)."""
    order = _own_order(number)
    data = agenda.render_ics(order, order_url(order.number))
    if data is None:
        raise NotFound()
    response = Response(data, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="commande-{number}.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<number>/bon-de-sejour/<int:line_id>.pdf")
def stay_voucher(number: str, line_id: int):
    """R-AGT-3: « Bon de séjour » of a paid stay, to its owner only (else 404)."""
    order = _own_order(number)
    stay = receipts.stay_of(order, line_id)
    return _pdf(receipts.render_voucher(order, stay), f"bon-de-sejour-{number}-{line_id}.pdf")


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
