"""Checkout for agents: récapitulatif, coordonnées, CGV, one payment method, confirmation
(R-PAY-1…3)."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from catalog.rules import DELIVERY_LABELS
from orders import cart as carts
from orders import services
from orders.forms import CheckoutForm
from orders.payments import stripe_enabled
from orders.status import STATUS_LABELS, OrderStatus
from orders.views.card import go_to_card_payment
from shop.errors import DomainError, NotFound
from shop.forms import field_errors, place_error

bp = Blueprint("checkout", __name__, url_prefix="/commande")


def _form(form: CheckoutForm, message: str | None = None, status: int = 200):
    """The checkout page; a refused ``form`` shows each error beside its field, and
    ``message`` (what no field takes) on top."""
    view = carts.view_cart(current_user)
    if view.empty:
        return redirect(url_for("agent.cart.show"))
    return (
        render_template(
            "agent/orders/checkout.html",
            view=view,
            priced={pl.key: pl for pl in view.priced.lines},
            delivery_labels=DELIVERY_LABELS,
            methods=services.PAYMENT_METHODS,
            token=form.checkout_token.data or secrets.token_urlsafe(24),
            form=form,
            errors=field_errors(form),
            message=message,
            cheque_payee=services.CHEQUE_PAYEE,
        ),
        status,
    )


@bp.route("/", methods=["GET"])
def start():
    return _form(CheckoutForm())


@bp.route("/", methods=["POST"])
def place():
    form = CheckoutForm()
    if not form.validate():
        abort(400)  # only the page's own hidden token can be refused: a tampered page
    try:
        order = services.place_order(
            current_user,
            payment_method=form.payment_method.data or "",
            contact=services.Contact(
                email=form.email.data or "",
                accept_cgv=form.accept_cgv.data,
            ),
            expected_total_cents=form.expected_total_cents(),
            checkout_token=form.checkout_token.data,
            actor=current_user,
        )
    except NotFound:
        raise
    except DomainError as exc:
        return _form(form, place_error(form, exc), status=422)
    if order.status == OrderStatus.PENDING_PAYMENT:
        return go_to_card_payment(order)
    return redirect(url_for(".confirmation", number=order.number))


@bp.route("/<number>")
def confirmation(number: str):
    order = services.order_for_agent(current_user, number)
    return render_template(
        "agent/orders/confirmation.html",
        order=order,
        status_label=STATUS_LABELS[OrderStatus(order.status)],
        cheque_payee=services.CHEQUE_PAYEE,
        delivery_labels=DELIVERY_LABELS,
    )


@bp.route("/<number>/payer", methods=["POST"])
def pay(number: str):
    """Back to the card payment of a pending order (it may still be paid within 30 min)."""
    order = services.order_for_agent(current_user, number)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return redirect(url_for(".confirmation", number=number))
    return go_to_card_payment(order)


@bp.route("/<number>/paiement-demo", methods=["GET", "POST"])
def demo_payment(number: str):
    """Demonstration card payment (no STRIPE_SECRET_KEY): never available with Stripe."""
    if stripe_enabled():
        abort(404)
    if request.method == "POST" and request.form.get("outcome") == "succeed":
        # One locked read of the agent's order (404 if not theirs), paid if still pending.
        try:
            services.pay_demo(current_user, number, provider_ref=f"demo-{secrets.token_hex(12)}")
        except NotFound:
            raise
        except DomainError as exc:
            flash(exc.message, "error")
        return redirect(url_for(".confirmation", number=number))
    order = services.order_for_agent(current_user, number)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return redirect(url_for(".confirmation", number=number))
    if request.method == "POST":
        current_app.logger.info("Paiement de démonstration refusé pour %s", number)
        return (
            render_template("agent/orders/demo_payment.html", order=order, declined=True),
            402,
        )
    return render_template("agent/orders/demo_payment.html", order=order, declined=False)
