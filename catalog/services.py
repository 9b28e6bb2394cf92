"""Write side of the catalog: offers, sessions, stock, pictures, catalog import (R-CAT-7).

Every change goes through here with an ``actor`` and is audit-logged (R-OPS-6). Partner
staff may only touch their own organisation's offers (R-PAR-1): ``offer_for_staff``
answers None for anyone else's, and views turn that into a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from catalog.categories import BY_SLUG
from catalog.models import Offer, OfferPicture, OfferSession
from catalog.picture_sizes import digests_of, purge_unused_files, store_sizes
from catalog.pictures import PictureError, clean_picture, derive_sizes
from catalog.rules import KIND_DELIVERIES, Kind, OfferApproval, SupplyState, price_errors
from catalog.text import offer_search_columns
from partners.models import Partner
from shop import audit, clock
from shop.db import for_update, session, unit_of_work
from shop.errors import DomainError, NotFound

MAX_PICTURE_BYTES = 2 * 1024 * 1024
MAX_STOCK = 1_000_000  # as the forms (catalog.forms)
PICTURE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"RIFF": "image/webp",
}

AUDITED_FIELDS = (
    "partner_id",
    "title",
    "kind",
    "category",
    "region",
    "public_price_cents",
    "negotiated_price_cents",
    "cgos_price_cents",
    "child_public_price_cents",
    "face_value_cents",
    "per_order_max",
    "deliveries",
    "stock",
    "supply_state",
    "sale_opens_at",
    "sale_closes_at",
    "published",
    "approval",
)


@dataclass
class OfferData:
    """Validated offer fields, as the back-office form or the import file give them."""

    partner_id: int
    kind: str
    category: str
    title: str
    summary: str = ""
    description: str = ""
    venue: str | None = None
    city: str | None = None
    region: str | None = None
    venue_address: str | None = None  # printed on e-billets (R-AGT-3)
    pickup_instructions: str | None = None  # « Retrait sur place » (R-AGT-3)
    public_price_cents: int = 0
    negotiated_price_cents: int = 0
    cgos_price_cents: int = 0
    child_public_price_cents: int | None = None
    face_value_cents: int | None = None
    per_order_max: int = 10
    regional_ticketing: bool = False
    physical: bool = True
    deliveries: tuple[str, ...] = ()
    stock: int | None = None
    supply_state: str = SupplyState.EN_STOCK
    sale_opens_at: datetime | None = None
    sale_closes_at: datetime | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    stay_family: str | None = None
    stay_starts_on: date | None = None
    stay_ends_on: date | None = None
    featured: bool = False
    published: bool = True


def check_offer(data: OfferData) -> list[tuple[str, str]]:
    """Every inconsistency as (field, French message); empty when the offer holds."""
    errors: list[tuple[str, str]] = []
    if data.kind not in {k.value for k in Kind}:
        errors.append(("kind", "Type d'offre inconnu."))
    if data.category not in BY_SLUG:
        errors.append(("category", "Catégorie inconnue."))
    if not data.title.strip():
        errors.append(("title", "Le titre est obligatoire."))
    errors += price_errors(
        data.kind, data.public_price_cents, data.negotiated_price_cents, data.cgos_price_cents
    )
    if data.per_order_max < 1:
        errors.append(("per_order_max", "Le maximum par commande doit être au moins 1."))
    if data.kind in {k.value for k in Kind}:
        allowed = KIND_DELIVERIES[Kind(data.kind)]
        bad = [d for d in data.deliveries if d not in allowed]
        if bad:
            errors.append(("deliveries", f"Mode de livraison impossible pour ce type : {bad[0]}."))
    if not data.deliveries:
        errors.append(("deliveries", "Choisissez au moins un mode de livraison."))
    if data.kind == Kind.BILLET_DATE:
        if data.stock is not None:
            errors.append(("stock", "Le stock d'un billet daté se règle par séance."))
    elif data.stock is None:
        errors.append(("stock", "Indiquez le stock disponible."))
    elif data.stock < 0:
        errors.append(("stock", "Le stock ne peut pas être négatif."))
    if data.supply_state not in {s.value for s in SupplyState}:
        errors.append(("supply_state", "État d'approvisionnement inconnu."))
    if data.sale_opens_at and data.sale_closes_at and data.sale_closes_at <= data.sale_opens_at:
        errors.append(("sale_closes_at", "La fin de vente doit suivre l'ouverture."))
    if data.valid_from and data.valid_until and data.valid_until < data.valid_from:
        errors.append(("valid_until", "La fin de validité doit suivre son début."))
    if data.kind == Kind.SEJOUR:
        if not (data.stay_starts_on and data.stay_ends_on):
            errors.append(("stay_starts_on", "Indiquez les dates du séjour."))
        elif data.stay_ends_on < data.stay_starts_on:
            errors.append(("stay_ends_on", "La fin du séjour doit suivre son début."))
    return errors


def _snapshot(offer: Offer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in AUDITED_FIELDS:
        value = getattr(offer, name)
        out[name] = value.isoformat() if isinstance(value, datetime | date) else value
    return out


def _apply(offer: Offer, data: OfferData) -> None:
    for name, value in data.__dict__.items():
        if name == "deliveries":
            offer.deliveries = ",".join(sorted(set(value)))
        else:
            setattr(offer, name, value)
    _index(offer)
    offer.updated_at = clock.utcnow()


def _index(offer: Offer) -> None:
    """R-CAT-5: the offer's search columns from its fields, its partner's name and its
    sessions' venues and cities (a tour is found by each of its cities)."""
    partner = session().get(Partner, offer.partner_id)
    places: list[Any] = []
    if offer.id is not None:
        places = [
            place
            for row in session().execute(
                select(OfferSession.venue, OfferSession.city)
                .where(OfferSession.offer_id == offer.id)
                .order_by(OfferSession.id)
            )
            for place in row
        ]
    for name, value in offer_search_columns(
        title=offer.title,
        category=offer.category,
        kind=offer.kind,
        summary=offer.summary,
        description=offer.description,
        venue=offer.venue,
        city=offer.city,
        partner=partner.name if partner else None,
        places=places,
    ).items():
        setattr(offer, name, value)


def offer_data(offer: Offer) -> OfferData:
    """An offer's fields as the service's input, to change a few of them (R-PAR-10)."""
    return OfferData(
        **{
            name: getattr(offer, name)
            for name in OfferData.__dataclass_fields__
            if name != "deliveries"
        },
        deliveries=tuple(sorted(offer.delivery_set)),
    )


def _raise_if(errors: list[tuple[str, str]]) -> None:
    if errors:
        field, message = errors[0]
        err = DomainError(message, field=field, rule="R-CAT-7")
        err.errors = errors  # type: ignore[attr-defined]
        raise err


def offer_for_staff(offer_id: int, actor: Any) -> Offer | None:
    """R-PAR-1: partners reach only their organisation's offers; admins reach all."""
    stmt = select(Offer).where(Offer.id == offer_id)
    if getattr(actor, "role", None) == "partner":
        stmt = stmt.where(Offer.partner_id == actor.partner_id)
    elif getattr(actor, "role", None) not in ("admin", "operator"):
        return None
    return session().scalar(stmt)


def create_offer(data: OfferData, actor: Any) -> Offer:
    """A staff member's offer is on sale at once; a partner's waits for C.G.O.S (R-PAR-10:
    ``catalog.price_requests.create_partner_offer`` files its « nouvelle offre » request)."""
    partner = getattr(actor, "role", None) == "partner"
    if partner:
        data.partner_id = actor.partner_id
    _raise_if(check_offer(data))
    with unit_of_work() as s:
        if s.get(Partner, data.partner_id) is None:
            raise DomainError("Partenaire inconnu.", field="partner_id")
        offer = Offer(created_at=clock.utcnow())
        _apply(offer, data)
        offer.approval = OfferApproval.PENDING if partner else OfferApproval.APPROVED
        s.add(offer)
        s.flush()
        audit.record(actor, "offer.created", f"offer:{offer.id}", after=_snapshot(offer))
    return offer


def update_offer(offer_id: int, data: OfferData, actor: Any) -> Offer:
    offer = offer_for_staff(offer_id, actor)
    if offer is None:
        raise DomainError("Offre introuvable.", rule="R-PAR-1")
    partner = getattr(actor, "role", None) == "partner"
    if partner:
        data.partner_id = actor.partner_id
    _raise_if(check_offer(data))
    with unit_of_work() as s:
        offer = s.scalar(for_update(select(Offer).where(Offer.id == offer_id)))
        before = _snapshot(offer)
        if partner and offer.approval == OfferApproval.APPROVED:
            # R-PAR-10: a partner's new prices are a request (catalog.price_requests),
            # never a change; they are re-checked against the rest of the offer. An offer
            # not approved yet is hidden from agents: its prices follow the partner's
            # « nouvelle offre » request, which C.G.O.S decides on.
            data.negotiated_price_cents = offer.negotiated_price_cents
            data.cgos_price_cents = offer.cgos_price_cents
            _raise_if(check_offer(data))
        # Stock moves with orders and has its own page: an edit never overwrites it.
        data.stock = offer.stock if offer.kind == data.kind else data.stock
        _apply(offer, data)
        s.flush()
        audit.record(actor, "offer.updated", f"offer:{offer.id}", before, _snapshot(offer))
    return offer


def set_offer_stock(offer_id: int, stock: int, supply_state: str, actor: Any) -> Offer:
    """R-PAR-5: stock and supply state of an undated offer."""
    offer = offer_for_staff(offer_id, actor)
    if offer is None:
        raise DomainError("Offre introuvable.", rule="R-PAR-1")
    if offer.kind == Kind.BILLET_DATE:
        raise DomainError("Le stock d'un billet daté se règle par séance.", field="stock")
    if stock < 0:
        raise DomainError("Le stock ne peut pas être négatif.", field="stock")
    if supply_state not in {s.value for s in SupplyState}:
        raise DomainError("État d'approvisionnement inconnu.", field="supply_state")
    with unit_of_work() as s:
        offer = s.get(Offer, offer_id)
        assert offer is not None, "found above, and offers are never deleted"
        before = {"stock": offer.stock, "supply_state": offer.supply_state}
        offer.stock = stock
        offer.supply_state = supply_state
        offer.updated_at = clock.utcnow()
        audit.record(
            actor,
            "offer.stock_set",
            f"offer:{offer.id}",
            before,
            {"stock": stock, "supply_state": supply_state},
        )
    return offer


def set_session_stock(
    session_id: int, actor: Any, *, stock: int | None = None, supply_state: str | None = None
) -> OfferSession:
    """R-PAR-5: stock and/or supply state of one session (the partner API); another
    partner's, a cancelled or an unknown session is NotFound (R-PAR-1)."""
    if stock is not None and not 0 <= stock <= MAX_STOCK:
        raise DomainError("Le stock doit être compris entre 0 et 1 000 000.", field="stock")
    if supply_state is not None and supply_state not in {s.value for s in SupplyState}:
        raise DomainError("État d'approvisionnement inconnu.", field="supply_state")
    with unit_of_work() as s:
        stmt = (
            select(OfferSession)
            .join(Offer, Offer.id == OfferSession.offer_id)
            .where(OfferSession.id == session_id, OfferSession.cancelled.is_(False))
        )
        if getattr(actor, "role", None) == "partner":
            stmt = stmt.where(Offer.partner_id == actor.partner_id)
        elif getattr(actor, "role", None) != "admin":
            raise NotFound()
        row = s.scalar(for_update(stmt))
        if row is None:
            raise NotFound()
        before = {"stock": row.stock, "supply_state": row.supply_state}
        if stock is not None:
            row.stock = stock
        if supply_state is not None:
            row.supply_state = supply_state
        audit.record(
            actor,
            "session.stock_set",
            f"offer:{row.offer_id}/session:{row.id}",
            before,
            {"stock": row.stock, "supply_state": row.supply_state},
        )
    return row


def _check_session_date(offer: Offer, starts_at: datetime, previous: datetime | None) -> None:
    """R-CAT-8: a session is added or moved only into the future, and not before the
    offer's sale opens (it could never be sold). A past session keeps its date: its stock,
    venue or supply state can still be corrected."""
    if previous is not None and starts_at == previous:
        return
    if starts_at < clock.utcnow():
        raise DomainError(
            "Cette date est passée : une séance doit commencer dans le futur.",
            "starts_at",
            rule="R-CAT-8",
        )
    if offer.sale_opens_at is not None and starts_at < offer.sale_opens_at:
        raise DomainError(
            "La séance commencerait avant l'ouverture de la vente de l'offre "
            f"({clock.format_datetime_fr(offer.sale_opens_at)}) : elle ne pourrait pas être "
            "vendue.",
            "starts_at",
            rule="R-CAT-8",
        )


def save_session(
    offer_id: int,
    actor: Any,
    *,
    starts_at: datetime,
    stock: int,
    venue: str | None = None,
    city: str | None = None,
    supply_state: str = SupplyState.EN_STOCK,
    session_id: int | None = None,
) -> OfferSession:
    """Add or edit one session of a dated offer; audit-logged with before/after."""
    offer = offer_for_staff(offer_id, actor)
    if offer is None:
        raise DomainError("Offre introuvable.", rule="R-PAR-1")
    if offer.kind != Kind.BILLET_DATE:
        raise DomainError("Seul un billet daté a des séances.", field="starts_at")
    if stock < 0:
        raise DomainError("Le stock ne peut pas être négatif.", field="stock")
    if supply_state not in {s.value for s in SupplyState}:
        raise DomainError("État d'approvisionnement inconnu.", field="supply_state")
    with unit_of_work() as s:
        previous = None
        if session_id is not None:
            previous = s.scalar(
                select(OfferSession.starts_at).where(
                    OfferSession.id == session_id, OfferSession.offer_id == offer_id
                )
            )
        _check_session_date(offer, starts_at, previous)
        twin = s.scalar(
            select(OfferSession.id).where(
                OfferSession.offer_id == offer_id,
                OfferSession.starts_at == starts_at,
                OfferSession.cancelled.is_(False),
                OfferSession.id != (session_id or 0),
            )
        )
        if twin is not None:
            raise DomainError("Une séance existe déjà à cette date et cette heure.", "starts_at")
        row: OfferSession | None
        if session_id is None:
            row = OfferSession(offer_id=offer_id, cancelled=False)
            s.add(row)
            before = None
        else:
            row = s.scalar(
                select(OfferSession).where(
                    OfferSession.id == session_id, OfferSession.offer_id == offer_id
                )
            )
            if row is None:
                raise DomainError("Séance introuvable.", rule="R-PAR-1")
            before = {
                "starts_at": row.starts_at.isoformat(),
                "stock": row.stock,
                "supply_state": row.supply_state,
                "venue": row.venue,
                "city": row.city,
            }
        row.starts_at = starts_at
        row.stock = stock
        row.venue = venue
        row.city = city
        row.supply_state = supply_state
        s.flush()
        if before is None or (before["venue"], before["city"]) != (venue, city):
            _index(s.get(Offer, offer_id) or offer)
        audit.record(
            actor,
            "session.created" if before is None else "session.updated",
            f"offer:{offer_id}/session:{row.id}",
            before,
            {
                "starts_at": starts_at.isoformat(),
                "stock": stock,
                "supply_state": supply_state,
                "venue": venue,
                "city": city,
            },
        )
    return row


def sniff_picture(data: bytes) -> str | None:
    for magic, content_type in PICTURE_TYPES.items():
        if data.startswith(magic):
            if content_type == "image/webp" and data[8:12] != b"WEBP":
                return None
            return content_type
    return None


def add_picture(offer_id: int, data: bytes, alt: str, actor: Any) -> OfferPicture:
    """Pictures are checked by content (PNG, JPEG, WebP), size and dimensions, not by file
    name, and stored re-encoded without their metadata (catalog.pictures), with the sizes
    agents' pages show (catalog.picture_sizes)."""
    offer = offer_for_staff(offer_id, actor)
    if offer is None:
        raise DomainError("Offre introuvable.", rule="R-PAR-1")
    if len(data) > MAX_PICTURE_BYTES:
        raise DomainError("L'image dépasse 2 Mo.", field="picture")
    content_type = sniff_picture(data)
    if content_type is None:
        raise DomainError("Format d'image refusé : PNG, JPEG ou WebP seulement.", "picture")
    try:
        data = clean_picture(data, content_type).data
        derived = derive_sizes(data)  # before the transaction: no lock held while encoding
    except PictureError as exc:
        raise DomainError(str(exc), field="picture") from None
    with unit_of_work() as s:
        position = s.scalar(
            select(func.count()).select_from(OfferPicture).where(OfferPicture.offer_id == offer_id)
        )
        pic = OfferPicture(
            offer_id=offer_id,
            position=position,
            content_type=content_type,
            alt=alt.strip()[:200],
            data=data,
            created_at=clock.utcnow(),
        )
        s.add(pic)
        s.flush()
        store_sizes(s, pic, derived)
        audit.record(
            actor,
            "offer.picture_added",
            f"offer:{offer_id}",
            after={"picture": pic.id, "bytes": len(data), "type": content_type},
        )
    return pic


def delete_picture(offer_id: int, picture_id: int, actor: Any) -> None:
    offer = offer_for_staff(offer_id, actor)
    if offer is None:
        raise DomainError("Offre introuvable.", rule="R-PAR-1")
    with unit_of_work() as s:
        pic = s.scalar(
            select(OfferPicture).where(
                OfferPicture.id == picture_id, OfferPicture.offer_id == offer_id
            )
        )
        if pic is None:
            raise DomainError("Image introuvable.")
        digests = digests_of(s, picture_id)
        s.delete(pic)
        s.flush()  # its sizes go with it (ON DELETE CASCADE), then the files they named
        purge_unused_files(s, digests)
        audit.record(
            actor, "offer.picture_deleted", f"offer:{offer_id}", before={"picture": picture_id}
        )
