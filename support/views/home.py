"""Back-office home for operators and admins: find an agent, read the audit log."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context

from members.dossiers import dossier_source
from members.finder import agent_search
from members.numbers import is_valid_cgos_number, normalise_cgos_number
from orders.search import CHANNEL_LABELS, METHOD_LABELS
from orders.status import STATUS_LABELS
from shop.csv_export import stream_csv
from shop.forms import strip_text
from shop.paging import fetch_page, requested_page
from support import audit_log as audit_log_view
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
