"""« Ajouter à mon agenda » (R-AGT-3): an iCalendar file (RFC 5545) for a paid order's
dated tickets and stays, built with the ``icalendar`` library.

One event per dated ticket line (its session's start, in Europe/Paris time with the zone
described in the file; no end time is known, so none is invented: RFC 5545 then reads the
event as ending when it starts) and one all-day event per stay (arrival day to departure
day included). UIDs are made of the order number and the line id, so importing the file
twice updates the same events instead of duplicating them.
"""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event

from catalog.rules import Kind
from orders.models import Order, OrderLine
from orders.receipts import RECEIPT_STATES, stays_of, venues_of
from shop import clock

UID_DOMAIN = "loisirs.cgos"


def uid(order: Order, line: OrderLine) -> str:
    """Stable across downloads: the same event is updated, never duplicated."""
    return f"{order.number}-{line.id}@{UID_DOMAIN}"


def dated_lines(order: Order) -> list[OrderLine]:
    """The lines an agenda can hold: active dated tickets and stays of a paid order."""
    if order.status not in RECEIPT_STATES or order.paid_at is None:
        return []
    return [
        li
        for li in order.lines
        if li.status == "active" and (li.session_starts_at is not None or li.kind == Kind.SEJOUR)
    ]


def render_ics(order: Order, order_url: str) -> bytes | None:
    """The order's events as one calendar, or None when it has nothing dated."""
    lines = dated_lines(order)
    if not lines:
        return None
    cal = Calendar()
    cal.add("prodid", "-//C.G.O.S//CGOS Loisirs//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    stamp = (order.paid_at or order.placed_at).replace(tzinfo=clock.UTC)
    stays = {facts.line.id: facts for facts in stays_of(order)}
    venues = venues_of(order)
    for line in lines:
        event = Event()
        event.add("uid", uid(order, line))
        event.add("dtstamp", stamp)
        event.add("summary", line.title)
        note = f"Commande {order.number}"
        if line.session_starts_at is not None:
            event.add("dtstart", clock.to_paris(line.session_starts_at))
            place = venues.get(line.id, [])
            note += f" — {line.quantity} billet{'s' if line.quantity > 1 else ''}"
        else:
            facts = stays.get(line.id)
            if facts is None or facts.starts_on is None:
                continue
            event.add("dtstart", facts.starts_on)
            # DTEND of an all-day event is exclusive: the day after departure.
            event.add("dtend", (facts.ends_on or facts.starts_on) + timedelta(days=1))
            place = [p for p in (facts.venue, facts.address, facts.city) if p]
            if facts.participants:
                note += f" — {facts.participants}"
        if place:
            event.add("location", ", ".join(place))
        event.add("description", f"{note}\n{order_url}")
        event.add("url", order_url)
        cal.add_component(event)
    if not cal.subcomponents:
        return None
    cal.add_missing_timezones()
    return cal.to_ical()
