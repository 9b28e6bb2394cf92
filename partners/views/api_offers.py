"""Partner JSON API for offers (R-PAR-5, R-PAR-10): list the partner's offers, set stock and
supply state of an offer or a session, ask for a price change and follow the requests.

Routes hang on the ``bp`` of ``partners.views.api`` (token, JSON errors, no-store). Input
that does not match the document (``partners.openapi_offers``) is a 422 naming the field;
a well-formed request a catalog rule refuses today (stock of a dated offer, C.G.O.S price
above the négocié…) is a 409 naming the field; another partner's offer, session or
request is a 404 like an unknown one (R-PAR-1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import g, jsonify, request
from sqlalchemy import func, select

from catalog import price_requests, services
from catalog.models import Offer, OfferSession, PriceChangeRequest
from catalog.rules import Kind, PriceRequestStatus
from catalog.sales import register_counter, sales_by
from orders import sales_counts
from partners import openapi_offers as spec
from partners.views.api import _error, _json_body, _limit, bp
from shop.db import session
from shop.errors import DomainError, NotFound

# The sold counts of the partner's pages and of this API come from the orders domain.
bp.record_once(lambda _state: register_counter(sales_counts.count))


class RuleConflict(DomainError):
    """A well-formed request that a rule refuses given the current state: 409."""


@bp.errorhandler(RuleConflict)
def _rule_conflict(exc: RuleConflict):
    return _error(409, "conflict", exc.message, exc.field)


@dataclass(frozen=True)
class ApiActor:
    """The token's partner as the catalog services' actor (scoped, audited by label)."""

    partner_id: int
    audit_label: str
    role: str = "partner"


def _actor() -> ApiActor:
    return ApiActor(g.api_partner_id, g.api_actor)


def _stamp(value: Any) -> str | None:
    return value.isoformat() + "Z" if value else None


def _conflicts(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service whose input was checked here: what it still refuses is a rule (409),
    except NotFound (404)."""
    try:
        return call(*args, **kwargs)
    except NotFound:
        raise
    except DomainError as err:
        raise RuleConflict(err.message, field=err.field) from None


# -- input --------------------------------------------------------------------------------


def _integer(body: dict[str, Any], name: str, maximum: int, message: str) -> int | None:
    """An integer of the body, or None when absent; 7.0 is an integer to JSON Schema."""
    if name not in body:
        return None
    value = body[name]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise DomainError(message, field=name)
    return value


def _stock_body() -> tuple[int | None, str | None]:
    body = _json_body()
    stock = _integer(
        body, "stock", spec.MAX_STOCK, "« stock » : un nombre entier entre 0 et 1 000 000."
    )
    state = body.get("supply_state")
    if "supply_state" in body and state not in spec.SUPPLY_STATES:
        states = ", ".join(spec.SUPPLY_STATES)
        raise DomainError(f"« supply_state » : choisissez parmi {states}.", field="supply_state")
    if stock is None and state is None:
        raise DomainError("Indiquez « stock » ou « supply_state ».", field="stock")
    return stock, state


def _cursor(raw: str | None) -> int:
    if raw is None:
        return 0
    if not re.search(spec.ID_CURSOR_PATTERN, raw):
        raise DomainError("Curseur de pagination invalide.", field="cursor")
    return int(raw)


# -- offers -------------------------------------------------------------------------------


def _offer_json(offer: Offer, sessions: int, sold: Any) -> dict[str, Any]:
    return {
        "id": offer.id,
        "kind": offer.kind,
        "title": offer.title,
        "published": offer.published,
        "approval": str(offer.approval),
        "public_price_cents": offer.public_price_cents,
        "negotiated_price_cents": offer.negotiated_price_cents,
        "cgos_price_cents": offer.cgos_price_cents,
        "participation_cents": offer.participation_cents,
        "stock": offer.stock,
        "supply_state": offer.supply_state,
        "sessions": sessions,
        "sold": sold.sold,
        "pending": sold.pending,
    }


def _session_count():
    return (
        select(func.count(OfferSession.id))
        .where(OfferSession.offer_id == Offer.id, OfferSession.cancelled.is_(False))
        .scalar_subquery()
    )


@bp.get("/offers")
def list_offers():
    """The partner's offers by id, a page at a time: three statements whatever the page."""
    limit = _limit(request.args.get("limit"))
    after = _cursor(request.args.get("cursor"))
    rows = session().execute(
        select(Offer, _session_count())
        .where(Offer.partner_id == g.api_partner_id, Offer.id > after)
        .order_by(Offer.id)
        .limit(limit + 1)
    )
    found = list(rows)
    page = found[:limit]
    sold = sales_by("offer", [offer.id for offer, _ in page])
    return jsonify(
        {
            "data": [_offer_json(offer, count, sold[offer.id]) for offer, count in page],
            "next_cursor": str(page[-1][0].id) if len(found) > limit else None,
        }
    )


@bp.patch("/offers/<int:offer_id>")
def update_offer(offer_id: int):
    """R-PAR-5: stock and/or supply state of an undated offer (dated ones: per session)."""
    stock, state = _stock_body()
    actor = _actor()
    offer = services.offer_for_staff(offer_id, actor)
    if offer is None:
        raise NotFound()
    if offer.kind == Kind.BILLET_DATE:
        raise RuleConflict(
            "Le stock d'un billet daté se règle par séance (PATCH /sessions/{id}).",
            field="stock" if stock is not None else "supply_state",
        )
    _conflicts(
        services.set_offer_stock,
        offer.id,
        (offer.stock or 0) if stock is None else stock,
        state or offer.supply_state,
        actor,
    )
    fresh = session().execute(select(Offer, _session_count()).where(Offer.id == offer.id)).one()
    return jsonify(_offer_json(fresh[0], fresh[1], sales_by("offer", [offer.id])[offer.id]))


@bp.patch("/sessions/<int:session_id>")
def update_session(session_id: int):
    """R-PAR-5: stock and/or supply state of one session of the partner's dated offers."""
    stock, state = _stock_body()
    row = _conflicts(
        services.set_session_stock, session_id, _actor(), stock=stock, supply_state=state
    )
    sold = sales_by("session", [row.id])[row.id]
    return jsonify(
        {
            "id": row.id,
            "offer_id": row.offer_id,
            "starts_at": _stamp(row.starts_at),
            "stock": row.stock,
            "supply_state": row.supply_state,
            "sold": sold.sold,
            "pending": sold.pending,
        }
    )


# -- price requests (R-PAR-10) ------------------------------------------------------------


def _request_json(req: PriceChangeRequest, title: str) -> dict[str, Any]:
    return {
        "id": req.id,
        "offer_id": req.offer_id,
        "offer_title": title,
        "kind": str(req.kind),
        "status": str(req.status),
        "current_negotiated_price_cents": req.current_negotiated_cents,
        "current_cgos_price_cents": req.current_cgos_cents,
        "current_participation_cents": req.current_participation_cents,
        "requested_negotiated_price_cents": req.requested_negotiated_cents,
        "requested_cgos_price_cents": req.requested_cgos_cents,
        "requested_participation_cents": req.requested_participation_cents,
        "reason": req.reason,
        "requested_at": _stamp(req.requested_at),
        "decided_at": _stamp(req.decided_at),
        "decision_note": req.decision_note,
    }


@bp.post("/offers/<int:offer_id>/price-requests")
def request_price_change(offer_id: int):
    """R-PAR-10: new négocié and C.G.O.S prices, applied once an admin approves them."""
    body = _json_body()
    prices = []
    for name in ("negotiated_price_cents", "cgos_price_cents"):
        value = _integer(
            body, name, spec.MAX_CENTS, f"« {name} » : un montant en centimes, entier, ≥ 0."
        )
        if value is None:
            raise DomainError(f"« {name} » est obligatoire.", field=name)
        prices.append(value)
    reason = body.get("reason", "")
    if (
        not isinstance(reason, str)
        or len(reason) > spec.REASON_MAX
        or not re.search(spec.REASON_PATTERN, reason)
    ):
        raise DomainError("« reason » : un texte de 500 caractères au plus.", field="reason")
    req = _conflicts(
        price_requests.request_price_change,
        offer_id,
        prices[0],
        prices[1],
        reason,
        partner_id=g.api_partner_id,
        actor=_actor(),
    )
    return jsonify(_request_json(req, req.offer.title)), 201


@bp.get("/price-requests")
def list_price_requests():
    """The partner's requests, newest first, optionally of one status (bounded by limit)."""
    limit = _limit(request.args.get("limit"))
    status = request.args.get("status")
    if status is not None and status not in {s.value for s in PriceRequestStatus}:
        raise DomainError("« status » : état de demande inconnu.", field="status")
    rows = session().execute(
        select(PriceChangeRequest, Offer.title)
        .join(Offer, Offer.id == PriceChangeRequest.offer_id)
        .where(
            PriceChangeRequest.partner_id == g.api_partner_id,
            *([PriceChangeRequest.status == status] if status else []),
        )
        .order_by(PriceChangeRequest.id.desc())
        .limit(limit)
    )
    return jsonify({"data": [_request_json(req, title) for req, title in rows]})
