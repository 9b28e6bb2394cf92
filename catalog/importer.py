"""``flask --app wsgi catalog import FILE.json``: offers and sessions, all or nothing (R-CAT-7).

The whole file is checked before anything is written; every bad field is reported with its
JSON path (``offers[3].sessions[1].starts_at``). A good file is written in one unit of work
with one audit entry, so a failure half-way leaves the catalog as it was. The format is
documented in the README ("Catalog import format").
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from catalog.models import Offer, OfferSession
from catalog.rules import KIND_DELIVERIES, MAX_YEAR, MIN_YEAR, Delivery, Kind, SupplyState
from catalog.services import OfferData, check_offer
from catalog.stays import STAY_FAMILIES
from catalog.text import offer_search_columns
from members.regions import REGIONS
from partners.models import Partner
from shop import audit, clock
from shop.clock import PARIS
from shop.db import session, unit_of_work
from shop.jsonfile import read_json
from shop.money import MoneyError, to_cents

CULTURE_FACE_VALUES = (7500, 15000)  # R-CAP-6: 75 € or 150 €
MAX_CENTS = 100_000_000  # 1 000 000 €: far above any offer, far below a 32-bit integer
MAX_COUNT = 1_000_000_000
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

OFFER_KEYS = frozenset(
    {
        "partner",
        "kind",
        "category",
        "title",
        "summary",
        "description",
        "venue",
        "city",
        "region",
        "public_price",
        "negotiated_price",
        "cgos_price",
        "child_public_price",
        "face_value",
        "per_order_max",
        "regional_ticketing",
        "physical",
        "deliveries",
        "stock",
        "supply_state",
        "sale_opens_at",
        "sale_closes_at",
        "valid_from",
        "valid_until",
        "stay_family",
        "stay_starts_on",
        "stay_ends_on",
        "featured",
        "published",
        "sessions",
    }
)
SESSION_KEYS = frozenset({"starts_at", "stock", "venue", "city", "supply_state"})

# check_offer speaks OfferData's names; the file speaks euros.
JSON_NAMES = {
    "partner_id": "partner",
    "public_price_cents": "public_price",
    "negotiated_price_cents": "negotiated_price",
    "cgos_price_cents": "cgos_price",
    "child_public_price_cents": "child_public_price",
    "face_value_cents": "face_value",
}
# When one of these could not be read, check_offer's verdict on its group is noise.
_PRICES = frozenset({"public_price", "negotiated_price", "cgos_price"})
_STAY_DATES = frozenset({"stay_starts_on", "stay_ends_on"})
_SALE = frozenset({"sale_opens_at", "sale_closes_at"})
_VALIDITY = frozenset({"valid_from", "valid_until"})
RELATED = {
    **dict.fromkeys(_PRICES, _PRICES),
    **dict.fromkeys(_STAY_DATES, _STAY_DATES),
    **dict.fromkeys(_SALE, _SALE),
    **dict.fromkeys(_VALIDITY, _VALIDITY),
}

KIND_DEPENDENT = frozenset(
    {"stock", "deliveries", "negotiated_price", "stay_starts_on", "stay_ends_on"}
)

LENGTHS = {"title": 200, "summary": 300, "venue": 200, "city": 120, "description": 20_000}
OUT_OF_RANGE = f"date hors limites : {{!r}} (années {MIN_YEAR} à {MAX_YEAR})"


class OutOfRange(ValueError):
    """A well-formed date the catalog does not take (year 1, year 9999)."""


@dataclass(frozen=True)
class PartnerRef:
    slug: str
    name: str | None  # given when the file may create the partner


@dataclass(frozen=True)
class SessionRow:
    starts_at: datetime  # naive UTC
    stock: int
    venue: str | None
    city: str | None
    supply_state: str


@dataclass
class OfferRow:
    partner: PartnerRef
    data: OfferData  # partner_id is filled in when written
    sessions: list[SessionRow]


@dataclass
class CatalogReport:
    offers: int = 0
    sessions: int = 0
    partners_created: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_moment(raw: str) -> datetime:
    """ISO 8601 date and time; with an offset it is that instant, without one Paris time.

    Returns naive UTC, the stored form. Raises ValueError.
    """
    if len(raw.strip()) <= 10:
        raise ValueError("time missing")
    value = datetime.fromisoformat(raw.strip())
    if not MIN_YEAR <= value.year <= MAX_YEAR:  # before the shift to UTC can overflow
        raise OutOfRange(raw)
    if value.tzinfo is None:
        value = value.replace(tzinfo=PARIS)
    return value.astimezone(UTC).replace(tzinfo=None)


class _Reader:
    """Reads typed fields of one JSON object, recording ``(path, reason)`` for bad ones."""

    def __init__(self, data: dict[str, Any], path: str, errors: list[tuple[str, str]]):
        self.data = data
        self.path = path
        self.errors = errors
        self.bad: set[str] = set()

    def error(self, key: str, reason: str) -> None:
        self.bad.add(key.split("[")[0])
        self.errors.append((f"{self.path}.{key}", reason))

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(key, "champ obligatoire manquant")
            return None
        if not isinstance(value, str):
            self.error(key, "texte attendu")
            return None
        if "\x00" in value:
            self.error(key, "caractère nul interdit")
            return None
        value = value.strip()
        limit = LENGTHS.get(key)
        if limit and len(value) > limit:
            self.error(key, f"texte trop long ({limit} caractères au plus)")
            return None
        return value

    def choice(self, key: str, allowed: Collection[str], what: str, *, required: bool) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, "champ obligatoire manquant")
            return ""
        if not isinstance(value, str) or value not in allowed:
            self.error(key, f"{what} inconnu(e) : {value!r}")
            return ""
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.error(key, "true ou false attendu")
            return default
        return value

    def integer(self, key: str, *, minimum: int | None = None) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self.error(key, f"nombre entier attendu : {value!r}")
            return None
        if minimum is not None and value < minimum:
            self.error(key, f"doit être au moins {minimum}")
            return None
        if value > MAX_COUNT:
            self.error(key, "nombre trop grand")
            return None
        return value

    def cents(self, key: str, *, required: bool) -> int | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, "champ obligatoire manquant")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.error(key, f"montant invalide : {value!r}")
            return None
        try:
            cents = to_cents(value)
        except MoneyError:
            self.error(key, f"montant invalide : {value!r}")
            return None
        if abs(cents) > MAX_CENTS:
            self.error(key, "montant trop élevé")
            return None
        return cents

    def moment(self, key: str, *, required: bool = False) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, "champ obligatoire manquant")
            return None
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return parse_moment(value)
        except OutOfRange:
            self.error(key, OUT_OF_RANGE.format(value))
            return None
        except ValueError:
            self.error(
                key, f"date invalide : {value!r} (format AAAA-MM-JJTHH:MM, fuseau facultatif)"
            )
            return None

    def day(self, key: str) -> date | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            day = date.fromisoformat(value)
        except ValueError:
            self.error(key, f"date invalide : {value!r} (format AAAA-MM-JJ)")
            return None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            self.error(key, OUT_OF_RANGE.format(value))
            return None
        return day

    def unknown_keys(self, allowed: frozenset[str]) -> None:
        for key in sorted(set(self.data) - allowed):
            self.error(key, "champ inconnu")


def _partner(r: _Reader) -> PartnerRef | None:
    raw = r.data.get("partner")
    if isinstance(raw, str) and raw.strip():
        return PartnerRef(raw.strip(), None)
    if isinstance(raw, dict):
        slug, name = raw.get("slug"), raw.get("name")
        ok = True
        if not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > 80:
            r.error("partner.slug", f"identifiant invalide : {slug!r} (minuscules, chiffres, -)")
            ok = False
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            r.error("partner.name", "nom du partenaire attendu (200 caractères au plus)")
            ok = False
        if not ok:
            return None
        assert isinstance(slug, str) and isinstance(name, str), "both checked above"
        return PartnerRef(slug, name.strip())
    r.error("partner", "identifiant du partenaire ou objet {slug, name} attendu")
    return None


def _deliveries(r: _Reader, kind: str) -> tuple[str, ...]:
    """Each mode checked where it stands, so the path names the bad one."""
    raw = r.data.get("deliveries")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        r.error("deliveries", "liste de modes de livraison attendue")
        return ()
    known = {d.value for d in Delivery}
    allowed = KIND_DELIVERIES[Kind(kind)] if kind else frozenset(known)
    modes: list[str] = []
    for i, mode in enumerate(raw):
        if not isinstance(mode, str) or mode not in known:
            r.error(f"deliveries[{i}]", f"mode de livraison inconnu : {mode!r}")
        elif mode not in allowed:
            r.error(f"deliveries[{i}]", f"mode de livraison impossible pour ce type : {mode}")
        else:
            modes.append(mode)
    return tuple(modes)


def _sessions(r: _Reader, kind: str) -> list[SessionRow]:
    raw = r.data.get("sessions")
    if raw is None:
        return []
    if not isinstance(raw, list):
        r.error("sessions", "liste de séances attendue")
        return []
    if raw and kind and kind != Kind.BILLET_DATE:
        r.error("sessions", "seul un billet daté a des séances")
        return []
    rows: list[SessionRow] = []
    supply_states = {s.value for s in SupplyState}
    for i, item in enumerate(raw):
        path = f"{r.path}.sessions[{i}]"
        if not isinstance(item, dict):
            r.errors.append((path, "objet séance attendu"))
            continue
        sr = _Reader(item, path, r.errors)
        sr.unknown_keys(SESSION_KEYS)
        starts_at = sr.moment("starts_at", required=True)
        stock = sr.integer("stock", minimum=0)
        if "stock" not in item or item["stock"] is None:
            sr.error("stock", "champ obligatoire manquant")
        venue = sr.text("venue")
        city = sr.text("city")
        state = sr.choice("supply_state", supply_states, "état", required=False)
        if not sr.bad and starts_at is not None and stock is not None:
            rows.append(SessionRow(starts_at, stock, venue, city, state or SupplyState.EN_STOCK))
    return rows


def parse_offer(item: Any, path: str, errors: list[tuple[str, str]]) -> OfferRow | None:
    """One offer of the file; appends its errors and returns None when it has any."""
    if not isinstance(item, dict):
        errors.append((path, "objet offre attendu"))
        return None
    before = len(errors)
    r = _Reader(item, path, errors)
    r.unknown_keys(OFFER_KEYS)
    partner = _partner(r)
    kind = r.choice("kind", {k.value for k in Kind}, "type d'offre", required=True)
    region = r.text("region")
    if region is not None and region not in REGIONS:
        r.error("region", f"région inconnue : {region!r} (null pour une offre nationale)")
    regional_ticketing = r.boolean("regional_ticketing", False)
    if regional_ticketing and region is None and "region" not in r.bad:
        r.error("regional_ticketing", "une billetterie régionale demande une région")
    stay_family = r.choice("stay_family", STAY_FAMILIES, "famille de séjour", required=False)
    if kind == Kind.SEJOUR and not stay_family and "stay_family" not in r.bad:
        r.error("stay_family", "champ obligatoire pour un séjour")
    data = OfferData(
        partner_id=0,
        kind=kind,
        category=r.text("category", required=True) or "",
        title=r.text("title", required=True) or "",
        summary=r.text("summary") or "",
        description=r.text("description") or "",
        venue=r.text("venue"),
        city=r.text("city"),
        region=region if "region" not in r.bad else None,
        public_price_cents=r.cents("public_price", required=True) or 0,
        negotiated_price_cents=r.cents("negotiated_price", required=True) or 0,
        cgos_price_cents=r.cents("cgos_price", required=True) or 0,
        child_public_price_cents=r.cents("child_public_price", required=False),
        face_value_cents=r.cents("face_value", required=False),
        regional_ticketing=regional_ticketing,
        physical=r.boolean("physical", True),
        deliveries=_deliveries(r, kind),
        stock=r.integer("stock"),
        supply_state=r.choice(
            "supply_state", {s.value for s in SupplyState}, "état", required=False
        )
        or SupplyState.EN_STOCK,
        sale_opens_at=r.moment("sale_opens_at"),
        sale_closes_at=r.moment("sale_closes_at"),
        valid_from=r.day("valid_from"),
        valid_until=r.day("valid_until"),
        stay_family=stay_family or None,
        stay_starts_on=r.day("stay_starts_on"),
        stay_ends_on=r.day("stay_ends_on"),
        featured=r.boolean("featured", False),
        published=r.boolean("published", True),
    )
    per_order_max = r.integer("per_order_max")  # 0 or less is left to check_offer
    if per_order_max is not None:
        data.per_order_max = per_order_max
    culture = kind == Kind.CHEQUE_CULTURE and "face_value" not in r.bad
    if culture and data.face_value_cents not in CULTURE_FACE_VALUES:
        r.error("face_value", "valeur faciale de 75 ou 150 € attendue pour des chèques culture")
    sessions = _sessions(r, kind)
    for name, reason in check_offer(data):
        key = JSON_NAMES.get(name, name)
        if key in r.bad or RELATED.get(key, frozenset()) & r.bad:
            continue  # already reported as unreadable
        if "kind" in r.bad and key in KIND_DEPENDENT:
            continue  # these rules depend on the kind, which is already reported
        r.error(key, reason)
    if partner is None or len(errors) > before:
        return None
    return OfferRow(partner, data, sessions)


def parse_catalog(
    document: Any, known_partners: Collection[str]
) -> tuple[list[OfferRow], list[tuple[str, str]]]:
    """The whole file: every offer read, every error collected with its path."""
    errors: list[tuple[str, str]] = []
    if not isinstance(document, dict):
        return [], [("fichier", 'objet JSON {"offers": [...]} attendu')]
    for key in sorted(set(document) - {"offers"}):
        errors.append((key, "champ inconnu"))
    items = document.get("offers")
    if not isinstance(items, list):
        return [], [*errors, ("offers", "liste d'offres attendue")]
    if not items:
        return [], [*errors, ("offers", "la liste ne contient aucune offre")]
    rows: list[OfferRow] = []
    for i, item in enumerate(items):
        row = parse_offer(item, f"offers[{i}]", errors)
        if row is not None:
            rows.append(row)
    declared = {r.partner.slug for r in rows if r.partner.name is not None}
    for i, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("partner"), str):
            slug = item["partner"].strip()
            if slug and slug not in known_partners and slug not in declared:
                errors.append((f"offers[{i}].partner", f"partenaire inconnu : {slug!r}"))
    return (rows if not errors else []), errors


def write_catalog(rows: list[OfferRow], actor: Any) -> CatalogReport:
    """Missing partners, offers and sessions in one unit of work with one audit entry."""
    report = CatalogReport()
    now = clock.utcnow()
    with unit_of_work() as s:
        known = s.execute(select(Partner.slug, Partner.id, Partner.name)).all()
        partner_ids = {slug: pid for slug, pid, _name in known}
        partner_names = {slug: name for slug, _pid, name in known}
        for row in rows:
            ref = row.partner
            if ref.slug not in partner_ids:
                partner = Partner(slug=ref.slug, name=ref.name or ref.slug, created_at=now)
                s.add(partner)
                s.flush()
                partner_ids[ref.slug] = partner.id
                partner_names[ref.slug] = partner.name
                report.partners_created += 1
        for row in rows:
            fields = dict(row.data.__dict__)
            fields["partner_id"] = partner_ids[row.partner.slug]
            fields["deliveries"] = ",".join(sorted(set(row.data.deliveries)))
            offer = Offer(
                **fields,
                **offer_search_columns(
                    title=row.data.title,
                    category=row.data.category,
                    kind=row.data.kind,
                    summary=row.data.summary,
                    description=row.data.description,
                    venue=row.data.venue,
                    city=row.data.city,
                    partner=partner_names[row.partner.slug],
                    places=[p for sr in row.sessions for p in (sr.venue, sr.city)],
                ),
                created_at=now,
                updated_at=now,
            )
            offer.sessions = [
                OfferSession(
                    starts_at=sr.starts_at,
                    stock=sr.stock,
                    venue=sr.venue,
                    city=sr.city,
                    supply_state=sr.supply_state,
                    cancelled=False,
                )
                for sr in row.sessions
            ]
            s.add(offer)
            report.offers += 1
            report.sessions += len(row.sessions)
        s.flush()
        audit.record(
            actor,
            "catalog.imported",
            "catalog",
            after={
                "offers": report.offers,
                "sessions": report.sessions,
                "partners_created": report.partners_created,
            },
        )
    return report


def import_catalog(document: Any, actor: Any) -> CatalogReport:
    """Check a parsed document, then write it whole, or nothing (R-CAT-7). The store's
    staff only: a partner sets no price but through a request (R-PAR-10)."""
    if getattr(actor, "role", None) == "partner":
        return CatalogReport(errors=[("fichier", "import réservé à l'administration C.G.O.S")])
    known = set(session().scalars(select(Partner.slug)))
    rows, errors = parse_catalog(document, known)
    if errors:
        return CatalogReport(errors=errors)
    return write_catalog(rows, actor)


def import_file(path: str, actor: Any = "cli") -> CatalogReport:
    """Read a UTF-8 JSON file and import it; unreadable JSON is one error, nothing written."""
    try:
        with open(path, encoding="utf-8") as fh:
            document = read_json(fh.read())
    except UnicodeDecodeError:
        return CatalogReport(errors=[("fichier", "le fichier n'est pas en UTF-8")])
    except ValueError as exc:
        return CatalogReport(errors=[("fichier", str(exc))])
    except OSError as exc:
        return CatalogReport(errors=[("fichier", f"lecture impossible ({exc.strerror})")])
    return import_catalog(document, actor)
