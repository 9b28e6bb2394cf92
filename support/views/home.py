"""Back-office home for operators and admins: find an agent, read the audit log."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from members.dossiers import dossier_source
from members.finder import agent_search
from members.numbers import is_valid_cgos_number, normalise_cgos_number
from orders.search import CHANNEL_LABELS, METHOD_LABELS
from orders.status import STATUS_LABELS
from shop.audit import AuditEntry
from shop.forms import strip_text
from shop.paging import fetch_page, requested_page
from support.record import agent_record

bp = Blueprint("home", __name__)

PAGE_SIZE = 50
AGENTS_PER_PAGE = 25


@bp.route("/")
def index():
    """R-OPS-1: an agent by N° C.G.O.S opens their record; anything else searches the
    dossiers by N°, name, établissement, city, e-mail or phone, forgiving accents, case and
    spaces (members/finder.py), one page at a time."""
    q = strip_text(request.args.get("q") or "")[:120]
    found = None
    if q:
        number = normalise_cgos_number(q)
        if is_valid_cgos_number(number):
            record = dossier_source().get(number)
            if record is not None:
                return render_template(
                    "ops/support/home.html",
                    q=q,
                    searched=True,
                    file=agent_record(record),
                    status_labels=STATUS_LABELS,
                    channel_labels=CHANNEL_LABELS,
                    method_labels=METHOD_LABELS,
                )
        stmt = agent_search(q)
        if stmt is not None:
            found = fetch_page(stmt, requested_page(), AGENTS_PER_PAGE, scalars=True)
    return render_template(
        "ops/support/home.html",
        q=q,
        searched=bool(q),
        file=None,
        found=found,
        matches=found.rows if found else [],
    )


@bp.route("/journal")
def audit_log():
    """R-OPS-6: who did what, searchable by subject and by staff member."""
    subject = strip_text(request.args.get("objet") or "")[:200]
    actor = strip_text(request.args.get("auteur") or "")[:200]
    stmt = select(AuditEntry)
    if subject:
        stmt = stmt.where(AuditEntry.subject.ilike(f"%{subject}%"))
    if actor:
        stmt = stmt.where(AuditEntry.actor.ilike(f"%{actor}%"))
    found = fetch_page(
        stmt.order_by(AuditEntry.id.desc()), requested_page(), PAGE_SIZE, scalars=True
    )
    return render_template(
        "ops/support/audit_log.html",
        entries=found.rows,
        paged=found,
        subject=subject,
        actor=actor,
    )
