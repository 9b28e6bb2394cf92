"""The partner API's OpenAPI 3.1 document (R-PAR-6): every parameter, body and response,
errors included, has a schema, and the views check input against the same patterns, so a
request the document calls valid is never refused for its shape (checked by schemathesis)."""

from __future__ import annotations

from typing import Any

from orders.fees import Group
from partners import openapi_offers, rules
from partners.openapi_webhooks import merge as merge_webhooks

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
GROUPS = [g.value for g in Group]
ORDER_NUMBER_PATTERN = rules.ORDER_NUMBER_PATTERN
MAX_BULK = 500
# The last parcel's sort key: "<first session µs>:<payment µs>:<order id>:<group>".
CURSOR_PATTERN = r"^[0-9]{1,18}:[0-9]{1,18}:[0-9]{1,9}:(" + "|".join(GROUPS) + ")$"
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
_FORMAT_DESCRIPTIONS = {
    rules.TRACKED_LETTER_PATTERN: "Lettre suivie / Colissimo : 11 à 15 lettres ou chiffres",
    rules.REGISTERED_PATTERN: "Recommandé, valeur déclarée : S10 (RR123456789FR) ou "
    "numéro La Poste à 13 caractères (1A12345678901)",
}


def _tracking_of(mode: str) -> dict[str, Any]:
    """R-PAR-4: a tracking number in the format of ``mode``'s carrier, without spaces."""
    pattern = rules.MODE_TRACKING_PATTERNS[mode]
    return {"type": "string", "pattern": pattern, "description": _FORMAT_DESCRIPTIONS[pattern]}


def _per_mode(extra: dict[str, Any], required: list[str], optional_untracked: bool) -> dict:
    """One variant per mode: the tracking number's format depends on the mode."""
    variants = []
    for mode in rules.MODE_LABELS:
        tracking = _tracking_of(mode)
        untracked = mode not in rules.TRACKED_MODES and optional_untracked
        variants.append(
            {
                "type": "object",
                "required": [*required, "mode", *([] if untracked else ["tracking_number"])],
                "properties": {
                    **extra,
                    "mode": {"const": mode},
                    "tracking_number": {"oneOf": [tracking, {"type": "null"}]}
                    if untracked
                    else tracking,
                },
            }
        )
    return {"oneOf": variants}


_STAMP = {"type": ["string", "null"], "format": "date-time"}
_TEXT_OR_NULL = {"type": ["string", "null"]}

_ERROR_BODY = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "Code stable, en anglais"},
        "message": {"type": "string", "description": "Message en français"},
        "field": {"type": "string", "description": "Champ en cause"},
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": _ERROR_BODY},
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
            "status",
            "session_starts_at",
            "shipment",
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
            "status": {"enum": ["to_ship", "shipped"]},
            "session_starts_at": {**_STAMP, "description": "Première séance du colis"},
            "shipment": {"oneOf": [{"$ref": "#/components/schemas/Shipment"}, {"type": "null"}]},
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
    "ShippedRequest": _per_mode({}, [], optional_untracked=True),
    "ShippedItem": _per_mode(
        {
            "order_number": {"type": "string", "pattern": ORDER_NUMBER_PATTERN},
            "group": {"enum": GROUPS},
        },
        ["order_number", "group"],
        optional_untracked=True,
    ),
    "ShippedBulkRequest": {
        "type": "object",
        "required": ["shipments"],
        "properties": {
            "shipments": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_BULK,
                "items": {"$ref": "#/components/schemas/ShippedItem"},
            }
        },
    },
    "ShippedBulk": {
        "type": "object",
        "required": ["recorded", "already_shipped", "data"],
        "properties": {
            "recorded": {"type": "integer", "minimum": 0},
            "already_shipped": {
                "type": "integer",
                "minimum": 0,
                "description": "Colis déjà enregistrés avec le même mode et numéro",
            },
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Shipment"}},
        },
    },
    "BulkError": {
        "type": "object",
        "required": ["error", "errors"],
        "properties": {
            "error": _ERROR_BODY,
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["index", "field", "message"],
                    "properties": {
                        "index": {"type": "integer", "minimum": 0, "description": "Rang du colis"},
                        "field": {"type": "string"},
                        "message": {"type": "string", "description": "Message en français"},
                    },
                },
            },
        },
    },
    "CorrectionRequest": _per_mode({}, [], optional_untracked=False),
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
    "409": "Colis déjà marqué comme expédié (ou avec un autre mode, un autre numéro)",
    "415": "Le corps doit être du JSON (application/json)",
    "422": "Donnée refusée (le champ en cause est nommé)",
    "500": "Erreur technique",
}


_PARCEL_PARAMETERS = [
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
]


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: str) -> dict[str, Any]:
    return {c: {"description": _DESCRIPTIONS[c], **_json(_ref("Error"))} for c in codes}


def document(server_url: str) -> dict[str, Any]:
    """The document served at /api/v1/openapi.json, for the API at ``server_url``."""
    doc: dict[str, Any] = {
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
                    "operationId": "listShipments",
                    "summary": "Colis, les plus urgents d'abord (date limite de dépôt, puis "
                    "paiement), filtrés ; pagination par curseur",
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
                        {
                            "name": "mode",
                            "in": "query",
                            "description": "Mode d'envoi payé par l'agent",
                            "schema": {"type": "string", "enum": list(rules.MODE_LABELS)},
                        },
                        {
                            "name": "session_id",
                            "in": "query",
                            "description": "Les colis qui contiennent un billet de cette séance",
                            "schema": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
                        },
                        {
                            "name": "late",
                            "in": "query",
                            "description": "true : seulement les colis en retard",
                            "schema": {"type": "boolean"},
                        },
                        {
                            "name": "status",
                            "in": "query",
                            "description": "to_ship (par défaut) ou shipped",
                            "schema": {
                                "type": "string",
                                "enum": ["to_ship", "shipped"],
                                "default": "to_ship",
                            },
                        },
                    ],
                    "responses": {
                        "200": {"description": "Une page de colis", **_json(_ref("ParcelPage"))},
                        **_errors("401", "422", "500"),
                    },
                }
            },
            "/shipments/shipped": {
                "post": {
                    "operationId": "markShippedBulk",
                    "summary": "Marquer plusieurs colis comme expédiés, tout ou rien",
                    "description": "Chaque colis est vérifié d'abord ; une seule erreur et "
                    "rien n'est enregistré. 422 : colis mal formés ; 404 : colis inconnu ou "
                    "d'un autre partenaire ; 409 : colis déjà expédié avec un autre mode ou "
                    "numéro, ou nommé deux fois différemment. Le tableau « errors » donne le "
                    "rang (index), le champ et le message de chaque erreur. Un colis déjà "
                    "enregistré à l'identique est compté dans « already_shipped » : "
                    "renvoyer la même requête ne change rien. Chaque agent est prévenu.",
                    "requestBody": {"required": True, **_json(_ref("ShippedBulkRequest"))},
                    "responses": {
                        "200": {"description": "Colis enregistrés", **_json(_ref("ShippedBulk"))},
                        "404": {"description": _DESCRIPTIONS["404"], **_json(_ref("BulkError"))},
                        "409": {"description": _DESCRIPTIONS["409"], **_json(_ref("BulkError"))},
                        "422": {
                            "description": _DESCRIPTIONS["422"],
                            **_json({"anyOf": [_ref("BulkError"), _ref("Error")]}),
                        },
                        **_errors("400", "401", "415", "500"),
                    },
                }
            },
            "/shipments/{order_number}/{group}": {
                "patch": {
                    "operationId": "correctTracking",
                    "summary": "Corriger le numéro de suivi d'un colis expédié (l'agent est "
                    "prévenu ; le mode doit être celui de l'envoi, sinon 409)",
                    "parameters": _PARCEL_PARAMETERS,
                    "requestBody": {"required": True, **_json(_ref("CorrectionRequest"))},
                    "responses": {
                        "200": {"description": "Numéro corrigé", **_json(_ref("Shipment"))},
                        **_errors("400", "401", "404", "409", "415", "422", "500"),
                    },
                }
            },
            "/shipments/{order_number}/{group}/shipped": {
                "post": {
                    "operationId": "markShipped",
                    "summary": "Marquer un colis comme expédié (l'agent est prévenu)",
                    "parameters": _PARCEL_PARAMETERS,
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
    # the offers paths (R-PAR-5, R-PAR-10), then the webhooks (R-PAR-10)
    return merge_webhooks(openapi_offers.extend(doc))
