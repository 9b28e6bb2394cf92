"""The entry-control page's JSON (R-PAR-9): the session's ticket list for the device, the
live scan and the sync of scans queued offline. Same partner audience, session cookie and
CSRF token (``X-CSRFToken`` header) as the page; another partner's session is a 404."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from partners import door, services
from shop import clock
from shop.errors import DomainError

bp = Blueprint("door", __name__)

# What the control page loads, kept by its service worker (R-PAR-9); nothing else.
OFFLINE_ASSETS = (
    "css/shop.css",
    "css/print.css",
    "css/door.css",
    "js/scan-feedback.js",
    "vendor/jsqr/jsQR.js",
    "js/door.js",
)
SW_TEMPLATE = "partner/shipments/door-sw.js"
SW_TIMEOUT_MS = 3000  # a venue's slow network: the kept page after 3 s


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def _counts(partner_id: int, session_id: int) -> dict[str, int]:
    chosen = services.control_session(partner_id, session_id)
    return {"admitted": chosen.admitted, "expected": chosen.expected}


def _outcome(o: door.DoorOutcome) -> dict[str, Any]:
    return {
        "id": o.local_id,
        "verdict": o.verdict,
        "label": o.label,
        "message": o.message,
        "conflict": o.conflict,
        "replayed": o.replayed,
        "used_at": _stamp(o.used_at),
        "used_at_fr": clock.format_datetime_fr(o.used_at) if o.used_at else None,
        "holder": o.holder,
        "ticket_number": o.ticket_number,
        "order_number": o.order_number,
        "title": o.title,
        "starts_at_fr": clock.format_datetime_fr(o.starts_at) if o.starts_at else None,
        "venue": o.venue,
    }


def _body() -> Any:
    if request.mimetype != "application/json":
        raise DomainError("Un objet JSON est attendu.")
    return request.get_json(silent=True)


def _refused(exc: DomainError):
    return jsonify({"error": str(exc), "field": getattr(exc, "field", None)}), 422


@bp.get("/controle/<int:session_id>/billets")
def tickets(session_id: int):
    """R-PAR-9: what the device keeps to decide offline; never the tickets' secrets."""
    found = door.ticket_list(current_user.partner_id, session_id)
    response = jsonify(
        {
            "session_id": session_id,
            "taken_at": _stamp(clock.utcnow()),
            "labels": door.LABELS,
            **_counts(current_user.partner_id, session_id),
            "tickets": [
                {
                    "hash": t.hash,
                    "holder": t.holder,
                    "number": t.number,
                    "status": t.status,
                    "used_at": _stamp(t.used_at),
                    "used_at_fr": clock.format_datetime_fr(t.used_at) if t.used_at else None,
                }
                for t in found
            ],
        }
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/controle/<int:session_id>/scan")
def scan(session_id: int):
    """R-PAR-8 through the page's script: decided now, recorded under the device's scan
    id so that a reply lost on the way is not applied twice when the queue replays it."""
    services.control_session(current_user.partner_id, session_id)  # 404 before the body
    try:
        body = _body()
        device = door.parse_device(body)
        item = door.parse_scan(body, queued=False)
    except DomainError as exc:
        return _refused(exc)
    [outcome] = door.apply_scans(
        current_user.partner_id, session_id, device, [item], actor=current_user
    )
    return jsonify({"result": _outcome(outcome), **_counts(current_user.partner_id, session_id)})


@bp.post("/controle/<int:session_id>/synchro")
def sync(session_id: int):
    """R-PAR-9: the scans queued offline, applied in scan-time order; conflicts answered."""
    services.control_session(current_user.partner_id, session_id)
    try:
        device, scans = door.parse_queue(_body())
    except DomainError as exc:
        return _refused(exc)
    outcomes = door.apply_scans(
        current_user.partner_id, session_id, device, scans, actor=current_user
    )
    return jsonify(
        {
            "results": [_outcome(o) for o in outcomes],
            **_counts(current_user.partner_id, session_id),
        }
    )


def _offline_version() -> str:
    """A digest of the kept files and of the worker itself: a deploy that changes one of
    them renames the cache, and the new worker drops the old files."""
    folder = Path(current_app.static_folder or "")
    digest = hashlib.sha256()
    for name in OFFLINE_ASSETS:
        digest.update(name.encode())
        digest.update((folder / name).read_bytes())
    loader = current_app.jinja_env.loader
    assert loader is not None
    digest.update(loader.get_source(current_app.jinja_env, SW_TEMPLATE)[0].encode())
    return digest.hexdigest()[:16]


@bp.get("/controle/sw.js")
def service_worker():
    """R-PAR-9: the control page opens again without network. Partners only (the
    audience's gate); scoped to the control page's path, one level above the script."""
    page = url_for("partner.shipments.entry_control")
    body = render_template(
        SW_TEMPLATE,
        version=_offline_version(),
        page=page,
        assets=[url_for("static", filename=name) for name in OFFLINE_ASSETS],
        timeout_ms=SW_TIMEOUT_MS,
    )
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-store"  # a deploy's worker is taken at once
    response.headers["Service-Worker-Allowed"] = page
    return response


@bp.get("/controle/jeton")
def token():
    """R-PAR-9: a fresh CSRF token for a control page opened from the device's copy, whose
    token may belong to an older login."""
    response = jsonify({"csrf_token": generate_csrf()})
    response.headers["Cache-Control"] = "private, no-store"
    return response
