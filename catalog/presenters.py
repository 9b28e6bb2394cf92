"""The agent's offer page, built once for every view that shows it: the catalog's own
route, the cart and the stay booking re-rendering it with a refused field (R-CAT-2…6).

Views import this presenter, never each other. A domain above the catalog that adds a part
to the page for its kind of offer (vacations: a stay's prices, booking form and Prix mini
draw) registers a section builder for that kind when it is wired into the app
(``add_offer_section``); the page template reads the keys it returns.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import abort, render_template, request
from flask_login import current_user
from markupsafe import escape

from catalog import queries
from catalog.categories import BY_SLUG
from catalog.models import Offer
from catalog.rules import (
    DELIVERY_LABELS,
    KIND_LABELS,
    SUPPLY_LABELS,
    Delivery,
    Kind,
    availability,
    on_sale,
    open_session_deliveries,
)
from shop import clock
from shop.clock import MONTHS_FR

# The page's keys for a kind-specific section, when no section applies.
_NO_SECTION: dict[str, Any] = {"stay": None, "prix_mini": None, "booking": None}
_SECTIONS: dict[str, Callable[[Offer], dict[str, Any]]] = {}


def add_offer_section(kind: str, build: Callable[[Offer], dict[str, Any]]) -> None:
    """Offers of ``kind`` get ``build(offer)``'s keys on their page (the keys of
    ``_NO_SECTION``); idempotent."""
    _SECTIONS[kind] = build


# The household's remaining cap beside the participation (R-CAP-1): personal, while the
# page is shared between agents (``shop.speed.pages``). The page carries this marker
# (private-use characters, not those of the shared page's own markers) and each request
# fills it with the amount the domain that knows the cap registered (``orders``).
CAP_MARK = "\ue002plafond\ue003"
_remaining_cap: list[Callable[[], str]] = []


def set_remaining_cap(amount: Callable[[], str]) -> None:
    """``amount()``: the viewer's remaining cap, formatted; idempotent."""
    _remaining_cap[:] = [amount]


def fill_personal(page: str | bytes) -> str | bytes:
    """The offer page with this viewer's remaining cap in place of ``CAP_MARK``."""
    if isinstance(page, str):
        if CAP_MARK not in page:
            return page
        return page.replace(CAP_MARK, _cap_text())
    mark = CAP_MARK.encode()
    if mark not in page:
        return page
    return page.replace(mark, _cap_text().encode())


def _cap_text() -> str:
    return str(escape(_remaining_cap[0]() if _remaining_cap else "—"))


def _month_grid(year: int, month: int) -> list[list[date | None]]:
    """Weeks from Monday; days of the neighbouring months left blank."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[d if d.month == month else None for d in week] for week in weeks]


def render_offer(
    offer_id: int,
    selected_id: int | None,
    error: str | None = None,
    error_field: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
):
    """The offer page; the cart re-renders it with a refused quantity beside its field."""
    html, code = offer_page(offer_id, selected_id, error, error_field, values, status)
    return fill_personal(html), code


def offer_page(
    offer_id: int,
    selected_id: int | None,
    error: str | None = None,
    error_field: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The page as every agent of the region sees it, the personal marker unfilled."""
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
    # The calendar is a filter of the session list: ``?jour=`` keeps that day's sessions.
    chosen_day = None
    raw_day = request.args.get("jour")
    if raw_day:
        try:
            chosen_day = date.fromisoformat(raw_day)
        except ValueError:
            chosen_day = None
    months: list[tuple[str, list[list[date | None]]]] = []
    for key in sorted({(d.year, d.month) for d in by_day}):
        months.append((f"{MONTHS_FR[key[1] - 1]} {key[0]}", _month_grid(*key)))
    # One row per session, each with its own stock state and the delivery modes open now
    # (R-CAT-3, R-CAT-6); a day chosen in the calendar hides the others (all are in the
    # page: the script filters again without reloading).
    session_rows: list[dict[str, Any]] = []
    for s in sessions:
        day = clock.to_paris(s.starts_at).date()
        modes = open_session_deliveries(offer.delivery_set, s.starts_at, now, today, day)
        session_rows.append(
            {
                "session": s,
                "day": day,
                "shown": not chosen_day or day == chosen_day,
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
    orderable = [r for r in session_rows if r["availability"].orderable]
    shown = [r for r in orderable if r["shown"]]
    if selected is None and len(shown) == 1:
        selected = shown[0]["session"]  # the only choice is made already
    # Every mode some listed session offers now, in the usual order: the form lists them
    # all, the script disables those the chosen session does not offer (the cart refuses
    # them anyway).
    session_modes = [m for m in Delivery if any(m in r["modes"] for r in orderable)]
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
        session_modes=session_modes,
        modes_now=modes_now,
        delivery_labels=DELIVERY_LABELS,
        supply_labels=SUPPLY_LABELS,
        can_order=current_user.rights.can_order,
        error=error,
        error_field=error_field,
        values=values or {},
        today=today,
        cap_mark=CAP_MARK,
        **(_SECTIONS[offer.kind](offer) if offer.kind in _SECTIONS else _NO_SECTION),
    ), status
