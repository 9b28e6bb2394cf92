"""Read side of the catalog for agents: listings, search, offer page (R-CAT-3…6).

Each page costs a fixed number of statements whatever the catalog size: a listing is one
count and one page query (next session, stock and first picture as scalar subqueries);
an offer page is the offer, its upcoming sessions and its picture ids.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import joinedload, selectinload

from catalog.models import (
    Offer,
    OfferPicture,
    OfferPictureSize,
    OfferSession,
    PictureFile,
    shown_to_agents,
)
from catalog.rules import LOW_STOCK_SHOWN, Kind
from catalog.search import allows_typos, known_variants, relevance, text_match
from catalog.text import search_terms
from partners.models import Partner
from shop import clock
from shop.clock import PARIS
from shop.db import get_db, read_connection, session
from shop.paging import clamp, last_page, window
from shop.speed import versions
from shop.speed.shared import cached

PER_PAGE = 24
SORTS = {
    "pertinence": "Pertinence",
    "date": "Date",
    "prix": "Prix croissant",
    "prix-desc": "Prix décroissant",
    "nouveautes": "Nouveautés",
}


@dataclass(frozen=True)
class Filters:
    q: str = ""
    category: str | None = None
    region: str | None = None  # a region name, or "national"
    date_from: date | None = None
    date_to: date | None = None
    delivery: str | None = None
    sort: str = "pertinence"
    page: int = 1


@dataclass(frozen=True)
class OfferCard:
    offer: Offer
    next_session_at: datetime | None
    session_stock: int | None
    picture_id: int | None

    @property
    def stock(self) -> int | None:
        return self.session_stock if self.offer.kind == Kind.BILLET_DATE else self.offer.stock


@dataclass
class Page:
    items: list[OfferCard]
    total: int
    page: int
    per_page: int = PER_PAGE
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = last_page(self.total, self.per_page)

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _utc_naive(day: date) -> datetime:
    """Midnight in Paris of ``day``, as stored (naive UTC)."""
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


def _upcoming(now: datetime):
    return and_(
        OfferSession.offer_id == Offer.id,
        OfferSession.starts_at > now,
        OfferSession.cancelled.is_(False),
    )


def _visible(stmt: Select, agent_region: str | None, now: datetime) -> Select:
    """R-CAT-4, R-PAR-10 and sales windows: published and approved by C.G.O.S, national or
    the agent's region, not closed."""
    return stmt.where(
        shown_to_agents(),
        or_(Offer.region.is_(None), Offer.region == agent_region),
        or_(Offer.sale_closes_at.is_(None), Offer.sale_closes_at > now),
    )


def _search_rows(
    filters: Filters, agent_region: str | None, now: datetime, count: bool, page: int
) -> tuple[int, list[tuple]]:
    """The total and one page of ``(offer id, next session, session stock, picture id)``."""
    next_session = select(func.min(OfferSession.starts_at)).where(_upcoming(now)).scalar_subquery()
    session_stock = (
        select(func.coalesce(func.sum(OfferSession.stock), 0))
        .where(_upcoming(now))
        .scalar_subquery()
    )
    picture = (
        select(OfferPicture.id)
        .where(OfferPicture.offer_id == Offer.id)
        .order_by(OfferPicture.position, OfferPicture.id)
        .limit(1)
        .scalar_subquery()
    )
    base = _visible(select(Offer.id), agent_region, now)
    # A dated event without any upcoming session is no longer for sale.
    base = base.where(or_(Offer.kind != Kind.BILLET_DATE, exists().where(_upcoming(now))))
    if filters.category:
        base = base.where(Offer.category == filters.category)
    if filters.region == "national":
        base = base.where(Offer.region.is_(None))
    elif filters.region:
        base = base.where(Offer.region == filters.region)
    if filters.delivery:
        base = base.where(Offer.deliveries.like(f"%{filters.delivery}%"))
    terms = search_terms(filters.q)
    if filters.q.strip() and not terms:  # « % », « a », « de »: no word to look for
        return 0, []
    if filters.date_from or filters.date_to:
        lo = _utc_naive(filters.date_from) if filters.date_from else now
        hi = _utc_naive(filters.date_to + timedelta(days=1)) if filters.date_to else None
        in_range = [OfferSession.starts_at >= lo]
        if hi is not None:
            in_range.append(OfferSession.starts_at < hi)
        stay_overlap = [Offer.kind == Kind.SEJOUR]
        if filters.date_to:
            stay_overlap.append(Offer.stay_starts_on <= filters.date_to)
        if filters.date_from:
            stay_overlap.append(Offer.stay_ends_on >= filters.date_from)
        base = base.where(or_(exists().where(_upcoming(now), *in_range), and_(*stay_overlap)))
    typos = False
    total = 0
    if terms:
        # R-CAT-5: the words as typed; when they find nothing, again with one typo each.
        worded = base.where(text_match(terms))
        if count:
            total = _count(worded)
            if total == 0 and allows_typos(terms):
                terms = known_variants(terms)
                if allows_typos(terms):  # some word has a neighbour in the catalog
                    typos = True
                    worded = base.where(text_match(terms, typos=True))
                    total = _count(worded)
        base = worded
    elif count:
        total = _count(base)
    if count and total == 0:
        return 0, []
    ids = base.subquery()
    if count:  # a page past the last shows the last (search_offers clamps it the same)
        page = clamp(page, total, PER_PAGE)
    stmt = select(Offer.id, next_session, session_stock, picture).where(
        Offer.id.in_(select(ids.c.id))
    )
    orders: dict[str, list[Any]] = {
        "date": [next_session.is_(None), next_session, Offer.stay_starts_on, Offer.id],
        "prix": [Offer.cgos_price_cents, Offer.id],
        "prix-desc": [Offer.cgos_price_cents.desc(), Offer.id],
        "nouveautes": [Offer.created_at.desc(), Offer.id.desc()],
    }
    pertinence = [Offer.featured.desc(), next_session.is_(None), next_session, Offer.id]
    if terms:  # the offers that are what was asked for first (R-CAT-5)
        pertinence.insert(0, relevance(terms, typos))
    order = orders.get(filters.sort, pertinence)
    rows = session().execute(window(stmt.order_by(*order), page, PER_PAGE))
    return total, [tuple(row) for row in rows]


def _count(stmt: Select) -> int:
    return session().scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _dump_rows(value: tuple[int, list[tuple]]) -> list:
    total, rows = value
    return [total, [[i, nxt.isoformat() if nxt else None, st, pic] for i, nxt, st, pic in rows]]


def _load_rows(raw: list) -> tuple[int, list[tuple]]:
    total, rows = raw
    return total, [
        (i, datetime.fromisoformat(nxt) if nxt else None, st, pic) for i, nxt, st, pic in rows
    ]


def search_offers(
    filters: Filters,
    agent_region: str | None,
    now: datetime,
    count: bool = True,
    per_page: int = PER_PAGE,
) -> Page:
    """R-CAT-5: words, filters, sort, pagination (``count=False`` skips the total).

    The sorted page of ids (the costly part: every visible offer's next session) is shared
    by all processes for ``CATALOG_CACHE_SECONDS`` when Redis is configured; the offers
    themselves are then read by primary key.
    """
    page = max(1, filters.page)
    key = f"search:{agent_region}:{int(count)}:{filters!r}"
    total, rows = cached(
        key,
        lambda: _search_rows(filters, agent_region, now, count, page),
        dump=_dump_rows,
        load=_load_rows,
    )
    offers: dict[int, Offer] = {}
    if rows:
        found = session().scalars(
            select(Offer)
            .where(Offer.id.in_([r[0] for r in rows]))
            .options(joinedload(Offer.partner))
        )
        offers = {o.id: o for o in found}
    items = [OfferCard(offers[i], nxt, stock, pic) for i, nxt, stock, pic in rows if i in offers]
    if count:
        page = clamp(page, total, PER_PAGE)
    return Page(items=items, total=total if count else len(items), page=page, per_page=per_page)


def featured_offers(agent_region: str | None, now: datetime, limit: int = 8) -> list[OfferCard]:
    filters = Filters(sort="pertinence")
    return search_offers(filters, agent_region, now, count=False, per_page=limit).items


def category_counts(agent_region: str | None, now: datetime) -> dict[str, int]:
    return cached(f"counts:{agent_region}", lambda: _category_counts(agent_region, now))


def _category_counts(agent_region: str | None, now: datetime) -> dict[str, int]:
    stmt = _visible(select(Offer.category, func.count()), agent_region, now).where(
        or_(Offer.kind != Kind.BILLET_DATE, exists().where(_upcoming(now)))
    )
    return dict(session().execute(stmt.group_by(Offer.category)).all())


@dataclass(frozen=True)
class OfferPage:
    offer: Offer
    sessions: list[OfferSession]


def offer_for_agent(offer_id: int, agent_region: str | None) -> OfferPage | None:
    """The offer if this agent may see it (unpublished or another region's: None → 404).

    Closed offers are still shown, with "Vente terminée".
    """
    now = clock.utcnow()
    offer = session().scalar(
        select(Offer)
        .where(
            Offer.id == offer_id,
            shown_to_agents(),
            or_(Offer.region.is_(None), Offer.region == agent_region),
        )
        .options(
            joinedload(Offer.partner),
            selectinload(Offer.pictures).load_only(
                OfferPicture.id,
                OfferPicture.alt,
                OfferPicture.position,
                OfferPicture.width,
                OfferPicture.height,
            ),
        )
    )
    if offer is None:
        return None
    sessions: list[OfferSession] = []
    if offer.kind == Kind.BILLET_DATE:
        sessions = list(
            session().scalars(
                select(OfferSession)
                .where(
                    OfferSession.offer_id == offer.id,
                    OfferSession.starts_at > now,
                    OfferSession.cancelled.is_(False),
                )
                .order_by(OfferSession.starts_at)
            )
        )
    return OfferPage(offer, sessions)


@dataclass(frozen=True)
class OfferVersion:
    """What an offer page shows, reduced to a digest: a rendered page is shared under it."""

    digest: str
    kind: str
    sale_opens_at: datetime | None
    sale_closes_at: datetime | None


# Separators and constants of the version statement are SQL literals: a bound parameter
# per separator (or an expanding one for the aggregate's) is work on every execution.
_FIELD_SEP = literal_column("'\x1f'", String)
_ROW_SEP = "'\x1e'"
_EMPTY = literal_column("''", String)


def _joined(*parts: Any) -> Any:
    """The parts as one string (NULL as empty), in SQL: one value to read back, not many."""
    text: ColumnElement[str] = func.coalesce(cast(parts[0], String), _EMPTY)
    for part in parts[1:]:
        text = text + _FIELD_SEP + func.coalesce(cast(part, String), _EMPTY)
    return text


def _aggregated(dialect: str, expr: Any) -> Any:
    if dialect == "postgresql":
        return func.string_agg(expr, literal_column(_ROW_SEP))
    return func.group_concat(expr, literal_column(_ROW_SEP))


def _stock_as_shown(column: Any) -> Any:
    """A stock above ``LOW_STOCK_SHOWN`` shows as « En stock » whatever its value: in the
    digest every such stock is one value, so a sale from a large stock keeps the page."""
    return case(
        (column > literal_column(str(LOW_STOCK_SHOWN)), literal_column(str(LOW_STOCK_SHOWN + 1))),
        else_=column,
    )


@functools.cache
def _version_query(dialect: str) -> Select:
    """Every column of the offer the page may show (the stock as shown), its partner's name,
    its upcoming sessions and its pictures, as three strings."""
    sessions = (
        select(
            _aggregated(
                dialect,
                _joined(
                    OfferSession.id,
                    OfferSession.starts_at,
                    _stock_as_shown(OfferSession.stock),
                    OfferSession.supply_state,
                    OfferSession.venue,
                    OfferSession.city,
                ),
            )
        )
        .where(
            OfferSession.offer_id == Offer.id,
            OfferSession.starts_at > bindparam("now"),
            OfferSession.cancelled.is_(False),
        )
        .scalar_subquery()
    )
    pictures = (
        select(
            _aggregated(
                dialect,
                _joined(
                    OfferPicture.id,
                    OfferPicture.position,
                    OfferPicture.alt,
                    OfferPicture.width,
                    OfferPicture.height,
                ),
            )
        )
        .where(OfferPicture.offer_id == Offer.id)
        .scalar_subquery()
    )
    shown = [
        _stock_as_shown(c) if c.name == "stock" else c
        for c in Offer.__table__.columns
        if c.name not in ("updated_at", "created_at", "search_text")
    ]
    return (
        select(
            Offer.kind,
            Offer.sale_opens_at,
            Offer.sale_closes_at,
            _joined(*shown, Partner.name).label("offer"),
            sessions.label("sessions"),
            pictures.label("pictures"),
        )
        .join(Partner, Partner.id == Offer.partner_id)
        .where(
            Offer.id == bindparam("offer_id"),
            shown_to_agents(),
            or_(Offer.region.is_(None), Offer.region == bindparam("region")),
        )
    )


def offer_page_version(
    offer_id: int, agent_region: str | None, now: datetime
) -> OfferVersion | None:
    """Every column the offer page reads, its upcoming sessions (live stock) and its
    pictures, in one statement and digested; None when the agent may not see the offer."""
    row = (
        read_connection()
        .execute(
            _version_query(get_db().dialect),
            {"offer_id": offer_id, "region": agent_region, "now": now},
        )
        .first()
    )
    if row is None:
        return None
    digest = versions.digest(f"{row.offer}\x1d{row.sessions}\x1d{row.pictures}")
    return OfferVersion(digest, row.kind, row.sale_opens_at, row.sale_closes_at)


def recent_offer_page_version(
    offer_id: int, agent_region: str | None, now: datetime
) -> OfferVersion | None:
    """``offer_page_version``, as read by this process less than a second ago
    (``shop.speed.versions``): a rush on one offer costs no query, and the stock it shows
    is never more than a second old. Orders always check the live stock (R-ORD-4)."""
    return versions.recent_version(
        ("offer", offer_id, agent_region),
        lambda: offer_page_version(offer_id, agent_region, now),
    )


def picture_for_agent(picture_id: int, agent_region: str | None) -> OfferPicture | None:
    return session().scalar(
        select(OfferPicture)
        .join(Offer)
        .where(
            OfferPicture.id == picture_id,
            shown_to_agents(),
            or_(Offer.region.is_(None), Offer.region == agent_region),
        )
    )


@dataclass(frozen=True)
class SizeFile:
    data: bytes
    content_type: str
    digest: str


def picture_size_for_agent(
    picture_id: int, kind: str, fmt: str, width: int, agent_region: str | None
) -> SizeFile | None:
    """The largest stored size of ``kind`` and ``fmt`` at most ``width`` wide (a picture
    narrower than a listed width has only its own), if this agent may see the offer."""
    row = (
        session()
        .execute(
            select(PictureFile.data, PictureFile.content_type, PictureFile.digest)
            .select_from(OfferPictureSize)
            .join(PictureFile, PictureFile.digest == OfferPictureSize.digest)
            .join(OfferPicture, OfferPicture.id == OfferPictureSize.picture_id)
            .join(Offer, Offer.id == OfferPicture.offer_id)
            .where(
                OfferPictureSize.picture_id == picture_id,
                OfferPictureSize.kind == kind,
                OfferPictureSize.fmt == fmt,
                OfferPictureSize.width <= width,
                shown_to_agents(),
                or_(Offer.region.is_(None), Offer.region == agent_region),
            )
            .order_by(OfferPictureSize.width.desc())
            .limit(1)
        )
        .first()
    )
    return None if row is None else SizeFile(row.data, row.content_type, row.digest)
