"""« Mon panier » for agents: add from the offer page, change, remove, delivery choices."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from catalog.presenters import render_offer
from catalog.rules import DELIVERY_LABELS
from orders import cart as carts
from orders.fees import GROUP_LABELS
from shop.errors import DomainError, NotFound
from shop.forms import db_int

bp = Blueprint("cart", __name__, url_prefix="/panier")

TICKET_POST_LABELS = {
    "lettre_verte": "Lettre verte (compris)",
    "suivi": "Lettre suivie (+ 1,50 €)",
    "recommande": "Recommandé (+ 5,00 €)",
}
CARD_POST_LABELS = {"lettre_verte": "Lettre verte (2,00 €)", "r2": "Recommandé R2 (4,00 €)"}


def _address_from_form(prefix: str = "") -> dict[str, str]:
    keys = ("name", "line1", "line2", "postal_code", "city")
    return {k: (request.form.get(prefix + k) or "").strip() for k in keys}


def _show(
    error: str | None = None,
    field: str | None = None,
    line_id: int | None = None,
    status: int = 200,
):
    view = carts.view_cart(current_user)
    return (
        render_template(
            "agent/orders/cart.html",
            view=view,
            priced={pl.key: pl for pl in view.priced.lines},
            delivery_labels=DELIVERY_LABELS,
            group_labels=GROUP_LABELS,
            ticket_post_labels=TICKET_POST_LABELS,
            card_post_labels=CARD_POST_LABELS,
            modes_for=carts.current_modes_for,
            error=error,
            error_field=field,
            error_line=line_id,
            form=request.form,
        ),
        status,
    )


@bp.route("/")
def show():
    return _show()


@bp.route("/ajouter/<int:offer_id>", methods=["POST"])
def add(offer_id: int):
    session_id = request.form.get("session_id", type=db_int)
    try:
        carts.add_to_cart(
            current_user,
            offer_id,
            quantity=request.form.get("quantity"),
            delivery=request.form.get("delivery"),
            session_id=session_id,
        )
    except DomainError as exc:
        return render_offer(
            offer_id,
            session_id,
            error=exc.message,
            error_field=exc.field,
            values=request.form.to_dict(),
            status=422,
        )
    flash("L'offre a été ajoutée à votre panier.", "info")
    return redirect(url_for(".show"))


@bp.route("/ligne/<int:line_id>", methods=["POST"])
def update(line_id: int):
    try:
        if "supprimer" in request.form:
            carts.remove_line(current_user, line_id)
            flash("La ligne a été retirée de votre panier.", "info")
        else:
            carts.update_line(current_user, line_id, request.form.get("quantity"))
    except NotFound:
        raise
    except DomainError as exc:
        return _show(exc.message, exc.field or "quantity", line_id, 422)
    return redirect(url_for(".show"))


@bp.route("/ligne/<int:line_id>/livraison", methods=["POST"])
def delivery(line_id: int):
    try:
        carts.set_delivery(current_user, line_id, request.form.get("delivery") or "")
    except NotFound:
        raise
    except DomainError as exc:
        return _show(exc.message, "delivery", line_id, 422)
    return redirect(url_for(".show"))


@bp.route("/ligne/<int:line_id>/magazine", methods=["POST"])
def magazine(line_id: int):
    try:
        if "reader_email" in request.form:
            carts.set_magazine_delivery(
                current_user, line_id, reader_email=request.form.get("reader_email")
            )
        elif request.form.get("use_dossier"):
            carts.set_magazine_delivery(current_user, line_id, address=None)
        else:
            carts.set_magazine_delivery(current_user, line_id, address=_address_from_form())
    except NotFound:
        raise
    except DomainError as exc:
        return _show(exc.message, exc.field, line_id, 422)
    return redirect(url_for(".show"))


@bp.route("/envoi", methods=["POST"])
def shipping():
    try:
        carts.set_shipping(
            current_user, request.form.get("ticket_post"), request.form.get("card_post")
        )
    except NotFound:
        raise
    except DomainError as exc:
        return _show(exc.message, exc.field, None, 422)
    return redirect(url_for(".show"))


@bp.route("/adresse-cartes", methods=["POST"])
def card_address():
    try:
        if request.form.get("use_dossier"):
            carts.set_card_address(current_user, None)
        else:
            carts.set_card_address(current_user, _address_from_form())
    except NotFound:
        raise
    except DomainError as exc:
        return _show(exc.message, exc.field, -1, 422)
    return redirect(url_for(".show"))
