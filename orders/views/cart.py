"""« Mon panier » for agents: add from the offer page, change, remove, delivery choices."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from flask_wtf import FlaskForm

from catalog.presenters import render_offer, set_remaining_cap
from catalog.rules import DELIVERY_LABELS
from orders import cart as carts
from orders.fees import GROUP_LABELS, FeeTable
from orders.forms import (
    AddressForm,
    AddToCartForm,
    DeliveryForm,
    LineForm,
    MagazineForm,
    ShippingForm,
)
from shop.errors import DomainError, NotFound
from shop.forms import field_errors, place_error, typed_values, was_posted
from shop.money import format_eur

bp = Blueprint("cart", __name__, url_prefix="/panier")

FEE_TABLE = FeeTable()  # the default tariff, the one orders/pricing.py charges
_TARIFF = FEE_TABLE.tariff
TICKET_POST_LABELS = {
    "lettre_verte": "Lettre verte (compris)",
    "suivi": f"Lettre suivie (+ {format_eur(_TARIFF.ticket_suivi)})",
    "recommande": f"Recommandé (+ {format_eur(_TARIFF.ticket_recommande)})",
}
CARD_POST_LABELS = {
    "lettre_verte": f"Lettre verte ({format_eur(_TARIFF.card_lettre_verte)})",
    "r2": f"Recommandé R2 ({format_eur(_TARIFF.card_r2)})",
}


@bp.record_once
def _quote_fees(state: BlueprintSetupState) -> None:
    """Every page quoting a fee (this cart, the CGV, the FAQ) reads ``fee_table``."""
    state.app.jinja_env.globals["fee_table"] = FEE_TABLE
    # The offer page shows the household's remaining cap beside the participation.
    set_remaining_cap(lambda: format_eur(carts.remaining_cap(current_user)))


def _show(
    failed: FlaskForm | None = None,
    error: str | None = None,
    line_id: int | None = None,
    status: int = 200,
):
    """The cart; a refused form (``failed``) shows its errors beside its fields on the line
    ``line_id`` (-1: the cards' address), what no field takes (``error``) on top."""
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
            errors=field_errors(failed) if failed is not None else {},
            error_line=line_id,
            typed=typed_values(failed) if failed is not None else {},
        ),
        status,
    )


def _refused(form: FlaskForm, exc: DomainError, line_id: int | None, default: str | None = None):
    return _show(form, place_error(form, exc, default), line_id, 422)


@bp.route("/")
def show():
    return _show()


@bp.route("/ajouter/<int:offer_id>", methods=["POST"])
def add(offer_id: int):
    form = AddToCartForm()
    try:
        carts.add_to_cart(
            current_user,
            offer_id,
            quantity=form.quantity.number,
            delivery=form.delivery.data,
            session_id=form.session_id.data,
        )
    except DomainError as exc:
        top = place_error(form, exc)
        field, message = next(iter(field_errors(form).items()), (None, top))
        return render_offer(
            offer_id,
            form.session_id.data,
            error=message,
            error_field=field,
            values=typed_values(form),
            status=422,
        )
    flash("L'offre a été ajoutée à votre panier.", "info")
    return redirect(url_for(".show"))


@bp.route("/ligne/<int:line_id>", methods=["POST"])
def update(line_id: int):
    form = LineForm()
    try:
        if form.supprimer.data:
            carts.remove_line(current_user, line_id)
            flash("La ligne a été retirée de votre panier.", "info")
        else:
            removed = carts.update_line(current_user, line_id, form.quantity.number)
            if removed:
                flash(removed, "info")
    except NotFound:
        raise
    except DomainError as exc:
        return _refused(form, exc, line_id, default="quantity")
    return redirect(url_for(".show"))


@bp.route("/ligne/<int:line_id>/livraison", methods=["POST"])
def delivery(line_id: int):
    form = DeliveryForm()
    try:
        carts.set_delivery(current_user, line_id, form.delivery.data or "")
    except NotFound:
        raise
    except DomainError as exc:
        return _refused(form, exc, line_id, default="delivery")
    return redirect(url_for(".show"))


@bp.route("/ligne/<int:line_id>/magazine", methods=["POST"])
def magazine(line_id: int):
    form = MagazineForm()
    try:
        if was_posted(form.reader_email):
            carts.set_magazine_delivery(current_user, line_id, reader_email=form.reader_email.data)
        else:
            carts.set_magazine_delivery(current_user, line_id, address=form.address())
    except NotFound:
        raise
    except DomainError as exc:
        return _refused(form, exc, line_id)
    return redirect(url_for(".show"))


@bp.route("/envoi", methods=["POST"])
def shipping():
    form = ShippingForm()
    try:
        carts.set_shipping(current_user, form.ticket_post.data, form.card_post.data)
    except NotFound:
        raise
    except DomainError as exc:
        return _refused(form, exc, None)
    return redirect(url_for(".show"))


@bp.route("/adresse-cartes", methods=["POST"])
def card_address():
    form = AddressForm()
    try:
        carts.set_card_address(current_user, form.address())
    except NotFound:
        raise
    except DomainError as exc:
        return _refused(form, exc, -1)
    return redirect(url_for(".show"))
