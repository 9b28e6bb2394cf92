"""The offers part of the partner API's OpenAPI document (R-PAR-5, R-PAR-10): paths and
schemas that ``partners.openapi.document`` merges into the whole (``extend``). The views
(``partners.views.api_offers``) check input against the same bounds and patterns."""

from __future__ import annotations

import copy
from typing import Any

from catalog.rules import Kind, OfferApproval, PriceRequestKind, PriceRequestStatus, SupplyState

MAX_STOCK = 1_000_000
MAX_CENTS = 100_000_000  # 1 000 000 €
REASON_MAX = 500
REASON_PATTERN = r"^[^\x00]*$"  # any text but NUL, which PostgreSQL cannot store
ID_CURSOR_PATTERN = r"^[0-9]{1,9}$"  # the last offer id of the previous page
INT32_MAX = 2**31 - 1
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
SUPPLY_STATES = [s.value for s in SupplyState]
KINDS = [k.value for k in Kind]
APPROVALS = [a.value for a in OfferApproval]
REQUEST_KINDS = [k.value for k in PriceRequestKind]
STATUSES = [s.value for s in PriceRequestStatus]

_CENTS = {"type": "integer", "minimum": 0}
_COUNT = {"type": "integer", "minimum": 0}
_STAMP = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "Offer": {
        "type": "object",
        "required": [
            "id",
            "kind",
            "title",
            "published",
            "approval",
            "public_price_cents",
            "negotiated_price_cents",
            "cgos_price_cents",
            "participation_cents",
            "stock",
            "supply_state",
            "sessions",
            "sold",
            "pending",
        ],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "kind": {"enum": KINDS},
            "title": {"type": "string"},
            "published": {"type": "boolean"},
            "approval": {
                "enum": APPROVALS,
                "description": "Validation C.G.O.S (R-PAR-10) : une nouvelle offre du partenaire "
                "n'est visible des agents qu'une fois « approved » (et publiée)",
            },
            "public_price_cents": _CENTS,
            "negotiated_price_cents": _CENTS,
            "cgos_price_cents": _CENTS,
            "participation_cents": {**_CENTS, "description": "Prix négocié − prix C.G.O.S"},
            "stock": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "Stock restant ; null pour un billet daté (stock par séance)",
            },
            "supply_state": {"enum": SUPPLY_STATES},
            "sessions": {**_COUNT, "description": "Séances non annulées"},
            "sold": {**_COUNT, "description": "Quantité dans des commandes payées"},
            "pending": {**_COUNT, "description": "Quantité en attente de paiement"},
        },
    },
    "OfferPage": {
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Offer"}},
            "next_cursor": {"type": ["string", "null"], "pattern": ID_CURSOR_PATTERN},
        },
    },
    "StockUpdate": {
        "type": "object",
        "description": "Au moins l'un des deux champs",
        "anyOf": [{"required": ["stock"]}, {"required": ["supply_state"]}],
        "properties": {
            "stock": {"type": "integer", "minimum": 0, "maximum": MAX_STOCK},
            "supply_state": {"enum": SUPPLY_STATES},
        },
    },
    "Session": {
        "type": "object",
        "required": ["id", "offer_id", "starts_at", "stock", "supply_state", "sold", "pending"],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "offer_id": {"type": "integer", "minimum": 1},
            "starts_at": {"type": "string", "format": "date-time"},
            "stock": {**_COUNT, "description": "Places restant en vente"},
            "supply_state": {"enum": SUPPLY_STATES},
            "sold": {**_COUNT, "description": "Places dans des commandes payées"},
            "pending": {**_COUNT, "description": "Places en attente de paiement"},
        },
    },
    "PriceRequestInput": {
        "type": "object",
        "required": ["negotiated_price_cents", "cgos_price_cents"],
        "properties": {
            "negotiated_price_cents": {"type": "integer", "minimum": 0, "maximum": MAX_CENTS},
            "cgos_price_cents": {
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_CENTS,
                "description": "Au plus le prix négocié (sinon 409)",
            },
            "reason": {"type": "string", "maxLength": REASON_MAX, "pattern": REASON_PATTERN},
        },
    },
    "PriceRequest": {
        "type": "object",
        "required": [
            "id",
            "offer_id",
            "offer_title",
            "kind",
            "status",
            "current_negotiated_price_cents",
            "current_cgos_price_cents",
            "current_participation_cents",
            "requested_negotiated_price_cents",
            "requested_cgos_price_cents",
            "requested_participation_cents",
            "reason",
            "requested_at",
            "decided_at",
            "decision_note",
        ],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "offer_id": {"type": "integer", "minimum": 1},
            "offer_title": {"type": "string"},
            "kind": {
                "enum": REQUEST_KINDS,
                "description": "new_offer : les prix d'une nouvelle offre, en vente une fois "
                "approuvée",
            },
            "status": {"enum": STATUSES},
            "current_negotiated_price_cents": _CENTS,
            "current_cgos_price_cents": _CENTS,
            "current_participation_cents": _CENTS,
            "requested_negotiated_price_cents": _CENTS,
            "requested_cgos_price_cents": _CENTS,
            "requested_participation_cents": _CENTS,
            "reason": {"type": "string"},
            "requested_at": {"type": "string", "format": "date-time"},
            "decided_at": _STAMP,
            "decision_note": {"type": "string"},
        },
    },
    "PriceRequestList": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/PriceRequest"}}
        },
    },
}

_DESCRIPTIONS = {
    "400": "Corps JSON mal formé",
    "401": "Jeton absent, inconnu ou révoqué",
    "404": "Introuvable (ou objet d'un autre partenaire)",
    "409": "Refusé par une règle du catalogue (le champ en cause est nommé)",
    "415": "Le corps doit être du JSON (application/json)",
    "422": "Donnée refusée (le champ en cause est nommé)",
    "500": "Erreur technique",
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: str) -> dict[str, Any]:
    return {c: {"description": _DESCRIPTIONS[c], **_json(_ref("Error"))} for c in codes}


def _id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
    }


_LIMIT = {
    "name": "limit",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
}

PATHS: dict[str, Any] = {
    "/offers": {
        "get": {
            "operationId": "listOffers",
            "summary": "Vos offres, par numéro (pagination par curseur)",
            "parameters": [
                {
                    "name": "cursor",
                    "in": "query",
                    "description": "« next_cursor » de la page précédente",
                    "schema": {"type": "string", "pattern": ID_CURSOR_PATTERN},
                },
                _LIMIT,
            ],
            "responses": {
                "200": {"description": "Une page d'offres", **_json(_ref("OfferPage"))},
                **_errors("401", "422", "500"),
            },
        }
    },
    "/offers/{offer_id}": {
        "patch": {
            "operationId": "updateOffer",
            "summary": "Stock et état d'approvisionnement d'une offre non datée",
            "parameters": [_id("offer_id", "Une de vos offres")],
            "requestBody": {"required": True, **_json(_ref("StockUpdate"))},
            "responses": {
                "200": {"description": "L'offre mise à jour", **_json(_ref("Offer"))},
                **_errors("400", "401", "404", "409", "415", "422", "500"),
            },
        }
    },
    "/sessions/{session_id}": {
        "patch": {
            "operationId": "updateSession",
            "summary": "Stock et état d'approvisionnement d'une séance",
            "parameters": [_id("session_id", "Une séance non annulée de vos offres")],
            "requestBody": {"required": True, **_json(_ref("StockUpdate"))},
            "responses": {
                "200": {"description": "La séance mise à jour", **_json(_ref("Session"))},
                **_errors("400", "401", "404", "409", "415", "422", "500"),
            },
        }
    },
    "/offers/{offer_id}/price-requests": {
        "post": {
            "operationId": "requestPriceChange",
            "summary": "Demander un changement du prix négocié et du prix C.G.O.S "
            "(appliqué après accord de C.G.O.S ; remplace la demande en attente)",
            "parameters": [_id("offer_id", "Une de vos offres")],
            "requestBody": {"required": True, **_json(_ref("PriceRequestInput"))},
            "responses": {
                "201": {"description": "Demande enregistrée", **_json(_ref("PriceRequest"))},
                **_errors("400", "401", "404", "409", "415", "422", "500"),
            },
        }
    },
    "/price-requests": {
        "get": {
            "operationId": "listPriceRequests",
            "summary": "Vos demandes de changement de prix, les plus récentes d'abord",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": STATUSES}},
                _LIMIT,
            ],
            "responses": {
                "200": {"description": "Les demandes", **_json(_ref("PriceRequestList"))},
                **_errors("401", "422", "500"),
            },
        }
    },
}


def extend(document: dict[str, Any]) -> dict[str, Any]:
    """Add the offers paths and schemas to the API's document, and ``remaining`` (places
    left) to the door's sessions beside ``sold``."""
    document["paths"].update(copy.deepcopy(PATHS))
    # A new mapping: the shared module-level schemas stay as they are.
    schemas = {**document["components"]["schemas"], **copy.deepcopy(SCHEMAS)}
    document["components"]["schemas"] = schemas
    control = schemas.get("ControlSession")
    if control is not None and "remaining" not in control["properties"]:
        control = schemas["ControlSession"] = copy.deepcopy(control)
        control["properties"]["remaining"] = {**_COUNT, "description": "Places restant en vente"}
        control["required"] = [*control["required"], "remaining"]
    sessions = document["paths"].get("/sessions", {}).get("get")
    if sessions is not None:
        sessions.setdefault("operationId", "listSessions")
    document["info"]["description"] += " Offres, stock et demandes de changement de prix."
    return document
