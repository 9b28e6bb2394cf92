"""Portal « Intégration » (R-PAR-6, R-PAR-10): API tokens, the webhook and its delivery
log, the notification address. Every partner user reads it; only the partner's
administrators (``StaffUser.partner_admin``) change anything: a POST by anyone else is a
403. Everything is scoped to ``current_user.partner_id``: another partner's token or
delivery is a 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from partners import integration, notifications, webhooks
from partners.integration_forms import ConfirmForm, NoticeForm, TokenForm, WebhookForm
from shop.errors import DomainError
from shop.forms import place_error

bp = Blueprint("integration", __name__)


@bp.record_once
def _plug_in(_state: object) -> None:
    """Wiring the portal subscribes partners to the orders' events (orders/events.py)."""
    notifications.wire()


def _admin_only() -> None:
    if not getattr(current_user, "partner_admin", False):
        abort(403)


def _page(status: int = 200, **forms: Any) -> tuple[str, int]:
    partner_id = current_user.partner_id
    endpoint = webhooks.endpoint_of(partner_id)
    notice = notifications.notice_of(partner_id)
    webhook_form = forms.pop("webhook_form", None) or WebhookForm(
        formdata=None,
        data=(
            {"url": endpoint.url, "events": endpoint.events, "enabled": endpoint.enabled}
            if endpoint
            else {"events": list(webhooks.EVENT_LABELS), "enabled": True}
        ),
    )
    notice_form = forms.pop("notice_form", None) or NoticeForm(
        formdata=None,
        data={"email": notice.email, "mail_orders": notice.mail_orders} if notice else {},
    )
    return (
        render_template(
            "partner/integration/index.html",
            admin=getattr(current_user, "partner_admin", False),
            tokens=integration.tokens_of(partner_id),
            endpoint=endpoint,
            recipients=notifications.recipients(partner_id),
            token_form=forms.pop("token_form", None) or TokenForm(formdata=None),
            webhook_form=webhook_form,
            notice_form=notice_form,
            confirm=ConfirmForm(),
            event_labels=webhooks.EVENT_LABELS,
            **forms,
        ),
        status,
    )


@bp.route("/integration")
def index():
    return _page()


@bp.route("/integration/jetons", methods=["POST"])
def create_token():
    _admin_only()
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(422, token_form=form)
    try:
        raw = integration.new_token(current_user.partner_id, form.name.data, actor=current_user)
    except DomainError as exc:
        place_error(form, exc, default="name")
        return _page(422, token_form=form)
    # Shown in this answer only: never stored, never in a redirect or the session.
    return _page(201, new_token=raw, new_token_name=form.name.data)


@bp.route("/integration/jetons/<int:token_id>/revoquer", methods=["GET", "POST"])
def revoke_token(token_id: int):
    token = integration.token_of(current_user.partner_id, token_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        _admin_only()
        integration.revoke(current_user.partner_id, token.id, actor=current_user)
        flash(f"Jeton « {token.name} » révoqué : il est refusé dès maintenant.", "success")
        return redirect(url_for(".index"))
    return render_template(
        "partner/integration/revoke.html",
        token=token,
        form=form,
        admin=getattr(current_user, "partner_admin", False),
    )


@bp.route("/integration/webhook", methods=["POST"])
def save_webhook():
    _admin_only()
    form = WebhookForm()
    if not form.validate_on_submit():
        return _page(422, webhook_form=form)
    try:
        _endpoint, secret = webhooks.save_endpoint(
            current_user.partner_id,
            form.url.data,
            form.events.data or [],
            bool(form.enabled.data),
            actor=current_user,
        )
    except DomainError as exc:
        place_error(form, exc, default="url")
        return _page(422, webhook_form=form)
    if secret:
        return _page(201, new_secret=secret)
    flash("Webhook enregistré.", "success")
    return redirect(url_for(".index"))


@bp.route("/integration/webhook/secret", methods=["POST"])
def rotate_secret():
    _admin_only()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    secret = webhooks.rotate_secret(current_user.partner_id, actor=current_user)
    return _page(200, new_secret=secret)


@bp.route("/integration/webhook/test", methods=["POST"])
def ping():
    _admin_only()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        webhooks.send_ping(current_user.partner_id, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash("Événement de test « ping » envoyé : voir le journal des envois.", "success")
    return redirect(url_for(".deliveries"))


@bp.route("/integration/avis", methods=["POST"])
def save_notice():
    _admin_only()
    form = NoticeForm()
    if not form.validate_on_submit():
        return _page(422, notice_form=form)
    try:
        integration.save_notice(
            current_user.partner_id,
            form.email.data,
            bool(form.mail_orders.data),
            actor=current_user,
        )
    except DomainError as exc:
        place_error(form, exc, default="email")
        return _page(422, notice_form=form)
    flash("Avis par e-mail enregistrés.", "success")
    return redirect(url_for(".index"))


@bp.route("/integration/envois")
def deliveries():
    return render_template(
        "partner/integration/deliveries.html",
        deliveries=webhooks.deliveries_of(current_user.partner_id),
        endpoint=webhooks.endpoint_of(current_user.partner_id),
        status_labels=webhooks.STATUS_LABELS,
        admin=getattr(current_user, "partner_admin", False),
        confirm=ConfirmForm(),
    )


@bp.route("/integration/envois/<int:delivery_id>/renvoyer", methods=["POST"])
def resend(delivery_id: int):
    webhooks.delivery_of(current_user.partner_id, delivery_id)  # another partner's: 404
    _admin_only()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        row = webhooks.resend(current_user.partner_id, delivery_id, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Envoi {row.event_id} relancé.", "success")
    return redirect(url_for(".deliveries"))
