"""Price change request pages (R-PAR-10), hung beside the offer pages of each ``Area``.

Partners list their requests and withdraw a pending one; in the back office everyone
reads them and only admins decide (approve applies the prices, refuse needs a note). A
page or action a role may not use answers 404, as the audience gates do: another
partner's request, a decision for an operator or a partner, a withdrawal from the back
office.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_login import current_user

from catalog import price_requests
from catalog.categories import BY_SLUG
from catalog.forms import PriceDecisionForm, WithdrawForm
from catalog.models import PriceChangeRequest
from catalog.rules import (
    APPROVAL_LABELS,
    DELIVERY_LABELS,
    KIND_LABELS,
    PRICE_REQUEST_KIND_LABELS,
    PRICE_REQUEST_LABELS,
    SUPPLY_LABELS,
    PriceRequestStatus,
)
from catalog.views._editing import Area
from shop.errors import DomainError
from shop.forms import MAX_ID, place_error

ALL = "toutes"


def _request_or_404(request_id: int) -> PriceChangeRequest:
    req = price_requests.request_for(request_id, current_user)
    if req is None:
        abort(404)
    return req


def _status_filter(default: str | None) -> str | None:
    raw = request.args.get("etat")
    if raw == ALL:
        return None
    return raw if raw in {s.value for s in PriceRequestStatus} else default


def _render(area: Area, template: str, status: int = 200, **context: Any):
    return (
        render_template(
            f"staff/catalog/{template}",
            area=area,
            request_labels=PRICE_REQUEST_LABELS,
            request_kind_labels=PRICE_REQUEST_KIND_LABELS,
            approval_labels=APPROVAL_LABELS,
            all_value=ALL,
            kind_labels=KIND_LABELS,
            delivery_labels=DELIVERY_LABELS,
            supply_labels=SUPPLY_LABELS,
            categories=BY_SLUG,
            **context,
        ),
        status,
    )


def request_list(area: Area):
    """Partners: their requests, newest first. Back office: the pending queue by default."""
    if current_user.role == "partner":
        chosen = _status_filter(None)
        rows = price_requests.requests_of_partner(current_user.partner_id, status=chosen)
    else:
        chosen = _status_filter(PriceRequestStatus.PENDING.value)
        rows = price_requests.requests_for_staff(status=chosen)
    return _render(area, "price_requests.html", rows=rows, chosen=chosen or ALL)


def request_detail(area: Area, request_id: int):
    """One request; admins decide here (POST), with a note beside its field when refused."""
    req = _request_or_404(request_id)
    can_decide = current_user.role == "admin" and req.status == PriceRequestStatus.PENDING
    if request.method == "POST" and current_user.role != "admin":
        abort(404)  # operators and partners: no decision exists for them
    form = PriceDecisionForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            if form.refuse.data:
                price_requests.refuse(req.id, actor=current_user, note=form.note.data or "")
                flash("Demande refusée ; le partenaire est prévenu par courriel.")
            else:
                decision = price_requests.approve(
                    req.id, actor=current_user, note=form.note.data or ""
                )
                if decision.applied and req.for_new_offer:
                    flash("Nouvelle offre validée : elle est en vente avec ces prix.")
                elif decision.applied:
                    flash("Demande approuvée : les nouveaux prix s'appliquent.")
                else:
                    flash(f"Demande refusée d'office : {decision.reason}", "error")
        except DomainError as err:
            error = place_error(form, err)
        else:
            return redirect(area.url("price_request", request_id=req.id))
    if request.method == "POST":
        status = 422
    return _render(
        area,
        "price_request.html",
        status,
        req=req,
        offer=req.offer,
        form=form if can_decide else None,
        withdraw_form=WithdrawForm()
        if current_user.role == "partner"
        and req.status == PriceRequestStatus.PENDING
        and not req.for_new_offer  # a new offer waits for C.G.O.S
        else None,
        error=error,
    )


def withdraw(area: Area, request_id: int):
    """The partner takes back a pending request; the offer's prices stay."""
    if current_user.role != "partner":
        abort(404)
    req = _request_or_404(request_id)
    if WithdrawForm().validate_on_submit():
        try:
            price_requests.withdraw(req.id, partner_id=current_user.partner_id, actor=current_user)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash("Demande retirée : les prix de l'offre ne changent pas.")
    return redirect(area.url("price_request", request_id=req.id))


PAGES: tuple[tuple[str, str, Callable[..., Any], tuple[str, ...]], ...] = (
    ("/offres/demandes-prix", "price_requests", request_list, ("GET",)),
    (
        "/offres/demandes-prix/<int:request_id>",
        "price_request",
        request_detail,
        ("GET", "POST"),
    ),
    (
        "/offres/demandes-prix/<int:request_id>/retirer",
        "withdraw_price_request",
        withdraw,
        ("POST",),
    ),
)


def register_price_request_pages(bp: Blueprint, area: Area) -> None:
    for rule, endpoint, handler, methods in PAGES:
        bp.add_url_rule(rule, endpoint, _bind(handler, area), methods=list(methods))


def _bind(handler: Callable[..., Any], area: Area) -> Callable[..., Any]:
    @wraps(handler)
    def view(**kwargs: Any):
        if any(value > MAX_ID for value in kwargs.values()):
            abort(404)
        return handler(area, **kwargs)

    return view
