"""« Équipe » › partners' API tokens (R-SEC-1, R-PAR-6): admins list every partner's
tokens with their last use, create one (shown once) and revoke. Operators get a 404."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from partners import services as partner_services
from partners.models import ApiToken, Partner
from shop.db import session
from shop.errors import DomainError
from shop.forms import strip_text

bp = Blueprint("api_tokens", __name__, url_prefix="/equipe/jetons")


@bp.before_request
def _admin_only() -> None:
    if current_user.role != "admin":
        abort(404)


def _partners() -> list:
    return list(session().execute(select(Partner.slug, Partner.name).order_by(Partner.name)))


def _tokens_page(status: int = 200, **extra):
    tokens = session().execute(
        select(ApiToken, Partner.name, Partner.slug)
        .join(Partner)
        .order_by(Partner.name, ApiToken.created_at.desc())
    )
    return render_template(
        "ops/support/team_tokens.html",
        tokens=list(tokens),
        partners=_partners(),
        **extra,
    ), status


@bp.route("/")
def tokens():
    return _tokens_page()[0]


@bp.route("/", methods=["POST"])
def create_token():
    slug = strip_text(request.form.get("partner") or "")
    name = strip_text(request.form.get("name") or "")[:120]
    if not name:
        return _tokens_page(422, error="Saisissez un nom pour le jeton.", typed_name=name)
    try:
        raw = partner_services.create_token(slug, name, actor=current_user)
    except DomainError as exc:
        return _tokens_page(422, error=exc.message, typed_name=name)
    return _tokens_page(new_token=raw)[0]


@bp.route("/<int:token_id>/revoquer", methods=["POST"])
def revoke_token(token_id: int):
    partner_services.revoke_token(token_id, actor=current_user)
    flash("Jeton révoqué : il ne fonctionne plus.", "info")
    return redirect(url_for(".tokens"))
