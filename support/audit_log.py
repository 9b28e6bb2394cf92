"""The audit log read by people (R-OPS-6): filters of the page and its CSV, and each entry
put in French (action label, author, target link, before/after with the changes marked).

A page costs a constant number of statements: the entries, then one read each for the
staff names, the orders and the offers the page names, whatever the number of entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import url_for
from sqlalchemy import Select, or_, select

from auth.models import StaffUser
from catalog.models import Offer
from catalog.rules import APPROVAL_LABELS, PRICE_REQUEST_LABELS, SUPPLY_LABELS
from members.numbers import is_valid_cgos_number, normalise_cgos_number
from orders.cheques import normalise_order_number
from orders.models import Order
from orders.status import LINE_STATUS_LABELS, PAYMENT_STATUS_LABELS, STATUS_LABELS
from shop import audit_labels, clock
from shop.audit import AuditEntry
from shop.db import session
from shop.forms import strip_text
from shop.money import format_eur
from vacations.models import STATUS_LABELS as REGISTRATION_LABELS

_ORDER_STATUS_WORDS: dict[str, str] = {
    **{str(k): v for k, v in STATUS_LABELS.items()},
    "pending": "En attente de paiement",  # entries written before issue 20
}
# Words of a value, by (first part of the action code, field), then by field alone.
VALUE_LABELS: dict[tuple[str, str] | str, Mapping[str, str]] = {
    ("order", "status"): _ORDER_STATUS_WORDS,
    ("price_request", "status"): {str(k): v for k, v in PRICE_REQUEST_LABELS.items()},
    ("vacations", "status"): {str(k): v for k, v in REGISTRATION_LABELS.items()},
    ("webhook", "status"): {},
    "status": {
        **_ORDER_STATUS_WORDS,
        **{str(k): v for k, v in PAYMENT_STATUS_LABELS.items()},
        **{str(k): v for k, v in LINE_STATUS_LABELS.items()},
    },
    "approval": {str(k): v for k, v in APPROVAL_LABELS.items()},
    "supply_state": {str(k): v for k, v in SUPPLY_LABELS.items()},
    "method": {
        "card": "Carte bancaire",
        "cheque": "Chèque",
        "transfer": "Virement",
        "demo": "Démonstration",
    },
    "delivery": {"email": "Envoyé par e-mail", "print": "Imprimé"},
    "outcome": {
        "paid": "Payée",
        "replaced": "Reprise et payée",
        "refused": "Refusé (montant)",
        "returned": "Chèque à renvoyer",
    },
    "role": {
        "operator": "Opérateur",
        "admin": "Administrateur",
        "partner": "Prestataire",
        "gestionnaire": "Gestionnaire",
    },
}
SYSTEM_ACTORS = {
    "system": "Système",
    "cli": "Système (ligne de commande)",
    "cli:admin": "Système (ligne de commande)",
    "stripe": "Système (Stripe)",
    "agent:payment-link": "Agent (lien de paiement)",
}
_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$"
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
EMPTY = "—"


# -- values in words -------------------------------------------------------------------


def format_value(action: str, name: str, value: Any) -> str:
    """One before/after value as staff read it: euros, Paris time, French words."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, int) and audit_labels.is_money(name):
        return format_eur(value)
    if isinstance(value, list):
        return ", ".join(format_value(action, name, v) for v in value) or EMPTY
    if isinstance(value, dict):
        return " ; ".join(
            f"{audit_labels.field_label(k)} : {format_value(action, k, v)}"
            for k, v in value.items()
        )
    text = str(value)
    if _ISO_DATETIME.match(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        return clock.format_datetime_fr(moment)
    if _ISO_DATE.match(text):
        try:
            return clock.format_date_fr(date.fromisoformat(text))
        except ValueError:
            return text
    domain = action.partition(".")[0]
    words = VALUE_LABELS.get((domain, name))
    if words is None:
        words = VALUE_LABELS.get(name, {})
    return words.get(text, text)


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str
    changed: bool


def changes(entry: AuditEntry) -> list[Change]:
    """Every field of the entry's before and after, in their order, the changed ones marked
    (a field only after, or only before, is a change when the other side had it)."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    if entry.before is not None and not isinstance(entry.before, dict):
        before = {"valeur": entry.before}
    if entry.after is not None and not isinstance(entry.after, dict):
        after = {"valeur": entry.after}
    names = list(before) + [n for n in after if n not in before]
    both = entry.before is not None and entry.after is not None
    rows = []
    for name in names:
        old, new = before.get(name), after.get(name)
        rows.append(
            Change(
                audit_labels.field_label(name),
                format_value(entry.action, name, old) if name in before else EMPTY,
                format_value(entry.action, name, new) if name in after else EMPTY,
                both and old != new,
            )
        )
    return rows


# -- filters ---------------------------------------------------------------------------


@dataclass
class Filters:
    """What the staff typed (kept as typed) and its reading; ``errors`` by field."""

    raw: dict[str, str]
    agent: str | None = None
    order: str | None = None
    author: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    subject: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def args(self) -> dict[str, str]:
        """The filters for a link to another page or to the CSV."""
        return {k: v for k, v in self.raw.items() if v}


FILTER_NAMES = ("agent", "commande", "auteur", "action", "du", "au", "objet")


def _paris_day(raw: str) -> date | None:
    m = _FR_DATE.match(raw)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if _ISO_DATE.match(raw):
            return date.fromisoformat(raw)
    except ValueError:
        return None
    return None


def _utc_start(day: date) -> datetime:
    """Midnight of a Paris day, as the naive UTC the log stores."""
    local = datetime.combine(day, time(0), tzinfo=clock.PARIS)
    return local.astimezone(UTC).replace(tzinfo=None)


def read_filters(args: Mapping[str, str]) -> Filters:
    raw = {n: strip_text(args.get(n) or "")[:200] for n in FILTER_NAMES}
    f = Filters(raw)
    if raw["agent"]:
        number = normalise_cgos_number(raw["agent"])
        if is_valid_cgos_number(number):
            f.agent = number
        else:
            f.errors["agent"] = "N° C.G.O.S invalide : 8 chiffres puis une lettre."
    if raw["commande"]:
        number = normalise_order_number(raw["commande"])
        if re.fullmatch(r"[A-Z0-9-]{1,40}", number):
            f.order = number
        else:
            f.errors["commande"] = "N° de commande invalide : lettres, chiffres et tirets."
    if raw["auteur"]:
        f.author = raw["auteur"]
    if raw["action"]:
        if raw["action"] in audit_labels.ACTION_LABELS:
            f.action = raw["action"]
        else:
            f.errors["action"] = "Action inconnue : choisissez-la dans la liste."
    for name in ("du", "au"):
        if raw[name]:
            day = _paris_day(raw[name])
            if day is None:
                f.errors[name] = "Date invalide : écrivez-la jj/mm/aaaa."
            elif name == "du":
                f.since = _utc_start(day)
            else:
                f.until = _utc_start(day + timedelta(days=1))
    if f.since and f.until and f.since >= f.until:
        f.errors["au"] = "La date de fin précède la date de début."
        f.until = None
    if raw["objet"]:
        f.subject = raw["objet"]
    return f


def _authors(text: str) -> list[str]:
    """The stored actor texts an author search means: staff by name or e-mail (the staff
    table is small), an agent by number, « système », or the text as stored."""
    like = f"%{text}%"
    found = {
        f"staff:{email}"
        for email in session().scalars(
            select(StaffUser.email).where(
                or_(StaffUser.email.ilike(like), StaffUser.name.ilike(like))
            )
        )
    }
    number = normalise_cgos_number(text)
    if is_valid_cgos_number(number):
        found.add(f"agent:{number}")
    lowered = text.lower()
    if lowered in ("système", "systeme", "system"):
        found.update(SYSTEM_ACTORS)
    found.add(text)
    return sorted(found)


def filtered(f: Filters) -> Select:
    """The entries the filters keep, newest first; each test reads an index of the table."""
    stmt = select(AuditEntry)
    if f.agent:
        # The agent's orders read first (one statement, by its index): a list of subjects
        # lets PostgreSQL combine the subject and actor indexes, a subquery did not.
        numbers = session().scalars(
            select(Order.number).where(Order.cgos_number == f.agent, Order.number.is_not(None))
        )
        subjects = [f"agent:{f.agent}", *(f"order:{n}" for n in numbers)]
        stmt = stmt.where(
            or_(AuditEntry.subject.in_(subjects), AuditEntry.actor == f"agent:{f.agent}")
        )
    if f.order:
        stmt = stmt.where(AuditEntry.subject == f"order:{f.order}")
    if f.author:
        stmt = stmt.where(AuditEntry.actor.in_(_authors(f.author)))
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.since:
        stmt = stmt.where(AuditEntry.at >= f.since)
    if f.until:
        stmt = stmt.where(AuditEntry.at < f.until)
    if f.subject:
        stmt = stmt.where(AuditEntry.subject.ilike(f"%{f.subject}%"))
    return stmt.order_by(AuditEntry.id.desc())


def action_choices() -> list[tuple[str, str]]:
    return sorted(audit_labels.ACTION_LABELS.items(), key=lambda kv: kv[1])


# -- entries in words ------------------------------------------------------------------


@dataclass(frozen=True)
class EntryView:
    entry: AuditEntry
    at: str
    author: str
    action: str
    target: str
    target_url: str | None
    changes: list[Change]


def _author(actor: str, names: Mapping[str, str]) -> str:
    kind, _, rest = actor.partition(":")
    if actor in SYSTEM_ACTORS:
        return SYSTEM_ACTORS[actor]
    if kind == "staff":
        name = names.get(rest)
        return f"{name} ({rest})" if name else rest
    if kind == "agent":
        return f"agent N° {rest}"
    if kind == "api":
        partner, _, token = rest.partition(":")
        return f"API partenaire N° {partner} (jeton «\u00a0{token}\u00a0»)"
    return actor


def _target(subject: str, orders: set[str], offers: set[int]) -> tuple[str, str | None]:
    kind, _, rest = subject.partition(":")
    if kind == "order":
        url = url_for("ops.orders.detail", number=rest) if rest in orders else None
        return f"Commande {rest}", url
    if kind == "agent":
        return f"Agent N° {rest}", url_for("ops.home.index", q=rest)
    if kind == "offer":
        head = rest.partition("/")[0]
        offer_id = int(head) if head.isdigit() else None
        words = {"session": "séance", "price_request": "demande de prix"}
        label = f"Offre N° {head}"
        for part in rest.split("/")[1:]:
            what, _, n = part.partition(":")
            label += f", {words.get(what, what)} N° {n}"
        url = url_for("ops.catalog.offer", offer_id=offer_id) if offer_id in offers else None
        return label, url
    words = {
        "staff": "Personnel",
        "partner": "Prestataire",
        "eticket": "Billet N°",
        "registration": "Inscription N°",
        "mail": "E-mail N°",
        "api_token": "Jeton d'API N°",
        "door": "Appareil de contrôle",
    }
    if kind in words and rest:
        return f"{words[kind]} {rest}", None
    return subject, None


def present(entries: list[AuditEntry]) -> list[EntryView]:
    """The entries in French, with three reads whatever their number."""
    emails = {e.actor[6:] for e in entries if e.actor.startswith("staff:")}
    order_numbers = {e.subject[6:] for e in entries if e.subject.startswith("order:")}
    offer_ids = set()
    for e in entries:
        if e.subject.startswith("offer:"):
            head = e.subject[6:].partition("/")[0]
            if head.isdigit() and len(head) < 10:
                offer_ids.add(int(head))
    names: dict[str, str] = {}
    if emails:
        rows = session().execute(
            select(StaffUser.email, StaffUser.name).where(StaffUser.email.in_(emails))
        )
        names = {email: name for email, name in rows}
    orders: set[str] = set()
    if order_numbers:
        orders = set(session().scalars(select(Order.number).where(Order.number.in_(order_numbers))))
    offers: set[int] = set()
    if offer_ids:
        offers = set(session().scalars(select(Offer.id).where(Offer.id.in_(offer_ids))))
    views = []
    for e in entries:
        target, url = _target(e.subject, orders, offers)
        views.append(
            EntryView(
                e,
                clock.format_datetime_fr(e.at),
                _author(e.actor, names),
                audit_labels.action_label(e.action),
                target,
                url,
                changes(e),
            )
        )
    return views


CSV_HEADER = [
    "Date (heure de Paris)",
    "Auteur",
    "Action",
    "Objet",
    "Champ",
    "Avant",
    "Après",
    "Modifié",
]
CSV_BATCH = 200


def csv_rows(f: Filters) -> Iterator[list[str]]:
    """One row per changed or recorded field (one row for an entry without fields), read
    by batches so a long log streams."""
    last_id: int | None = None
    stmt = filtered(f)
    while True:
        batch_stmt = stmt if last_id is None else stmt.where(AuditEntry.id < last_id)
        batch = list(session().scalars(batch_stmt.limit(CSV_BATCH)))
        if not batch:
            return
        for view in present(batch):
            head = [view.at, view.author, view.action, view.target]
            if not view.changes:
                yield [*head, "", "", "", ""]
            for c in view.changes:
                yield [*head, c.label, c.before, c.after, "oui" if c.changed else ""]
        last_id = batch[-1].id
        if len(batch) < CSV_BATCH:
            return
