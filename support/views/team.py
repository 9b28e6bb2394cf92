"""« Équipe »: admins manage staff accounts and read the security log (R-SEC-1); the
partners' API tokens are partners/views/tokens_ops.py. Operators get a 404, as for the
other admin-only pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from auth import staff
from auth.services import STAFF_ROLES
from shop import clock
from shop.errors import DomainError, NotFound
from shop.forms import strip_text
from shop.paging import fetch_page, requested_page

bp = Blueprint("team", __name__, url_prefix="/equipe")
PAGE_SIZE = 50
ROLE_LABELS = {
    "operator": "Opérateur",
    "partner": "Partenaire",
    "admin": "Administrateur",
    "gestionnaire": "Gestionnaire (rapports, lecture seule)",
}


@bp.before_request
def _admin_only() -> None:
    if current_user.role != "admin":
        abort(404)


def _page(status: int = 200, errors: dict | None = None, typed: dict | None = None, **extra):
    return render_template(
        "ops/support/team.html",
        rows=staff.team(),
        partners=staff.partner_choices(),
        roles=ROLE_LABELS,
        errors=errors or {},
        typed=typed or {},
        **extra,
    ), status


@bp.route("/")
def index():
    return _page()[0]


@bp.route("/", methods=["POST"])
def create():
    """A new account with a temporary password shown once here, changed at first login."""
    typed = {k: strip_text(request.form.get(k) or "") for k in ("email", "name", "role", "partner")}
    if typed["role"] not in STAFF_ROLES:
        return _page(422, {"role": "Choisissez un rôle."}, typed)
    if not typed["name"]:
        return _page(422, {"name": "Saisissez le nom affiché."}, typed)
    try:
        user, password = staff.create_account(
            current_user,
            typed["email"],
            typed["name"],
            typed["role"],
            typed["partner"] if typed["role"] == "partner" else None,
        )
    except DomainError as exc:
        return _page(422, {exc.field or "email": exc.message}, typed)
    return _page(created=user, temporary=password)[0]


_ACTIONS = {
    "desactiver": ("Compte désactivé : ses sessions sont terminées.", "disable"),
    "reactiver": ("Compte réactivé.", "enable"),
    "sessions": ("Sessions terminées.", "end_sessions"),
    "second-facteur": ("Second facteur réinitialisé : nouvelle activation à la connexion.", "2fa"),
    "admin-partenaire": ("Administrateur du partenaire : modifié.", "partner_admin"),
}


@bp.route("/<int:staff_id>/<action>", methods=["POST"])
def act(staff_id: int, action: str):
    if action == "mot-de-passe":
        try:
            user, password = staff.reset_password(current_user, staff_id)
        except DomainError:
            raise NotFound() from None
        return _page(reset=user, temporary=password)[0]
    if action not in _ACTIONS:
        abort(404)
    message, verb = _ACTIONS[action]
    try:
        if verb in ("disable", "enable"):
            staff.set_active(current_user, staff_id, verb == "enable")
        elif verb == "end_sessions":
            staff.end_sessions(current_user, staff_id)
        elif verb == "2fa":
            staff.reset_second_factor(current_user, staff_id)
        else:
            staff.set_partner_admin(current_user, staff_id, request.form.get("valeur") == "1")
    except DomainError as exc:
        if exc.message == "Compte inconnu.":
            abort(404)
        flash(exc.message, "error")
        return redirect(url_for(".index"))
    flash(message, "info")
    if verb == "end_sessions" and staff_id == current_user.id:
        return redirect(url_for("public.auth.staff_login"))
    return redirect(url_for(".index"))


# -- security log -------------------------------------------------------------------------


def _date_arg(name: str) -> datetime | None:
    raw = (request.args.get(name) or "").strip()
    try:
        day = datetime.strptime(raw, "%Y-%m-%d")
    except ValueError:
        return None
    # A Paris day, compared with the naive UTC stored.
    return day.replace(tzinfo=clock.PARIS).astimezone(UTC).replace(tzinfo=None)


@bp.route("/securite")
def security_log():
    email = strip_text(request.args.get("compte") or "")[:200]
    kind = request.args.get("type") or ""
    kind = kind if kind in staff.EVENT_LABELS else ""
    since = _date_arg("du")
    until = _date_arg("au")
    query = staff.security_events_query(
        email, kind, since, until + timedelta(days=1) if until else None
    )
    found = fetch_page(query, requested_page(), PAGE_SIZE, scalars=True)
    return render_template(
        "ops/support/security_log.html",
        events=found.rows,
        paged=found,
        labels=staff.EVENT_LABELS,
        email=email,
        kind=kind,
        du=request.args.get("du") or "",
        au=request.args.get("au") or "",
    )
