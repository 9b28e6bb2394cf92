"""Partner JSON API under /api/v1 (R-PAR-6, R-PAR-7, R-PAR-8): the portal's shipment and scan
operations for a partner's own systems.

Registered on the public audience and authenticated here by a per-partner bearer token
(stored hashed, revocable); CSRF-exempt since no browser cookie is involved. Every read is
scoped to the token's partner, so another partner's order is a 404 like an unknown one.
Every answer under /api is JSON, errors included (unknown path, wrong method, malformed
body, uncaught error); input is checked against the patterns of ``partners.openapi``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, g, jsonify, request, url_for
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from orders.fees import GROUP_LABELS
from partners import openapi, parcels, rules, services
from partners.models import Shipment
from shop.errors import DomainError, NotFound
from shop.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PREFIX = "/api/"


def _error(status: int, code: str, message: str, field: str | None = None):
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    response = jsonify({"error": body})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@bp.before_app_request
def _routing_errors():
    """An unknown path or a wrong method under /api never reaches a blueprint, so its
    handlers (and the JSON they answer) would not apply: answer here instead."""
    failure = request.routing_exception
    if not request.path.startswith(PREFIX) or not isinstance(failure, HTTPException):
        return None
    return _http_error(failure) if failure.code in (404, 405) else None


@bp.before_request
def _authenticate():
    if request.endpoint == "public.api.openapi_json":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    token = services.authenticate_token(raw.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        return _error(401, "unauthorized", "Jeton d'API absent, inconnu ou révoqué.")
    g.api_partner_id = token.partner_id
    g.api_actor = f"api:{token.partner_id}:{token.name}"
    return None


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(NotFound)
def _not_found(_exc):
    return _error(404, "not_found", "Introuvable.")


@bp.errorhandler(services.AlreadyShipped)
def _conflict(exc: DomainError):
    return _error(409, "conflict", exc.message)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    return _error(422, "invalid", exc.message, exc.field)


_HTTP_ERRORS = {
    400: ("bad_request", "Requête incorrecte : le corps n'est pas du JSON valide."),
    403: ("forbidden", "Accès refusé."),
    404: ("not_found", "Introuvable."),
    405: ("method_not_allowed", "Méthode non autorisée sur cette adresse."),
    413: ("too_large", "Corps de requête trop volumineux."),
    415: ("unsupported_media_type", "Le corps doit être du JSON (Content-Type: application/json)."),
    429: ("too_many_requests", "Trop de requêtes : réessayez dans un instant."),
}


def _http_error(exc: HTTPException):
    code, message = _HTTP_ERRORS.get(exc.code or 400, ("error", exc.name))
    response = _error(exc.code or 400, code, message)
    if isinstance(exc, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods or ()))
    return response


def _server_error(_exc):
    """L10: an uncaught error (logged by Flask) answers the documented JSON, not the page."""
    return _error(500, "server_error", "Erreur technique : réessayez dans un instant.")


# Flask prefers a handler registered for a status code, even the app's HTML page, to one
# registered for a class: each code the app answers with a page is claimed here too.
for _status in _HTTP_ERRORS:
    bp.register_error_handler(_status, _http_error)
bp.register_error_handler(HTTPException, _http_error)
bp.register_error_handler(500, _server_error)


def _decode_cursor(raw: str) -> tuple[datetime, datetime, int, str]:
    if not re.search(openapi.CURSOR_PATTERN, raw):
        raise DomainError("Curseur de pagination invalide.", field="cursor")
    return parcels.decode_key(raw)


def _limit(raw: str | None) -> int:
    if raw is None:
        return openapi.DEFAULT_LIMIT
    if not re.fullmatch(r"-?[0-9]{1,12}", raw):
        raise DomainError("« limit » doit être un nombre entier.", field="limit")
    limit = int(raw)
    if not 1 <= limit <= openapi.MAX_LIMIT:
        raise DomainError(f"« limit » doit être entre 1 et {openapi.MAX_LIMIT}.", field="limit")
    return limit


def _shipment_json(order_number: str | None, shipment: Shipment) -> dict[str, Any]:
    return {
        "order_number": order_number,
        "group": shipment.group,
        "mode": shipment.mode,
        "mode_label": rules.MODE_LABELS[shipment.mode],
        "tracking_number": shipment.tracking_number,
        "shipped_at": shipment.shipped_at.isoformat() + "Z",
    }


def _entry_json(parcel: parcels.Parcel) -> dict[str, Any]:
    entry = parcel.entry
    return {
        "order_number": entry.order.number,
        "group": entry.group,
        "group_label": GROUP_LABELS.get(entry.group, entry.group),
        "paid_at": _stamp(entry.order.paid_at),
        "session_starts_at": _stamp(parcel.first_session),
        "posting_deadline": _stamp(entry.deadline),
        "late": parcel.late,
        "paid_mode": entry.suggested_mode,
        "status": "shipped" if parcel.shipment else "to_ship",
        "shipment": _shipment_json(entry.order.number, parcel.shipment)
        if parcel.shipment
        else None,
        "addresses": entry.addresses,
        "lines": [
            {
                "title": line.title,
                "quantity": line.quantity,
                "session_starts_at": _stamp(line.session_starts_at),
            }
            for line in entry.lines
        ],
    }


def _list_filters() -> parcels.ParcelFilters:
    """The listing's filters, checked against the document's schemas."""
    args = request.args
    mode = args.get("mode")
    if mode is not None and mode not in rules.MODE_LABELS:
        raise DomainError("« mode » : choisissez parmi " + ", ".join(rules.MODE_LABELS), "mode")
    raw_session = args.get("session_id")
    session_id = None
    if raw_session is not None:
        if not re.fullmatch(r"[0-9]{1,10}", raw_session) or not (
            1 <= int(raw_session) <= openapi.INT32_MAX
        ):
            raise DomainError("« session_id » : le numéro d'une séance.", field="session_id")
        session_id = int(raw_session)
    late = args.get("late")
    if late is not None and late not in ("true", "false"):
        raise DomainError("« late » : true ou false.", field="late")
    status = args.get("status", "to_ship")
    if status not in parcels.STATUS_LABELS:
        raise DomainError("« status » : to_ship ou shipped.", field="status")
    return parcels.ParcelFilters(mode, session_id, late == "true", status)


@bp.get("/shipments")
def shipments():
    """R-PAR-2, R-PAR-6: the parcels by urgency (posting deadline, then payment), filtered;
    the cursor is the last parcel's sort key, so pages hold while parcels are shipped."""
    limit = _limit(request.args.get("limit"))
    cursor = request.args.get("cursor")
    after = _decode_cursor(cursor) if cursor is not None else None
    found, last = parcels.keyset_page(g.api_partner_id, _list_filters(), after, limit)
    return jsonify(
        {
            "data": [_entry_json(p) for p in found],
            "next_cursor": parcels.encode_key(last) if last else None,
        }
    )


def _json_body() -> dict[str, Any]:
    """The request's JSON object: 415 for another content type, 400 when malformed."""
    if request.mimetype != "application/json":
        abort(415)
    body = request.get_json()  # malformed: BadRequest, answered 400 in JSON
    if not isinstance(body, dict):
        raise DomainError("Un objet JSON est attendu dans le corps de la requête.")
    return body


def _text(body: dict[str, Any], name: str, pattern: str, max_length: int, message: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or len(value) > max_length or not re.search(pattern, value):
        raise DomainError(message, field=name)
    return value


@bp.post("/shipments/<order_number>/<group>/shipped")
def mark_shipped(order_number: str, group: str):
    body = _json_body()
    mode, tracking = body.get("mode"), body.get("tracking_number")
    if not isinstance(mode, str) or mode not in rules.MODE_LABELS:
        modes = ", ".join(rules.MODE_LABELS)
        raise DomainError(f"« mode » : choisissez parmi {modes}.", field="mode")
    if tracking is None:
        error = rules.tracking_error(mode, None)
    elif not isinstance(tracking, str):
        error = "Le numéro de suivi doit être du texte."
    else:  # as sent, not trimmed: what the document's pattern says
        error = _tracking_error(mode, tracking)
    if error:
        raise DomainError(error, field="tracking_number")
    shipment = services.mark_shipped(
        g.api_partner_id, order_number, group, mode, tracking, actor=g.api_actor
    )
    return jsonify(_shipment_json(order_number, shipment)), 201


class _ItemErrors(DomainError):
    """Errors of a bulk request, one per item and field."""

    def __init__(self, status: int, code: str, message: str, errors: list[dict[str, Any]]):
        super().__init__(message)
        self.status, self.code, self.errors = status, code, errors


@bp.errorhandler(_ItemErrors)
def _item_errors(exc: _ItemErrors):
    response = _error(exc.status, exc.code, exc.message)
    body = response.get_json()
    body["errors"] = exc.errors
    response.set_data(json.dumps(body))
    return response


def _tracking_error(mode: str, tracking: Any) -> str | None:
    """The document's rule for a tracking number of ``mode``, as sent (not trimmed)."""
    if tracking is None:
        return rules.tracking_error(mode, None)
    if not isinstance(tracking, str):
        return "Le numéro de suivi doit être du texte."
    if not re.search(rules.MODE_TRACKING_PATTERNS[mode], tracking):
        return rules.tracking_error(mode, tracking) or rules.mode_format_error(mode, "")
    return None


def _bulk_item(index: int, raw: Any) -> tuple[services.ShipItem | None, list[dict[str, Any]]]:
    def err(name: str, message: str) -> dict[str, Any]:
        return {"index": index, "field": name, "message": message}

    if not isinstance(raw, dict):
        return None, [err("item", "Chaque colis est un objet JSON.")]
    errors = []
    number, group, mode = raw.get("order_number"), raw.get("group"), raw.get("mode")
    if not isinstance(number, str) or not re.search(openapi.ORDER_NUMBER_PATTERN, number):
        errors.append(err("order_number", "Numéro de commande invalide (ex. L26-000123)."))
    if not isinstance(group, str) or group not in openapi.GROUPS:
        errors.append(err("group", "« group » : " + ", ".join(openapi.GROUPS) + "."))
    if not isinstance(mode, str) or mode not in rules.MODE_LABELS:
        errors.append(err("mode", "« mode » : " + ", ".join(rules.MODE_LABELS) + "."))
    else:
        problem = _tracking_error(mode, raw.get("tracking_number"))
        if problem:
            errors.append(err("tracking_number", problem))
    if errors or not isinstance(number, str) or not isinstance(group, str) or mode is None:
        return None, errors
    tracking = raw.get("tracking_number")
    item = services.ShipItem(number, group, mode, rules.normalise_tracking(tracking) or None)
    return item, []


@bp.post("/shipments/shipped")
def mark_shipped_bulk():
    """R-PAR-4, R-PAR-6: many parcels posted at once, all or nothing. Malformed items: 422;
    a parcel not the partner's: 404; one posted with another mode or number, or named
    twice differently: 409; each with the items' errors. One posted identically already
    is counted, not recorded again (a retried request changes nothing)."""
    body = _json_body()
    items = body.get("shipments")
    if not isinstance(items, list) or not 1 <= len(items) <= openapi.MAX_BULK:
        message = f"« shipments » : une liste de 1 à {openapi.MAX_BULK} colis."
        raise DomainError(message, field="shipments")
    checked, errors = [], []
    for index, raw in enumerate(items):
        item, problems = _bulk_item(index, raw)
        errors += problems
        if item is not None:
            checked.append((index, item))
    if errors:
        raise _ItemErrors(422, "invalid", "Colis refusés : rien n'a été enregistré.", errors)
    todo, already, found = parcels.check_items(g.api_partner_id, checked)
    if found:
        missing = [e for e in found if e.message.startswith("Colis introuvable")]
        status, code = (404, "not_found") if missing else (409, "conflict")
        chosen = missing or found
        raise _ItemErrors(
            status,
            code,
            "Colis refusés : rien n'a été enregistré.",
            [
                {"index": e.line, "field": _API_FIELDS[e.field], "message": e.message}
                for e in chosen
            ],
        )
    shipped = services.record_shipments(g.api_partner_id, todo, actor=g.api_actor)
    return jsonify(
        {
            "recorded": len(shipped),
            "already_shipped": already,
            "data": [
                _shipment_json(item.order_number, s) for item, s in zip(todo, shipped, strict=True)
            ],
        }
    )


_API_FIELDS = {"commande": "order_number", "numero_suivi": "tracking_number"}


@bp.patch("/shipments/<order_number>/<group>")
def correct_tracking(order_number: str, group: str):
    """R-PAR-4: a posted parcel's tracking number corrected; the agent is mailed."""
    body = _json_body()
    mode = body.get("mode")
    if not isinstance(mode, str) or mode not in rules.MODE_LABELS:
        raise DomainError("« mode » : " + ", ".join(rules.MODE_LABELS) + ".", field="mode")
    tracking = body.get("tracking_number")
    error = _tracking_error(mode, tracking) if tracking is not None else None
    if tracking is None or error:
        raise DomainError(error or "Le nouveau numéro de suivi est obligatoire.", "tracking_number")
    current = parcels.shipment_of(g.api_partner_id, order_number, group)
    if current.mode != mode:
        message = "Ce colis a été envoyé dans un autre mode : le mode ne se corrige pas."
        raise services.AlreadyShipped(message)
    shipment = parcels.correct_tracking(
        g.api_partner_id, order_number, group, tracking, actor=g.api_actor
    )
    return jsonify(_shipment_json(order_number, shipment))


@bp.post("/scans")
def scan():
    body = _json_body()
    code = _text(
        body,
        "code",
        openapi.CODE_PATTERN,
        openapi.CODE_MAX,
        "Le code du billet est obligatoire : lettres et chiffres, 64 caractères au plus.",
    )
    session_id = body.get("session_id")
    if isinstance(session_id, float) and session_id.is_integer():
        session_id = int(session_id)  # 7.0 is an integer to JSON Schema, hence to the document
    message = "« session_id » : le numéro d'une séance de vos événements est obligatoire."
    if (
        isinstance(session_id, bool)
        or not isinstance(session_id, int)
        or not 1 <= session_id <= openapi.INT32_MAX
    ):
        raise DomainError(message, field="session_id")
    # R-PAR-8, R-PAR-1: another partner's or an unknown session is a 404, like an unknown
    # parcel (a schema-valid id naming nothing is not malformed input: 422 would be).
    chosen = services.control_session(g.api_partner_id, session_id)
    result = services.scan(g.api_partner_id, code, chosen.id, actor=g.api_actor)
    return jsonify(
        {
            "verdict": result.verdict,
            "label": services.SCAN_LABELS[result.verdict],
            "message": result.message,
            "used_at": _stamp(result.used_at),
            "title": result.title,
            "session_starts_at": _stamp(result.starts_at),
            "venue": result.venue,
            "holder": result.holder,
            "ticket_number": result.ticket_number,
        }
    )


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


@bp.get("/sessions")
def sessions():
    """R-PAR-8: the sessions a door may control, today's first, with their counts."""
    return jsonify(
        {
            "data": [
                {
                    "id": c.id,
                    "title": c.title,
                    "starts_at": _stamp(c.starts_at),
                    "venue": c.venue,
                    "city": c.city,
                    "today": c.today,
                    "sold": c.sold,
                    "expected": c.expected,
                    "used": c.admitted,
                    "remaining": c.remaining,
                }
                for c in services.control_sessions(g.api_partner_id)
            ]
        }
    )


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI document; public, so a partner's tools can read it before having a token."""
    base = url_for(".shipments", _external=True).rsplit("/shipments", 1)[0]
    return jsonify(openapi.document(base))
