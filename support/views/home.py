"""Back-office home for operators and admins: find an agent, read the audit log."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from sqlalchemy import or_, select

from auth.models import AccessCode
from auth.principals import agent_user
from members.dossiers import dossier_source
from members.models import DossierAgent
from members.numbers import is_valid_cgos_number, normalise_cgos_number
from orders.cart import household_snapshot
from orders.models import Order
from orders.status import STATUS_LABELS
from shop.csv_export import stream_csv
from shop.db import session
from shop.paging import fetch_page, requested_page
from support import audit_log as audit_log_view
from support.models import ContactMessage

bp = Blueprint("home", __name__)

PAGE_SIZE = 50
AGENT_ORDERS = 20


@bp.route("/")
def index():
    """R-OPS-1: look an agent up by N° C.G.O.S, or by name (and établissement)."""
    q = (request.args.get("q") or "").strip()
    agent = None
    matches: list[DossierAgent] = []
    code_issued_at = None
    orders: list[Order] = []
    messages: list[ContactMessage] = []
    household = None
    searched = bool(q)
    if q:
        number = normalise_cgos_number(q)
        if is_valid_cgos_number(number):
            record = dossier_source().get(number)
            if record is not None:
                agent = agent_user(record)
                code = session().get(AccessCode, number)
                code_issued_at = code.issued_at if code else None
                orders = list(
                    session().scalars(
                        select(Order)
                        .where(Order.cgos_number == number)
                        .order_by(Order.placed_at.desc(), Order.id.desc())
                        .limit(AGENT_ORDERS)
                    )
                )
                household = household_snapshot(agent)
                messages = list(
                    session().scalars(
                        select(ContactMessage)
                        .where(ContactMessage.cgos_number == number)
                        .order_by(ContactMessage.created_at.desc())
                        .limit(AGENT_ORDERS)
                    )
                )
        else:
            words = [w for w in q.split() if w]
            stmt = select(DossierAgent)
            for w in words[:4]:
                like = f"%{w}%"
                stmt = stmt.where(
                    or_(
                        DossierAgent.nom.ilike(like),
                        DossierAgent.prenom.ilike(like),
                        DossierAgent.etablissement.ilike(like),
                        DossierAgent.etablissement_city.ilike(like),
                    )
                )
            matches = list(
                session().scalars(stmt.order_by(DossierAgent.nom, DossierAgent.prenom).limit(50))
            )
    return render_template(
        "ops/support/home.html",
        q=q,
        searched=searched,
        agent=agent,
        matches=matches,
        code_issued_at=code_issued_at,
        orders=orders,
        status_labels=STATUS_LABELS,
        household=household,
        messages=messages,
    )


@bp.route("/journal")
def audit_log():
    """R-OPS-6: who did what, in French, filtered by agent, order, author, action and date."""
    filters = audit_log_view.read_filters(request.args)
    found = fetch_page(audit_log_view.filtered(filters), requested_page(), PAGE_SIZE, scalars=True)
    return render_template(
        "ops/support/audit_log.html",
        entries=audit_log_view.present(found.rows),
        paged=found,
        filters=filters,
        actions=audit_log_view.action_choices(),
    )


@bp.route("/journal.csv")
def audit_log_csv():
    """R-OPS-6: the filtered entries as a French spreadsheet (defused, BOM, « ; »)."""
    filters = audit_log_view.read_filters(request.args)
    response = Response(
        stream_with_context(
            stream_csv(audit_log_view.CSV_HEADER, audit_log_view.csv_rows(filters))
        ),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = 'attachment; filename="journal.csv"'
    return response
