"""The partner API's OpenAPI 3.1 document (R-PAR-6): every parameter, body and response,
errors included, has a schema, and the views check input against the same patterns, so a
request the document calls valid is never refused for its shape (checked by schemathesis)."""

from __future__ import annotations

from typing import Any

from orders.fees import Group
from partners import openapi_offers, rules

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
GROUPS = [g.value for g in Group]
ORDER_NUMBER_PATTERN = rules.ORDER_NUMBER_PATTERN
# The last key of a page: "<order id>:<group>".
CURSOR_PATTERN = r"^[0-9]{1,9}:(" + "|".join(GROUPS) + ")$"
# An e-billet code as printed (groups of letters and digits, spaces or hyphens between).
CODE_PATTERN = r"^[A-Za-z0-9 -]*[A-Za-z0-9][A-Za-z0-9 -]*$"
CODE_MAX = 64
INT32_MAX = 2**31 - 1

_TRACKING = {
    "type": "string",
    "minLength": 1,
    "maxLength": rules.TRACKING_MAX,
    "pattern": rules.TRACKING_PATTERN,
    "description": "Lettres, chiffres, espaces et tirets (60 caractères au plus).",
}
_STAMP = {"type": ["string", "null"], "format": "date-time"}
_TEXT_OR_NULL = {"type": ["string", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "Code stable, en anglais"},
                    "message": {"type": "string", "description": "Message en français"},
                    "field": {"type": "string", "description": "Champ en cause"},
                },
            }
        },
    },
    "Address": {
        "type": "object",
        "properties": {
            k: _TEXT_OR_NULL for k in ("name", "line1", "line2", "postal_code", "city", "country")
        },
    },
    "Parcel": {
        "type": "object",
        "required": [
            "order_number",
            "group",
            "group_label",
            "paid_at",
            "posting_deadline",
            "late",
            "paid_mode",
            "addresses",
            "lines",
        ],
        "properties": {
            "order_number": {"type": "string"},
            "group": {"enum": GROUPS},
            "group_label": {"type": "string"},
            "paid_at": _STAMP,
            "posting_deadline": _STAMP,
            "late": {"type": "boolean"},
            "paid_mode": {"enum": list(rules.MODE_LABELS)},
            "addresses": {"type": "array", "items": {"$ref": "#/components/schemas/Address"}},
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["title", "quantity", "session_starts_at"],
                    "properties": {
                        "title": {"type": "string"},
                        "quantity": {"type": "integer", "minimum": 1},
                        "session_starts_at": _STAMP,
                    },
                },
            },
        },
    },
    "ParcelPage": {
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Parcel"}},
            "next_cursor": {"type": ["string", "null"], "pattern": CURSOR_PATTERN},
        },
    },
    "ShippedRequest": {
        "oneOf": [
            {
                "type": "object",
                "required": ["mode"],
                "properties": {
                    "mode": {"const": "lettre_verte"},
                    "tracking_number": {"oneOf": [_TRACKING, {"type": "null"}]},
                },
            },
            {
                "type": "object",
                "required": ["mode", "tracking_number"],
                "properties": {
                    "mode": {"enum": sorted(rules.TRACKED_MODES)},
                    "tracking_number": _TRACKING,
                },
            },
        ],
    },
    "Shipment": {
        "type": "object",
        "required": [
            "order_number",
            "group",
            "mode",
            "mode_label",
            "tracking_number",
            "shipped_at",
        ],
        "properties": {
            "order_number": {"type": "string"},
            "group": {"enum": GROUPS},
            "mode": {"enum": list(rules.MODE_LABELS)},
            "mode_label": {"type": "string"},
            "tracking_number": _TEXT_OR_NULL,
            "shipped_at": {"type": "string", "format": "date-time"},
        },
    },
    "ScanRequest": {
        "type": "object",
        "required": ["code", "session_id"],
        "properties": {
            "code": {
                "type": "string",
                "minLength": 1,
                "maxLength": CODE_MAX,
                "pattern": CODE_PATTERN,
            },
            "session_id": {
                "type": "integer",
                "minimum": 1,
                "maximum": INT32_MAX,
                "description": "La séance contrôlée (voir GET /sessions)",
            },
        },
    },
    "ScanResult": {
        "type": "object",
        "required": [
            "verdict",
            "label",
            "message",
            "used_at",
            "title",
            "session_starts_at",
            "venue",
            "holder",
            "ticket_number",
        ],
        "properties": {
            "verdict": {"enum": ["valide", "deja_utilise", "autre_seance", "invalide"]},
            "label": {"type": "string"},
            "message": {"type": "string"},
            "used_at": {**_STAMP, "description": "Premier passage (valide, deja_utilise)"},
            "title": _TEXT_OR_NULL,
            "session_starts_at": {**_STAMP, "description": "La séance du billet"},
            "venue": _TEXT_OR_NULL,
            "holder": _TEXT_OR_NULL,
            "ticket_number": {**_TEXT_OR_NULL, "description": "« n/N » dans la ligne"},
        },
    },
    "ControlSession": {
        "type": "object",
        "required": [
            "id",
            "title",
            "starts_at",
            "venue",
            "city",
            "today",
            "sold",
            "expected",
            "used",
        ],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "title": {"type": "string"},
            "starts_at": {"type": "string", "format": "date-time"},
            "venue": _TEXT_OR_NULL,
            "city": _TEXT_OR_NULL,
            "today": {"type": "boolean", "description": "Séance du jour (heure de Paris)"},
            "sold": {"type": "integer", "minimum": 0, "description": "Places payées"},
            "expected": {"type": "integer", "minimum": 0, "description": "E-billets valides"},
            "used": {"type": "integer", "minimum": 0, "description": "E-billets déjà entrés"},
        },
    },
    "ControlSessionList": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/ControlSession"}}
        },
    },
}

_DESCRIPTIONS = {
    "400": "Corps JSON mal formé",
    "401": "Jeton absent, inconnu ou révoqué",
    "404": "Introuvable (ou colis, séance d'un autre partenaire)",
    "409": "Colis déjà marqué comme expédié",
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


def document(server_url: str) -> dict[str, Any]:
    """The document served at /api/v1/openapi.json, for the API at ``server_url``."""
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "CGOS Loisirs — API partenaires",
            "version": "1",
            "description": "Expéditions et contrôle d'accès des partenaires. Jeton par "
            "partenaire dans l'en-tête « Authorization: Bearer … ». Erreurs en JSON.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "paths": {
            "/shipments": {
                "get": {
                    "operationId": "listParcels",
                    "summary": "Colis à expédier, par commande (pagination par curseur)",
                    "parameters": [
                        {
                            "name": "cursor",
                            "in": "query",
                            "description": "« next_cursor » de la page précédente",
                            "schema": {"type": "string", "pattern": CURSOR_PATTERN},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_LIMIT,
                                "default": DEFAULT_LIMIT,
                            },
                        },
                    ],
                    "responses": {
                        "200": {"description": "Une page de colis", **_json(_ref("ParcelPage"))},
                        **_errors("401", "422", "500"),
                    },
                }
            },
            "/shipments/{order_number}/{group}/shipped": {
                "post": {
                    "operationId": "markShipped",
                    "summary": "Marquer un colis comme expédié (l'agent est prévenu)",
                    "parameters": [
                        {
                            "name": "order_number",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": ORDER_NUMBER_PATTERN},
                        },
                        {
                            "name": "group",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": GROUPS},
                        },
                    ],
                    "requestBody": {"required": True, **_json(_ref("ShippedRequest"))},
                    "responses": {
                        "201": {"description": "Expédition enregistrée", **_json(_ref("Shipment"))},
                        **_errors("400", "401", "404", "409", "415", "422", "500"),
                    },
                }
            },
            "/sessions": {
                "get": {
                    "operationId": "listSessions",
                    "summary": "Séances à contrôler : celles du jour d'abord, puis à venir",
                    "responses": {
                        "200": {
                            "description": "Les séances, avec places vendues et entrées",
                            **_json(_ref("ControlSessionList")),
                        },
                        **_errors("401", "500"),
                    },
                }
            },
            "/scans": {
                "post": {
                    "operationId": "scanTicket",
                    "summary": "Contrôler un e-billet à l'entrée d'une séance",
                    "requestBody": {"required": True, **_json(_ref("ScanRequest"))},
                    "responses": {
                        "200": {
                            "description": "valide, deja_utilise, autre_seance ou invalide",
                            **_json(_ref("ScanResult")),
                        },
                        **_errors("400", "401", "404", "415", "422", "500"),
                    },
                }
            },
        },
    }
    return openapi_offers.extend(doc)  # the offers paths (R-PAR-5, R-PAR-10)
