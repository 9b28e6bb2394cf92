"""Partner fulfilment verbs: the shipment queue, marking a group shipped and entry control
(R-PAR-1…4, R-PAR-7, R-PAR-8). Everything is read for one partner: another partner's order is a 404.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from catalog.models import Offer, OfferSession
from orders.fees import GROUP_LABELS, Group
from orders.models import ETicket, Order, OrderLine
from orders.status import OrderStatus, ShipmentStatus, Step
from orders.transitions import transition
from partners import rules
from partners.models import ApiToken, Partner, Shipment
from shop import audit, clock
from shop.db import for_update, rowcount, session, unit_of_work
from shop.errors import DomainError, NotFound
from shop.mail import queue_mail

# Orders whose goods are paid for and may still have a group to post (R-PAR-2). A cheque
# order reaches ``paid`` only once its cheque is cashed, so options never appear here.
SHIPPABLE = (OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.PARTIALLY_REFUNDED)


@dataclass
class QueueEntry:
    """One physical group of one order for one partner, with its posting deadline."""

    order: Order
    group: str
    lines: list[OrderLine]
    deadline: datetime | None
    late: bool
    suggested_mode: str
    addresses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def group_label(self) -> str:
        return GROUP_LABELS.get(Group(self.group), self.group)


def _suggested_mode(order: Order, group: str) -> str:
    """The mode the agent paid for: the group's fee option."""
    option = next((f.option for f in order.fees if f.group == group and f.option), None)
    if option in rules.MODE_LABELS:
        return option
    return "r2" if group == Group.CHEQUES_CULTURE else "lettre_verte"


def _addresses(order: Order, group: str, lines: list[OrderLine]) -> list[dict[str, Any]]:
    """Where the group goes: paper tickets to the dossier address (R-FEE-1), cards and
    cheques possibly elsewhere (R-FEE-2), magazines to each line's address (R-FEE-3)."""
    if group == Group.MAGAZINES:
        found: list[dict[str, Any]] = []
        for line in lines:
            address = (line.options or {}).get("address")
            if address and address not in found:
                found.append(address)
        return found
    if group in (Group.CARTES, Group.CHEQUES_CULTURE) and order.card_address:
        return [order.card_address]
    return [order.ship_address]


def _entries(partner_id: int, orders: list[Order], shipped: set[tuple[int, str]], now: datetime):
    for order in orders:
        groups: dict[str, list[OrderLine]] = {}
        for line in order.lines:
            if line.partner_id == partner_id and line.group and line.status == "active":
                groups.setdefault(line.group, []).append(line)
        for group, lines in groups.items():
            if (order.id, group) in shipped:
                continue
            deadline = rules.posting_deadline([ln.session_starts_at for ln in lines])
            yield QueueEntry(
                order=order,
                group=group,
                lines=lines,
                deadline=deadline,
                late=rules.is_late(deadline, now),
                suggested_mode=_suggested_mode(order, group),
                addresses=_addresses(order, group, lines),
            )


def _shippable_orders(partner_id: int):
    has_group = (
        select(OrderLine.order_id)
        .where(OrderLine.partner_id == partner_id, OrderLine.group.is_not(None))
        .scalar_subquery()
    )
    return (
        select(Order)
        .where(Order.status.in_([s.value for s in SHIPPABLE]), Order.id.in_(has_group))
        .options(selectinload(Order.lines), selectinload(Order.fees))
    )


def _shipped_groups(partner_id: int, order_ids: list[int]) -> set[tuple[int, str]]:
    if not order_ids:
        return set()
    rows = session().execute(
        select(Shipment.order_id, Shipment.group).where(
            Shipment.partner_id == partner_id, Shipment.order_id.in_(order_ids)
        )
    )
    return {(r.order_id, r.group) for r in rows}


def _urgency(entry: QueueEntry) -> tuple[Any, ...]:
    # Most urgent first: dated groups by deadline, then the others by payment date.
    return (
        entry.deadline is None,
        entry.deadline or datetime.max,
        entry.order.paid_at or datetime.max,
        entry.order.id,
    )


def shipment_queue(partner_id: int) -> list[QueueEntry]:
    """R-PAR-2: the partner's physical groups still to post, most urgent first."""
    orders = list(session().scalars(_shippable_orders(partner_id)))
    shipped = _shipped_groups(partner_id, [o.id for o in orders])
    return sorted(_entries(partner_id, orders, shipped, clock.utcnow()), key=_urgency)


class AlreadyShipped(DomainError):
    """R-PAR-4: the group was posted already (the API answers 409)."""


def queue_entry(partner_id: int, order_number: str, group: str) -> QueueEntry:
    """One group of the partner's own order, shipped or not; anything else is a 404."""
    if not re.search(rules.ORDER_NUMBER_PATTERN, order_number) or group not in set(Group):
        raise NotFound()  # not even the form of one (and never a NUL sent to PostgreSQL)
    readable = [s.value for s in (*SHIPPABLE, OrderStatus.SHIPPED)]
    order = session().scalar(
        select(Order)
        .where(Order.number == order_number, Order.status.in_(readable))
        .options(selectinload(Order.lines), selectinload(Order.fees))
    )
    if order is None:
        raise NotFound()
    for entry in _entries(partner_id, [order], set(), clock.utcnow()):
        if entry.group == group:
            return entry
    raise NotFound()


def mark_shipped(
    partner_id: int, order_number: str, group: str, mode: str, tracking: str | None, *, actor: Any
) -> Shipment:
    """R-PAR-4: record a group as posted, move the order to (partially) shipped, and mail
    the agent the tracking number. Taken under the order's lock; a second call is refused."""
    tracking = (tracking or "").strip() or None
    error = rules.tracking_error(mode, tracking)
    if error:
        raise DomainError(error, field="tracking_number" if mode in rules.MODE_LABELS else "mode")
    item = ShipItem(order_number, group, mode, tracking)
    return record_shipments(partner_id, [item], actor=actor)[0]


@dataclass(frozen=True)
class ShipItem:
    """One parcel to record as posted (R-PAR-4); its tracking number already checked."""

    order_number: str
    group: str
    mode: str
    tracking: str | None


def entries_of(partner_id: int, orders: list[Order], now: datetime) -> list[QueueEntry]:
    """Every physical group of the partner in ``orders``, shipped or not."""
    return list(_entries(partner_id, orders, set(), now))


def record_shipments(partner_id: int, items: list[ShipItem], *, actor: Any) -> list[Shipment]:
    """R-PAR-4: the one code path that records parcels as posted, one or two hundred at
    once (the portal's slip, its bulk actions and CSV upload, the API): all or nothing,
    under the orders' locks, in a number of statements that does not grow with the
    parcels. Each shipment is audited and mails its agent (the outbox's one batch, sent
    after commit). A group that is not the partner's, or an order no longer shippable, is
    NotFound; a group already posted is AlreadyShipped."""
    if not items:
        return []
    with unit_of_work() as s:
        numbers = sorted({i.order_number for i in items})
        if not all(re.search(rules.ORDER_NUMBER_PATTERN, n) for n in numbers):
            raise NotFound()
        orders = {
            o.number: o
            for o in s.scalars(
                for_update(select(Order).where(Order.number.in_(numbers)), of=Order)
                .order_by(Order.id)  # always the same lock order: no deadlock between batches
                .options(selectinload(Order.lines), selectinload(Order.fees))
                .execution_options(populate_existing=True)
            )
        }
        now = clock.utcnow()
        entries: dict[tuple[str, str], QueueEntry] = {}
        for order in orders.values():
            if order.status in SHIPPABLE:
                for entry in _entries(partner_id, [order], set(), now):
                    entries[(order.number or "", entry.group)] = entry
        chosen = []
        for item in items:
            entry = entries.get((item.order_number, item.group))
            if entry is None:
                raise NotFound()
            chosen.append((item, entry))
        ids = sorted({entry.order.id for _, entry in chosen})
        done: dict[int, set[tuple[int, str]]] = {i: set() for i in ids}
        for r in s.execute(
            select(Shipment.order_id, Shipment.partner_id, Shipment.group).where(
                Shipment.order_id.in_(ids)
            )
        ):
            done[r.order_id].add((r.partner_id, r.group))
        shipments = []
        shipped = transition(Shipment, ShipmentStatus.SHIPPED, step=Step.SHIP, actor=actor)
        for item, entry in chosen:
            if (partner_id, item.group) in done[entry.order.id]:
                message = "Ce colis est déjà marqué comme expédié."
                raise AlreadyShipped(message, rule="R-PAR-4")
            done[entry.order.id].add((partner_id, item.group))
            shipments.append(
                Shipment(
                    order_id=entry.order.id,
                    partner_id=partner_id,
                    group=item.group,
                    mode=item.mode,
                    tracking_number=rules.normalise_tracking(item.tracking) or None,
                    shipped_at=now,
                    shipped_by=audit.actor_label(actor),
                    status=shipped,
                )
            )
        rows = [
            {c.key: getattr(shipment, c.key) for c in Shipment.__table__.columns if c.key != "id"}
            for shipment in shipments
        ]
        try:
            with s.begin_nested():
                # One executemany, even on SQLite, where the ORM would insert row by row to
                # read each id back; nothing here needs the ids.
                s.execute(insert(Shipment), rows)
        except IntegrityError:
            message = "Ce colis est déjà marqué comme expédié."
            raise AlreadyShipped(message, rule="R-PAR-4") from None
        before = {entry.order.id: entry.order.status for _, entry in chosen}
        complete: dict[int, bool] = {}
        # Per order, for the mail: its only parcel or not, and what is still to come.
        sole: dict[int, bool] = {}
        remaining: dict[int, list[str]] = {}
        for _, entry in chosen:
            order = entry.order
            if order.id in complete:
                continue
            active = [ln for ln in order.lines if ln.group and ln.status == "active"]
            groups = {(ln.partner_id, ln.group) for ln in active}
            complete[order.id] = groups <= done[order.id]
            sole[order.id] = len(groups) == 1
            remaining[order.id] = sorted(
                {GROUP_LABELS.get(Group(str(g)), str(g)) for _p, g in groups - done[order.id]}
            )
            target = OrderStatus.SHIPPED if complete[order.id] else OrderStatus.PARTIALLY_SHIPPED
            if order.status != target:
                transition(order, target, step=Step.SHIP, actor=actor)
        for (item, entry), shipment in zip(chosen, shipments, strict=True):
            order = entry.order
            audit.record(
                actor,
                "order.shipped",
                f"order:{order.number}",
                before={"status": before[order.id]},
                after={
                    "status": order.status,
                    "group": item.group,
                    "mode": item.mode,
                    "tracking": shipment.tracking_number,
                },
            )
            queue_mail(
                order.contact_email,
                "partners/shipped",
                f"Commande {order.number} expédiée",
                order=order,
                shipment=shipment,
                group_label=entry.group_label,
                mode_label=rules.MODE_LABELS[item.mode],
                complete=complete[order.id],
                sole=sole[order.id],
                remaining=remaining[order.id],
            )
    return shipments


def shipments_of(order_id: int) -> list[Shipment]:
    """What has been posted for an order, for « Mes commandes »."""
    return list(
        session().scalars(
            select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.shipped_at)
        )
    )


def shipments_of_orders(order_ids: Sequence[int]) -> dict[int, list[Shipment]]:
    """What has been posted for each of these orders, in one statement (the operators'
    agent record, R-OPS-1)."""
    found: dict[int, list[Shipment]] = {}
    if not order_ids:
        return found
    for shipment in session().scalars(
        select(Shipment)
        .where(Shipment.order_id.in_(list(order_ids)))
        .order_by(Shipment.shipped_at, Shipment.id)
    ):
        found.setdefault(shipment.order_id, []).append(shipment)
    return found


@dataclass(frozen=True)
class ControlSession:
    """A session a controller may choose at the door (R-PAR-8), with its counts: tickets
    sold (paid lines), e-billets expected and e-billets already admitted."""

    id: int
    title: str
    starts_at: datetime
    venue: str | None
    city: str | None
    today: bool
    sold: int = 0
    expected: int = 0
    admitted: int = 0
    remaining: int = 0  # places still on sale (the session's stock)


@dataclass(frozen=True)
class ScanResult:
    verdict: str  # valide | deja_utilise | autre_seance | invalide
    message: str
    used_at: datetime | None = None
    title: str | None = None
    starts_at: datetime | None = None  # the ticket's session (Paris time shown)
    venue: str | None = None
    holder: str | None = None
    ticket_number: str | None = None  # "n/N" within the order line, as printed
    order_number: str | None = None


SCAN_LABELS = {
    "valide": "Valide",
    "deja_utilise": "Déjà utilisé",
    "autre_seance": "Autre séance",
    "invalide": "Invalide",
}
_ADMITTING = (
    OrderStatus.PAID,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.PARTIALLY_REFUNDED,
)
_ADMITTING_VALUES = [x.value for x in _ADMITTING]


def _session_rows(partner_id: int, session_ids: list[int] | None = None) -> list[Any]:
    stmt = (
        select(OfferSession, Offer.title, Offer.venue, Offer.city)
        .join(Offer, Offer.id == OfferSession.offer_id)
        .where(Offer.partner_id == partner_id, OfferSession.cancelled.is_(False))
    )
    if session_ids is not None:
        stmt = stmt.where(OfferSession.id.in_(session_ids))
    return list(session().execute(stmt.order_by(OfferSession.starts_at, OfferSession.id)))


def _counts(session_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """(sold, expected, admitted) per session: two grouped queries, whatever the number."""
    if not session_ids:
        return {}
    paid = (OrderLine.session_id.in_(session_ids), Order.status.in_(_ADMITTING_VALUES))
    sold = {
        sid: qty
        for sid, qty in session().execute(
            select(OrderLine.session_id, func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(*paid, OrderLine.status == "active")
            .group_by(OrderLine.session_id)
        )
    }
    tickets = {
        sid: (expected, admitted)
        for sid, expected, admitted in session().execute(
            select(
                OrderLine.session_id,
                func.count(ETicket.id),
                func.count(ETicket.used_at),
            )
            .join(OrderLine, OrderLine.id == ETicket.order_line_id)
            .join(Order, Order.id == ETicket.order_id)
            .where(*paid, OrderLine.status == "active", ETicket.status == "valid")
            .group_by(OrderLine.session_id)
        )
    }
    return {sid: (int(sold.get(sid, 0)), *tickets.get(sid, (0, 0))) for sid in session_ids}


def _control_session(row: Any, counts: tuple[int, int, int], today: date) -> ControlSession:
    offer_session, title, offer_venue, offer_city = row
    return ControlSession(
        id=offer_session.id,
        title=title,
        starts_at=offer_session.starts_at,
        venue=offer_session.venue or offer_venue,  # a session's own venue, else the offer's
        city=offer_session.city or offer_city,
        today=clock.to_paris(offer_session.starts_at).date() == today,
        sold=counts[0],
        expected=counts[1],
        admitted=counts[2],
        remaining=offer_session.stock,
    )


def control_sessions(partner_id: int) -> list[ControlSession]:
    """R-PAR-8: the partner's sessions a door may control: today's (Paris) first, then the
    upcoming ones by date; past days and cancelled sessions are left out."""
    today = clock.today()
    rows = [r for r in _session_rows(partner_id) if clock.to_paris(r[0].starts_at).date() >= today]
    counts = _counts([r[0].id for r in rows])
    found = [_control_session(r, counts[r[0].id], today) for r in rows]
    return sorted(found, key=lambda c: (not c.today, c.starts_at, c.id))


def control_session(partner_id: int, session_id: int) -> ControlSession:
    """One of the partner's sessions (past ones too: a show running past midnight);
    another partner's, a cancelled or an unknown session is NotFound (R-PAR-1)."""
    rows = _session_rows(partner_id, [session_id])
    if not rows:
        raise NotFound()
    return _control_session(rows[0], _counts([session_id])[session_id], clock.today())


def _ticket_for(partner_id: int, secret: str):
    stmt = (
        select(ETicket, OrderLine, Order)
        .join(OrderLine, OrderLine.id == ETicket.order_line_id)
        .join(Order, Order.id == ETicket.order_id)
        .where(ETicket.secret == secret, OrderLine.partner_id == partner_id)
    )
    return session().execute(stmt).first()


def scan(partner_id: int, code: str, session_id: int, *, actor: Any) -> ScanResult:
    """R-PAR-7, R-PAR-8: the first scan of a valid ticket for the chosen session admits and
    marks it used; later scans say when it was first used. A ticket of another session
    answers *autre séance* with its date and is not marked used. Another partner's, a
    cancelled or an unknown ticket is invalid. The caller has checked that the session is
    the partner's (``control_session``).

    The conditional UPDATE … WHERE used_at IS NULL is the arbiter: of two simultaneous
    scans only one changes the row, so they never both answer *valide*."""
    secret = rules.normalise_ticket_code(code)
    invalid = ScanResult("invalide", "Billet invalide.")
    if not rules.is_ticket_code(secret):
        return invalid  # a NUL, a control or a look-alike character matches no ticket
    with unit_of_work() as s:
        row = _ticket_for(partner_id, secret)
        if row is None:
            return invalid
        ticket, line, order = row
        if (
            ticket.status != "valid"
            or line.status != "active"
            or order.status not in _ADMITTING_VALUES
        ):
            return invalid
        details = {
            "title": line.title,
            "starts_at": line.session_starts_at,
            "venue": line.venue,
            "holder": ticket.holder,
            "ticket_number": f"{ticket.seq}/{line.quantity}",
            "order_number": order.number,
        }
        if line.session_id != session_id:
            when = (
                f"le {clock.format_datetime_fr(line.session_starts_at)}"
                if line.session_starts_at
                else "un billet non daté"
            )
            return ScanResult(
                "autre_seance", f"Billet pour une autre séance : {when}.", None, **details
            )
        now = clock.utcnow()
        changed = rowcount(
            s.execute(
                update(ETicket)
                .where(ETicket.id == ticket.id, ETicket.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
        )
        if changed == 1:
            audit.record(
                actor, "eticket.scanned", f"eticket:{ticket.id}", after={"used_at": str(now)}
            )
            return ScanResult("valide", "Billet valide : entrée autorisée.", now, **details)
        first = s.scalar(select(ETicket.used_at).where(ETicket.id == ticket.id))
        return ScanResult("deja_utilise", "Billet déjà utilisé.", first, **details)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(partner_slug: str, name: str, *, actor: Any) -> str:
    """R-PAR-6: a new API token for a partner; only its hash is kept, the token is
    returned once to be handed over."""
    raw = "cgos_" + secrets.token_urlsafe(32)
    with unit_of_work() as s:
        partner = s.scalar(select(Partner).where(Partner.slug == partner_slug))
        if partner is None:
            raise DomainError(f"Partenaire inconnu : {partner_slug}.", field="partner")
        token = ApiToken(
            partner_id=partner.id,
            name=name.strip()[:120] or "API",
            token_hash=hash_token(raw),
            created_at=clock.utcnow(),
        )
        s.add(token)
        s.flush()
        audit.record(actor, "api_token.created", f"partner:{partner.slug}", after={"id": token.id})
    return raw


def revoke_token(token_id: int, *, actor: Any) -> None:
    """R-PAR-6: a revoked token answers 401 from then on; the row stays for the record."""
    with unit_of_work() as s:
        token = s.get(ApiToken, token_id)
        if token is None:
            raise NotFound()
        if token.revoked_at is None:
            token.revoked_at = clock.utcnow()
            audit.record(actor, "api_token.revoked", f"api_token:{token.id}")


def authenticate_token(raw: str) -> ApiToken | None:
    """The live token matching ``raw``, its last use stamped; None when unknown or revoked."""
    if not raw or len(raw) > 200:
        return None
    with unit_of_work() as s:
        token = s.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None)
            )
        )
        if token is not None:
            token.last_used_at = clock.utcnow()
    return token
