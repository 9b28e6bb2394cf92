"""Agents: prices of a stay on its offer page (R-VAC-3), booking it into the cart with its
participants (R-VAC-5), Prix mini pre-registration and a winner's payment (R-VAC-4)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from catalog.models import Offer
from catalog.presenters import add_offer_section, render_offer
from catalog.rules import Kind
from catalog.stays import CHILD_FAMILIES, MAX_ADULTS, PRIX_MINI, Season, season_of
from shop.db import session
from shop.errors import DomainError, NotFound
from shop.forms import field_errors, place_error
from vacations import bookings, line_kind, lottery
from vacations.forms import StayForm
from vacations.models import STATUS_LABELS, PrixMiniDraw
from vacations.rates import quote_offer
from vacations.stay_lines import describe, participation_of

bp = Blueprint("vacations", __name__, url_prefix="/sejours")
# « 2 adultes, 1 enfant (Léa) » on every page and mail that lists a stay line.
bp.add_app_template_filter(describe, "participants_fr")
# R-VAC-1: a stay's participation on the cart, the checkout and the order.
bp.add_app_template_filter(participation_of, "stay_participation")


def stay_context(offer: Offer) -> dict[str, Any]:
    """What the offer page needs for a stay: the quote and, for Prix mini, the lottery."""
    quote = quote_offer(offer, current_user.record.qf_cents)
    if quote is None:
        return {"stay": None, "prix_mini": None, "booking": None}
    children = bookings.household_children(current_user)
    booking = {
        "children": children,
        "max_adults": MAX_ADULTS,
        "children_only": offer.stay_family in CHILD_FAMILIES,
    }
    prix_mini = None
    if offer.stay_family == PRIX_MINI:
        reg = lottery.registration_of(current_user.cgos_number, quote.season.key)
        drawn = session().scalar(select(PrixMiniDraw.id).where(PrixMiniDraw.offer_id == offer.id))
        prix_mini = {
            "registration": reg,
            "status_label": STATUS_LABELS.get(reg.status) if reg else None,
            "here": reg is not None and reg.offer_id == offer.id,
            "open": lottery.registration_window_open(offer) and drawn is None,
            "children": children,
            "max_adults": MAX_ADULTS,
            "can_pay": reg is not None
            and reg.offer_id == offer.id
            and reg.status == "gagnant"
            and reg.order_id is None,
        }
    return {"stay": quote, "prix_mini": prix_mini, "booking": booking}


@bp.route("/<int:offer_id>/reserver", methods=["POST"])
def book(offer_id: int):
    """Add the stay for the chosen participants; a refusal is shown beside its field with
    what was chosen kept."""
    form = StayForm()
    child_ids = form.child_ids()
    try:
        bookings.add_stay(
            current_user,
            offer_id,
            adults=form.adults.number,
            child_ids=[-1] if child_ids is None else child_ids,  # -1: "not on your dossier"
        )
    except NotFound:
        abort(404)
    except DomainError as exc:
        top = place_error(form, exc)
        field, message = next(iter(field_errors(form).items()), (None, top))
        return render_offer(
            offer_id, None, error=message, error_field=field, values=form.values(), status=422
        )
    flash("Le séjour a été ajouté à votre panier avec ses participants.", "info")
    return redirect(url_for("agent.cart.show"))


@bp.route("/<int:offer_id>/regler", methods=["POST"])
def pay_prix_mini(offer_id: int):
    """A winner of the draw puts their stay in the cart to pay it within 7 days."""
    try:
        bookings.add_prix_mini(current_user, offer_id)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("agent.catalog.offer", offer_id=offer_id) + "#preinscription")
    flash("Votre séjour est dans votre panier : réglez-le avant la date limite.", "info")
    return redirect(url_for("agent.cart.show"))


@bp.route("/<int:offer_id>/preinscription", methods=["POST"])
def pre_register(offer_id: int):
    offer = session().get(Offer, offer_id)
    if offer is None or offer.kind != "sejour" or offer.stay_family != PRIX_MINI:
        abort(404)
    if not current_user.rights.can_order:
        flash(current_user.rights.reason, "error")
        return redirect(url_for("agent.catalog.offer", offer_id=offer_id))
    form = StayForm()
    adults, child_ids = form.adults_or(1), form.child_ids()
    if adults is None or child_ids is None:  # not numbers: refused as no participant
        adults, child_ids = 0, []
    try:
        lottery.pre_register(
            current_user.cgos_number,
            offer_id,
            adults=adults,
            child_ids=child_ids,
            actor=current_user,
        )
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("agent.catalog.offer", offer_id=offer_id) + "#preinscription")
    assert offer.stay_starts_on is not None, "pre_register refuses a stay without dates"
    season = season_of(offer.stay_starts_on)
    flash(
        f"Votre préinscription pour la saison {season.label} est enregistrée. "
        "Vous recevrez le résultat du tirage au sort par courriel.",
        "success",
    )
    return redirect(url_for("agent.catalog.offer", offer_id=offer_id) + "#preinscription")


@bp.route("/mes-preinscriptions")
def my_registrations():
    """Where the agent follows their Prix mini draws: status, rank, deadline to pay."""
    rows = lottery.registrations_of(current_user.cgos_number)
    return render_template(
        "agent/vacations/registrations.html",
        rows=rows,
        labels=STATUS_LABELS,
        seasons={reg.id: Season.parse(reg.season).label for reg, _ in rows},
    )


@bp.record_once
def _plug_in(_state: Any) -> None:
    """Wiring vacations into the app plugs stays into the layers below it, which do not
    import vacations: the catalog's offer page shows a stay's section, and orders prices,
    places and follows stay lines through ``orders.line_kinds``."""
    add_offer_section(Kind.SEJOUR, stay_context)
    line_kind.register()
