"""Back-office order pages for operators (R-OPS-1…4, R-OPS-6): find an order, read it,
re-issue an e-billet, re-send its confirmation, cancel an option; the cheque desk; and
the cancellation of a session or a whole offer with its refunds.

Every change goes through a service that audit-logs it; the pages only parse, call and
render. Gated once by the ``ops`` parent blueprint (operators and admins).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from catalog.models import Offer, OfferSession
from catalog.rules import DELIVERY_LABELS
from members.numbers import is_valid_cgos_number, normalise_cgos_number
from orders import cheques, etickets, refunds, services
from orders.models import ETicket, Order, OrderLine, Payment
from orders.status import STATUS_LABELS, OrderStatus
from shop.audit import AuditEntry
from shop.clock import format_datetime_fr
from shop.db import session
from shop.errors import DomainError, NotFound
from shop.forms import EuroField, db_int, place_error, strip_text

bp = Blueprint("orders", __name__)

SEARCH_LIMIT = 50
LINE_STATUS_LABELS = {"refunded": "Remboursé", "withdrawn": "Rétractation"}
PAYMENT_LABELS = {
    "card": "Carte bancaire",
    "cheque": "Chèque",
    "demo": "Carte bancaire (démonstration)",
    "transfer": "Virement",
}


class ChequeForm(FlaskForm):
    order_number = StringField(
        "Numéro de commande",
        filters=[strip_text],
        validators=[
            DataRequired("Indiquez le numéro de commande."),
            Length(max=20, message="Numéro de commande trop long."),
        ],
        description="Par exemple L26-000123, écrit au dos du chèque.",
    )
    amount = EuroField(
        "Montant du chèque (€)",
        validators=[DataRequired("Indiquez le montant du chèque.")],
        description="En euros, par exemple 123,45.",
    )
    cheque_number = StringField(
        "Numéro du chèque",
        filters=[strip_text],
        validators=[
            DataRequired("Indiquez le numéro du chèque."),
            Length(max=30, message="Numéro de chèque trop long (30 caractères au plus)."),
        ],
    )


class CancelOrderForm(FlaskForm):
    reason = TextAreaField(
        "Motif de l'annulation",
        filters=[strip_text],
        validators=[
            DataRequired("Indiquez le motif : il est envoyé à l'agent."),
            Length(max=250, message="Motif trop long (250 caractères au plus)."),
        ],
    )


class CancelEventForm(FlaskForm):
    target = StringField("Séance ou offre", filters=[strip_text])
    reason = TextAreaField(
        "Motif de l'annulation",
        filters=[strip_text],
        validators=[
            DataRequired("Indiquez le motif : il est envoyé aux agents concernés."),
            Length(max=250, message="Motif trop long (250 caractères au plus)."),
        ],
    )


# -- orders -------------------------------------------------------------------------------


@bp.route("/commandes")
def search():
    """R-OPS-1: an order by its number, or every order of one N° C.G.O.S."""
    q = strip_text(request.args.get("q") or "")[:40]
    orders: list[Order] = []
    if q:
        number = normalise_cgos_number(q)
        cond = Order.number == cheques.normalise_order_number(q)
        if is_valid_cgos_number(number):
            cond = or_(cond, Order.cgos_number == number)
        orders = list(
            session().scalars(
                select(Order).where(cond).order_by(Order.placed_at.desc()).limit(SEARCH_LIMIT)
            )
        )
        if len(orders) == 1 and orders[0].number == cheques.normalise_order_number(q):
            return redirect(url_for(".detail", number=orders[0].number))
    return render_template(
        "ops/orders/search.html", q=q, orders=orders, status_labels=STATUS_LABELS
    )


def _order(number: str) -> Order:
    order = session().scalar(
        select(Order)
        .where(Order.number == number)
        .options(selectinload(Order.lines), selectinload(Order.fees))
    )
    if order is None:
        raise NotFound()
    return order


def _detail(number: str, cancel_form: CancelOrderForm | None = None, error: str | None = None):
    order = _order(number)
    payments = list(
        session().scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id))
    )
    tickets = list(
        session().execute(
            select(ETicket, OrderLine)
            .join(OrderLine, OrderLine.id == ETicket.order_line_id)
            .where(ETicket.order_id == order.id)
            .order_by(OrderLine.id, ETicket.seq, ETicket.id)
        )
    )
    status = 422 if (cancel_form is not None and cancel_form.errors) or error else 200
    return (
        render_template(
            "ops/orders/detail.html",
            order=order,
            status_label=STATUS_LABELS[OrderStatus(order.status)],
            payments=payments,
            tickets=tickets,
            payment_labels=PAYMENT_LABELS,
            delivery_labels=DELIVERY_LABELS,
            line_status_labels=LINE_STATUS_LABELS,
            can_cancel=order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.OPTION),
            cancel_form=cancel_form or CancelOrderForm(formdata=None),
            error=error,
            reissuable=etickets.TICKET_STATES,
        ),
        status,
    )


@bp.route("/commandes/<number>")
def detail(number: str):
    return _detail(number)


@bp.route("/commandes/<number>/e-billets/<int:ticket_id>/reemettre", methods=["POST"])
def reissue(number: str, ticket_id: int):
    """R-ORD-3: a leaked e-billet gets a new secret; the others are untouched."""
    order = _order(number)
    ticket = session().get(ETicket, ticket_id)
    if ticket is None or ticket.order_id != order.id:
        raise NotFound()
    try:
        new = etickets.reissue(ticket_id, current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(
            f"E-billet {new.seq} réémis : l'ancien code n'est plus valable, le nouveau a été "
            "envoyé à l'agent.",
            "success",
        )
    return redirect(url_for(".detail", number=order.number))


@bp.route("/commandes/<number>/confirmation", methods=["POST"])
def resend(number: str):
    """R-ORD-6 « Renvoyer la confirmation »."""
    order = _order(number)
    try:
        etickets.resend_confirmation(order.id, current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Confirmation renvoyée à {order.contact_email}.", "success")
    return redirect(url_for(".detail", number=order.number))


@bp.route("/commandes/<number>/annuler", methods=["POST"])
def cancel(number: str):
    """An order not yet paid, cancelled for the agent with a reason they receive."""
    order = _order(number)
    form = CancelOrderForm()
    if not form.validate():
        return _detail(number, cancel_form=form)
    if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.OPTION):
        return _detail(
            number,
            cancel_form=form,
            error="Seule une commande en attente de paiement ou en option peut être annulée.",
        )
    try:
        services.cancel_order(order.id, reason=form.reason.data, actor=current_user)
    except DomainError as exc:
        return _detail(number, cancel_form=form, error=place_error(form, exc))
    flash(f"Commande {order.number} annulée ; l'agent a été prévenu par e-mail.", "success")
    return redirect(url_for(".detail", number=order.number))


@bp.route("/commandes/<number>/remboursements/<int:payment_id>/virement", methods=["POST"])
def transfer_done(number: str, payment_id: int):
    """R-OPS-4: the bank transfer of a cheque order's refund has been made."""
    try:
        cheques.mark_transfer_done(number, payment_id, current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash("Virement enregistré comme effectué.", "success")
    return redirect(url_for(".detail", number=number))


# -- cheque desk --------------------------------------------------------------------------


@bp.route("/cheques", methods=["GET", "POST"])
def cheque_desk():
    """R-OPS-3 / R-PAY-4: register a received cheque; options listed by days left."""
    form = ChequeForm()
    result = None
    error = None
    status = 200
    if form.is_submitted():
        if form.validate():
            assert form.amount.cents is not None, "DataRequired: a validated amount has cents"
            try:
                result = cheques.register_cheque(
                    form.order_number.data,
                    form.amount.cents,
                    form.cheque_number.data,
                    current_user,
                )
            except DomainError as exc:
                error = place_error(form, exc)
                status = 422
            else:
                form = ChequeForm(formdata=None)
        else:
            status = 422
    return (
        render_template(
            "ops/orders/cheques.html",
            form=form,
            result=result,
            error=error,
            options=cheques.waiting_options(),
        ),
        status,
    )


# -- cancelling a session or an offer (R-OPS-4) ------------------------------------------


@bp.route("/annulations", methods=["GET", "POST"])
def cancel_event():
    """Pick an offer (by title), then one of its sessions or the whole offer and a reason;
    the impact is shown, then a second confirmation refunds or releases every affected
    order, and the result is summarised."""
    q = strip_text(request.args.get("q") or "")[:200]
    offer_id = request.args.get("offre", type=db_int)
    offers: list[Offer] = []
    if q:
        stmt = select(Offer)
        for word in q.split()[:6]:
            stmt = stmt.where(Offer.title.icontains(word, autoescape=True))
        offers = list(session().scalars(stmt.order_by(Offer.title, Offer.id).limit(50)))
    offer = session().get(Offer, offer_id) if offer_id else None
    sessions: list[OfferSession] = []
    if offer is not None:
        sessions = list(
            session().scalars(
                select(OfferSession)
                .where(OfferSession.offer_id == offer.id)
                .order_by(OfferSession.starts_at, OfferSession.id)
            )
        )
    form = CancelEventForm()
    error = None
    status = 200
    impact: refunds.CancellationImpact | None = None
    if request.method == "POST":
        if offer is None:
            raise NotFound()
        valid = form.validate()
        target = form.target.data or ""
        kwargs: dict[str, int] = {}
        if target == "offre":
            kwargs["offer_id"] = offer.id
        elif target.isdigit() and any(str(x.id) == target for x in sessions):
            kwargs["session_id"] = int(target)
        else:
            form.target.errors = ["Choisissez une séance, ou l'offre entière."]
        if valid and kwargs and request.form.get("confirm") != "1":
            # First step: the impact, then a second, explicit confirmation (R-OPS-4).
            impact = refunds.cancellation_impact(**kwargs)
            status = 200
        elif valid and kwargs:
            try:
                summary = refunds.cancel_event(current_user, reason=form.reason.data, **kwargs)
            except DomainError as exc:
                error = place_error(form, exc)
            else:
                return redirect(url_for(".cancel_result", record_id=summary.record_id))
            status = 422
        else:
            status = 422
    return (
        render_template(
            "ops/orders/cancel_event.html",
            q=q,
            offers=offers,
            offer=offer,
            sessions=sessions,
            form=form,
            error=error,
            impact=impact,
        ),
        status,
    )


@bp.route("/annulations/bilan/<int:record_id>")
def cancel_result(record_id: int):
    """The summary of a cancellation, read back from the audit log (POST, then redirect)."""
    entry = session().get(AuditEntry, record_id)
    if entry is None or entry.action != refunds.SUMMARY_ACTION:
        raise NotFound()
    kind, _, raw_id = entry.subject.partition(":")
    if kind == "offer":
        offer = session().get(Offer, int(raw_id))
        assert offer is not None, "the audit names an offer, and offers are never deleted"
        what = f"l'offre « {offer.title} »"
    else:
        sess = session().get(OfferSession, int(raw_id))
        assert sess is not None, "the audit names a session, and sessions are never deleted"
        offer = session().get(Offer, sess.offer_id)
        assert offer is not None, "a session's offer (foreign key)"
        what = f"la séance du {_session_label([sess], sess.id)} de « {offer.title} »"
    summary = refunds.CancellationSummary(**(entry.after or {}), record_id=entry.id)
    return render_template(
        "ops/orders/cancel_summary.html", summary=summary, offer=offer, what=what, entry=entry
    )


def _session_label(sessions: list[OfferSession], session_id: int) -> str:
    found = next(x for x in sessions if x.id == session_id)
    return format_datetime_fr(found.starts_at)
