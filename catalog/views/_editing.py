"""Offer editing pages shared by the partner and the back-office audiences (R-CAT-7).

Both audiences get the same pages from ``register_offer_pages``; an ``Area`` says where
they live and which roles may change things there. Every offer is reached through
``offer_for_staff``, so a partner asking for another organisation's offer gets a 404
(R-PAR-1), on GET and on POST alike. Writes go through the catalog services, which
audit-log them (R-OPS-6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import defer, joinedload
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from catalog import price_requests, services
from catalog.categories import BY_SLUG
from catalog.forms import OfferForm, PictureForm, SessionForm, StockForm
from catalog.models import Offer, OfferPicture, OfferSession, PriceChangeRequest
from catalog.rules import (
    APPROVAL_LABELS,
    DELIVERY_LABELS,
    KIND_LABELS,
    PRICE_REQUEST_KIND_LABELS,
    PRICE_REQUEST_LABELS,
    SUPPLY_LABELS,
    Kind,
    PriceRequestStatus,
)
from catalog.sales import sales_by
from partners.models import Partner
from shop import clock
from shop.db import session
from shop.errors import DomainError
from shop.forms import MAX_ID, db_int, place_error
from shop.paging import fetch_page, requested_page

PAGE_SIZE = 50
# Room for the multipart envelope and the alt text around a picture of the largest size.
UPLOAD_LIMIT = services.MAX_PICTURE_BYTES + 64 * 1024
TOO_LARGE = "L'image dépasse 2 Mo."


@dataclass(frozen=True)
class Area:
    """Where the pages hang (``endpoint`` of the child blueprint) and who may edit there."""

    endpoint: str  # "partner.catalog" or "ops.catalog"
    label: str  # shown in the staff header
    nav: str  # template of the audience's menu
    editors: frozenset[str]  # roles allowed to create and change offers here

    def url(self, name: str, **values: Any) -> str:
        return url_for(f"{self.endpoint}.{name}", **values)

    @property
    def can_edit(self) -> bool:
        return current_user.role in self.editors


# -- helpers ------------------------------------------------------------------------------


def _offer_or_404(offer_id: int) -> Offer:
    """R-PAR-1: anyone else's offer does not exist for this user."""
    offer = services.offer_for_staff(offer_id, current_user)
    if offer is None:
        abort(404)
    return offer


def _is_admin() -> bool:
    return current_user.role == "admin"


def _partner_choices() -> list[SelectChoice]:
    partners = session().scalars(select(Partner).order_by(Partner.name, Partner.id))
    return [SelectChoice(str(p.id), p.name) for p in partners]


def _status(form: Any, error: str | None) -> int:
    return 422 if request.method == "POST" and (form.errors or error) else 200


def _render(area: Area, template: str, status: int = 200, **context: Any):
    return (
        render_template(
            f"staff/catalog/{template}",
            area=area,
            kind_labels=KIND_LABELS,
            delivery_labels=DELIVERY_LABELS,
            supply_labels=SUPPLY_LABELS,
            request_labels=PRICE_REQUEST_LABELS,
            request_kind_labels=PRICE_REQUEST_KIND_LABELS,
            approval_labels=APPROVAL_LABELS,
            categories=BY_SLUG,
            **context,
        ),
        status,
    )


def _pictures_of(offer_id: int) -> list[OfferPicture]:
    """Pictures without their bytes: a page lists them, the file route serves them."""
    return list(
        session().scalars(
            select(OfferPicture)
            .where(OfferPicture.offer_id == offer_id)
            .options(defer(OfferPicture.data))
            .order_by(OfferPicture.position, OfferPicture.id)
        )
    )


# -- pages --------------------------------------------------------------------------------


def offer_list(area: Area):
    """All offers the user may see, searchable by title; back office filters by partner."""
    q = (request.args.get("q") or "").replace("\x00", "").strip()[:200]
    partner_view = current_user.role == "partner"
    partner_filter = None if partner_view else request.args.get("partenaire", type=db_int)
    now = clock.utcnow()
    upcoming = (
        (OfferSession.offer_id == Offer.id)
        & (OfferSession.starts_at > now)
        & (OfferSession.cancelled.is_(False))
    )
    session_stock = (
        select(func.coalesce(func.sum(OfferSession.stock), 0)).where(upcoming).scalar_subquery()
    )
    session_count = select(func.count(OfferSession.id)).where(upcoming).scalar_subquery()
    stmt = select(Offer, session_stock, session_count).options(joinedload(Offer.partner))
    if partner_view:
        stmt = stmt.where(Offer.partner_id == current_user.partner_id)
    elif partner_filter:
        stmt = stmt.where(Offer.partner_id == partner_filter)
    for word in q.split()[:6]:
        stmt = stmt.where(Offer.title.icontains(word, autoescape=True))
    found = fetch_page(stmt.order_by(Offer.title, Offer.id), requested_page(), PAGE_SIZE)
    return _render(
        area,
        "list.html",
        rows=found.rows,
        sales=sales_by("offer", [row[0].id for row in found.rows]),
        paged=found,
        q=q,
        partner_filter=partner_filter,
        partners=[] if partner_view else _partner_choices(),
    )


def offer_detail(area: Area, offer_id: int):
    """Everything about one offer, read-only; links to the editing pages for editors."""
    offer = _offer_or_404(offer_id)
    return _render(
        area,
        "offer.html",
        offer=offer,
        sessions=offer.sessions,
        sales=sales_by("session", [s.id for s in offer.sessions]),
        offer_sales=sales_by("offer", [offer.id])[offer.id],
        pictures=_pictures_of(offer.id),
        price_requests=price_requests.requests_of_partner(
            offer.partner_id, offer_id=offer.id, limit=20
        ),
        now=clock.utcnow(),
    )


def new_offer(area: Area):
    admin = _is_admin()
    form = OfferForm(partner_choices=_partner_choices() if admin else None, editorial=admin)
    error = None
    if form.is_submitted():
        data = form.check(partner_id=current_user.partner_id)
        if not form.errors:
            try:
                if admin:
                    offer = services.create_offer(data, current_user)
                else:  # R-PAR-10: on sale once C.G.O.S approves it
                    offer, _ = price_requests.create_partner_offer(data, current_user)
            except DomainError as err:
                error = place_error(form, _form_field(err))
            else:
                flash(
                    "Offre créée."
                    + (" Ajoutez maintenant ses séances." if offer.kind == Kind.BILLET_DATE else "")
                )
                if not admin:
                    flash(
                        "Elle est en attente de validation par le C.G.O.S : les agents la "
                        "verront une fois ses prix approuvés."
                    )
                return redirect(area.url("offer", offer_id=offer.id))
    return _render(
        area, "offer_form.html", _status(form, error), form=form, offer=None, error=error
    )


def edit_offer(area: Area, offer_id: int):
    offer = _offer_or_404(offer_id)
    admin = _is_admin()
    form = OfferForm(
        data=OfferForm.initial(offer),
        partner_choices=_partner_choices() if admin else None,
        editorial=admin,
        with_stock=False,
        price_request=not admin,
    )
    error = None
    if form.is_submitted():
        # Stock has its own page (R-PAR-5); a change of kind needs a fitting value.
        if form.kind.data == Kind.BILLET_DATE:
            stock = None
        else:
            stock = offer.stock if offer.stock is not None else 0
        data = form.check(offer.partner_id, stock=stock, supply_state=offer.supply_state)
        if not admin:
            data.featured = offer.featured
        if not form.errors:
            try:
                if admin:  # admins change prices directly, audited (R-PAR-10)
                    services.update_offer(offer.id, data, current_user)
                    asked = None
                else:
                    _, asked = price_requests.save_partner_edit(
                        offer.id, data, current_user, form.price_reason.data or ""
                    )
            except DomainError as err:
                error = place_error(form, _form_field(err))
            else:
                flash("Offre enregistrée.")
                if asked is not None and asked.for_new_offer:
                    flash(
                        "L'offre est en attente de validation par le C.G.O.S, avec les prix "
                        "enregistrés : les agents la verront une fois approuvée."
                    )
                elif asked is not None:
                    flash(
                        "Le changement de prix est une demande soumise à C.G.O.S : les prix "
                        "actuels restent en vigueur jusqu'à sa décision."
                    )
                return redirect(area.url("offer", offer_id=offer.id))
    return _render(
        area,
        "offer_form.html",
        _status(form, error),
        form=form,
        offer=offer,
        error=error,
        pending=_pending_request(offer.id),
    )


def _form_field(err: DomainError) -> DomainError:
    """The services name amounts in cents, the form in euros; the reason is « price_reason »."""
    if err.field == "reason":
        err.field = "price_reason"
    elif err.field:
        err.field = err.field.removesuffix("_cents")
    return err


def _pending_request(offer_id: int) -> PriceChangeRequest | None:
    return session().scalar(
        select(PriceChangeRequest)
        .where(
            PriceChangeRequest.offer_id == offer_id,
            PriceChangeRequest.status == PriceRequestStatus.PENDING,
        )
        .order_by(PriceChangeRequest.id.desc())
        .limit(1)
    )


def sessions(area: Area, offer_id: int):
    """The dates of a dated event, and a form to add one (R-CAT-1)."""
    offer = _offer_or_404(offer_id)
    form = SessionForm(data={"supply_state": "en_stock"})
    error = None
    if form.validate_on_submit():
        try:
            services.save_session(offer.id, current_user, **form.session_kwargs())
        except DomainError as err:
            error = place_error(form, err)
        else:
            flash("Séance ajoutée.")
            return redirect(area.url("sessions", offer_id=offer.id))
    return _render(
        area,
        "sessions.html",
        _status(form, error),
        offer=offer,
        sessions=offer.sessions,
        sales=sales_by("session", [s.id for s in offer.sessions]),
        form=form,
        error=error,
        now=clock.utcnow(),
    )


def edit_session(area: Area, offer_id: int, session_id: int):
    offer = _offer_or_404(offer_id)
    row = next((s for s in offer.sessions if s.id == session_id), None)
    if row is None:
        abort(404)
    form = SessionForm(data=SessionForm.initial(row))
    error = None
    if form.validate_on_submit():
        try:
            services.save_session(
                offer.id, current_user, session_id=row.id, **form.session_kwargs()
            )
        except DomainError as err:
            error = place_error(form, err)
        else:
            flash("Séance enregistrée.")
            return redirect(area.url("sessions", offer_id=offer.id))
    return _render(
        area,
        "session_form.html",
        _status(form, error),
        offer=offer,
        row=row,
        form=form,
        error=error,
    )


def stock(area: Area, offer_id: int):
    """R-PAR-5: stock and supply state of an undated offer (dated ones: per session)."""
    offer = _offer_or_404(offer_id)
    form = StockForm(data={"stock": offer.stock, "supply_state": offer.supply_state})
    error = None
    if form.validate_on_submit():
        assert form.stock.data is not None, "InputRequired"
        try:
            services.set_offer_stock(
                offer.id, form.stock.data, form.supply_state.data, current_user
            )
        except DomainError as err:
            error = place_error(form, err)
        else:
            flash("Stock mis à jour.")
            return redirect(area.url("offer", offer_id=offer.id))
    return _render(area, "stock.html", _status(form, error), offer=offer, form=form, error=error)


def pictures(area: Area, offer_id: int):
    """Upload and list pictures; the service checks the content, not the file name."""
    offer = _offer_or_404(offer_id)
    error = None
    status = 200
    request.max_content_length = UPLOAD_LIMIT
    try:
        form = PictureForm()
    except RequestEntityTooLarge:
        # The body was refused unread: say so beside the field, as for any other refusal.
        form = PictureForm(formdata=None)
        form.picture.errors = [TOO_LARGE]
        status = 413
    else:
        if form.validate_on_submit():
            # Never read more than one byte past the limit, whatever the client sent.
            data = form.picture.data.stream.read(services.MAX_PICTURE_BYTES + 1)
            try:
                services.add_picture(offer.id, data, form.alt.data, current_user)
            except DomainError as err:
                error = place_error(form, err)
            else:
                flash("Image ajoutée.")
                return redirect(area.url("pictures", offer_id=offer.id))
        status = _status(form, error)
    return _render(
        area,
        "pictures.html",
        status,
        offer=offer,
        pictures=_pictures_of(offer.id),
        form=form,
        error=error,
    )


def delete_picture(area: Area, offer_id: int, picture_id: int):
    offer = _offer_or_404(offer_id)
    if picture_id not in {p.id for p in _pictures_of(offer.id)}:
        abort(404)
    try:
        services.delete_picture(offer.id, picture_id, current_user)
    except DomainError as err:
        flash(err.message, "error")
    else:
        flash("Image supprimée.")
    return redirect(area.url("pictures", offer_id=offer.id))


def picture_file(area: Area, offer_id: int, picture_id: int):
    offer = _offer_or_404(offer_id)
    pic = session().scalar(
        select(OfferPicture).where(OfferPicture.id == picture_id, OfferPicture.offer_id == offer.id)
    )
    if pic is None:
        abort(404)
    return Response(pic.data, mimetype=pic.content_type)


# -- wiring -------------------------------------------------------------------------------

# (rule, endpoint, handler, methods, editors only)
PAGES: tuple[tuple[str, str, Callable[..., Any], tuple[str, ...], bool], ...] = (
    ("/offres", "offers", offer_list, ("GET",), False),
    ("/offres/nouvelle", "new_offer", new_offer, ("GET", "POST"), True),
    ("/offres/<int:offer_id>", "offer", offer_detail, ("GET",), False),
    ("/offres/<int:offer_id>/modifier", "edit_offer", edit_offer, ("GET", "POST"), True),
    ("/offres/<int:offer_id>/seances", "sessions", sessions, ("GET", "POST"), True),
    (
        "/offres/<int:offer_id>/seances/<int:session_id>",
        "edit_session",
        edit_session,
        ("GET", "POST"),
        True,
    ),
    ("/offres/<int:offer_id>/stock", "stock", stock, ("GET", "POST"), True),
    ("/offres/<int:offer_id>/images", "pictures", pictures, ("GET", "POST"), True),
    (
        "/offres/<int:offer_id>/images/<int:picture_id>/supprimer",
        "delete_picture",
        delete_picture,
        ("POST",),
        True,
    ),
    (
        "/offres/<int:offer_id>/images/<int:picture_id>",
        "picture_file",
        picture_file,
        ("GET",),
        False,
    ),
)


def register_offer_pages(bp: Blueprint, area: Area) -> None:
    """Hang every offer page on ``bp``. Pages that change things answer 404 to users
    whose role may not edit in this area (operators in the back office), as the
    audience gates do: the page does not exist for them.
    """
    for rule, endpoint, handler, methods, editors_only in PAGES:
        bp.add_url_rule(rule, endpoint, _bind(handler, area, editors_only), methods=list(methods))


def _bind(handler: Callable[..., Any], area: Area, editors_only: bool) -> Callable[..., Any]:
    @wraps(handler)
    def view(**kwargs: Any):
        if editors_only and not area.can_edit:
            abort(404)
        if any(value > MAX_ID for value in kwargs.values()):
            abort(404)  # no such row, and the database would refuse the number
        return handler(area, **kwargs)

    return view
