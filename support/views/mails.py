"""Operators' page of mails that finally failed or are late (R-SEC-3), with « Renvoyer ».
The outbox (``shop.mail``) decides and writes; this view lists and posts."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from shop import mail
from shop.errors import DomainError, NotFound

bp = Blueprint("mails", __name__, url_prefix="/courriels")


@bp.route("/")
def troubled():
    failed, late = mail.troubled_mails()
    return render_template(
        "ops/support/mails.html",
        failed=failed,
        late=late,
        late_minutes=int(mail.LATE_AFTER.total_seconds() // 60),
        retry_hours=current_app.config.get("MAIL_RETRY_HOURS", 48),
    )


@bp.route("/<int:mail_id>/renvoyer", methods=["POST"])
def resend(mail_id: int):
    try:
        row = mail.resend_mail(mail_id, actor=current_user)
    except NotFound:
        raise
    except DomainError as err:
        flash(err.message, "error")
    else:
        flash(f"Courriel « {row.subject} » remis en envoi vers {row.to}.", "success")
    return redirect(url_for(".troubled"))
