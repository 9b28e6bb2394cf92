"""Orders taken by operators for an agent, by phone or from a posted order form (R-OPS-2,
R-OPS-9), and the public page of a phone card order's payment link (R-PAY-5).

Every change goes through the web shop's own services (orders.cart, services.place_order)
with the agent's AgentUser, so the cap, the limits, the fees and the rights are the same;
its ``basket`` names the operator's own basket for that agent, never the agent's web cart.
An agent without e-mail orders by cheque; the confirmation then goes as a printed letter
(orders/letters.py, « Courriers à imprimer »).
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from auth.principals import AgentUser, agent_user
from catalog.models import Offer, OfferSession, shown_to_agents
from catalog.rules import DELIVERY_LABELS, Kind
from members.dossiers import dossier_source
from members.numbers import is_valid_cgos_number, normalise_cgos_number
from orders import cart as carts
from orders import letters, line_kinds, phone, services
from orders.fees import GROUP_LABELS
from orders.forms import (
    AddressForm,
    DeliveryForm,
    LineForm,
    MagazineForm,
    PhoneAddForm,
    PhoneOrderForm,
    ShippingForm,
)
from orders.models import Order
from orders.payments import stripe_enabled
from orders.status import STATUS_LABELS, OrderStatus
from orders.views.card import go_to_card_payment
from orders.views.cart import CARD_POST_LABELS, TICKET_POST_LABELS
from shop import clock
from shop.db import session
from shop.errors import DomainError, NotFound
from shop.forms import db_int, field_errors, place_error, strip_text, typed_values, was_posted

bp = Blueprint("phone", __name__, url_prefix="/saisie")
link_bp = Blueprint("payment_link", __name__, url_prefix="/paiement/lien")

PHONE_METHODS = {"cheque": "Chèque", "card": "Carte bancaire par téléphone"}
SEARCH_LIMIT = 20


NO_EMAIL_CARD = (
    "Le dossier de l'agent n'a pas d'adresse e-mail : le lien de paiement par carte ne "
    "pourrait pas lui être envoyé. Choisissez le chèque : la confirmation et les "
    "instructions du chèque partent par courrier."
)


def operator_basket() -> str:
    """The operator's own basket for an agent (R-OPS-9): one per operator, so two
    operators, or the agent on the web, never share lines."""
    return f"staff:{current_user.id}"


def _agent(number: str) -> AgentUser:
    number = normalise_cgos_number(number)
    record = dossier_source().get(number) if is_valid_cgos_number(number) else None
    if record is None:
        abort(404)
    return replace(agent_user(record), basket=operator_basket())


def _search(agent: AgentUser, q: str) -> list[Offer]:
    """Offers shown to agents (published, approved: R-PAR-10) by id or title words
    (add_to_cart re-checks everything)."""
    if not q:
        return []
    stmt = select(Offer).where(shown_to_agents())
    if q.isdigit():
        try:
            stmt = stmt.where(Offer.id == db_int(q))
        except ValueError:
            return []  # no offer has that number
    else:
        for word in q.split()[:4]:
            stmt = stmt.where(Offer.title.ilike(f"%{word}%"))
    return list(session().scalars(stmt.order_by(Offer.title).limit(SEARCH_LIMIT)))


def _sessions(offers: list[Offer]) -> dict[int, list[OfferSession]]:
    if not offers:
        return {}
    rows = session().scalars(
        select(OfferSession)
        .where(
            OfferSession.offer_id.in_([o.id for o in offers]),
            OfferSession.cancelled.is_(False),
            OfferSession.starts_at > clock.utcnow(),
        )
        .order_by(OfferSession.starts_at)
    )
    found: dict[int, list[OfferSession]] = {}
    for row in rows:
        found.setdefault(row.offer_id, []).append(row)
    return found


def _page(
    agent: AgentUser,
    *,
    message: str | None = None,
    status: int = 200,
    failed: FlaskForm | None = None,
    line_id: int | None = None,
):
    """The entry page; a refused form (``failed``) shows its errors beside its fields on
    the line ``line_id`` (-1: the cards' address, -2: the order form), as the web cart."""
    q = strip_text(request.values.get("t") or "")[:200]
    offers = _search(agent, q)
    view = carts.view_cart(agent)
    return (
        render_template(
            "ops/phone/entry.html",
            agent=agent,
            q=q,
            offers=offers,
            sessions=_sessions(offers),
            view=view,
            priced={pl.key: pl for pl in view.priced.lines},
            delivery_labels=DELIVERY_LABELS,
            group_labels=GROUP_LABELS,
            ticket_post_labels=TICKET_POST_LABELS,
            card_post_labels=CARD_POST_LABELS,
            modes_for=carts.current_modes_for,
            errors=field_errors(failed) if failed is not None else {},
            error_line=line_id,
            typed=typed_values(failed) if failed is not None else {},
            channels=phone.CHANNEL_LABELS,
            methods=PHONE_METHODS,
            **line_kinds.phone_context(agent),
            token=request.form.get("checkout_token") or secrets.token_urlsafe(24),
            values=request.form,
            message=message,
        ),
        status,
    )


@bp.route("/")
def start():
    """Pick the agent by N° C.G.O.S (the operator's agent page links here)."""
    q = (request.args.get("q") or "").strip()
    if q:
        number = normalise_cgos_number(q)
        if is_valid_cgos_number(number) and dossier_source().get(number) is not None:
            return redirect(url_for(".entry", number=number))
        return render_template("ops/phone/start.html", q=q, missing=True), 404
    return render_template("ops/phone/start.html", q=q, missing=False)


@bp.route("/<number>")
def entry(number: str):
    return _page(_agent(number))


@bp.route("/<number>/ajouter", methods=["POST"])
def add(number: str):
    agent = _agent(number)
    form = PhoneAddForm()
    try:
        carts.add_to_cart(
            agent,
            form.offer_id.data or 0,
            quantity=form.quantity.number,
            delivery=form.delivery.data,
            session_id=form.session_id.data,
        )
    except DomainError as exc:
        return _page(agent, message=exc.message, status=422)
    flash("Ajouté au panier de la saisie.", "success")
    return redirect(url_for(".entry", number=agent.cgos_number))


@bp.route("/<number>/sejour", methods=["POST"])
def add_stay(number: str):
    """A stay booked by phone: participants from the household (R-VAC-5), or the place an
    agent won in the Prix mini draw (R-VAC-4)."""
    agent = _agent(number)
    offer_id = request.form.get("offer_id", type=db_int) or 0
    stays = line_kinds.kind_of(Kind.SEJOUR)
    if stays is None:
        abort(404)
    try:
        stays.add_by_phone(agent, offer_id, request.form)
    except NotFound:
        return _page(
            agent, message="Pas de place tirée au sort à régler pour cet agent.", status=422
        )
    except DomainError as exc:
        return _page(agent, message=exc.message, status=422)
    flash("Séjour ajouté au panier de la saisie.", "success")
    return redirect(url_for(".entry", number=agent.cgos_number))


@bp.route("/<number>/lignes/<int:line_id>", methods=["POST"])
def update(number: str, line_id: int):
    agent = _agent(number)
    form = LineForm()
    try:
        removed = carts.update_line(agent, line_id, form.quantity.number)
        if removed:
            flash(removed, "info")
    except NotFound:
        abort(404)
    except DomainError as exc:
        return _refused(agent, form, exc, line_id, default="quantity")
    return redirect(url_for(".entry", number=agent.cgos_number))


def _refused(
    agent: AgentUser,
    form: FlaskForm,
    exc: DomainError,
    line_id: int | None,
    default: str | None = None,
):
    return _page(
        agent,
        message=place_error(form, exc, default),
        status=422,
        failed=form,
        line_id=line_id,
    )


def _back(agent: AgentUser, anchor: str = "panier"):
    return redirect(url_for(".entry", number=agent.cgos_number, _anchor=anchor))


@bp.route("/<number>/lignes/<int:line_id>/livraison", methods=["POST"])
def delivery(number: str, line_id: int):
    """Another delivery mode open now, as on the web cart."""
    agent = _agent(number)
    form = DeliveryForm()
    try:
        carts.set_delivery(agent, line_id, form.delivery.data or "")
    except NotFound:
        abort(404)
    except DomainError as exc:
        return _refused(agent, form, exc, line_id, default="delivery")
    return _back(agent)


@bp.route("/<number>/lignes/<int:line_id>/magazine", methods=["POST"])
def magazine(number: str, line_id: int):
    """A magazine's address (at most 3 per order) or a digital edition's reader e-mail."""
    agent = _agent(number)
    form = MagazineForm()
    try:
        if was_posted(form.reader_email):
            carts.set_magazine_delivery(agent, line_id, reader_email=form.reader_email.data)
        else:
            carts.set_magazine_delivery(agent, line_id, address=form.address())
    except NotFound:
        abort(404)
    except DomainError as exc:
        return _refused(agent, form, exc, line_id)
    return _back(agent)


@bp.route("/<number>/envoi", methods=["POST"])
def shipping(number: str):
    """Lettre verte or R2 for cards up to 153 €, suivi or recommandé for paper tickets."""
    agent = _agent(number)
    form = ShippingForm()
    try:
        carts.set_shipping(agent, form.ticket_post.data, form.card_post.data)
    except DomainError as exc:
        return _refused(agent, form, exc, None)
    return _back(agent, "envoi")


@bp.route("/<number>/adresse-cartes", methods=["POST"])
def card_address(number: str):
    agent = _agent(number)
    form = AddressForm()
    try:
        carts.set_card_address(agent, form.address())
    except DomainError as exc:
        return _refused(agent, form, exc, -1)
    return _back(agent, "envoi")


@bp.route("/<number>/lignes/<int:line_id>/supprimer", methods=["POST"])
def remove(number: str, line_id: int):
    agent = _agent(number)
    try:
        carts.remove_line(agent, line_id)
    except NotFound:
        abort(404)
    return redirect(url_for(".entry", number=agent.cgos_number))


@bp.route("/<number>/commander", methods=["POST"])
def place(number: str):
    """The web shop's place_order, with the operator as actor (audited) and the channel."""
    agent = _agent(number)
    form = PhoneOrderForm()
    channel = form.channel.data or ""
    if channel not in phone.CHANNEL_LABELS:
        return _page(agent, message="Choisissez le canal : téléphone ou courrier.", status=422)
    method = form.payment_method.data or ""
    if method not in PHONE_METHODS:
        return _page(
            agent,
            message="Choisissez un moyen de paiement : chèque ou carte bancaire par téléphone.",
            status=422,
        )
    email = (agent.record.email or "").strip()
    if not email and method == "card":
        form.payment_method.errors = [NO_EMAIL_CARD]
        return _page(agent, status=422, failed=form, line_id=-2)
    if not form.validate():
        abort(400)  # only the page's own hidden token can be refused: a tampered page
    try:
        order = services.place_order(
            agent,
            payment_method=method,
            contact=services.Contact(email=email, accept_cgv=form.accept_cgv.data),
            expected_total_cents=form.expected_total_cents(),
            checkout_token=form.checkout_token.data,
            actor=current_user,
            channel=channel,
        )
        if order.status == OrderStatus.PENDING_PAYMENT and phone.is_phone_card(order):
            phone.issue_payment_link(order.id, current_user)
            flash(f"Lien de paiement (valable 24 heures) envoyé à {email}.", "success")
    except NotFound:
        abort(404)
    except DomainError as exc:
        return _page(agent, message=exc.message, status=422)
    if not email:
        flash("L'agent n'a pas d'e-mail : imprimez le courrier de confirmation.", "success")
    return redirect(url_for(".placed", number=agent.cgos_number, order_number=order.number))


def _agent_order(agent: AgentUser, order_number: str) -> Order:
    order = session().scalar(
        select(Order).where(Order.number == order_number, Order.cgos_number == agent.cgos_number)
    )
    if order is None:
        abort(404)
    return order


@bp.route("/<number>/commandes/<order_number>")
def placed(number: str, order_number: str):
    agent = _agent(number)
    order = _agent_order(agent, order_number)
    return render_template(
        "ops/phone/placed.html",
        agent=agent,
        order=order,
        status_label=STATUS_LABELS[OrderStatus(order.status)],
        channels=phone.CHANNEL_LABELS,
        methods=PHONE_METHODS,
        cheque_payee=services.CHEQUE_PAYEE,
        letter=letters.needs_letter(order),
    )


@bp.route("/<number>/commandes/<order_number>/courrier.pdf")
def letter(number: str, order_number: str):
    """The confirmation letter of an order for an agent without e-mail (R-OPS-9)."""
    order = _agent_order(_agent(number), order_number)
    if not letters.needs_letter(order):
        abort(404)
    return Response(
        letters.render_letter(order),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="courrier-{order.number}.pdf"'},
    )


@bp.route("/<number>/commandes/<order_number>/courrier/imprime", methods=["POST"])
def letter_printed(number: str, order_number: str):
    order = _agent_order(_agent(number), order_number)
    try:
        letters.mark_printed(order.id, current_user)
    except NotFound:
        abort(404)
    flash(f"Courrier de la commande {order.number} marqué imprimé.", "success")
    return redirect(url_for(".letters_list"))


@bp.route("/courriers")
def letters_list():
    """« Courriers à imprimer »: the day's letters for agents without e-mail."""
    orders = list(session().scalars(letters.letters_to_print(clock.utcnow()).limit(200)))
    return render_template(
        "ops/phone/letters.html",
        orders=orders,
        channels=phone.CHANNEL_LABELS,
        status_labels=STATUS_LABELS,
    )


# -- the agent's payment link (public: the agent need not be logged in) -------------------


def _link_order(token: str):
    try:
        return phone.order_from_link(token), None
    except phone.InvalidLink:
        return None, (render_template("public/payment_link/invalid.html"), 410)


@link_bp.route("/<token>", methods=["GET"])
def show(token: str):
    order, refused = _link_order(token)
    if refused:
        return refused
    return render_template(
        "public/payment_link/show.html",
        order=order,
        token=token,
        status_label=STATUS_LABELS[OrderStatus(order.status)],
        demo=not stripe_enabled(),
        declined=False,
    )


@link_bp.route("/<token>", methods=["POST"])
def pay(token: str):
    """To Stripe Checkout when configured; otherwise the labelled demonstration payment."""
    order, refused = _link_order(token)
    if refused:
        return refused
    if order.status != OrderStatus.PENDING_PAYMENT:
        return redirect(url_for(".show", token=token))
    if stripe_enabled():
        # Back to this page after paying: the agent need not be logged in.
        return go_to_card_payment(order, url_for(".show", token=token, _external=True))
    if request.form.get("outcome") == "succeed":
        try:
            phone.pay_demo_from_link(token, f"demo-{secrets.token_hex(12)}")
        except DomainError as exc:
            flash(exc.message, "error")
        return redirect(url_for(".show", token=token))
    return (
        render_template(
            "public/payment_link/show.html",
            order=order,
            token=token,
            status_label=STATUS_LABELS[OrderStatus(order.status)],
            demo=True,
            declined=True,
        ),
        402,
    )
