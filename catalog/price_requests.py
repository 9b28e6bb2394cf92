"""Price change requests (R-PAR-10): partners ask, admins decide.

A partner never changes the négocié or C.G.O.S price (hence the participation) of an offer
directly, whatever the path (offer form, API): the change becomes a request, and the rest of
the same form is saved as usual. An admin approves it (the prices are applied through
``catalog.services.update_offer``, with the same checks as an admin's own edit: a request
that would now break one is refused with the reason) or refuses it with a note; a pending
request may be withdrawn by its partner. Every step is audit-logged, and the partner's staff
are told of the decision by mail.

A partner's new offer waits for C.G.O.S the same way (``create_partner_offer``): it is
created hidden from agents (``Offer.approval`` pending) and its prices become a « nouvelle
offre » request in the same queue. Until it is approved the partner's prices go onto the
hidden offer and into that request (updated, never piled up); approving re-checks the
offer and puts it on sale with those prices, refusing leaves it hidden with the note (a
later save of the offer by the partner submits it again).

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
from catalog.rules import OfferApproval, PriceRequestKind, PriceRequestStatus, price_errors
from catalog.services import OfferData, check_offer, create_offer, offer_data, update_offer
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


def _pending_of(offer_id: int) -> list[PriceChangeRequest]:
    return list(
        session().scalars(
            for_update(
                select(PriceChangeRequest).where(
                    PriceChangeRequest.offer_id == offer_id,
                    PriceChangeRequest.status == PriceRequestStatus.PENDING,
                )
            )
        )
    )


def _new_offer_request(offer: Offer, reason: str, actor: Any) -> PriceChangeRequest:
    """Inside the caller's unit of work: the offer (not approved) waits for C.G.O.S with
    its prices as they are now, in one pending « nouvelle offre » request, created or
    updated (left as is when it already says all that)."""
    offer.approval = OfferApproval.PENDING
    wanted = (offer.negotiated_price_cents, offer.cgos_price_cents)
    pending = _pending_of(offer.id)
    if pending:
        req = pending[0]
        for extra in pending[1:]:  # none in practice: one pending request per offer
            _close(
                extra, PriceRequestStatus.WITHDRAWN, actor, "Remplacée par une nouvelle demande."
            )
        asked = (req.requested_negotiated_cents, req.requested_cgos_cents)
        if asked == wanted and (not reason or reason == req.reason):
            return req
        before = {"negotiated_price_cents": asked[0], "cgos_price_cents": asked[1]}
        req.requested_negotiated_cents, req.requested_cgos_cents = wanted
        req.current_negotiated_cents, req.current_cgos_cents = wanted
        if reason:
            req.reason = reason.strip()
        req.requested_by = audit.actor_label(actor)
        req.requested_at = clock.utcnow()
        audit.record(
            actor,
            "price_request.updated",
            f"offer:{offer.id}/price_request:{req.id}",
            before,
            {"negotiated_price_cents": wanted[0], "cgos_price_cents": wanted[1]},
        )
        return req
    return _insert(offer, PriceRequestKind.NEW_OFFER, *wanted, reason, actor)


def create_partner_offer(
    data: OfferData, actor: Any, reason: str = ""
) -> tuple[Offer, PriceChangeRequest]:
    """R-PAR-10: a partner's new offer, hidden from agents until C.G.O.S approves its
    « nouvelle offre » request (both written, or nothing)."""
    check_prices(data.negotiated_price_cents, data.cgos_price_cents, reason)
    with unit_of_work():
        offer = create_offer(data, actor)
        return offer, _new_offer_request(offer, reason, actor)


def add_request(
    offer: Offer,
    negotiated_cents: int,
    cgos_cents: int,
    reason: str,
    actor: Any,
) -> PriceChangeRequest:
    """Inside the caller's unit of work: a pending request for ``offer`` (already read and
    owned by the partner). It replaces the offer's pending one, withdrawn on the way."""
    for old in _pending_of(offer.id):
        _close(old, PriceRequestStatus.WITHDRAWN, actor, "Remplacée par une nouvelle demande.")
    return _insert(
        offer, PriceRequestKind.PRICE_CHANGE, negotiated_cents, cgos_cents, reason, actor
    )


def _insert(
    offer: Offer,
    kind: PriceRequestKind,
    negotiated_cents: int,
    cgos_cents: int,
    reason: str,
    actor: Any,
) -> PriceChangeRequest:
    s = session()
    now = clock.utcnow()
    req = PriceChangeRequest(
        offer_id=offer.id,
        partner_id=offer.partner_id,
        kind=kind,
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
            "kind": str(kind),
        },
    )
    return req


def save_partner_edit(
    offer_id: int, data: OfferData, actor: Any, reason: str = ""
) -> tuple[Offer, PriceChangeRequest | None]:
    """A partner's offer form: every field saved as usual but the two prices, whose change
    becomes a request, in the same unit of work (both or nothing). An offer not approved
    yet takes the prices and waits (again, once refused) with its « nouvelle offre »
    request up to date."""
    wanted = (data.negotiated_price_cents, data.cgos_price_cents)
    check_prices(*wanted, reason)
    with unit_of_work():
        # Keeps an approved offer's prices as they are (R-PAR-10).
        offer = update_offer(offer_id, data, actor)
        if offer.approval != OfferApproval.APPROVED:
            return offer, _new_offer_request(offer, reason, actor)
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
        if offer.approval != OfferApproval.APPROVED:
            return _new_offer_prices(offer, negotiated_cents, cgos_cents, reason, actor)
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


def _new_offer_prices(
    offer: Offer, negotiated_cents: int, cgos_cents: int, reason: str, actor: Any
) -> PriceChangeRequest:
    """The API's price request on an offer not approved yet: the hidden offer takes the
    prices (checked as any save) and its « nouvelle offre » request follows."""
    data = offer_data(offer)
    data.negotiated_price_cents = negotiated_cents
    data.cgos_price_cents = cgos_cents
    update_offer(offer.id, data, actor)
    return _new_offer_request(offer, reason, actor)


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
        if req.for_new_offer:
            raise DomainError(
                "Une nouvelle offre attend la décision du C.G.O.S : elle ne se retire pas "
                "(vous pouvez la dépublier).",
                rule="R-PAR-10",
            )
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
        offer = _offer_of(s, req)
        data = offer_data(offer)
        data.negotiated_price_cents = req.requested_negotiated_cents
        data.cgos_price_cents = req.requested_cgos_cents
        # A new offer is checked whole, as when it was saved; a price change, its prices.
        errors = (
            check_offer(data)
            if req.for_new_offer
            else price_errors(
                offer.kind,
                offer.public_price_cents,
                req.requested_negotiated_cents,
                req.requested_cgos_cents,
            )
        )
        if errors:
            reason = errors[0][1]
            _close(req, PriceRequestStatus.REFUSED, actor, f"Refusée d'office : {reason}")
            _decide_offer(offer, req, actor)
            _tell(req, offer)
            return Decision(req, applied=False, reason=reason)
        update_offer(offer.id, data, actor)
        _close(req, PriceRequestStatus.APPROVED, actor, note)
        _decide_offer(offer, req, actor)
        _tell(req, offer)
    return Decision(req, applied=True)


def _offer_of(s: Any, req: PriceChangeRequest) -> Offer:
    offer = s.scalar(for_update(select(Offer).where(Offer.id == req.offer_id)))
    assert offer is not None, "offers are never deleted while a request holds them"
    return offer


def _decide_offer(offer: Offer, req: PriceChangeRequest, actor: Any) -> None:
    """A « nouvelle offre » decision: approved, the offer is shown to agents (if its
    editor left it published); refused, it stays hidden. Audited."""
    if not req.for_new_offer or offer.approval == OfferApproval.APPROVED:
        return
    before = {"approval": str(offer.approval)}
    approved = req.status == PriceRequestStatus.APPROVED
    offer.approval = OfferApproval.APPROVED if approved else OfferApproval.REFUSED
    offer.updated_at = clock.utcnow()
    audit.record(
        actor,
        "offer.approved" if approved else "offer.refused",
        f"offer:{offer.id}",
        before,
        {
            "approval": str(offer.approval),
            "negotiated_price_cents": offer.negotiated_price_cents,
            "cgos_price_cents": offer.cgos_price_cents,
            "note": req.decision_note,
        },
    )


def refuse(request_id: int, *, actor: Any, note: str) -> PriceChangeRequest:
    """Refuse with a note the partner reads; the offer is unchanged."""
    _require_admin(actor)
    note = _note(note, required=True)
    with unit_of_work() as s:
        req = _pending(s, request_id)
        offer = _offer_of(s, req)
        _close(req, PriceRequestStatus.REFUSED, actor, note)
        _decide_offer(offer, req, actor)
        _tell(req, offer)
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
    verdict = "approuvée" if approved else "refusée"
    if req.for_new_offer:
        verdict = "validée" if approved else "refusée"
        subject = f"Nouvelle offre « {offer.title[:80]} » : {verdict}"
    else:
        subject = f"Prix de « {offer.title[:80]} » : demande {verdict}"
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
