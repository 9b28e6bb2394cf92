"""Back-office order pages for operators (R-OPS-1…4, R-OPS-6): find an order, read it,
re-issue an e-billet, re-send its confirmation, cancel an option; the cheque desk; and
the cancellation of a session or a whole offer with its refunds.

Every change goes through a service that audit-logs it; the pages only parse, call and
render. Gated once by the ``ops`` parent blueprint (operators and admins).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from catalog.models import Offer, OfferSession
from catalog.rules import DELIVERY_LABELS
from orders import cheques, etickets, phone, refunds, services
from orders import search as order_search
from orders.models import ETicket, Order, OrderLine, Payment
from orders.status import PAID_STATES, STATUS_LABELS, OrderStatus, PaymentStatus
from orders.terms import is_phone_card
from shop import clock
from shop.audit import AuditEntry
from shop.clock import format_date_fr, format_datetime_fr
from shop.csv_export import stream_csv
from shop.db import session
from shop.errors import DomainError, NotFound
from shop.forms import EuroField, db_int, place_error, strip_text
from shop.money import format_eur
from shop.paging import fetch_page, requested_page

bp = Blueprint("orders", __name__)

SEARCH_LIMIT = 50
ORDERS_PER_PAGE = 50
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
    bank = StringField(
        "Banque (facultatif)",
        filters=[strip_text],
        validators=[Length(max=60, message="Nom de banque trop long (60 caractères au plus).")],
        description="Celle imprimée sur le chèque : elle figure sur le bordereau de remise.",
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


class RefundForm(FlaskForm):
    reason = SelectField(
        "Motif du remboursement",
        choices=[
            SelectChoice("", "— choisir —"),
            *(SelectChoice(k, v) for k, v in refunds.REFUND_REASONS.items()),
        ],
        validators=[DataRequired("Choisissez le motif du remboursement.")],
    )
    amount = EuroField(
        "Montant (€), pour un geste commercial",
        description="Laissez vide pour rembourser le prix des articles cochés (hors frais).",
    )
    # One-time token (R-OPS-8a): the same form posted twice refunds once.
    once = HiddenField()


def _fresh_refund_form() -> RefundForm:
    form = RefundForm(formdata=None)
    form.once.data = secrets.token_urlsafe(16)
    return form


class TransferDoneForm(FlaskForm):
    done_on = DateField(
        "Date du virement",
        validators=[Optional()],
        description="Laissez vide : aujourd'hui.",
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
    """R-OPS-1: orders by partial number or N° C.G.O.S, filtered by Paris dates, status,
    channel, payment method and links awaiting payment; newest first, one page at a time."""
    filters = order_search.parse_filters(request.args)
    found = None
    if not filters.errors:
        stmt = order_search.order_search(filters)
        if stmt is not None:
            found = fetch_page(stmt, requested_page(), ORDERS_PER_PAGE, scalars=True)
        exact = cheques.normalise_order_number(filters.q)
        if found and len(found.rows) == 1 and found.page == 1 and found.rows[0].number == exact:
            return redirect(url_for(".detail", number=exact))
    return render_template(
        "ops/orders/search.html",
        q=filters.q,
        filters=filters,
        found=found,
        orders=found.rows if found else [],
        status_labels=STATUS_LABELS,
        status_choices=order_search.STATUS_CHOICES,
        channel_labels=order_search.CHANNEL_LABELS,
        method_labels=order_search.METHOD_LABELS,
    ), (422 if filters.errors else 200)


def _order(number: str) -> Order:
    order = session().scalar(
        select(Order)
        .where(Order.number == number)
        .options(selectinload(Order.lines), selectinload(Order.fees))
    )
    if order is None:
        raise NotFound()
    return order


def _detail(
    number: str,
    cancel_form: CancelOrderForm | None = None,
    error: str | None = None,
    refund_form: RefundForm | None = None,
    chosen: frozenset[int] = frozenset(),
):
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
    failed = (cancel_form is not None and cancel_form.errors) or (
        refund_form is not None and refund_form.errors
    )
    status = 422 if failed or error else 200
    money = refunds.refundable(order)
    can_refund = order.status in PAID_STATES and money.left_cents > 0
    if refund_form is not None and refund_form.errors and not can_refund and not error:
        # The refund form is not shown any more: its message goes to the page's top.
        error = next(iter(refund_form.errors.values()))[0]
    states = {p.id: _payment_state(p) for p in payments}
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
            payment_states=states,
            money=money,
            can_refund=can_refund,
            refund_form=refund_form or _fresh_refund_form(),
            chosen=chosen,
            returned_cheques=cheques.returned_cheques(order),
            link_payable=is_phone_card(order) and order.status == OrderStatus.PENDING_PAYMENT,
        ),
        status,
    )


def _payment_state(p: Payment) -> str:
    """What the money of one row is now, in words an operator can repeat to the agent."""
    d = p.details or {}
    if p.kind == "refund":
        if p.status == PaymentStatus.REFUNDED:
            done_on, done = d.get("done_on"), d.get("done_at")
            when = ""
            if done_on:
                when = f" le {format_date_fr(date.fromisoformat(done_on))}"
            elif done:
                when = f" le {format_datetime_fr(datetime.fromisoformat(done))}"
            return ("Virement effectué" if p.method == "transfer" else "Remboursé") + when
        if p.method == "transfer":
            return "Virement à effectuer"
        return "Remboursement en cours auprès de la banque"
    if p.status == PaymentStatus.AUTHORISED:
        at = format_datetime_fr(phone.capture_expected_at(p.created_at))
        return f"Autorisé, pas encore encaissé : capture prévue le {at}"
    if p.status == PaymentStatus.CAPTURED:
        at = format_datetime_fr(p.captured_at) if p.captured_at else ""
        return f"Encaissé (capturé le {at})" if at else "Encaissé"
    if p.status == PaymentStatus.HOLD_LOST:
        return "Autorisation perdue à la capture : aucun paiement reçu"
    return "Encaissé"


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


@bp.route("/commandes/<number>/lien-de-paiement", methods=["POST"])
def payment_link(number: str):
    """R-OPS-7: mail a phone card order's payment link again, or renew it for 24 hours."""
    order = _order(number)
    mode = "renewed" if request.form.get("mode") == "renouveler" else "resent"
    try:
        phone.issue_payment_link(order.id, current_user, mode=mode)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        if mode == "renewed":
            flash(
                f"Nouveau lien de paiement envoyé à {order.contact_email}, valable 24 heures ; "
                "l'ancien lien ne fonctionne plus.",
                "success",
            )
        else:
            flash(f"Lien de paiement renvoyé à {order.contact_email}.", "success")
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


@bp.route("/commandes/<number>/rembourser", methods=["POST"])
def refund(number: str):
    """R-OPS-8: refund a paid order, whole or per line, with a reason the agent receives."""
    order = _order(number)
    form = RefundForm()
    raw = request.form.getlist("lines")
    chosen = frozenset(int(x) for x in raw if x.isascii() and x.isdigit() and len(x) < 10)
    if not form.validate():
        return _detail(number, refund_form=form, chosen=chosen)
    try:
        payment = refunds.refund_order(
            order.number or number,
            sorted(chosen),
            form.reason.data,
            current_user,
            amount_cents=form.amount.cents,
            form_token=(form.once.data or "").strip()[:64] or None,
        )
    except refunds.AlreadyRefunded as exc:
        flash(exc.message, "error")
        return redirect(url_for(".detail", number=order.number))
    except DomainError as exc:
        return _detail(number, refund_form=form, chosen=chosen, error=place_error(form, exc))
    how = (
        "par virement : il figure dans « Virements à effectuer »"
        if payment.method == "transfer"
        else "sur la carte bancaire de l'agent"
    )
    flash(
        f"Remboursement de {format_eur(payment.amount_cents)} enregistré, {how} ; "
        "l'agent a été prévenu par e-mail.",
        "success",
    )
    return redirect(url_for(".detail", number=order.number))


@bp.route("/commandes/<number>/remboursements/<int:payment_id>/virement", methods=["POST"])
def transfer_done(number: str, payment_id: int):
    """R-OPS-4 / R-OPS-8: the bank transfer of a cheque order's refund has been made."""
    form = TransferDoneForm()
    back = (
        url_for(".transfers")
        if request.form.get("retour") == "virements"
        else url_for(".detail", number=number)
    )
    if not form.validate():
        flash("Date du virement invalide : jj/mm/aaaa, par exemple 06/12/2026.", "error")
        return redirect(back)
    try:
        cheques.mark_transfer_done(number, payment_id, current_user, done_on=form.done_on.data)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Virement de la commande {number} enregistré comme effectué.", "success")
    return redirect(back)


TRANSFERS_CSV_HEADER = ["Depuis le", "Commande", "Agent", "N° C.G.O.S", "Montant (€)", "Motif"]


@bp.route("/virements")
def transfers():
    """R-OPS-8 « Virements à effectuer »: cheque orders' refunds until marked done."""
    return render_template(
        "ops/orders/transfers.html", rows=refunds.transfers_to_make(), form=TransferDoneForm()
    )


@bp.route("/virements.csv")
def transfers_csv():
    """The same list for the bank's spreadsheet: ``;``, UTF-8 with BOM, formulas defused."""
    rows = [
        [
            clock.to_paris(r.payment.created_at).strftime("%d/%m/%Y"),
            r.order.number,
            r.order.holder_name,
            r.order.cgos_number,
            f"{r.payment.amount_cents // 100},{r.payment.amount_cents % 100:02d}",
            (r.payment.details or {}).get("reason", ""),
        ]
        for r in refunds.transfers_to_make()
    ]
    response = Response(stream_csv(TRANSFERS_CSV_HEADER, rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="virements.csv"'
    return response


# -- cheque desk --------------------------------------------------------------------------


@bp.route("/cheques", methods=["GET", "POST"])
def cheque_desk():
    """R-OPS-3 / R-PAY-4 / R-OPS-10: « Vérifier » shows the order's agent and expected
    amount; « Enregistrer » registers the cheque, an amount that differs from the total
    asking for an explicit confirmation before the order is cancelled."""
    form = ChequeForm()
    result = None
    error = None
    check = None
    mismatch = None
    status = 200
    if form.is_submitted():
        verify = request.form.get("action") == "verifier"
        if verify:
            form.order_number.validate(form)
            if not form.order_number.errors:
                try:
                    check = cheques.check_order(form.order_number.data)
                except DomainError as exc:
                    error = place_error(form, exc)
            if form.order_number.errors or error:
                status = 422
        elif form.validate():
            assert form.amount.cents is not None, "DataRequired: a validated amount has cents"
            try:
                result = cheques.register_cheque(
                    form.order_number.data,
                    form.amount.cents,
                    form.cheque_number.data,
                    current_user,
                    bank=form.bank.data or "",
                    confirmed=request.form.get("confirmer_refus") == "1",
                )
            except cheques.AmountMismatch as exc:
                mismatch = exc
                check = cheques.check_order(form.order_number.data)
                status = 422
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
            check=check,
            mismatch=mismatch,
            options=cheques.waiting_options(),
        ),
        status,
    )


@bp.route("/cheques/commande")
def cheque_check():
    """R-OPS-10, for the desk's script: the agent and expected amount of a cheque order."""
    try:
        check = cheques.check_order(strip_text(request.args.get("numero") or "")[:20])
    except DomainError as exc:
        return jsonify({"error": exc.message}), 404
    return jsonify(check.as_json())


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
