"""Agents: prices of a stay on its offer page (R-VAC-3) and Prix mini pre-registration
(R-VAC-4) at ``/sejours/<offer_id>/preinscription``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from auth.models import DossierAgent, DossierChild
from auth.rights import counts_as_child
from catalog.models import Offer
from catalog.stays import PRIX_MINI, season_of
from shop.db import session
from shop.errors import DomainError
from vacations import lottery
from vacations.models import STATUS_LABELS, PrixMiniDraw
from vacations.rates import quote_offer

bp = Blueprint("vacations", __name__, url_prefix="/sejours")


def stay_context(offer: Offer) -> dict[str, Any]:
    """What the offer page needs for a stay: the quote and, for Prix mini, the lottery."""
    quote = quote_offer(offer, current_user.record.qf_cents)
    if quote is None:
        return {"stay": None, "prix_mini": None}
    prix_mini = None
    if offer.stay_family == PRIX_MINI:
        reg = lottery.registration_of(current_user.cgos_number, quote.season.key)
        drawn = session().scalar(select(PrixMiniDraw.id).where(PrixMiniDraw.offer_id == offer.id))
        prix_mini = {
            "registration": reg,
            "status_label": STATUS_LABELS.get(reg.status) if reg else None,
            "here": reg is not None and reg.offer_id == offer.id,
            "open": lottery.registration_window_open(offer) and drawn is None,
            "children": _household_children(),
            "max_adults": lottery.MAX_ADULTS,
        }
    return {"stay": quote, "prix_mini": prix_mini}


def _household_children() -> list[DossierChild]:
    """The household's children for the store (R-DOS-6), with the ids the form posts."""
    year = current_user.today.year
    rows = session().scalars(
        select(DossierChild)
        .join(DossierAgent, DossierAgent.household_id == DossierChild.household_id)
        .where(DossierAgent.cgos_number == current_user.cgos_number)
        .order_by(DossierChild.birth_date)
    )
    return [c for c in rows if counts_as_child(c.birth_date, year)]


@bp.route("/<int:offer_id>/preinscription", methods=["POST"])
def pre_register(offer_id: int):
    offer = session().get(Offer, offer_id)
    if offer is None or offer.kind != "sejour" or offer.stay_family != PRIX_MINI:
        abort(404)
    if not current_user.rights.can_order:
        flash(current_user.rights.reason, "error")
        return redirect(url_for("agent.catalog.offer", offer_id=offer_id))
    try:
        adults = int(request.form.get("adults", "1"))
        child_ids = [int(v) for v in request.form.getlist("children")]
    except ValueError:
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
    season = season_of(offer.stay_starts_on)
    flash(
        f"Votre préinscription pour la saison {season.label} est enregistrée. "
        "Vous recevrez le résultat du tirage au sort par courriel.",
        "success",
    )
    return redirect(url_for("agent.catalog.offer", offer_id=offer_id) + "#preinscription")
