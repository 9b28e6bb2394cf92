"""The agent's own space: rights, dossier and household as the store reads them."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template
from flask_login import current_user

from members.dossiers import dossier_source
from members.rights import STATUS_LABELS, age_on, counts_as_child
from members.space import space_sections

bp = Blueprint("account", __name__)


@bp.route("/")
def home():
    record = current_user.record
    year = current_user.today.year
    children = [
        {
            "prenom": c.prenom,
            "age": age_on(c.birth_date, date(year, 12, 31)),
            "counts": counts_as_child(c.birth_date, year),
        }
        for c in record.children
    ]
    members = [n for n in dossier_source().household_members(record) if n != record.cgos_number]
    return render_template(
        "agent/members/home.html",
        record=record,
        rights=current_user.rights,
        status_label=STATUS_LABELS.get(record.status, record.status),
        children=children,
        year=year,
        co_agents=members,
        sections=space_sections(current_user),
    )
