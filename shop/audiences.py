"""The three audiences, each gated once (R-GATE-1, R-GATE-6).

Every view module registers a child blueprint on its audience's parent, so a new page is
members-only by default. Pages open to anyone (login, code request, help, legal) hang on
the ``public`` parent. Parents are built per app so tests can create several apps.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

OPS_ROLES = {"operator", "admin"}
# R-REP-4: the « gestionnaire » reads the reports and their exports, nothing else of the
# back office, and changes nothing. Reports are for admins and gestionnaires, not operators.
READ_ONLY_ROLE = "gestionnaire"
REPORTS_PREFIX = "ops.reports"  # the blueprints ``reports`` and ``reports_finance``
REPORT_ROLES = {"admin", READ_ONLY_ROLE}
READ_METHODS = {"GET", "HEAD"}
READ_ONLY_REFUSED = "Votre rôle de gestionnaire permet de consulter les rapports, pas de modifier."


def _login_redirect(endpoint: str):
    nxt = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for(endpoint, next=nxt))


def _agents_only():
    if not current_user.is_authenticated or not current_user.is_agent:
        return _login_redirect("public.auth.login")
    return None


def staff_home_endpoint(role: str | None) -> str:
    """Where a staff member lands after login: their audience's first page."""
    if role == "partner":
        return "partner.home.index"
    if role == READ_ONLY_ROLE:
        return "ops.reports.dashboard"
    return "ops.home.index"


def _operators_only():
    if not current_user.is_authenticated or not current_user.is_staff:
        return _login_redirect("public.auth.staff_login")
    role = current_user.role
    reports = (request.endpoint or "").startswith(REPORTS_PREFIX)
    if reports:
        if role not in REPORT_ROLES:
            abort(404)
        if role == READ_ONLY_ROLE and request.method not in READ_METHODS:
            abort(403, READ_ONLY_REFUSED)
        return None
    if role not in OPS_ROLES:
        abort(404)
    return None


def _partners_only():
    if not current_user.is_authenticated or not current_user.is_staff:
        return _login_redirect("public.auth.staff_login")
    if current_user.role != "partner" or current_user.partner_id is None:
        abort(404)
    return None


@dataclass(frozen=True)
class Audiences:
    public: Blueprint
    agent: Blueprint
    ops: Blueprint
    partner: Blueprint

    def all(self) -> tuple[Blueprint, ...]:
        return (self.public, self.agent, self.ops, self.partner)


def make_audiences() -> Audiences:
    agent = Blueprint("agent", __name__)
    agent.before_request(_agents_only)
    ops = Blueprint("ops", __name__, url_prefix="/gestion")
    ops.before_request(_operators_only)
    partner = Blueprint("partner", __name__, url_prefix="/partenaire")
    partner.before_request(_partners_only)
    return Audiences(Blueprint("public", __name__), agent, ops, partner)
