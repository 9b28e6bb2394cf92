"""A fulfilment house's parcels at scale (issue 19; R-PAR-2, R-PAR-3, R-PAR-4, R-PAR-6):
the queue filtered, sorted by urgency and read a page at a time, a selection of parcels,
its pick list, shipping many at once (by selection or by CSV upload) and correcting a
tracking number.

Every read costs the same few statements whatever the number of parcels: one query finds
the page's (order, group) keys, sorted and filtered in SQL; one more each loads their
orders, lines, fees and shipments. Recording goes through ``services.record_shipments``,
the one code path of R-PAR-4."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select, tuple_
from sqlalchemy.orm import selectinload

from orders.fees import GROUP_LABELS, Group
from orders.models import Order, OrderFee, OrderLine
from orders.status import OrderStatus
from partners import rules, services
from partners.models import Shipment
from partners.services import SHIPPABLE, QueueEntry, ShipItem
from shop import audit, clock, paging
from shop.db import for_update, session, unit_of_work
from shop.errors import DomainError, NotFound
from shop.mail import queue_mail

STATUS_LABELS = {"to_ship": "À expédier", "shipped": "Expédiés"}
# Orders whose parcels may be listed: still to post, or posted (the « Expédiés » filter).
READABLE = [s.value for s in (*SHIPPABLE, OrderStatus.SHIPPED)]
SHIPPABLE_VALUES = [s.value for s in SHIPPABLE]
# Sorts after every real date: undated parcels, and orders without a payment date, last.
NEVER = datetime(9999, 12, 31)
EPOCH = datetime(1970, 1, 1)
PER_PAGE = 50
MAX_SELECTION = 500  # parcels in one bulk action (PDF, pick list, ship)


@dataclass(frozen=True)
class ParcelFilters:
    """What the queue shows (R-PAR-2): a paid mode, a session, the late ones, to ship or
    shipped."""

    mode: str | None = None
    session_id: int | None = None
    late: bool = False
    status: str = "to_ship"


@dataclass
class Parcel:
    """One physical group of one order, with its shipment once posted."""

    entry: QueueEntry
    shipment: Shipment | None = None

    @property
    def key(self) -> str:
        """How a parcel is named in a form: « L26-000123/billets »."""
        return f"{self.entry.order.number}/{self.entry.group}"

    @property
    def first_session(self) -> datetime | None:
        dated = [ln.session_starts_at for ln in self.entry.lines if ln.session_starts_at]
        return min(dated) if dated else None

    @property
    def late(self) -> bool:
        return self.shipment is None and self.entry.late


def _mode_expr(group_col: Any, order_col: Any) -> Any:
    """The mode the agent paid for, in SQL (``services._suggested_mode``)."""
    paid = (
        select(OrderFee.option)
        .where(
            OrderFee.order_id == order_col,
            OrderFee.group == group_col,
            OrderFee.option.in_(list(rules.MODE_LABELS)),
        )
        .order_by(OrderFee.id)
        .limit(1)
        .scalar_subquery()
    )
    default = case((group_col == Group.CHEQUES_CULTURE.value, "r2"), else_="lettre_verte")
    return func.coalesce(paid, default)


def _keys(partner_id: int, filters: ParcelFilters, now: datetime) -> tuple[Select, Any]:
    """The (order, group) keys of the partner's parcels matching ``filters``, with their
    sort key, most urgent first: earliest posting deadline, then oldest payment."""
    statuses = SHIPPABLE_VALUES if filters.status == "to_ship" else READABLE
    grouped = (
        select(
            OrderLine.order_id.label("order_id"),
            OrderLine.group.label("group"),
            func.min(OrderLine.session_starts_at).label("first_session"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.partner_id == partner_id,
            OrderLine.group.is_not(None),
            OrderLine.status == "active",
            Order.status.in_(statuses),
        )
        .group_by(OrderLine.order_id, OrderLine.group)
    )
    if filters.session_id is not None:
        hit = case((OrderLine.session_id == filters.session_id, 1), else_=0)
        grouped = grouped.having(func.sum(hit) > 0)
    g = grouped.subquery()
    deadline_key = func.coalesce(g.c.first_session, literal(NEVER, Order.paid_at.type))
    paid_key = func.coalesce(Order.paid_at, literal(NEVER, Order.paid_at.type))
    sort = tuple_(deadline_key, paid_key, g.c.order_id, g.c.group)
    stmt = (
        select(
            g.c.order_id,
            g.c.group,
            deadline_key.label("deadline_key"),
            paid_key.label("paid_key"),
        )
        .join(Order, Order.id == g.c.order_id)
        .outerjoin(
            Shipment,
            and_(
                Shipment.order_id == g.c.order_id,
                Shipment.partner_id == partner_id,
                Shipment.group == g.c.group,
            ),
        )
    )
    if filters.status == "to_ship":
        stmt = stmt.where(Shipment.id.is_(None))
    elif filters.status == "shipped":
        stmt = stmt.where(Shipment.id.is_not(None))
    if filters.late:
        soon = now + timedelta(days=rules.POSTING_DAYS)
        stmt = stmt.where(g.c.first_session.is_not(None), g.c.first_session < soon)
        if filters.status != "to_ship":
            stmt = stmt.where(Shipment.id.is_(None))
    if filters.mode is not None:
        stmt = stmt.where(_mode_expr(g.c.group, g.c.order_id) == filters.mode)
    order = (deadline_key, paid_key, g.c.order_id, g.c.group)
    return stmt.order_by(*order), sort


def _hydrate(partner_id: int, rows: list[Any]) -> list[Parcel]:
    """The parcels of ``rows`` (keys in order), in four statements whatever their number."""
    if not rows:
        return []
    ids = sorted({r.order_id for r in rows})
    orders = list(
        session().scalars(
            select(Order)
            .where(Order.id.in_(ids))
            .options(selectinload(Order.lines), selectinload(Order.fees))
        )
    )
    shipments = {
        (s.order_id, s.group): s
        for s in session().scalars(
            select(Shipment).where(Shipment.partner_id == partner_id, Shipment.order_id.in_(ids))
        )
    }
    entries = {
        (e.order.id, e.group): e for e in services.entries_of(partner_id, orders, clock.utcnow())
    }
    found = []
    for r in rows:
        entry = entries.get((r.order_id, r.group))
        if entry is not None:
            found.append(Parcel(entry, shipments.get((r.order_id, r.group))))
    return found


def queue_page(
    partner_id: int, filters: ParcelFilters, page: int, per_page: int = PER_PAGE
) -> paging.Paged:
    """R-PAR-2: one page of the queue, most urgent first (``page`` past the end: the last)."""
    stmt, _ = _keys(partner_id, filters, clock.utcnow())
    paged = paging.fetch_page(stmt, page, per_page)
    return paging.Paged(_hydrate(partner_id, paged.rows), paged.page, paged.has_next)


def keyset_page(
    partner_id: int,
    filters: ParcelFilters,
    after: tuple[datetime, datetime, int, str] | None,
    limit: int,
) -> tuple[list[Parcel], tuple[datetime, datetime, int, str] | None]:
    """R-PAR-6: the parcels after the sort key ``after``, and the key to continue from
    (None on the last page). The key is the urgency itself, so a page stays right while
    parcels are shipped or paid between two calls."""
    stmt, sort = _keys(partner_id, filters, clock.utcnow())
    if after is not None:
        stmt = stmt.where(sort > tuple_(*(literal(v) for v in after)))
    rows = list(session().execute(stmt.limit(limit + 1)))
    parcels = _hydrate(partner_id, rows[:limit])
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return parcels, (
        (last.deadline_key, last.paid_key, last.order_id, last.group) if last else None
    )


def iter_parcels(
    partner_id: int, filters: ParcelFilters, batch: int = 200
) -> Iterator[list[Parcel]]:
    """Every matching parcel in urgency order, ``batch`` at a time, each batch its own
    few queries (no server-side cursor, nothing held open between batches)."""
    after = None
    while True:
        parcels, after = keyset_page(partner_id, filters, after, batch)
        if parcels:
            yield parcels
        if after is None:
            return


def encode_key(key: tuple[datetime, datetime, int, str]) -> str:
    """An API cursor: « <deadline µs>:<payment µs>:<order id>:<group> »."""
    deadline, paid, order_id, group = key
    return f"{_micros(deadline)}:{_micros(paid)}:{order_id}:{group}"


def decode_key(raw: str) -> tuple[datetime, datetime, int, str]:
    deadline, paid, order_id, group = raw.strip().split(":", 3)
    return _from_micros(int(deadline)), _from_micros(int(paid)), int(order_id), group


def _micros(value: datetime | str) -> int:
    if isinstance(value, str):  # SQLite hands a coalesce() back as text
        value = datetime.fromisoformat(value)
    return (value - EPOCH) // timedelta(microseconds=1)


def _from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=min(value, _micros(NEVER)))


def session_choices(partner_id: int) -> list[tuple[int, str, datetime | None]]:
    """The sessions of the partner's parcels still to post, for the queue's filter."""
    rows = session().execute(
        select(OrderLine.session_id, OrderLine.title, OrderLine.session_starts_at)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.partner_id == partner_id,
            OrderLine.group.is_not(None),
            OrderLine.session_id.is_not(None),
            Order.status.in_(READABLE),
        )
        .distinct()
        .order_by(OrderLine.session_starts_at, OrderLine.session_id)
    )
    seen: dict[int, tuple[int, str, datetime | None]] = {}
    for sid, title, starts in rows:
        if sid is not None:
            seen.setdefault(sid, (sid, title, starts))
    return list(seen.values())


def parse_key(raw: str) -> tuple[str, str]:
    """« L26-000123/billets » → (order number, group); anything else names no parcel."""
    number, _, group = (raw or "").strip().partition("/")
    if not re.search(rules.ORDER_NUMBER_PATTERN, number) or group not in set(Group):
        raise NotFound()
    return number, group


def selected(partner_id: int, raw_keys: list[str]) -> list[Parcel]:
    """The chosen parcels of the partner, shipped or not, in urgency order. One that is
    not the partner's (or names nothing) makes the whole selection a 404 (R-PAR-1)."""
    keys = {parse_key(k) for k in raw_keys}
    if not keys:
        raise DomainError("Sélectionnez au moins un colis.", field="colis")
    if len(keys) > MAX_SELECTION:
        raise DomainError(f"{MAX_SELECTION} colis au plus à la fois.", field="colis")
    stmt, _ = _keys(partner_id, ParcelFilters(status="all"), clock.utcnow())
    numbers = sorted({n for n, _ in keys})
    stmt = stmt.where(Order.number.in_(numbers))
    parcels = [
        p
        for p in _hydrate(partner_id, list(session().execute(stmt)))
        if (p.entry.order.number, p.entry.group) in keys
    ]
    if len(parcels) != len(keys):
        raise NotFound()
    return parcels


@dataclass(frozen=True)
class PickRow:
    title: str
    session_starts_at: datetime | None
    quantity: int
    parcels: int


def pick_list(parcels: list[Parcel]) -> tuple[list[PickRow], dict[str, int]]:
    """R-PAR-3: what to take from the shelves for ``parcels``: one row per article and
    session (quantities summed, parcels counted), by article then date; and the total
    per article."""
    rows: dict[tuple[str, datetime | None], list[int]] = {}
    for parcel in parcels:
        for line in parcel.entry.lines:
            row = rows.setdefault((line.title, line.session_starts_at), [0, 0])
            row[0] += line.quantity
            row[1] += 1
    ordered = sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1] or NEVER))
    found = [PickRow(title, starts, qty, n) for (title, starts), (qty, n) in ordered]
    totals: dict[str, int] = {}
    for pick in found:
        totals[pick.title] = totals.get(pick.title, 0) + pick.quantity
    return found, totals


def ship_selection(partner_id: int, raw_keys: list[str], mode: str, *, actor: Any) -> int:
    """R-PAR-4: the chosen parcels posted with one mode that has no tracking number (a
    number per parcel comes by CSV). Parcels already posted are left as they are; the
    number recorded now is returned."""
    if mode not in rules.MODE_LABELS:
        raise DomainError("Choisissez un mode d'envoi.", field="mode")
    if mode in rules.TRACKED_MODES:
        raise DomainError(
            f"Un envoi « {rules.MODE_LABELS[mode]} » a un numéro de suivi par colis : "
            "importez-les avec le fichier CSV (colonnes commande, groupe, mode, numero_suivi).",
            field="mode",
        )
    parcels = selected(partner_id, raw_keys)
    items = [
        ShipItem(p.entry.order.number or "", p.entry.group, mode, None)
        for p in parcels
        if p.shipment is None
    ]
    return len(services.record_shipments(partner_id, items, actor=actor))


# --- CSV upload (R-PAR-4) ---------------------------------------------------------------

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UPLOAD_ROWS = 5000
# Column names as the address export writes them, and what else people type.
_COLUMNS = {
    "commande": "order_number",
    "numero_commande": "order_number",
    "order_number": "order_number",
    "groupe": "group",
    "colis": "group",
    "group": "group",
    "mode": "mode",
    "mode_envoi": "mode",
    "numero_suivi": "tracking",
    "suivi": "tracking",
    "numero_de_suivi": "tracking",
    "tracking_number": "tracking",
}
_LABEL_MODES = {rules.MODE_LABELS[m].casefold(): m for m in rules.MODE_LABELS}
_LABEL_GROUPS = {str(label).casefold(): str(g) for g, label in GROUP_LABELS.items()}


@dataclass(frozen=True)
class LineError:
    line: int  # as a spreadsheet numbers it: the header is line 1
    field: str
    message: str


@dataclass
class UploadResult:
    shipped: int = 0
    already: int = 0
    errors: list[LineError] = field(default_factory=list)


def _column(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.strip().lower()).strip("_")


def read_csv(data: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[LineError]]:
    """The rows of an uploaded file, by column (UTF-8 with or without BOM, ``;`` or ``,``
    between cells, headers as the address export writes them)."""
    if len(data) > MAX_UPLOAD_BYTES:
        return [], [LineError(0, "fichier", "Le fichier dépasse 2 Mo.")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [LineError(0, "fichier", "Le fichier doit être enregistré en UTF-8.")]
    if "\x00" in text:
        return [], [LineError(0, "fichier", "Ce fichier n'est pas un fichier CSV.")]
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if not header:
            return [], [LineError(0, "fichier", "Le fichier est vide.")]
        names = [_COLUMNS.get(_column(h)) for h in header]
        missing = [
            c for c in ("commande", "groupe", "mode", "numero_suivi") if _COLUMNS[c] not in names
        ]
        if missing:
            message = "Colonnes manquantes : " + ", ".join(missing) + "."
            return [], [LineError(1, "fichier", message)]
        rows: list[tuple[int, dict[str, str]]] = []
        for cells in reader:
            number = reader.line_num  # the file's line, as a text editor numbers it
            if not any(c.strip() for c in cells):
                continue  # an empty line, as spreadsheets leave at the end
            if len(rows) >= MAX_UPLOAD_ROWS:
                message = f"{MAX_UPLOAD_ROWS} lignes au plus par fichier."
                return [], [LineError(number, "fichier", message)]
            row: dict[str, str] = {}
            for name, cell in zip(names, cells, strict=False):
                if name and name not in row:
                    row[name] = cell.strip()
            rows.append((number, row))
    except csv.Error:
        return [], [LineError(0, "fichier", "Ce fichier n'est pas un fichier CSV lisible.")]
    if not rows:
        return [], [LineError(0, "fichier", "Le fichier ne contient aucune ligne de colis.")]
    return rows, []


def _item(row: dict[str, str]) -> tuple[ShipItem | None, list[tuple[str, str]]]:
    """A row as a parcel to post, or what is wrong with it (field, French message)."""
    errors = []
    number = row.get("order_number", "").upper()
    if not re.search(rules.ORDER_NUMBER_PATTERN, number):
        errors.append(("commande", "Numéro de commande invalide (ex. L26-000123)."))
    raw_group = row.get("group", "").casefold()
    group = raw_group if raw_group in set(Group) else _LABEL_GROUPS.get(raw_group)
    if group is None:
        errors.append(("groupe", "Groupe inconnu : " + ", ".join(g.value for g in Group) + "."))
    raw_mode = row.get("mode", "").casefold()
    mode = raw_mode if raw_mode in rules.MODE_LABELS else _LABEL_MODES.get(raw_mode)
    tracking = row.get("tracking", "") or None
    if mode is None:
        errors.append(("mode", "Mode inconnu : " + ", ".join(rules.MODE_LABELS) + "."))
    else:
        error = rules.tracking_error(mode, tracking)
        if error:
            errors.append(("numero_suivi", error))
    if errors or group is None or mode is None:
        return None, errors
    return ShipItem(number, group, mode, rules.normalise_tracking(tracking) or None), []


def check_items(
    partner_id: int, items: list[tuple[int, ShipItem]]
) -> tuple[list[ShipItem], int, list[LineError]]:
    """R-PAR-4: the parcels to record among well-formed ``items`` (numbered), those already
    recorded identically (skipped: sending the same file twice changes nothing), and the
    errors: a parcel that is not the partner's, one posted with another mode or number, one
    named twice differently. Two statements whatever the number of items."""
    errors: list[LineError] = []
    stmt, _ = _keys(partner_id, ParcelFilters(status="all"), clock.utcnow())
    numbers = sorted({i.order_number for _, i in items})
    rows = list(session().execute(stmt.where(Order.number.in_(numbers)))) if numbers else []
    known = {(p.entry.order.number, p.entry.group): p for p in _hydrate(partner_id, rows)}
    seen: dict[tuple[str, str], ShipItem] = {}
    todo: list[ShipItem] = []
    already = 0
    for line, item in items:
        key = (item.order_number, item.group)
        if key in seen:
            if seen[key] != item:
                message = "Ce colis figure déjà plus haut avec un autre mode ou numéro."
                errors.append(LineError(line, "commande", message))
            continue
        seen[key] = item
        parcel = known.get(key)
        if parcel is None:
            errors.append(LineError(line, "commande", "Colis introuvable parmi les vôtres."))
        elif parcel.shipment is not None:
            same = (parcel.shipment.mode, parcel.shipment.tracking_number) == (
                item.mode,
                item.tracking,
            )
            if same:
                already += 1
            else:
                message = (
                    "Colis déjà expédié avec un autre mode ou numéro de suivi : "
                    "corrigez-le depuis son bon de préparation."
                )
                errors.append(LineError(line, "numero_suivi", message))
        else:
            todo.append(item)
    return todo, already, errors


def upload_shipments(partner_id: int, data: bytes, *, actor: Any) -> UploadResult:
    """R-PAR-4: mark shipped every parcel of an uploaded CSV, all or nothing: every row is
    checked first, and one wrong row records nothing (its errors are listed per line)."""
    rows, errors = read_csv(data)
    if errors:
        return UploadResult(errors=errors)
    items = []
    for line, row in rows:
        item, problems = _item(row)
        errors += [LineError(line, f, m) for f, m in problems]
        if item is not None:
            items.append((line, item))
    todo, already, more = check_items(partner_id, items)
    errors += more
    if errors:
        return UploadResult(errors=sorted(errors, key=lambda e: e.line))
    shipped = services.record_shipments(partner_id, todo, actor=actor)
    return UploadResult(shipped=len(shipped), already=already)


# --- Correcting a tracking number (R-PAR-4) --------------------------------------------


def correct_tracking(
    partner_id: int, order_number: str, group: str, tracking: str | None, *, actor: Any
) -> Shipment:
    """R-PAR-4: a posted parcel's tracking number replaced (a typo, a relabelled parcel),
    checked for its mode; audited with the old and new numbers, and the agent is mailed
    the new one. The same number again changes nothing."""
    parse_key(f"{order_number}/{group}")
    with unit_of_work() as s:
        shipment = s.scalar(
            for_update(
                select(Shipment)
                .join(Order, Order.id == Shipment.order_id)
                .where(
                    Order.number == order_number,
                    Shipment.partner_id == partner_id,
                    Shipment.group == group,
                ),
                of=Shipment,
            ).execution_options(populate_existing=True)
        )
        if shipment is None:
            raise NotFound()
        tracking = (tracking or "").strip()
        error = rules.tracking_error(shipment.mode, tracking)
        if not error and not tracking:
            error = "Saisissez le nouveau numéro de suivi."
        if error:
            raise DomainError(error, field="tracking_number")
        new = rules.normalise_tracking(tracking)
        old = shipment.tracking_number
        if new == old:
            return shipment
        shipment.tracking_number = new
        order = s.get(Order, shipment.order_id)
        assert order is not None  # a shipment's order is never deleted
        audit.record(
            actor,
            "shipment.tracking_corrected",
            f"order:{order.number}",
            before={"group": group, "tracking": old},
            after={"group": group, "tracking": new},
        )
        queue_mail(
            order.contact_email,
            "partners/tracking_corrected",
            f"Commande {order.number} : nouveau numéro de suivi",
            order=order,
            shipment=shipment,
            group_label=GROUP_LABELS.get(Group(group), group),
            mode_label=rules.MODE_LABELS.get(shipment.mode, shipment.mode),
            old_tracking=old,
        )
    return shipment


# --- Address export (R-PAR-3) -----------------------------------------------------------


def iter_address_rows(partner_id: int, batch: int = 200) -> Iterator[list[str]]:
    """R-PAR-3: one row per address of each parcel to post, most urgent first, read in
    batches so a long queue is never held in memory at once."""
    for parcels in iter_parcels(partner_id, ParcelFilters(), batch):
        for p in parcels:
            e = p.entry
            articles = " ; ".join(f"{ln.quantity} × {ln.title}" for ln in e.lines)
            dates = sorted({ln.session_starts_at for ln in e.lines if ln.session_starts_at})
            sessions = " ; ".join(clock.format_datetime_fr(d) for d in dates)
            deadline = clock.format_datetime_fr(e.deadline) if e.deadline else ""
            for a in e.addresses:
                yield [
                    e.order.number or "",
                    e.group,
                    a.get("name", e.order.holder_name),
                    a.get("line1", ""),
                    a.get("line2", ""),
                    a.get("postal_code", ""),
                    a.get("city", ""),
                    a.get("country", ""),
                    str(sum(ln.quantity for ln in e.lines)),
                    e.suggested_mode,
                    articles,
                    sessions,
                    deadline,
                    "oui" if e.late else "non",
                    "",
                ]


def shipment_of(partner_id: int, order_number: str, group: str) -> Shipment:
    """The partner's shipment of that parcel; anything else (not posted, another partner's,
    no such order) is NotFound."""
    parse_key(f"{order_number}/{group}")
    shipment = session().scalar(
        select(Shipment)
        .join(Order, Order.id == Shipment.order_id)
        .where(
            Order.number == order_number,
            Shipment.partner_id == partner_id,
            Shipment.group == group,
        )
    )
    if shipment is None:
        raise NotFound()
    return shipment
