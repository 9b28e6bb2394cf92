"""Pages anyone may read (R-GATE-1): help/FAQ, legal pages, and the development outbox."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
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


@bp.route("/dev/courriels")
def dev_outbox():
    """Embedded default only: the mails the store would have sent, for the demonstration.

    Opened by the explicit DEV_MAIL_PAGE switch (``bin/demo``), never by the client's
    address (behind a same-host proxy every visitor is on the loopback), and never when a
    real SMTP server is configured.
    """
    if not current_app.config.get("DEV_MAIL_PAGE") or current_app.config.get("MAIL_SERVER"):
        abort(404)
    mails = session().scalars(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(50))
    return render_template("public/pages/dev_outbox.html", mails=mails)
