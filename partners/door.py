"""Entry control that survives the venue's network (R-PAR-9).

The control page keeps, on the door's device, the list of the chosen session's tickets —
each named by a hash of its secret, never the secret — so that it can decide alone while
the network is down, and queues what it decided. Every scan the page makes, live or
queued, is recorded here once per (partner, device, local id): a replayed queue changes
nothing. Queued scans are applied in the order they were made; a ticket's used time is its
earliest admitting scan, and a ticket admitted twice is kept and answered as a conflict.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from orders.models import ETicket, Order, OrderLine
from partners import rules, services
from partners.models import DoorScan
from shop import audit, clock
from shop.db import for_update, session, unit_of_work
from shop.errors import DomainError

LABELS = {**services.SCAN_LABELS, "inconnu": "Inconnu hors ligne"}
# What the device may have decided offline. « inconnu »: a code missing from the session's
# list (another session's ticket, a ticket sold after the list was taken, a typo): refused.
LOCAL_VERDICTS = frozenset({"valide", "deja_utilise", "invalide", "inconnu"})
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEVICE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_BATCH = 500
CODE_MAX = 200


def ticket_hash(session_id: int, secret: str) -> str:
    """What the device keeps of a ticket: SHA-256 of ``"<session id>:<normalised code>"``,
    the same digest the page computes with WebCrypto from what it scanned."""
    return hashlib.sha256(f"{session_id}:{secret}".encode()).hexdigest()


@dataclass(frozen=True)
class DoorTicket:
    hash: str
    holder: str
    number: str
    status: str  # valid | used | cancelled
    used_at: datetime | None


def ticket_list(partner_id: int, session_id: int) -> list[DoorTicket]:
    """R-PAR-9: the session's e-billets for the device. Cancelled and replaced tickets are
    listed too, so that offline they answer *invalide* rather than *inconnu*. Another
    partner's session is a 404 (``control_session``)."""
    services.control_session(partner_id, session_id)
    rows = session().execute(
        select(ETicket, OrderLine.quantity, OrderLine.status, Order.status)
        .join(OrderLine, OrderLine.id == ETicket.order_line_id)
        .join(Order, Order.id == ETicket.order_id)
        .where(OrderLine.session_id == session_id, OrderLine.partner_id == partner_id)
        .order_by(ETicket.id)
    )
    found = []
    for ticket, quantity, line_status, order_status in rows:
        live = (
            ticket.status == "valid"
            and line_status == "active"
            and order_status in services._ADMITTING_VALUES
        )
        status = "cancelled" if not live else "used" if ticket.used_at else "valid"
        found.append(
            DoorTicket(
                hash=ticket_hash(session_id, ticket.secret),
                holder=ticket.holder,
                number=f"{ticket.seq}/{quantity}",
                status=status,
                used_at=ticket.used_at,
            )
        )
    return found


@dataclass(frozen=True)
class DoorScanIn:
    """One scan as the device sends it; ``local_verdict`` None: decide now (online)."""

    local_id: str
    code: str
    scanned_at: datetime
    local_verdict: str | None = None


@dataclass
class DoorOutcome:
    local_id: str
    verdict: str
    message: str
    conflict: bool = False
    replayed: bool = False
    used_at: datetime | None = None
    holder: str | None = None
    ticket_number: str | None = None
    title: str | None = None
    starts_at: datetime | None = None
    venue: str | None = None
    order_number: str | None = None

    @property
    def label(self) -> str:
        return LABELS[self.verdict]


def _text(item: dict[str, Any], key: str, pattern: re.Pattern[str], message: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not pattern.search(value):
        raise DomainError(message, field=key)
    return value


def parse_device(body: Any) -> str:
    if not isinstance(body, dict):
        raise DomainError("Le corps de la requête doit être un objet JSON.")
    return _text(body, "device_id", DEVICE_PATTERN, "Identifiant d'appareil invalide.")


def parse_scan(item: Any, *, queued: bool) -> DoorScanIn:
    """One scan of the page's JSON; malformed input is a DomainError (a 422)."""
    if not isinstance(item, dict):
        raise DomainError("Chaque scan doit être un objet JSON.")
    local_id = _text(item, "id", ID_PATTERN, "Identifiant de scan invalide.")
    code = item.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > CODE_MAX:
        raise DomainError("Le code du billet est obligatoire.", field="code")
    if not queued:
        return DoorScanIn(local_id, code, clock.utcnow())
    stamp = item.get("scanned_at")
    if isinstance(stamp, bool) or not isinstance(stamp, int) or not 0 < stamp < 2**53:
        raise DomainError("« scanned_at » : l'heure du scan en millisecondes.", field="scanned_at")
    verdict = item.get("verdict")
    if verdict not in LOCAL_VERDICTS:
        raise DomainError("« verdict » : la décision prise hors ligne.", field="verdict")
    scanned_at = datetime.fromtimestamp(stamp / 1000, UTC).replace(tzinfo=None)
    # A device's clock running ahead cannot place a scan in the future.
    return DoorScanIn(local_id, code, min(scanned_at, clock.utcnow()), verdict)


def parse_queue(body: Any) -> tuple[str, list[DoorScanIn]]:
    device = parse_device(body)
    scans = body.get("scans")
    if not isinstance(scans, list) or not 1 <= len(scans) <= MAX_BATCH:
        raise DomainError(f"« scans » : de 1 à {MAX_BATCH} scans.", field="scans")
    return device, [parse_scan(item, queued=True) for item in scans]


def apply_scans(
    partner_id: int, session_id: int, device_id: str, scans: list[DoorScanIn], *, actor: Any
) -> list[DoorOutcome]:
    """R-PAR-9: apply the device's scans in the order they were made (scan time, then the
    order sent), each in its own transaction; answers in that order. Another partner's
    session is a 404."""
    services.control_session(partner_id, session_id)
    ordered = sorted(enumerate(scans), key=lambda p: (p[1].scanned_at, p[0]))
    return [_apply_once(partner_id, session_id, device_id, scan, actor) for _, scan in ordered]


def _apply_once(
    partner_id: int, session_id: int, device_id: str, scan: DoorScanIn, actor: Any
) -> DoorOutcome:
    try:
        return _apply(partner_id, session_id, device_id, scan, actor)
    except IntegrityError:
        # The same scan sent twice at once: the other request recorded it.
        replay = _replay(partner_id, device_id, scan.local_id)
        if replay is None:
            raise
        return replay


def _recorded(partner_id: int, device_id: str, local_id: str) -> DoorScan | None:
    return session().scalar(
        select(DoorScan).where(
            DoorScan.partner_id == partner_id,
            DoorScan.device_id == device_id,
            DoorScan.local_id == local_id,
        )
    )


def _replay(partner_id: int, device_id: str, local_id: str) -> DoorOutcome | None:
    with unit_of_work():
        done = _recorded(partner_id, device_id, local_id)
        return None if done is None else _from_record(done)


def _from_record(done: DoorScan) -> DoorOutcome:
    """What was answered when the scan was first applied: a replay changes nothing."""
    outcome = DoorOutcome(
        done.local_id, done.verdict, _message(done.verdict, done.conflict), done.conflict, True
    )
    if done.eticket_id is not None:
        row = _ticket_row(ETicket.id == done.eticket_id)
        if row is not None:
            _describe(outcome, *row)
    outcome.used_at = done.used_at
    return outcome


def _ticket_row(*where: Any, lock: bool = False) -> Any:
    stmt = (
        select(ETicket, OrderLine, Order)
        .join(OrderLine, OrderLine.id == ETicket.order_line_id)
        .join(Order, Order.id == ETicket.order_id)
        .where(*where)
    )
    return session().execute(for_update(stmt, of=ETicket) if lock else stmt).first()


def _describe(outcome: DoorOutcome, ticket: ETicket, line: OrderLine, order: Order) -> None:
    outcome.holder = ticket.holder
    outcome.ticket_number = f"{ticket.seq}/{line.quantity}"
    outcome.title = line.title
    outcome.starts_at = line.session_starts_at
    outcome.venue = line.venue
    outcome.order_number = order.number


MESSAGES = {
    "valide": "Billet valide : entrée autorisée.",
    "deja_utilise": "Billet déjà utilisé.",
    "autre_seance": "Billet pour une autre séance.",
    "invalide": "Billet invalide.",
    "inconnu": "Billet absent de la liste de cette séance : refusé hors ligne.",
}


def _message(verdict: str, conflict: bool) -> str:
    if conflict:
        return (
            "Billet annulé mais admis hors ligne."
            if verdict == "invalide"
            else "Billet admis deux fois."
        )
    return MESSAGES[verdict]


def _apply(
    partner_id: int, session_id: int, device_id: str, scan: DoorScanIn, actor: Any
) -> DoorOutcome:
    with unit_of_work() as s:
        secret = rules.normalise_ticket_code(scan.code)
        row = None
        if rules.is_ticket_code(secret):
            where = (ETicket.secret == secret, OrderLine.partner_id == partner_id)
            row = _ticket_row(*where, lock=True)  # concurrent syncs of a ticket line up
        done = _recorded(partner_id, device_id, scan.local_id)
        if done is not None:
            return _from_record(done)
        admitted_here = scan.local_verdict in (None, "valide")
        verdict, conflict, ticket = "invalide", False, None
        if row is not None:
            ticket, line, order = row
            live = (
                ticket.status == "valid"
                and line.status == "active"
                and order.status in services._ADMITTING_VALUES
            )
            if not live:
                # A ticket cancelled after the device took its list, yet admitted offline.
                conflict = scan.local_verdict == "valide"
            elif line.session_id != session_id:
                verdict = "autre_seance"
            else:
                verdict, conflict = _burn(ticket, scan, admitted_here, actor, device_id)
        elif scan.local_verdict == "valide":
            conflict = True  # cannot happen from the page: its list holds live tickets only
        outcome = DoorOutcome(scan.local_id, verdict, _message(verdict, conflict), conflict)
        if row is not None:
            _describe(outcome, *row)
            outcome.used_at = row[0].used_at
            if verdict == "autre_seance" and row[1].session_starts_at:
                when = clock.format_datetime_fr(row[1].session_starts_at)
                outcome.message = f"Billet pour une autre séance : le {when}."
        s.add(
            DoorScan(
                partner_id=partner_id,
                session_id=session_id,
                device_id=device_id,
                local_id=scan.local_id,
                eticket_id=ticket.id if ticket is not None else None,
                scanned_at=scan.scanned_at,
                received_at=clock.utcnow(),
                offline=scan.local_verdict is not None,
                local_verdict=scan.local_verdict,
                verdict=verdict,
                conflict=conflict,
                used_at=outcome.used_at,
            )
        )
        if conflict:
            audit.record(
                actor,
                "eticket.scan_conflict",
                f"eticket:{ticket.id}" if ticket is not None else f"door:{device_id}",
                after={
                    "device": device_id,
                    "scan": scan.local_id,
                    "scanned_at": str(scan.scanned_at),
                    "used_at": str(outcome.used_at),
                },
            )
        s.flush()
        return outcome


def _burn(
    ticket: ETicket, scan: DoorScanIn, admitted_here: bool, actor: Any, device_id: str
) -> tuple[str, bool]:
    """First scan wins. A scan the device refused offline burns nothing. An admitting
    scan of an unused ticket uses it at the scan's time; of a used one it is a conflict
    when made offline (the door let the holder in), and the used time becomes the earlier
    of the two. The ticket row is locked, so concurrent syncs line up here."""
    first = ticket.used_at
    if not admitted_here:
        return ("deja_utilise" if first else scan.local_verdict or "invalide"), False
    if first is None:
        ticket.used_at = scan.scanned_at
        audit.record(
            actor,
            "eticket.scanned",
            f"eticket:{ticket.id}",
            after={
                "used_at": str(scan.scanned_at),
                "device": device_id,
                "offline": scan.local_verdict is not None,
            },
        )
        return "valide", False
    if scan.local_verdict is None:
        return "deja_utilise", False  # live: the door was told, nobody came in
    if scan.scanned_at < first:
        ticket.used_at = scan.scanned_at
    return "deja_utilise", True
