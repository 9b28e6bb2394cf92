"""A local stand-in for the part of Stripe's API the store uses, and signed webhook events.

Nothing in the tests may reach api.stripe.com: ``StripeStandin`` serves, on 127.0.0.1,
``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/<id>``, ``POST /v1/refunds``,
``GET /v1/payment_intents/<id>`` and ``POST /v1/payment_intents/<id>/capture``
with Stripe's form encoding, JSON shapes, errors and ``Idempotency-Key`` semantics (same
key and parameters: the first answer again; same key, other parameters: an error). Every
request is recorded. Test-side helpers play the customer (``complete``), the clock
(``expire``) and an outage (``fail_next``); ``make_event`` and ``sign`` build webhook
deliveries exactly as Stripe signs them.

With ``hosted=True`` it also plays Stripe Checkout for a browser: each session's ``url`` is
its page ``/c/pay/<id>`` on ``http://localhost:<port>`` (another origin than the store's
``http://127.0.0.1:<port>``, as checkout.stripe.com is in production). Paying there
completes the session, posts the events Stripe would send, signed with ``webhook_secret``,
to ``webhook_url``, and sends the browser to the session's ``success_url``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

INT_FIELDS = {"amount", "unit_amount", "quantity", "expires_at"}
API_VERSION = "2025-01-27.acacia"
SECRET_KEY = "sk_test_standin"
STRIPE_CHECKOUT = "https://checkout.stripe.com"
WEBHOOK_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


def _unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``line_items[0][price_data][currency]=eur`` back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        leaf = parts[-1]
        node[leaf] = int(value) if leaf in INT_FIELDS and value.lstrip("-").isdigit() else value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def _missing(kind: str, ident: Any) -> tuple[int, dict]:
    return _error(404, "invalid_request_error", f"No such {kind}: '{ident}'", "resource_missing")


def _error(status: int, kind: str, message: str, code: str | None = None) -> tuple[int, dict]:
    body: dict[str, Any] = {"type": kind, "message": message}
    if code:
        body["code"] = code
    return status, {"error": body}


class StripeStandin:
    """Start with ``start()`` (or as a context manager), stop with ``stop()``."""

    def __init__(
        self,
        secret_key: str = SECRET_KEY,
        *,
        hosted: bool = False,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        self.secret_key = secret_key
        self.hosted = hosted
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        # (event type, HTTP status of the store's answer) of each webhook delivery
        self.deliveries: list[tuple[str, int]] = []
        self.requests: list[Recorded] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self._intent_data: dict[str, dict[str, Any]] = {}
        self._idempotent: dict[str, tuple[dict[str, Any], int, dict[str, Any]]] = {}
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "stand-in not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def checkout_origin(self) -> str:
        """Where session pages live: this server under the name ``localhost`` when hosted
        (the browser sees another origin than 127.0.0.1), else Stripe's real origin."""
        if not self.hosted:
            return STRIPE_CHECKOUT
        assert self._server is not None, "stand-in not started"
        return f"http://localhost:{self._server.server_address[1]}"

    def start(self) -> StripeStandin:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers

            def do_GET(self) -> None:  # noqa: N802
                standin._serve(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                standin._serve(self, "POST")

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> StripeStandin:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- what the tests look at and play -----------------------------------------------

    def calls(self, method: str, path_prefix: str) -> list[Recorded]:
        with self._lock:
            return [
                r for r in self.requests if r.method == method and r.path.startswith(path_prefix)
            ]

    def fail_next(self, status: int = 500) -> None:
        """The next API call answers ``status`` (an outage, not retried by the library)."""
        with self._lock:
            self._failures.append(status)

    def complete(self, session_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The customer pays the session: returns (session, payment_intent) as Stripe has
        them afterwards, ready to put in webhook events."""
        with self._lock:
            sess = self.sessions[session_id]
            data = self._intent_data.get(session_id) or {}
            intent = self._new_intent(
                sess["amount_total"], sess["currency"], data.get("metadata") or {}
            )
            paid = "paid"
            if data.get("capture_method") == "manual":
                # Authorised and held: nothing received until captured.
                intent.update(
                    status="requires_capture",
                    capture_method="manual",
                    amount_capturable=intent["amount"],
                    amount_received=0,
                )
                paid = "unpaid"
            sess.update(status="complete", payment_status=paid, payment_intent=intent["id"])
            return json.loads(json.dumps(sess)), json.loads(json.dumps(intent))

    def cancel_hold(self, intent_id: str) -> None:
        """The hold lapsed (7 days) or was cancelled: the intent can no longer be captured."""
        with self._lock:
            self.intents[intent_id].update(status="canceled", amount_capturable=0)

    def charge(self, amount: int, metadata: dict[str, str]) -> dict[str, Any]:
        """A succeeded PaymentIntent made outside any session of ours."""
        with self._lock:
            return json.loads(json.dumps(self._new_intent(amount, "eur", metadata)))

    def expire(self, session_id: str) -> None:
        with self._lock:
            self.sessions[session_id].update(status="expired", url=None)

    def _new_intent(self, amount: int, currency: str, metadata: dict[str, Any]) -> dict:
        intent = {
            "id": f"pi_test_{secrets.token_hex(12)}",
            "object": "payment_intent",
            "amount": amount,
            "amount_received": amount,
            "currency": currency,
            "status": "succeeded",
            "metadata": dict(metadata),
            "created": int(time.time()),
            "livemode": False,
        }
        self.intents[intent["id"]] = intent
        return intent

    # -- HTTP ------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        parts = urlsplit(handler.path)
        page = re.fullmatch(r"/c/pay/([A-Za-z0-9_]+)", parts.path)
        if page and self.hosted:
            self._checkout_page(handler, method, page.group(1))
            return
        query = body if method == "POST" else parts.query
        params = _unflatten(parse_qsl(query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(Recorded(method, parts.path, params, headers))
            status, payload, extra = self._answer(method, parts.path, params, headers)
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if headers.get("authorization") != f"Bearer {self.secret_key}":
            return (*_error(401, "invalid_request_error", "Invalid API Key provided."), {})
        if self._failures:
            status = self._failures.pop(0)
            return (
                *_error(status, "api_error", "Stand-in outage."),
                {"Stripe-Should-Retry": "false"},
            )
        key = headers.get("idempotency-key")
        if method == "POST" and key and key in self._idempotent:
            first_params, status, payload = self._idempotent[key]
            if first_params != params:
                return (
                    *_error(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                    ),
                    {},
                )
            return status, payload, {"Idempotent-Replayed": "true"}
        status, payload = self._route(method, path, params)
        if method == "POST" and key and status < 500:
            self._idempotent[key] = (params, status, payload)
        return status, payload, {}

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(params)
        match = re.fullmatch(r"/v1/checkout/sessions/([A-Za-z0-9_]+)", path)
        if method == "GET" and match:
            sess = self.sessions.get(match.group(1))
            if sess is None:
                return _missing("checkout.session", match.group(1))
            return 200, sess
        if method == "POST" and path == "/v1/refunds":
            return self._create_refund(params)
        match = re.fullmatch(r"/v1/payment_intents/([A-Za-z0-9_]+)(/capture)?", path)
        if match:
            intent = self.intents.get(match.group(1))
            if intent is None:
                return _missing("payment_intent", match.group(1))
            if method == "GET" and not match.group(2):
                return 200, intent
            if method == "POST" and match.group(2):
                return self._capture(intent, params)
        return _error(404, "invalid_request_error", f"Unrecognized request URL ({path}).")

    def _capture(self, intent: dict[str, Any], params: dict[str, Any]) -> tuple[int, dict]:
        if intent["status"] != "requires_capture":
            return _error(
                400,
                "invalid_request_error",
                f"This PaymentIntent could not be captured because it has a status of "
                f"{intent['status']}.",
                "payment_intent_unexpected_state",
            )
        amount = int(params.get("amount_to_capture") or intent["amount_capturable"])
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        return 200, intent

    def _create_session(self, params: dict[str, Any]) -> tuple[int, dict]:
        items = params.get("line_items") or []
        if params.get("mode") != "payment" or not items:
            return _error(400, "invalid_request_error", "mode and line_items are required.")
        try:
            total = sum(i["price_data"]["unit_amount"] * i.get("quantity", 1) for i in items)
            currency = items[0]["price_data"]["currency"]
        except (KeyError, TypeError):
            return _error(400, "invalid_request_error", "line_items need price_data.")
        session_id = f"cs_test_{secrets.token_hex(16)}"
        sess = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "amount_subtotal": total,
            "amount_total": total,
            "currency": currency,
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "metadata": params.get("metadata") or {},
            "payment_intent": None,
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "expires_at": params.get("expires_at"),
            "created": int(time.time()),
            "livemode": False,
            "url": f"{self.checkout_origin}/c/pay/{session_id}",
        }
        self.sessions[session_id] = sess
        self._intent_data[session_id] = params.get("payment_intent_data") or {}
        return 200, sess

    # -- the hosted checkout page (hosted=True) ----------------------------------------------

    def _checkout_page(self, handler: BaseHTTPRequestHandler, method: str, sid: str) -> None:
        with self._lock:
            sess = self.sessions.get(sid)
            state = None if sess is None else sess["status"]
        if state != "open":
            _send(handler, 404, "text/html; charset=utf-8", b"<h1>Session introuvable</h1>")
            return
        if method == "GET":
            euros = f"{sess['amount_total'] // 100},{sess['amount_total'] % 100:02d}"
            html = (
                '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
                "<title>Stripe Checkout (stand-in)</title></head><body>"
                f"<h1>Payer {euros} €</h1>"
                f'<form method="post" action="/c/pay/{sid}">'
                '<button type="submit">Payer</button></form></body></html>'
            )
            _send(handler, 200, "text/html; charset=utf-8", html.encode())
            return
        # The card is accepted: Stripe posts its events, then sends the customer back.
        paid, intent = self.complete(sid)
        if intent.get("status") == "requires_capture":
            events = [("payment_intent.amount_capturable_updated", intent)]
        else:
            events = [("payment_intent.succeeded", intent)]
        events.append(("checkout.session.completed", paid))
        for kind, obj in events:
            self.deliver(make_event(kind, obj))
        handler.send_response(303)
        handler.send_header("Location", paid["success_url"])
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def deliver(self, event: dict[str, Any]) -> int:
        """POST ``event`` to ``webhook_url`` signed as Stripe signs it; the status is kept
        in ``deliveries`` and returned. Never called with the lock held: the store may call
        this stand-in back while it handles the event (a refund)."""
        assert self.webhook_url and self.webhook_secret, "webhook_url/webhook_secret unset"
        body, headers = delivery(event, self.webhook_secret)
        answer = requests.post(
            self.webhook_url, data=body.encode(), headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS
        )
        status = answer.status_code
        with self._lock:
            self.deliveries.append((event["type"], status))
        return status

    def _create_refund(self, params: dict[str, Any]) -> tuple[int, dict]:
        intent = self.intents.get(params.get("payment_intent") or "")
        if intent is None:
            return _missing("payment_intent", params.get("payment_intent"))
        already = sum(
            r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"]
        )
        amount = params.get("amount", intent["amount_received"] - already)
        if amount <= 0 or already + amount > intent["amount_received"]:
            return _error(
                400,
                "invalid_request_error",
                "Charge has already been refunded.",
                "charge_already_refunded",
            )
        refund = {
            "id": f"re_test_{secrets.token_hex(12)}",
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "status": "succeeded",
            "metadata": params.get("metadata") or {},
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        return 200, refund


def _send(handler: BaseHTTPRequestHandler, status: int, kind: str, data: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


# -- webhook deliveries ---------------------------------------------------------------------


def make_event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An event as Stripe posts it to a webhook endpoint."""
    return {
        "id": event_id or f"evt_test_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "type": kind,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
    }


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """``Stripe-Signature``: ``t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<payload>">``."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def delivery(event: dict[str, Any], secret: str) -> tuple[str, dict[str, str]]:
    """Body and headers of one signed delivery of ``event``."""
    payload = json.dumps(event, indent=2)
    return payload, {"Stripe-Signature": sign(payload, secret), "Content-Type": "application/json"}
