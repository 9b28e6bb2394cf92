"""Partner portal, many parcels at once (issue 19; R-PAR-3, R-PAR-4): the packing slips and
pick list of the parcels ticked on the queue as PDF, marking them shipped with one mode,
and the CSV upload of tracking numbers. Every parcel named is checked to be the partner's
(``partners.parcels.selected``): one that is not makes the whole request a 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from partners import parcels, rules, slips
from partners.forms import SelectionForm, UploadForm
from shop.errors import DomainError, NotFound

bp = Blueprint("parcels", __name__)

# The queue's filters, carried back to it after a bulk action.
_FILTER_ARGS = ("mode", "seance", "retard", "statut", "page")


def _back():
    args: dict[str, Any] = {k: request.form.get(f"filtre_{k}") for k in _FILTER_ARGS}
    return redirect(url_for("partner.shipments.queue", **{k: v for k, v in args.items() if v}))


def _selection() -> list[parcels.Parcel] | None:
    """The ticked parcels (404 if one is not the partner's); None, with a message, when
    nothing was ticked."""
    form = SelectionForm()
    if not form.validate_on_submit():
        flash("La page a expiré : recommencez.", "error")
        return None
    try:
        return parcels.selected(current_user.partner_id, form.colis.data or [])
    except NotFound:
        raise
    except DomainError as exc:
        flash(exc.message, "error")
        return None


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/expeditions/bordereaux.pdf")
def slips_pdf():
    """R-PAR-3: one packing slip per ticked parcel, in one PDF (one page each)."""
    chosen = _selection()
    if chosen is None:
        return _back()
    return _pdf(slips.render_slips(chosen), "bons-de-preparation.pdf")


@bp.post("/expeditions/preparation.pdf")
def pick_list_pdf():
    """R-PAR-3: what to take from the shelves for the ticked parcels, by article and
    session, with a total per article."""
    chosen = _selection()
    if chosen is None:
        return _back()
    rows, totals = parcels.pick_list(chosen)
    return _pdf(slips.render_pick_list(rows, totals, len(chosen)), "liste-de-preparation.pdf")


@bp.post("/expeditions/lot")
def ship_selection():
    """R-PAR-4: the ticked parcels posted with one mode without tracking number."""
    form = SelectionForm()
    if not form.validate_on_submit():
        flash("La page a expiré : recommencez.", "error")
        return _back()
    try:
        count = parcels.ship_selection(
            current_user.partner_id, form.colis.data or [], form.mode.data, actor=current_user
        )
    except NotFound:
        raise
    except DomainError as exc:
        flash(exc.message, "error")
        return _back()
    mode = rules.MODE_LABELS[form.mode.data]
    flash(
        f"{count} colis marqué(s) expédié(s) en « {mode} » ; les agents sont prévenus.", "success"
    )
    return _back()


@bp.route("/expeditions/import", methods=["GET", "POST"])
def upload():
    """R-PAR-4: a CSV of order / group / mode / tracking number marks the parcels shipped,
    all or nothing; the errors are listed per line beside the upload field."""
    form = UploadForm()
    result = None
    status = 200
    if form.validate_on_submit():
        data = form.fichier.data.read(parcels.MAX_UPLOAD_BYTES + 1)
        result = parcels.upload_shipments(current_user.partner_id, data, actor=current_user)
        if not result.errors:
            flash(
                f"{result.shipped} colis marqué(s) expédié(s), "
                f"{result.already} déjà enregistré(s) ; les agents sont prévenus.",
                "success",
            )
            return redirect(url_for("partner.shipments.queue"))
        form.fichier.errors = [
            f"{len(result.errors)} erreur(s) : aucun colis n'a été enregistré. "
            "Corrigez le fichier puis importez-le de nouveau."
        ]
        status = 422
    elif form.errors:
        status = 422
    return (
        render_template(
            "partner/shipments/upload.html",
            form=form,
            result=result,
            mode_labels=rules.MODE_LABELS,
        ),
        status,
    )
