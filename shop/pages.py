"""Pages anyone may read (R-GATE-1): help/FAQ, legal pages, and the development outbox."""

from __future__ import annotations

import ipaddress

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from shop.db import session
from shop.mail import OutboxMail

bp = Blueprint("pages", __name__)


@bp.route("/sante")
def health():
    """Liveness check for the load balancer and the process manager: answers from the app
    itself without touching the database (the benchmarks' trivial page, too)."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.route("/aide")
def faq():
    return render_template("public/pages/faq.html")


@bp.route("/cgv")
def cgv():
    return render_template("public/pages/cgv.html")


@bp.route("/mentions-legales")
def legal():
    return render_template("public/pages/mentions_legales.html")


@bp.route("/accessibilite")
def accessibility():
    return render_template("public/pages/accessibilite.html")


@bp.route("/donnees-personnelles")
def privacy():
    return render_template("public/pages/donnees_personnelles.html")


def _loopback_client() -> bool:
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.route("/dev/courriels")
def dev_outbox():
    """Embedded default only (no MAIL_SERVER): the mails the store would have sent.

    Served to the local machine only, never when a real SMTP server is configured.
    """
    if current_app.config.get("MAIL_SERVER") or not _loopback_client():
        abort(404)
    mails = session().scalars(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(50))
    return render_template("public/pages/dev_outbox.html", mails=mails)
