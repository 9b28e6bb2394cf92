"""Price change requests (R-PAR-10): partners ask, admins decide.

A partner never changes the négocié or C.G.O.S price (hence the participation) of an offer
directly, whatever the path (offer form, API): the change becomes a request, and the rest of
the same form is saved as usual. An admin approves it (the prices are applied through
``catalog.services.update_offer``, with the same checks as an admin's own edit: a request
that would now break one is refused with the reason) or refuses it with a note; a pending
request may be withdrawn by its partner. Every step is audit-logged, and the partner's staff
are told of the decision by mail.

Partners are named by id (``partner_id``): the web pages pass the staff member's
organisation, the API its token's, so another partner's request is NotFound (R-PAR-1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from auth.models import StaffUser
from catalog.models import Offer, PriceChangeRequest
from catalog.rules import PriceRequestStatus, price_errors
from catalog.services import OfferData, offer_data, update_offer
from shop import audit, clock
from shop.db import for_update, session, unit_of_work
from shop.errors import DomainError, NotFound
from shop.mail import queue_mail

REASON_MAX = 500
NOTE_MAX = 500
LIST_LIMIT = 200  # a page shows at most this many requests (newest first)
MAX_CENTS = 100_000_000  # 1 000 000 €, as the catalog import


@dataclass(frozen=True)
class Decision:
    """What an admin's approval did: applied, or refused because a rule now says no."""

    request: PriceChangeRequest
    applied: bool
    reason: str = ""


def _snapshot(req: PriceChangeRequest) -> dict[str, Any]:
    return {
        "offer_id": req.offer_id,
        "status": str(req.status),
        "negotiated_price_cents": req.requested_negotiated_cents,
        "cgos_price_cents": req.requested_cgos_cents,
        "note": req.decision_note,
    }


def check_prices(negotiated_cents: int, cgos_cents: int, reason: str) -> None:
    """Shape of a request, whatever path it came by (form, API)."""
    for name, value in (
        ("negotiated_price_cents", negotiated_cents),
        ("cgos_price_cents", cgos_cents),
    ):
        if not 0 <= value <= MAX_CENTS:
            raise DomainError("Le prix doit être compris entre 0 et 1 000 000 €.", field=name)
    if cgos_cents > negotiated_cents:
        raise DomainError(
            "Le prix C.G.O.S ne peut pas dépasser le prix négocié.", field="cgos_price_cents"
        )
    if len(reason) > REASON_MAX:
        raise DomainError(f"Le motif fait {REASON_MAX} caractères au plus.", field="reason")


def add_request(
    offer: Offer,
    negotiated_cents: int,
    cgos_cents: int,
    reason: str,
    actor: Any,
) -> PriceChangeRequest:
    """Inside the caller's unit of work: a pending request for ``offer`` (already read and
    owned by the partner). It replaces the offer's pending one, withdrawn on the way."""
    s = session()
    now = clock.utcnow()
    for old in s.scalars(
        for_update(
            select(PriceChangeRequest).where(
                PriceChangeRequest.offer_id == offer.id,
                PriceChangeRequest.status == PriceRequestStatus.PENDING,
            )
        )
    ):
        _close(old, PriceRequestStatus.WITHDRAWN, actor, "Remplacée par une nouvelle demande.")
    req = PriceChangeRequest(
        offer_id=offer.id,
        partner_id=offer.partner_id,
        current_negotiated_cents=offer.negotiated_price_cents,
        current_cgos_cents=offer.cgos_price_cents,
        requested_negotiated_cents=negotiated_cents,
        requested_cgos_cents=cgos_cents,
        reason=reason.strip(),
        status=PriceRequestStatus.PENDING,
        requested_by=audit.actor_label(actor),
        requested_at=now,
        decision_note="",
    )
    s.add(req)
    s.flush()
    audit.record(
        actor,
        "price_request.created",
        f"offer:{offer.id}/price_request:{req.id}",
        {
            "negotiated_price_cents": offer.negotiated_price_cents,
            "cgos_price_cents": offer.cgos_price_cents,
        },
        {
            "negotiated_price_cents": negotiated_cents,
            "cgos_price_cents": cgos_cents,
            "reason": req.reason,
        },
    )
    return req


def save_partner_edit(
    offer_id: int, data: OfferData, actor: Any, reason: str = ""
) -> tuple[Offer, PriceChangeRequest | None]:
    """A partner's offer form: every field saved as usual but the two prices, whose change
    becomes a request, in the same unit of work (both or nothing)."""
    wanted = (data.negotiated_price_cents, data.cgos_price_cents)
    check_prices(*wanted, reason)
    with unit_of_work():
        offer = update_offer(offer_id, data, actor)  # keeps a partner's prices as they are
        if wanted == (offer.negotiated_price_cents, offer.cgos_price_cents):
            return offer, None
        return offer, add_request(offer, *wanted, reason, actor)


def request_price_change(
    offer_id: int,
    negotiated_cents: int,
    cgos_cents: int,
    reason: str,
    *,
    partner_id: int,
    actor: Any,
) -> PriceChangeRequest:
    """R-PAR-10: a partner asks for new prices; another partner's offer is NotFound."""
    check_prices(negotiated_cents, cgos_cents, reason)
    with unit_of_work() as s:
        offer = s.scalar(
            for_update(select(Offer).where(Offer.id == offer_id, Offer.partner_id == partner_id))
        )
        if offer is None:
            raise NotFound()
        if (negotiated_cents, cgos_cents) == (offer.negotiated_price_cents, offer.cgos_price_cents):
            raise DomainError(
                "Ces prix sont déjà ceux de l'offre : rien à demander.",
                field="negotiated_price_cents",
                rule="R-PAR-10",
            )
        errors = price_errors(offer.kind, offer.public_price_cents, negotiated_cents, cgos_cents)
        if errors:
            field, message = errors[0]
            raise DomainError(message, field=field, rule="R-PAR-10")
        return add_request(offer, negotiated_cents, cgos_cents, reason, actor)


def _close(req: PriceChangeRequest, status: PriceRequestStatus, actor: Any, note: str) -> None:
    before = _snapshot(req)
    req.status = status
    req.decided_by = audit.actor_label(actor)
    req.decided_at = clock.utcnow()
    req.decision_note = note
    audit.record(
        actor,
        f"price_request.{status.value}",
        f"offer:{req.offer_id}/price_request:{req.id}",
        before,
        _snapshot(req),
    )


def _pending(s: Any, request_id: int, partner_id: int | None = None) -> PriceChangeRequest:
    stmt = select(PriceChangeRequest).where(PriceChangeRequest.id == request_id)
    if partner_id is not None:
        stmt = stmt.where(PriceChangeRequest.partner_id == partner_id)
    req = s.scalar(for_update(stmt))
    if req is None:
        raise NotFound()
    if req.status != PriceRequestStatus.PENDING:
        raise DomainError("Cette demande n'est plus en attente.", rule="R-PAR-10")
    return req


def withdraw(request_id: int, *, partner_id: int, actor: Any) -> PriceChangeRequest:
    """The partner takes back its pending request; prices stay as they are."""
    with unit_of_work() as s:
        req = _pending(s, request_id, partner_id)
        _close(req, PriceRequestStatus.WITHDRAWN, actor, "")
    return req


def _require_admin(actor: Any) -> None:
    if getattr(actor, "role", None) != "admin":
        raise NotFound()  # operators and partners: the decision does not exist for them


def approve(request_id: int, *, actor: Any, note: str = "") -> Decision:
    """Apply the requested prices through ``update_offer`` (audited there with before and
    after), or refuse the request with the reason when a rule says no today."""
    _require_admin(actor)
    note = _note(note, required=False)
    with unit_of_work() as s:
        req = _pending(s, request_id)
        offer = s.scalar(for_update(select(Offer).where(Offer.id == req.offer_id)))
        assert offer is not None, "offers are never deleted while a request holds them"
        errors = price_errors(
            offer.kind,
            offer.public_price_cents,
            req.requested_negotiated_cents,
            req.requested_cgos_cents,
        )
        if errors:
            reason = errors[0][1]
            _close(req, PriceRequestStatus.REFUSED, actor, f"Refusée d'office : {reason}")
            _tell(req, offer)
            return Decision(req, applied=False, reason=reason)
        data = offer_data(offer)
        data.negotiated_price_cents = req.requested_negotiated_cents
        data.cgos_price_cents = req.requested_cgos_cents
        update_offer(offer.id, data, actor)
        _close(req, PriceRequestStatus.APPROVED, actor, note)
        _tell(req, offer)
    return Decision(req, applied=True)


def refuse(request_id: int, *, actor: Any, note: str) -> PriceChangeRequest:
    """Refuse with a note the partner reads; the offer is unchanged."""
    _require_admin(actor)
    note = _note(note, required=True)
    with unit_of_work() as s:
        req = _pending(s, request_id)
        _close(req, PriceRequestStatus.REFUSED, actor, note)
        _tell(req, req.offer)
    return req


def _note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise DomainError("Indiquez au partenaire la raison du refus.", field="note")
    if len(note) > NOTE_MAX:
        raise DomainError(f"La note fait {NOTE_MAX} caractères au plus.", field="note")
    return note


def _tell(req: PriceChangeRequest, offer: Offer) -> None:
    """Mail the decision to the partner's active staff accounts (sent after commit)."""
    recipients = session().scalars(
        select(StaffUser.email)
        .where(
            StaffUser.partner_id == req.partner_id,
            StaffUser.role == "partner",
            StaffUser.active.is_(True),
        )
        .order_by(StaffUser.id)
    )
    approved = req.status == PriceRequestStatus.APPROVED
    subject = f"Prix de « {offer.title[:80]} » : demande {'approuvée' if approved else 'refusée'}"
    for email in recipients:
        queue_mail(
            email,
            "catalog/price_request_decided",
            subject,
            req=req,
            offer=offer,
            approved=approved,
        )


# -- reads --------------------------------------------------------------------------------

# A list shows each request's offer and partner: loaded with it, not one by one.
_WITH_OFFER = joinedload(PriceChangeRequest.offer).joinedload(Offer.partner)


def requests_of_partner(
    partner_id: int,
    *,
    status: str | None = None,
    offer_id: int | None = None,
    limit: int = LIST_LIMIT,
) -> list[PriceChangeRequest]:
    """A partner's requests, newest first (R-PAR-1: only its own)."""
    stmt = select(PriceChangeRequest).where(PriceChangeRequest.partner_id == partner_id)
    if status is not None:
        stmt = stmt.where(PriceChangeRequest.status == status)
    if offer_id is not None:
        stmt = stmt.where(PriceChangeRequest.offer_id == offer_id)
    stmt = stmt.options(_WITH_OFFER).order_by(PriceChangeRequest.id.desc())
    return list(session().scalars(stmt.limit(limit)))


def requests_for_staff(
    *, status: str | None = PriceRequestStatus.PENDING, limit: int = LIST_LIMIT
) -> list[PriceChangeRequest]:
    """The back office's list: pending ones oldest first (the queue), others newest first."""
    stmt = select(PriceChangeRequest)
    if status is not None:
        stmt = stmt.where(PriceChangeRequest.status == status)
    if status == PriceRequestStatus.PENDING:
        stmt = stmt.order_by(PriceChangeRequest.requested_at, PriceChangeRequest.id)
    else:
        stmt = stmt.order_by(PriceChangeRequest.id.desc())
    return list(session().scalars(stmt.options(_WITH_OFFER).limit(limit)))


def request_for(request_id: int, actor: Any) -> PriceChangeRequest | None:
    """One request as a staff member may see it: partners their own, admins and operators
    every one (operators read only)."""
    stmt = select(PriceChangeRequest).where(PriceChangeRequest.id == request_id)
    role = getattr(actor, "role", None)
    if role == "partner":
        stmt = stmt.where(PriceChangeRequest.partner_id == actor.partner_id)
    elif role not in ("admin", "operator"):
        return None
    return session().scalar(stmt)
