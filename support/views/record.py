"""The agent record's actions (R-OPS-7): send the agent a new access code by e-mail, or
print it in a letter for a window envelope. The code goes to the agent only: the audit
log says how it was sent, never what it is, and the store keeps only its hash."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, url_for
from flask_login import current_user

from auth.code_letter import render_code_letter
from auth.services import issue_access_code
from members.dossier_format import DossierRecord
from members.dossiers import dossier_source
from members.numbers import is_valid_cgos_number, normalise_cgos_number
from shop import clock
from shop.errors import DomainError, NotFound

bp = Blueprint("record", __name__)

NO_EMAIL = (
    "Cet agent n'a pas d'adresse e-mail dans son dossier : imprimez-lui une lettre avec "
    "son nouveau code."
)


def _record(number: str) -> DossierRecord:
    normalised = normalise_cgos_number(number)
    record = dossier_source().get(normalised) if is_valid_cgos_number(normalised) else None
    if record is None:
        raise NotFound()
    return record


def _back(record: DossierRecord):
    return redirect(url_for("ops.home.index", q=record.cgos_number), 303)


@bp.post("/<number>/code")
def send_code(number: str):
    """A new code by e-mail; the old one stops working and the agent's sessions end."""
    record = _record(number)
    if not record.email:
        flash(NO_EMAIL, "error")
        return _back(record)
    try:
        issue_access_code(record.cgos_number, actor=current_user, send=True)
    except DomainError as exc:
        flash(exc.message, "error")
        return _back(record)
    flash(
        f"Nouveau code d'accès envoyé à {record.prenom} {record.nom} par e-mail "
        f"({record.email}). L'ancien code ne fonctionne plus.",
        "success",
    )
    return _back(record)


@bp.post("/<number>/lettre-code.pdf")
def code_letter(number: str):
    """A new code printed in a letter (PDF), for an agent without e-mail or who asks."""
    record = _record(number)
    code = issue_access_code(record.cgos_number, actor=current_user, send=False)
    data = render_code_letter(record, code, clock.today())
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="code-acces-{record.cgos_number}.pdf"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
