"""Partner JSON API under /api/v1 (R-PAR-6, R-PAR-7): the portal's shipment and scan
operations for a partner's own systems.

Registered on the public audience and authenticated here by a per-partner bearer token
(stored hashed, revocable); CSRF-exempt since no browser cookie is involved. Every read is
scoped to the token's partner, so another partner's order is a 404 like an unknown one.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, g, jsonify, request, url_for

from orders.fees import GROUP_LABELS
from partners import rules, services
from shop.errors import DomainError, NotFound
from shop.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


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


@bp.before_request
def _authenticate():
    if request.endpoint == "public.api.openapi":
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


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    return _error(422, "invalid", exc.message, exc.field)


@bp.errorhandler(404)
def _http_404(_exc):
    return _error(404, "not_found", "Introuvable.")


@bp.errorhandler(405)
def _http_405(_exc):
    return _error(405, "method_not_allowed", "Méthode non autorisée sur cette adresse.")


@bp.errorhandler(400)
def _http_400(_exc):
    return _error(400, "bad_request", "Requête incorrecte : un corps JSON est attendu.")


def _encode_cursor(key: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}".encode()).decode().rstrip("=")


def _decode_cursor(raw: str) -> tuple[int, str]:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        order_id, group = text.split(":", 1)
        if not 0 <= int(order_id) < 2**31:
            raise ValueError(order_id)
        return int(order_id), group
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise DomainError("Curseur de pagination invalide.", field="cursor") from None


def _entry_json(entry: services.QueueEntry) -> dict[str, Any]:
    return {
        "order_number": entry.order.number,
        "group": entry.group,
        "group_label": GROUP_LABELS.get(entry.group, entry.group),
        "paid_at": entry.order.paid_at.isoformat() + "Z" if entry.order.paid_at else None,
        "posting_deadline": entry.deadline.isoformat() + "Z" if entry.deadline else None,
        "late": entry.late,
        "paid_mode": entry.suggested_mode,
        "addresses": entry.addresses,
        "lines": [
            {
                "title": line.title,
                "quantity": line.quantity,
                "session_starts_at": line.session_starts_at.isoformat() + "Z"
                if line.session_starts_at
                else None,
            }
            for line in entry.lines
        ],
    }


@bp.get("/shipments")
def shipments():
    try:
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise DomainError("« limit » doit être un nombre entier.", field="limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(f"« limit » doit être entre 1 et {MAX_LIMIT}.", field="limit")
    cursor = request.args.get("cursor")
    after = _decode_cursor(cursor) if cursor else None
    entries, last = services.shipment_page(g.api_partner_id, after, limit)
    return jsonify(
        {
            "data": [_entry_json(e) for e in entries],
            "next_cursor": _encode_cursor(last) if last else None,
        }
    )


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError("Un objet JSON est attendu dans le corps de la requête.")
    return body


@bp.post("/shipments/<order_number>/<group>/shipped")
def mark_shipped(order_number: str, group: str):
    body = _json_body()
    mode, tracking = body.get("mode"), body.get("tracking_number")
    if not isinstance(mode, str) or not isinstance(tracking, (str, type(None))):
        raise DomainError("« mode » et « tracking_number » doivent être du texte.", field="mode")
    shipment = services.mark_shipped(
        g.api_partner_id, order_number, group, mode, tracking, actor=g.api_actor
    )
    return (
        jsonify(
            {
                "order_number": order_number,
                "group": shipment.group,
                "mode": shipment.mode,
                "mode_label": rules.MODE_LABELS[shipment.mode],
                "tracking_number": shipment.tracking_number,
                "shipped_at": shipment.shipped_at.isoformat() + "Z",
            }
        ),
        201,
    )


@bp.post("/scans")
def scan():
    body = _json_body()
    code, session_id = body.get("code"), body.get("session_id")
    if not isinstance(code, str) or not code.strip():
        raise DomainError("Le code du billet est obligatoire.", field="code")
    if session_id is not None and (isinstance(session_id, bool) or not isinstance(session_id, int)):
        raise DomainError("« session_id » doit être un nombre entier.", field="session_id")
    result = services.scan(g.api_partner_id, code, session_id, actor=g.api_actor)
    return jsonify(
        {
            "verdict": result.verdict,
            "label": services.SCAN_LABELS[result.verdict],
            "message": result.message,
            "used_at": result.used_at.isoformat() + "Z" if result.used_at else None,
            "title": result.title,
        }
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(_openapi_document())


def _openapi_document() -> dict[str, Any]:
    error = {"$ref": "#/components/schemas/Error"}
    errors = {
        "401": {"description": "Jeton absent ou révoqué", **_json(error)},
        "404": {"description": "Introuvable", **_json(error)},
        "422": {"description": "Donnée refusée", **_json(error)},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "CGOS Loisirs — API partenaires", "version": "1"},
        "servers": [{"url": url_for(".shipments", _external=True).rsplit("/shipments", 1)[0]}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "field": {"type": "string"},
                            },
                        }
                    },
                }
            },
        },
        "paths": {
            "/shipments": {
                "get": {
                    "summary": "Colis à expédier (pagination par curseur)",
                    "parameters": [
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                        },
                    ],
                    "responses": {"200": {"description": "Une page de colis"}, **errors},
                }
            },
            "/shipments/{order_number}/{group}/shipped": {
                "post": {
                    "summary": "Marquer un colis comme expédié",
                    "parameters": [
                        {"name": "order_number", "in": "path", "required": True},
                        {"name": "group", "in": "path", "required": True},
                    ],
                    "requestBody": _json(
                        {
                            "type": "object",
                            "required": ["mode"],
                            "properties": {
                                "mode": {"enum": list(rules.MODE_LABELS)},
                                "tracking_number": {"type": "string"},
                            },
                        }
                    ),
                    "responses": {"201": {"description": "Expédition enregistrée"}, **errors},
                }
            },
            "/scans": {
                "post": {
                    "summary": "Contrôler un e-billet à l'entrée",
                    "requestBody": _json(
                        {
                            "type": "object",
                            "required": ["code"],
                            "properties": {
                                "code": {"type": "string"},
                                "session_id": {"type": "integer"},
                            },
                        }
                    ),
                    "responses": {
                        "200": {"description": "valide, deja_utilise ou invalide"},
                        **errors,
                    },
                }
            },
        },
    }


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}
