"""Catalog pages for agents: home, category listings, search, offer page (R-CAT-2…6)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from catalog import queries
from catalog.categories import BY_SLUG, CATEGORIES, SECTIONS, in_section
from catalog.rules import (
    DELIVERY_LABELS,
    KIND_LABELS,
    MAX_YEAR,
    MIN_YEAR,
    SUPPLY_LABELS,
    Delivery,
    Kind,
    availability,
    on_sale,
    open_session_deliveries,
)
from members.regions import REGIONS
from shop import cache, clock
from shop.cache import cached
from shop.clock import MONTHS_FR
from shop.forms import db_int
from shop.paging import requested_page
from shop.shared_pages import shared_page
from vacations.views.agent import stay_context

bp = Blueprint("catalog", __name__)


def _parse_date(name: str, errors: dict[str, str]) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Date invalide : choisissez une date dans le calendrier (JJ/MM/AAAA)."
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:  # also keeps the Paris → UTC shift in range
        errors[name] = f"Date hors limites : choisissez une date entre {MIN_YEAR} et {MAX_YEAR}."
        return None
    return day


def _filters(category: str | None = None) -> tuple[queries.Filters, dict[str, str]]:
    errors: dict[str, str] = {}
    page = requested_page()
    cat = category or request.args.get("categorie") or None
    if cat and cat not in BY_SLUG:
        errors["categorie"] = "Catégorie inconnue."
        cat = None
    region = request.args.get("region") or None
    if region and region != "national" and region not in REGIONS:
        errors["region"] = "Région inconnue."
        region = None
    delivery = request.args.get("livraison") or None
    if delivery and delivery not in {d.value for d in Delivery}:
        errors["livraison"] = "Mode de livraison inconnu."
        delivery = None
    sort = request.args.get("tri") or "pertinence"
    if sort not in queries.SORTS:
        sort = "pertinence"
    date_from = _parse_date("du", errors)
    date_to = _parse_date("au", errors)
    if date_from and date_to and date_to < date_from:
        errors["au"] = "La date de fin doit suivre la date de début."
        date_to = None
    q = (request.args.get("q") or "").strip()[:200]
    return (
        queries.Filters(
            q=q,
            category=cat,
            region=region,
            date_from=date_from,
            date_to=date_to,
            delivery=delivery,
            sort=sort,
            page=page,
        ),
        errors,
    )


def _page_url(page: int) -> str:
    args = request.args.to_dict()
    args["page"] = str(page)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _cards_html(cards: list[queries.OfferCard]) -> str:
    return render_template("agent/catalog/_cards.html", cards=cards).strip()


def _rendered(html: str) -> Markup:
    """Cards our own autoescaped template produced, kept as text in the shared cache."""
    return Markup(html)  # noqa: S704 - escaped when rendered, never user input as such


@bp.route("/")
def home():
    """The cards depend on the region only: rendered once per ``CATALOG_CACHE_SECONDS`` and
    shared by every process when Redis is configured (the offer page and the cart stay live)."""
    region = current_user.record.region

    def render() -> str:
        now = clock.utcnow()
        featured = cached(
            f"html:featured:{region}", lambda: _cards_html(queries.featured_offers(region, now))
        )
        return render_template(
            "agent/catalog/home.html",
            featured_html=_rendered(featured),
            counts=queries.category_counts(region, now),
            sections=[(key, label, in_section(key)) for key, label in SECTIONS],
        )

    return shared_page(f"home:{region}", render)


_SHAREABLE_QUERY_BYTES = 512


def _listing(category: str | None, template: str):
    filters, errors = _filters(category)
    region = current_user.record.region

    def produce() -> dict[str, Any]:
        result = queries.search_offers(filters, region, clock.utcnow())
        return {"total": result.total, "page": result.page, "html": _cards_html(result.items)}

    def render() -> str:
        found = cached(f"html:listing:{region}:{filters!r}", produce)
        return render_template(
            template,
            page=queries.Page(items=[], total=found["total"], page=found["page"]),
            cards_html=_rendered(found["html"]),
            filters=filters,
            errors=errors,
            category=BY_SLUG.get(category) if category else None,
            categories=CATEGORIES,
            regions=REGIONS,
            agent_region=current_user.record.region,
            sorts=queries.SORTS,
            deliveries=DELIVERY_LABELS,
            page_url=_page_url,
        )

    # The page echoes every query argument (the form, the page links): all in the key. A
    # page with an error, or an unusually long address, is not worth sharing.
    if errors or len(request.query_string) > _SHAREABLE_QUERY_BYTES:
        return render()
    args = sorted(request.args.items(multi=True))
    return shared_page(f"listing:{region}:{request.endpoint}:{category}:{args!r}", render)


@bp.route("/categorie/<slug>")
def category(slug: str):
    if slug not in BY_SLUG:
        abort(404)
    return _listing(slug, "agent/catalog/listing.html")


@bp.route("/recherche")
def search():
    return _listing(None, "agent/catalog/listing.html")


def _month_grid(year: int, month: int) -> list[list[date | None]]:
    """Weeks from Monday; days of the neighbouring months left blank."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[d if d.month == month else None for d in week] for week in weeks]


@bp.route("/offre/<int:offer_id>")
def offer(offer_id: int):
    """Shared between agents under a digest of everything the page shows (live stock
    included, read at most once a second), the minute and whether the sale is open, so it
    is never more than a second staler than the database; stays depend on the agent's
    household and are always rendered."""
    selected_id = request.args.get("seance", type=db_int)
    if not cache.enabled():
        return render_offer(offer_id, selected_id)
    region = current_user.record.region
    now = clock.utcnow()
    version = queries.recent_offer_page_version(offer_id, region, now)
    if version is None:
        abort(404)
    if version.kind == Kind.SEJOUR:
        return render_offer(offer_id, selected_id)
    try:
        day = date.fromisoformat(request.args.get("jour") or "")
    except ValueError:
        day = None
    sale = (
        on_sale(version.sale_opens_at, version.sale_closes_at, now),
        version.sale_opens_at is not None and now < version.sale_opens_at,
    )
    key = f"offer:{offer_id}:{region}:{version.digest}:{now:%Y%m%d%H%M}:{sale}:{selected_id}:{day}"
    return shared_page(key, lambda: render_offer(offer_id, selected_id)[0])


def render_offer(
    offer_id: int,
    selected_id: int | None,
    error: str | None = None,
    error_field: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
):
    """The offer page; the cart re-renders it with a refused quantity beside its field."""
    found = queries.offer_for_agent(offer_id, current_user.record.region)
    if found is None:
        abort(404)
    offer, sessions = found.offer, found.sessions
    now_aware = clock.now()
    now = now_aware.replace(tzinfo=None)
    today = clock.today()
    sale_open = on_sale(offer.sale_opens_at, offer.sale_closes_at, now)
    not_yet = offer.sale_opens_at is not None and now < offer.sale_opens_at
    # Sessions grouped by Paris day for the calendar.
    by_day: dict[date, list] = {}
    for s in sessions:
        by_day.setdefault(clock.to_paris(s.starts_at).date(), []).append(s)
    selected = None
    if selected_id:
        selected = next((s for s in sessions if s.id == selected_id), None)
    chosen_day = None
    raw_day = request.args.get("jour")
    if selected is not None:
        chosen_day = clock.to_paris(selected.starts_at).date()
    elif raw_day:
        try:
            chosen_day = date.fromisoformat(raw_day)
        except ValueError:
            chosen_day = None
    months: list[tuple[str, list[list[date | None]]]] = []
    for key in sorted({(d.year, d.month) for d in by_day}):
        months.append((f"{MONTHS_FR[key[1] - 1]} {key[0]}", _month_grid(*key)))
    session_rows = []
    for s in by_day.get(chosen_day, []) if chosen_day else []:
        modes = open_session_deliveries(
            offer.delivery_set, s.starts_at, now, today, clock.to_paris(s.starts_at).date()
        )
        session_rows.append(
            {
                "session": s,
                "modes": modes,
                "availability": availability(
                    on_sale_now=sale_open,
                    not_yet_open=not_yet,
                    stock=s.stock,
                    supply_state=s.supply_state,
                    has_future_session=bool(modes),
                ),
            }
        )
    if offer.kind == Kind.BILLET_DATE:
        total_stock = sum(s.stock for s in sessions)
        avail = availability(
            on_sale_now=sale_open,
            not_yet_open=not_yet,
            stock=total_stock,
            supply_state="en_stock",
            has_future_session=bool(sessions),
        )
    else:
        avail = availability(
            on_sale_now=sale_open,
            not_yet_open=not_yet,
            stock=offer.stock,
            supply_state=offer.supply_state,
            has_future_session=offer.valid_until is None or offer.valid_until >= today,
        )
    modes_now = (
        [Delivery(m) for m in sorted(offer.delivery_set)] if offer.kind != Kind.BILLET_DATE else []
    )
    return render_template(
        "agent/catalog/offer.html",
        offer=offer,
        category=BY_SLUG.get(offer.category),
        kind_label=KIND_LABELS.get(offer.kind, offer.kind),
        availability=avail,
        months=months,
        by_day=by_day,
        chosen_day=chosen_day,
        selected=selected,
        session_rows=session_rows,
        modes_now=modes_now,
        delivery_labels=DELIVERY_LABELS,
        supply_labels=SUPPLY_LABELS,
        can_order=current_user.rights.can_order,
        error=error,
        error_field=error_field,
        values=values or {},
        today=today,
        **(
            stay_context(offer)
            if offer.kind == Kind.SEJOUR
            else {"stay": None, "prix_mini": None, "booking": None}
        ),
    ), status


@bp.route("/images/<int:picture_id>")
def picture(picture_id: int):
    from flask import Response

    pic = queries.picture_for_agent(picture_id, current_user.record.region)
    if pic is None:
        abort(404)
    resp = Response(pic.data, mimetype=pic.content_type)
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp
