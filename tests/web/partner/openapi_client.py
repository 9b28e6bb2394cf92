"""A partner's API client built from the OpenAPI document alone (R-PAR-6): it knows no
path, no parameter and no schema of the store, only operation ids. Each call finds its
operation in the document, places the parameters where the document says (path or query),
refuses a parameter the document does not list, and checks the answer against the
response schema documented for its status, so an undocumented status or shape fails.

A webhook is verified the same way: the signature scheme and the payload schema are read
from the document's ``webhooks`` section."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

import requests
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

METHODS = ("get", "put", "post", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    def parameters(self, where: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.spec.get("parameters", []) if p["in"] == where}


class DocumentClient:
    def __init__(self, document_url: str, token: str, timeout: float = 10.0) -> None:
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        answer = self.http.get(document_url, timeout=timeout)
        answer.raise_for_status()
        self.document: dict[str, Any] = answer.json()
        self.base = self.document["servers"][0]["url"].rstrip("/")
        self.operations = {
            spec["operationId"]: Operation(method, path, spec)
            for path, item in self.document["paths"].items()
            for method, spec in item.items()
            if method in METHODS
        }
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry: Registry = Registry().with_resource("urn:document", resource)

    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        """Schemas of the document refer to ``#/components/...``: resolve them in it."""
        wrapped = {"$id": "urn:document", **self.document, "$ref": "#/$defs/target"}
        wrapped["$defs"] = {"target": schema}
        return Draft202012Validator(wrapped, registry=self.registry)

    def call(
        self,
        operation_id: str,
        body: Any = None,
        **params: Any,
    ) -> tuple[int, Any]:
        op = self.operations[operation_id]
        path_params, query_params = op.parameters("path"), op.parameters("query")
        unknown = set(params) - set(path_params) - set(query_params)
        assert not unknown, f"{operation_id} documents no parameter {sorted(unknown)}"
        missing = {n for n, p in path_params.items() if n not in params}
        assert not missing, f"{operation_id} needs {sorted(missing)}"
        path = re.sub(r"\{(\w+)\}", lambda m: requests.utils.quote(str(params[m[1]])), op.path)
        query = {
            name: str(value).lower() if isinstance(value, bool) else value
            for name, value in params.items()
            if name in query_params
        }
        if body is not None:
            assert "requestBody" in op.spec, f"{operation_id} documents no body"
            self._validator(
                op.spec["requestBody"]["content"]["application/json"]["schema"]
            ).validate(body)
        answer = self.http.request(
            op.method, self.base + path, params=query, json=body, timeout=self.timeout
        )
        documented = op.spec["responses"]
        spec = documented.get(str(answer.status_code)) or documented.get("default")
        assert spec is not None, (
            f"{operation_id}: status {answer.status_code} is not documented: {answer.text[:500]}"
        )
        spec = self._resolve(spec)
        payload = answer.json() if answer.content else None
        schema = spec.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            self._validator(schema).validate(payload)
        return answer.status_code, payload

    def _resolve(self, item: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in item:
            node: Any = self.document
            for part in item["$ref"].lstrip("#/").split("/"):
                node = node[part]
            item = node
        return item

    def webhook_schema(self, event_type: str) -> dict[str, Any]:
        """The payload schema the document gives for one webhook event type."""
        for name, item in self.document.get("webhooks", {}).items():
            post = item.get("post", {})
            schema = post["requestBody"]["content"]["application/json"]["schema"]
            if name == event_type:
                return schema
        raise AssertionError(f"the document has no webhook « {event_type} »")

    def verify_webhook(self, secret: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """Verify as the document describes (``t=<unix>,v1=<hex HMAC-SHA256(t.body)>``),
        then check the payload against its documented schema."""
        header = next(v for k, v in headers.items() if k.lower() == "x-cgos-signature")
        fields = dict(part.split("=", 1) for part in header.split(","))
        expected = hmac.new(
            secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(expected, fields["v1"]), "bad webhook signature"
        payload = requests.models.complexjson.loads(body)
        self._validator(self.webhook_schema(payload["type"])).validate(payload)
        return payload
