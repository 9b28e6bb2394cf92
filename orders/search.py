"""The operators' order list (R-OPS-1): a partial order number or an agent's N° C.G.O.S,
filtered by Paris dates, status, channel, payment method and payment links awaiting their
payer; newest first, read one page at a time in one statement."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, or_, select

from members.numbers import is_valid_cgos_number, normalise_cgos_number
from orders.models import Order
from orders.status import STATUS_LABELS, OrderStatus
from orders.terms import PHONE_CHANNELS
from shop.clock import PARIS

CHANNEL_LABELS = {"web": "Site", "phone": "Téléphone", "post": "Courrier"}
METHOD_LABELS = {"card": "Carte bancaire", "cheque": "Chèque"}
STATUS_CHOICES = {status.value: label for status, label in STATUS_LABELS.items()}
BAD_DATE = "Date invalide : saisissez-la sous la forme JJ/MM/AAAA."
BAD_RANGE = "La date de fin précède la date de début."
BAD_CHOICE = "Choisissez une valeur de la liste."
# « L26-000123 », « l26 123 », « 26-123 »: a year and an order id.
_FULL = re.compile(r"^L?(\d{2})-?(\d{1,6})$")


@dataclass
class OrderFilters:
    """What the operator typed, kept as typed for the form, and the errors beside it."""

    q: str = ""
    start: str = ""
    end: str = ""
    status: str = ""
    channel: str = ""
    method: str = ""
    awaiting_link: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    start_day: date | None = None
    end_day: date | None = None

    @property
    def any(self) -> bool:
        return bool(
            self.q
            or self.start
            or self.end
            or self.status
            or self.channel
            or self.method
            or self.awaiting_link
        )


def parse_day(raw: str) -> date | None:
    """``2027-03-01`` (a date field) or ``01/03/2027`` (typed); None when not a date."""
    raw = raw.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def parse_filters(args: Mapping[str, str]) -> OrderFilters:
    def arg(name: str, size: int = 40) -> str:
        return (args.get(name) or "").replace("\x00", "").strip()[:size]

    f = OrderFilters(
        q=arg("q"),
        start=arg("du", 20),
        end=arg("au", 20),
        status=arg("statut"),
        channel=arg("canal"),
        method=arg("paiement"),
        awaiting_link=arg("lien") in ("1", "on", "oui"),
    )
    for name, raw, attr in (("du", f.start, "start_day"), ("au", f.end, "end_day")):
        if raw:
            day = parse_day(raw)
            if day is None:
                f.errors[name] = BAD_DATE
            setattr(f, attr, day)
    if f.start_day and f.end_day and f.end_day < f.start_day:
        f.errors["au"] = BAD_RANGE
    for name, value, allowed in (
        ("statut", f.status, STATUS_CHOICES),
        ("canal", f.channel, CHANNEL_LABELS),
        ("paiement", f.method, METHOD_LABELS),
    ):
        if value and value not in allowed:
            f.errors[name] = BAD_CHOICE
    return f


def _utc_midnight(day: date) -> datetime:
    """Midnight of a Paris day, as the naive UTC the database holds."""
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


def number_condition(q: str) -> ColumnElement[bool] | None:
    """A partial order number: « 000123 » anywhere in it, « L26-0001 » at its start,
    « L26-14 » the order L26-000014 too; an agent's N° C.G.O.S: their orders."""
    typed = re.sub(r"\s+", "", q).upper()
    conds: list[ColumnElement[bool]] = []
    number = normalise_cgos_number(q)
    if is_valid_cgos_number(number):
        conds.append(Order.cgos_number == number)
    match = _FULL.match(typed)
    if match:
        year, seq = match.groups()
        conds.append(Order.number == f"L{year}-{int(seq):06d}")
        prefix = typed if typed.startswith("L") else f"L{typed}"
        if "-" in prefix:
            conds.append(Order.number.startswith(prefix, autoescape=True))
    if re.fullmatch(r"[A-Z0-9-]{3,20}", typed):
        conds.append(Order.number.contains(typed, autoescape=True))
    if not conds:
        return None
    return or_(*conds)


def order_search(f: OrderFilters) -> Select | None:
    """The ordered statement of the list, or None when the query cannot match anything."""
    conds: list[ColumnElement[bool]] = [Order.number.is_not(None)]
    if f.q:
        cond = number_condition(f.q)
        if cond is None:
            return None
        # The few matching ids first, then sorted: read in date order with the condition
        # tested row by row, SQLite walked the whole history for a rare partial number.
        conds.append(Order.id.in_(select(Order.id).where(cond)))
    if f.start_day:
        conds.append(Order.placed_at >= _utc_midnight(f.start_day))
    if f.end_day:
        conds.append(Order.placed_at < _utc_midnight(f.end_day + timedelta(days=1)))
    if f.status:
        conds.append(Order.status == OrderStatus(f.status))
    if f.channel:
        conds.append(Order.channel == f.channel)
    if f.method:
        conds.append(Order.payment_method == f.method)
    if f.awaiting_link:
        conds.append(
            and_(
                Order.channel.in_(PHONE_CHANNELS),
                Order.payment_method == "card",
                Order.status == OrderStatus.PENDING_PAYMENT,
            )
        )
    return select(Order).where(*conds).order_by(Order.placed_at.desc(), Order.id.desc())
