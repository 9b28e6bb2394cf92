"""« Prévenez-moi » and « Mes alertes » for agents (R-AGT-2): ask to be told, see and
cancel one's alerts, and the mailed link that puts held seats into the cart."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user

from catalog.rules import DELIVERY_LABELS
from orders import alerts, events
from orders.forms import SeatAlertForm
from shop import clock
from shop.errors import DomainError
from shop.forms import db_int, field_errors, place_error, typed_values

bp = Blueprint("alerts", __name__, url_prefix="/mes-alertes")


@bp.record_once
def _serve_when_seats_come_back(state: BlueprintSetupState) -> None:
    """A cancelled order someone waits for wakes the line's job (R-AGT-2)."""
    events.subscribe(events.ORDER_CANCELLED, "seat_alerts", alerts.on_order_cancelled)


STATE_LABELS = {
    "waiting": "En attente",
    "held": "Places réservées pour vous",
    "notified": "Prévenu(e) : vente ouverte",
    "used": "Places commandées",
    "expired": "Réservation expirée",
    "cancelled": "Close",
}


@bp.route("/")
def mine():
    return render_template(
        "agent/orders/alerts.html",
        rows=alerts.alerts_of(current_user),
        labels=STATE_LABELS,
        now=clock.utcnow(),
        token=alerts.hold_token,
    )


@bp.route("/nouvelle/<int:offer_id>", methods=["GET", "POST"])
def new(offer_id: int):
    """The form behind the « Prévenez-moi » button of a session row or offer page."""
    form = SeatAlertForm()
    if request.method == "POST":
        session_id = form.session_id.data
    else:
        session_id = request.args.get("seance", type=db_int)
    try:
        offer, sess = alerts.alert_target(current_user, offer_id, session_id)
    except DomainError as exc:
        return render_template(
            "agent/orders/alert_new.html", offer_id=offer_id, refusal=exc.message
        )
    error = None
    if request.method == "POST":
        try:
            alert = alerts.subscribe(
                current_user, offer_id, session_id=session_id, quantity=form.quantity.number
            )
        except DomainError as exc:
            error = place_error(form, exc, default="quantity")
        else:
            flash(
                f"C'est noté : nous vous écrirons à {alert.email} dès que des places "
                "seront disponibles.",
                "info",
            )
            return redirect(url_for(".mine"))
    return (
        render_template(
            "agent/orders/alert_new.html",
            offer_id=offer_id,
            offer=offer,
            session=sess,
            refusal=None,
            now=clock.utcnow(),
            error=error,
            errors=field_errors(form),
            values=typed_values(form),
        ),
        422 if request.method == "POST" else 200,
    )


@bp.route("/<int:alert_id>/annuler", methods=["POST"])
def cancel(alert_id: int):
    alerts.cancel_alert(current_user, alert_id)
    flash("Votre alerte est annulée.", "info")
    return redirect(url_for(".mine"))


@bp.route("/<int:alert_id>/places/<token>", methods=["GET", "POST"])
def take(alert_id: int, token: str):
    """The mailed link (R-AGT-2): signed, for its agent only (anyone else: 404); shows the
    hold, and its button puts the seats into the cart."""
    alert = alerts.alert_for_link(current_user, alert_id, token)
    now = clock.utcnow()
    error = None
    if request.method == "POST" and alerts.hold_is_live(alert, now):
        try:
            added = alerts.claim_hold(current_user, alert)
        except DomainError as exc:
            error = exc.message
        else:
            flash(
                f"{added} place(s) ajoutée(s) à votre panier : elles vous restent réservées "
                f"jusqu'au {clock.format_datetime_fr(alert.hold_expires_at)}."
                if added
                else "Ces places sont déjà dans votre panier.",
                "info",
            )
            return redirect(url_for("agent.cart.show"))
    offer, sess = alerts.target_of(alert)
    return (
        render_template(
            "agent/orders/alert_take.html",
            alert=alert,
            offer=offer,
            session=sess,
            live=alerts.hold_is_live(alert, now),
            expired=alerts.expired_message(alert),
            error=error,
            delivery_labels=DELIVERY_LABELS,
        ),
        422 if error else 200,
    )
