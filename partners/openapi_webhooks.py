"""The webhooks of the partner API's OpenAPI 3.1 document (R-PAR-10): what the C.G.O.S
POSTs to a partner's endpoint, its headers and how to check its signature, so a receiver
can be written from the document alone. Merged into ``partners.openapi.document``."""

from __future__ import annotations

from typing import Any

# The kinds of partners.webhooks (checked equal by a unit test); pure, like openapi.py.
EVENTS = ("order.paid", "order.cancelled", "order.refunded", "session.cancelled", "ping")

SIGNATURE_HELP = (
    "Vérification : séparer l'en-tête X-CGOS-Signature « t=<unix>,v1=<hex> », calculer "
    "HMAC-SHA256(secret, « <t>.<corps brut> ») en hexadécimal, le comparer à v1 en temps "
    "constant, et refuser un t à plus de 5 minutes de l'heure courante. Le secret "
    "(whsec_…) est affiché à l'administrateur du partenaire sur la page « Intégration ». "
    "Répondre 2xx en moins de 5 secondes ; sinon (réseau, délai, 5xx, 408, 429) l'envoi "
    "est retenté 1 min après puis à intervalles doublés (1 h au plus) pendant 24 h. "
    "X-CGOS-Event-Id est le même à chaque nouvel essai : ignorer un id déjà traité."
)
_STAMP = {"type": "string", "format": "date-time"}
_STAMP_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_TEXT_OR_NULL = {"type": ["string", "null"]}
_CENTS = {"type": "integer", "minimum": 0, "description": "Centimes d'euro"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, Any] = {
    "WebhookOrder": {
        "type": "object",
        "required": ["number", "status", "placed_at", "paid_at", "cancelled_at", "holder_name"],
        "properties": {
            "number": {"type": "string"},
            "status": {"type": "string"},
            "placed_at": _STAMP,
            "paid_at": _STAMP_OR_NULL,
            "cancelled_at": _STAMP_OR_NULL,
            "holder_name": {"type": "string"},
        },
    },
    "WebhookLine": {
        "type": "object",
        "description": "Une ligne de la commande, du partenaire destinataire seulement.",
        "required": ["id", "offer_id", "title", "quantity", "unit_cents", "amount_cents", "status"],
        "properties": {
            "id": {"type": "integer"},
            "offer_id": {"type": "integer"},
            "session_id": {"type": ["integer", "null"]},
            "title": {"type": "string"},
            "session_starts_at": _STAMP_OR_NULL,
            "venue": _TEXT_OR_NULL,
            "delivery": {"type": "string"},
            "group": _TEXT_OR_NULL,
            "quantity": {"type": "integer", "minimum": 1},
            "unit_cents": {**_CENTS, "description": "Prix négocié unitaire (centimes)"},
            "amount_cents": {**_CENTS, "description": "unit_cents × quantity"},
            "status": {"type": "string", "enum": ["active", "refunded", "withdrawn"]},
        },
    },
    "WebhookOrderData": {
        "type": "object",
        "required": ["order", "lines", "amount_cents"],
        "properties": {
            "order": _ref("WebhookOrder"),
            "lines": {"type": "array", "items": _ref("WebhookLine")},
            "amount_cents": {**_CENTS, "description": "Total de vos lignes, au prix négocié"},
            "reason": {
                "type": "string",
                "enum": ["expired", "cancelled"],
                "description": "order.cancelled : délai de paiement dépassé ou annulation",
            },
            "refunded_line_ids": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "order.refunded : vos lignes remboursées par cet événement",
            },
            "refunded_cents": {**_CENTS, "description": "order.refunded : montant remboursé"},
            "whole": {
                "type": "boolean",
                "description": "order.refunded : toutes vos lignes sont remboursées",
            },
        },
    },
    "WebhookSession": {
        "type": "object",
        "required": ["id", "offer_id", "title", "starts_at"],
        "properties": {
            "id": {"type": "integer"},
            "offer_id": {"type": "integer"},
            "title": {"type": "string"},
            "starts_at": _STAMP,
            "venue": _TEXT_OR_NULL,
            "city": _TEXT_OR_NULL,
        },
    },
    "WebhookSessionData": {
        "type": "object",
        "required": ["sessions", "offer_id", "reason"],
        "properties": {
            "sessions": {"type": "array", "items": _ref("WebhookSession")},
            "offer_id": {
                "type": ["integer", "null"],
                "description": "L'offre entière annulée, sinon null (une séance)",
            },
            "reason": {"type": "string"},
        },
    },
    "WebhookPingData": {
        "type": "object",
        "required": ["message"],
        "properties": {"message": {"type": "string"}},
    },
}


def _event_schema(kind: str, data: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "type", "created", "data"],
        "properties": {
            "id": {"type": "string", "pattern": "^evt_[0-9a-f]{32}$"},
            "type": {"const": kind},
            "created": {**_STAMP, "description": "UTC, ISO 8601"},
            "data": _ref(data),
        },
    }


_DATA = {
    "order.paid": "WebhookOrderData",
    "order.cancelled": "WebhookOrderData",
    "order.refunded": "WebhookOrderData",
    "session.cancelled": "WebhookSessionData",
    "ping": "WebhookPingData",
}
_SUMMARIES = {
    "order.paid": "Une commande contenant vos articles est payée",
    "order.cancelled": "Une commande non payée contenant vos articles est annulée",
    "order.refunded": "Une commande est remboursée, en tout ou partie, sur vos articles",
    "session.cancelled": "Le C.G.O.S a annulé une ou plusieurs de vos séances",
    "ping": "Événement de test envoyé depuis la page « Intégration »",
}
_HEADERS = [
    {
        "name": "X-CGOS-Signature",
        "in": "header",
        "required": True,
        "description": "t=<unix>,v1=<hex HMAC-SHA256 de « t.corps »> (voir la description)",
        "schema": {"type": "string", "pattern": "^t=[0-9]+,v1=[0-9a-f]{64}$"},
    },
    {
        "name": "X-CGOS-Event-Id",
        "in": "header",
        "required": True,
        "description": "Identifiant de l'événement (idempotence)",
        "schema": {"type": "string"},
    },
    {
        "name": "X-CGOS-Event-Type",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "enum": list(EVENTS)},
    },
]


def _schema_name(kind: str) -> str:
    return "WebhookEvent" + "".join(p.capitalize() for p in kind.replace(".", "_").split("_"))


def webhooks() -> dict[str, Any]:
    return {
        kind: {
            "post": {
                "operationId": "webhook" + _schema_name(kind).removeprefix("WebhookEvent"),
                "summary": _SUMMARIES[kind],
                "description": SIGNATURE_HELP,
                "parameters": _HEADERS,
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(_schema_name(kind))}},
                },
                "responses": {
                    "2XX": {"description": "Reçu : l'envoi est marqué livré."},
                    "5XX": {"description": "Erreur : l'envoi est retenté (24 h au plus)."},
                },
            }
        }
        for kind in EVENTS
    }


def merge(document: dict[str, Any]) -> dict[str, Any]:
    """Add the top-level ``webhooks`` and their payload schemas to ``document``."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(SCHEMAS)
    for kind, data in _DATA.items():
        schemas[_schema_name(kind)] = _event_schema(kind, data)
    document["webhooks"] = webhooks()
    return document
