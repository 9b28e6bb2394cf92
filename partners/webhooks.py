"""Partners' webhooks (R-PAR-10): signed HTTP POSTs to the partner's own system when an
order of theirs is paid, cancelled or refunded and when C.G.O.S cancels one of their
sessions.

A delivery row is written in the transaction of the change (``record``), like a mail in
the outbox, and sent after the commit: by a Celery worker with ``REDIS_URL``, otherwise by
this process's sender thread (a request) or at once (a command, a job). A send that meets
a network error, a timeout, a 5xx, a 408 or a 429 is tried again 1 min later, then at
doubling intervals (hourly at most) for ``WEBHOOK_RETRY_HOURS`` (24) after its creation by
the ``partners.webhooks`` due task, then marked failed; a 2xx is delivered; any other answer
(3xx: redirects are not followed, 4xx) fails at once. Nothing here ever raises into the
order's change.

The signing secret is never stored: it is HMAC-SHA256(SECRET_KEY, "webhook:<partner>:
<endpoint>:<salt>"), the salt alone being in the database; it is shown to the partner's
administrator when the endpoint is created or its secret rotated (a new salt). Rotating
SECRET_KEY therefore changes every webhook secret: partners must be given new ones.

Each request carries ``X-CGOS-Event-Id`` (the same on every retry and resend, for the
partner's idempotency), ``X-CGOS-Event-Type`` and ``X-CGOS-Signature: t=<unix>,v1=<hex>``,
the HMAC-SHA256 of ``"<t>.<body>"`` with the secret (docs/ARCHITECTURE.md shows how to
check it).

The URL must be https; a host that is, or resolves to, a private, loopback, link-local or
reserved address is refused when the URL is saved and again at each send (SSRF). Plain
http to 127.0.0.1/localhost is allowed only in tests (``TESTING``) or with
``WEBHOOK_ALLOW_LOOPBACK``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context
from sqlalchemy import or_, select, update
from sqlalchemy.engine import Connection as DbConnection

from orders.events import KINDS
from partners.models import WebhookDelivery, WebhookEndpoint
from shop import audit, clock
from shop.db import after_commit, rowcount, session, unit_of_work
from shop.errors import DomainError, NotFound
from shop.jobs import due_task, enqueue, queue_enabled, worker_task
from shop.mail_thread import submit

PING = "ping"
EVENT_LABELS = {
    "order.paid": "Commande payée",
    "order.cancelled": "Commande annulée (non payée)",
    "order.refunded": "Commande remboursée (tout ou partie)",
    "session.cancelled": "Séance annulée par le C.G.O.S",
}
assert set(EVENT_LABELS) == set(KINDS), "every order event can be chosen"
DELIVER_WEBHOOKS = "partners.webhooks.deliver"
SIGNATURE_HEADER = "X-CGOS-Signature"
EVENT_ID_HEADER = "X-CGOS-Event-Id"
EVENT_TYPE_HEADER = "X-CGOS-Event-Type"
USER_AGENT = "CGOS-Loisirs-Webhooks/1"
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
STALE_CLAIM = timedelta(minutes=10)
RETRY_CODES = {408, 429}


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


STATUS_LABELS = {
    DeliveryStatus.PENDING: "En attente",
    DeliveryStatus.SENDING: "En cours d'envoi",
    DeliveryStatus.DELIVERED: "Livré",
    DeliveryStatus.FAILED: "Échec",
}


# -- Secret and signature -----------------------------------------------------------------


def signing_secret(endpoint: WebhookEndpoint) -> str:
    """The endpoint's secret, derived (never stored): a copy of the database alone gives
    nothing that signs."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"webhook:{endpoint.partner_id}:{endpoint.id}:{endpoint.secret_salt}".encode()
    return "whsec_" + hmac.new(key, message, hashlib.sha256).hexdigest()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-CGOS-Signature`` value: ``t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """What a partner does on receipt (docs/ARCHITECTURE.md): the timestamp is recent and
    one ``v1`` matches, compared in constant time."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k.strip() == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return any(k.strip() == "v1" and hmac.compare_digest(v, expected) for k, v in parts)


# -- URL check (SSRF) ---------------------------------------------------------------------

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _loopback_allowed() -> bool:
    return bool(current_app.testing or current_app.config.get("WEBHOOK_ALLOW_LOOPBACK"))


def _resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (replaced in tests)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def url_error(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, in French; None when it can."""
    url = (url or "").strip()
    if not url:
        return "Indiquez l'adresse (URL) de réception."
    if len(url) > 500:
        return "Adresse trop longue (500 caractères au plus)."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Adresse invalide."
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password or any(c.isspace() for c in url):
        return "Adresse invalide : https://votre-systeme.exemple/webhooks par exemple."
    loopback = host in LOOPBACK_HOSTS and _loopback_allowed()
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        return "L'adresse doit commencer par https:// (connexion chiffrée)."
    if loopback:
        return None
    try:
        addresses = [host] if _is_ip(host) else _resolve(host, port or 443)
    except OSError:
        return "Ce nom de domaine est introuvable."
    if not addresses or not all(_public(a) for a in addresses):
        return "Cette adresse est privée ou réservée : indiquez une adresse publique."
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# -- Recording ----------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """Naive UTC from the database as ISO 8601 with its Z."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def event_body(kind: str, data: dict[str, Any], event_id: str, created: datetime) -> str:
    return json.dumps(
        {"id": event_id, "type": kind, "created": iso(created), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


def endpoint_of(partner_id: int) -> WebhookEndpoint | None:
    return session().scalar(select(WebhookEndpoint).where(WebhookEndpoint.partner_id == partner_id))


_UNREAD: Any = object()


def record(
    partner_id: int, kind: str, data: dict[str, Any], *, endpoint: Any = _UNREAD
) -> WebhookDelivery | None:
    """Write the delivery of ``kind`` for the partner's endpoint (when enabled and subscribed)
    in the current unit of work; it is sent after the commit. ``endpoint``: the partner's
    endpoint (or None) when the caller has read it already."""
    if endpoint is _UNREAD:
        endpoint = endpoint_of(partner_id)
    if endpoint is None or not endpoint.enabled:
        return None
    if kind != PING and kind not in (endpoint.events or []):
        return None
    now = clock.utcnow()
    event_id = f"evt_{uuid.uuid4().hex}"
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        partner_id=partner_id,
        event_id=event_id,
        kind=kind,
        body=event_body(kind, data, event_id, now),
        status=DeliveryStatus.PENDING,
        attempts=0,
        created_at=now,
    )
    s = session()
    s.add(delivery)
    _send_after_commit(delivery)
    return delivery


class _Batch:
    """The deliveries of one unit of work, sent together after its commit."""

    def __init__(self) -> None:
        self.deliveries: list[WebhookDelivery] = []

    def __call__(self) -> None:
        send_soon([d.id for d in self.deliveries])


def _send_after_commit(delivery: WebhookDelivery) -> None:
    s = session()
    batch = next((c for c in s.info.get("after_commit", []) if isinstance(c, _Batch)), None)
    if batch is None:
        batch = _Batch()
        after_commit(batch)
    batch.deliveries.append(delivery)


def send_soon(ids: list[int]) -> None:
    """Never in the request itself: a worker (REDIS_URL), else the sender thread; a command
    or a job sends at once. Whatever is not sent now is left to the due task."""
    if not ids:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    try:
        if queue_enabled(app) and enqueue(DELIVER_WEBHOOKS, *ids):
            return
        if not has_request_context() or isinstance(session().get_bind(), DbConnection):
            deliver_many(ids)
            return
        submit(app, deliver_many, ids)
    except Exception:  # noqa: BLE001 - the change is committed; the due task sends later
        app.logger.exception("Webhooks %s non envoyés : repris par la tâche planifiée", ids)


# -- Sending ------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: 1 min, 2, 4 … at most 1 h."""
    return min(FIRST_RETRY * 2 ** max(0, min(attempts - 1, 16)), LONGEST_RETRY)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is an answer like any other: not followed (SSRF)


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST and return the status code; raises OSError on network errors and timeouts."""
    # The scheme is https (or http to loopback in tests): checked by url_error just before.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(1024)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def _send_check(url: str) -> str | None:
    """The URL checked again at send time: its host may resolve elsewhere now."""
    return url_error(url)


@worker_task(DELIVER_WEBHOOKS)
def deliver_ids(*ids: int) -> list[str]:
    """Worker: what ``DELIVER_WEBHOOKS`` carries."""
    return deliver_many(ids)


def deliver_many(ids: Sequence[int]) -> list[str]:
    return [deliver(delivery_id) for delivery_id in ids]


def deliver(delivery_id: int) -> str:
    """Send one pending delivery once; its new status."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    with unit_of_work() as s:
        claimed = rowcount(
            s.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery_id,
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                )
                .values(status=DeliveryStatus.SENDING, claimed_at=clock.utcnow())
            )
        )
        # Read afresh: the administrator may have changed the URL since it was last read.
        delivery = s.get(WebhookDelivery, delivery_id, populate_existing=True) if claimed else None
        endpoint = (
            s.get(WebhookEndpoint, delivery.endpoint_id, populate_existing=True)
            if delivery
            else None
        )
        if delivery is None or endpoint is None:
            return "skipped"
        secret = signing_secret(endpoint)
        url, enabled, body = endpoint.url, endpoint.enabled, delivery.body
        event_id, kind = delivery.event_id, delivery.kind
    if not enabled:
        return _finish(delivery_id, None, "Point de réception désactivé.", retry=False)
    refused = _send_check(url)
    if refused:  # a name that no longer resolves, or now to a private address
        return _finish(delivery_id, None, refused, retry=True)
    raw = body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: kind,
        SIGNATURE_HEADER: signature(secret, int(time.time()), raw),
    }
    timeout = float(app.config.get("WEBHOOK_TIMEOUT", 5))
    try:
        code = _post(url, raw, headers, timeout)
    except (OSError, ValueError) as exc:  # refused, unreachable, timed out, bad answer
        app.logger.warning("Webhook %s non remis : %s", delivery_id, exc)
        reason = getattr(exc, "reason", None) or exc
        return _finish(delivery_id, None, str(reason) or type(exc).__name__, retry=True)
    except Exception as exc:  # noqa: BLE001 - never raise into a caller
        app.logger.exception("Webhook %s : réponse illisible", delivery_id)
        return _finish(delivery_id, None, f"{type(exc).__name__}: {exc}", retry=True)
    if 200 <= code < 300:
        return _finish(delivery_id, code, None, retry=False)
    retry = code >= 500 or code in RETRY_CODES
    return _finish(delivery_id, code, f"Réponse HTTP {code}", retry=retry)


def _finish(delivery_id: int, code: int | None, error: str | None, *, retry: bool) -> str:
    now = clock.utcnow()
    window = timedelta(hours=float(current_app.config.get("WEBHOOK_RETRY_HOURS", 24)))
    with unit_of_work() as s:
        row = s.get(WebhookDelivery, delivery_id, populate_existing=True)
        if row is None or row.status != DeliveryStatus.SENDING:
            return "skipped"
        row.attempts += 1
        row.last_status_code = code
        row.last_error = error[:500] if error else None
        row.claimed_at = None
        if error is None:
            row.status = DeliveryStatus.DELIVERED
            row.delivered_at = now
            row.next_attempt_at = None
        elif retry and now + retry_delay(row.attempts) < row.created_at + window:
            row.status = DeliveryStatus.PENDING
            row.next_attempt_at = now + retry_delay(row.attempts)
        else:
            row.status = DeliveryStatus.FAILED
            row.failed_at = now
            row.next_attempt_at = None
        return row.status


@due_task("partners.webhooks", "Renvoie les webhooks des partenaires en attente")
def retry_due() -> int:
    """Job: send the deliveries whose next try is due; free claims of a crashed sender."""
    now = clock.utcnow()
    with unit_of_work() as s:
        s.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.status == DeliveryStatus.SENDING,
                WebhookDelivery.claimed_at < now - STALE_CLAIM,
            )
            .values(status=DeliveryStatus.PENDING)
        )
    ids = list(
        session().scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                or_(
                    WebhookDelivery.next_attempt_at.is_(None),
                    WebhookDelivery.next_attempt_at <= now,
                ),
            )
            .order_by(WebhookDelivery.id)
        )
    )
    return sum(1 for status in deliver_many(ids) if status == DeliveryStatus.DELIVERED)


# -- The partner administrator's verbs (portal « Intégration ») ------------------------------


def save_endpoint(
    partner_id: int, url: str, events: list[str], enabled: bool, *, actor: Any
) -> tuple[WebhookEndpoint, str | None]:
    """Create or change the partner's endpoint; the secret is returned when just created."""
    url = (url or "").strip()
    error = url_error(url)
    if error:
        raise DomainError(error, field="url", rule="R-PAR-10")
    chosen = [k for k in KINDS if k in set(events)]
    now = clock.utcnow()
    with unit_of_work() as s:
        endpoint = endpoint_of(partner_id)
        created = endpoint is None
        before: dict[str, Any] | None = None
        if endpoint is None:
            endpoint = WebhookEndpoint(
                partner_id=partner_id, secret_salt=secrets.token_hex(16), created_at=now
            )
            s.add(endpoint)
        else:
            before = {"url": endpoint.url, "events": endpoint.events, "enabled": endpoint.enabled}
        endpoint.url = url
        endpoint.events = chosen
        endpoint.enabled = enabled
        endpoint.updated_at = now
        s.flush()
        audit.record(
            actor,
            "webhook.created" if created else "webhook.updated",
            f"partner:{partner_id}",
            before=before,
            after={"url": url, "events": chosen, "enabled": enabled},
        )
        secret = signing_secret(endpoint) if created else None
    return endpoint, secret


def rotate_secret(partner_id: int, *, actor: Any) -> str:
    """A new salt, so a new secret; the old one stops verifying at once."""
    with unit_of_work():
        endpoint = endpoint_of(partner_id)
        if endpoint is None:
            raise NotFound()
        endpoint.secret_salt = secrets.token_hex(16)
        endpoint.updated_at = clock.utcnow()
        audit.record(actor, "webhook.secret_rotated", f"partner:{partner_id}")
        return signing_secret(endpoint)


def send_ping(partner_id: int, *, actor: Any) -> WebhookDelivery:
    with unit_of_work():
        endpoint = endpoint_of(partner_id)
        if endpoint is None:
            raise NotFound()
        if not endpoint.enabled:
            raise DomainError("Le point de réception est désactivé : activez-le d'abord.")
        delivery = record(partner_id, PING, {"message": "Test de réception C.G.O.S Loisirs"})
        assert delivery is not None, "enabled endpoint takes pings"
        audit.record(
            actor, "webhook.ping", f"partner:{partner_id}", after={"event": delivery.event_id}
        )
    return delivery


def deliveries_of(partner_id: int, limit: int = 100) -> list[WebhookDelivery]:
    return list(
        session().scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.partner_id == partner_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def delivery_of(partner_id: int, delivery_id: int) -> WebhookDelivery:
    row = session().get(WebhookDelivery, delivery_id)
    if row is None or row.partner_id != partner_id:
        raise NotFound()
    return row


def resend(partner_id: int, delivery_id: int, *, actor: Any) -> WebhookDelivery:
    """« Renvoyer »: the same event (same id) tried again now, with a new retry window.
    Another partner's delivery is a 404."""
    with unit_of_work() as s:
        row = s.get(WebhookDelivery, delivery_id, populate_existing=True)
        if row is None or row.partner_id != partner_id:
            raise NotFound()
        if row.status == DeliveryStatus.SENDING:
            raise DomainError("Cet envoi est en cours : réessayez dans un instant.")
        before = {"status": row.status, "attempts": row.attempts}
        row.status = DeliveryStatus.PENDING
        row.created_at = clock.utcnow()
        row.next_attempt_at = None
        row.failed_at = None
        audit.record(
            actor,
            "webhook.resent",
            f"partner:{partner_id}",
            before=before,
            after={"event": row.event_id},
        )
        _send_after_commit(row)
    return row
