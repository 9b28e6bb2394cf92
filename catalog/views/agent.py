"""Catalog pages for agents: home, category listings, search, offer page (R-CAT-2…6)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from catalog import queries
from catalog.categories import BY_SLUG, CATEGORIES, SECTIONS, in_section
from catalog.pictures import CARD, WIDTHS, photo_box
from catalog.presenters import fill_personal, offer_page, render_offer
from catalog.rules import (
    DELIVERY_LABELS,
    LOW_STOCK_SHOWN,
    MAX_YEAR,
    MIN_YEAR,
    Delivery,
    Kind,
    on_sale,
)
from members.regions import REGIONS
from shop import clock
from shop.forms import db_int
from shop.paging import requested_page
from shop.speed import shared
from shop.speed.pages import shared_page
from shop.speed.shared import cached

bp = Blueprint("catalog", __name__)
# The catalog's pages show « plus que N » under this stock (R-CAT-3).
bp.record_once(lambda state: state.app.jinja_env.globals.update(low_stock_shown=LOW_STOCK_SHOWN))
# Offer pictures' sizes (issue 21, templates agent/catalog/_picture.html).
bp.record_once(
    lambda state: state.app.jinja_env.globals.update(card_widths=WIDTHS[CARD], photo_box=photo_box)
)


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
    args: dict[str, Any] = request.args.to_dict()
    args["page"] = str(page)
    assert request.endpoint is not None, "the request has matched this view"
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


@bp.route("/offre/<int:offer_id>")
def offer(offer_id: int):
    """Shared between agents under a digest of everything the page shows (live stock
    included, read at most once a second), the minute and whether the sale is open, so it
    is never more than a second staler than the database; stays depend on the agent's
    household and are always rendered."""
    selected_id = request.args.get("seance", type=db_int)
    if not shared.enabled():
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
    return fill_personal(shared_page(key, lambda: offer_page(offer_id, selected_id)[0]))


@bp.route("/images/<int:picture_id>")
def picture(picture_id: int):
    """The picture as stored (up to 2400 px): the pages show its sizes instead."""
    pic = queries.picture_for_agent(picture_id, current_user.record.region)
    if pic is None:
        abort(404)
    resp = Response(pic.data, mimetype=pic.content_type)
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


@bp.route("/images/<int:picture_id>/<any(vignette, photo):kind>-<int:width>.<any(webp, jpg):fmt>")
def picture_size(picture_id: int, kind: str, width: int, fmt: str):
    """One size of a picture (issue 21). A picture's sizes never change (a new picture gets
    a new id), so browsers keep them a year without asking again; the ETag is the SHA-256
    of the bytes. A picture stored before its sizes existed is served as stored."""
    found = queries.picture_size_for_agent(picture_id, kind, fmt, width, current_user.record.region)
    if found is None:
        return picture(picture_id)
    resp = Response(found.data, mimetype=found.content_type)
    resp.set_etag(found.digest)
    resp.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return resp.make_conditional(request)
