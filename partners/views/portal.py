"""Partner portal: shipment queue, packing slips, address export and entry control
(R-PAR-1…4, R-PAR-7, R-PAR-8). Registered on the ``partner`` audience; every read goes through
``partners.services`` scoped to ``current_user.partner_id``, so a guessed id is a 404."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from catalog.rules import DELIVERY_LABELS
from orders.fees import GROUP_LABELS
from orders.models import Order
from orders.presenters import add_order_section
from partners import rules, services
from partners.forms import ScanForm, ShipForm
from shop.csv_export import stream_csv
from shop.errors import DomainError, NotFound
from shop.forms import place_error

bp = Blueprint("shipments", __name__)


def _shipments_section(order: Order) -> dict[str, Any]:
    """The agent's order page lists what was posted, how, and its tracking (R-PAR-4)."""
    return {"shipments": services.shipments_of(order.id), "mode_labels": rules.MODE_LABELS}


@bp.record_once
def _plug_in(_state: object) -> None:
    """Wiring partners into the app adds its section to the agent's order page, which
    orders renders without importing partners."""
    add_order_section("partners.shipments", _shipments_section)


CSV_HEADER = [
    "commande",
    "groupe",
    "nom",
    "adresse",
    "complement",
    "code_postal",
    "ville",
    "pays",
    "quantite",
]


@bp.route("/expeditions")
def queue():
    entries = services.shipment_queue(current_user.partner_id)
    return render_template(
        "partner/shipments/queue.html", entries=entries, mode_labels=rules.MODE_LABELS
    )


@bp.route("/expeditions/<order_number>/<group>", methods=["GET", "POST"])
def slip(order_number: str, group: str):
    """Packing slip (print view) and the form to mark the group shipped."""
    entry = services.queue_entry(current_user.partner_id, order_number, group)
    shipment = next(
        (
            s
            for s in services.shipments_of(entry.order.id)
            if s.partner_id == current_user.partner_id and s.group == group
        ),
        None,
    )
    form = ShipForm(data={"mode": entry.suggested_mode})
    status = 200
    if shipment is None and form.validate_on_submit():
        try:
            services.mark_shipped(
                current_user.partner_id,
                order_number,
                group,
                form.mode.data,
                form.tracking_number.data,
                actor=current_user,
            )
        except NotFound:
            raise
        except DomainError as exc:
            place_error(form, exc, default="tracking_number")
            status = 422
        else:
            flash(f"Commande {order_number} : envoi enregistré, l'agent est prévenu.", "success")
            return redirect(url_for(".queue"))
    elif form.errors:
        status = 422
    return (
        render_template(
            "partner/shipments/slip.html",
            entry=entry,
            form=form,
            shipment=shipment,
            mode_labels=rules.MODE_LABELS,
            delivery_labels=DELIVERY_LABELS,
            group_labels=GROUP_LABELS,
        ),
        status,
    )


@bp.route("/expeditions/adresses.csv")
def addresses_csv():
    """R-PAR-3: streamed row by row, formulas defused; the rows are read from the database
    in batches."""
    partner_id = current_user.partner_id
    response = Response(
        stream_with_context(stream_csv(CSV_HEADER, services.iter_address_rows(partner_id))),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = 'attachment; filename="adresses.csv"'
    return response


def _chosen_session(raw: str | None) -> services.ControlSession | None:
    """The session named by the form or the query string; not the partner's: 404."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:  # « ² » is a digit too
        raise NotFound()
    return services.control_session(current_user.partner_id, int(raw))


@bp.route("/controle", methods=["GET", "POST"])
def entry_control():
    """R-PAR-7, R-PAR-8: a page for a phone at the venue's door. The controller first picks
    the session (today's first); then the code is typed or scanned for that session."""
    form = ScanForm()
    chosen = _chosen_session(
        form.session_id.data if request.method == "POST" else request.args.get("seance")
    )
    if chosen is None:
        if request.method == "POST":
            flash("Choisissez d'abord la séance contrôlée.", "error")
        return render_template(
            "partner/shipments/control_sessions.html",
            sessions=services.control_sessions(current_user.partner_id),
        )
    result = None
    if form.validate_on_submit():
        result = services.scan(
            current_user.partner_id, form.code.data, chosen.id, actor=current_user
        )
        form = ScanForm(formdata=None)
        chosen = services.control_session(current_user.partner_id, chosen.id)  # new count
    form.session_id.data = str(chosen.id)
    g._camera = True  # R-PAR-9: Permissions-Policy camera=(self) for this page only
    return render_template(
        "partner/shipments/control.html",
        form=form,
        result=result,
        chosen=chosen,
        labels=services.SCAN_LABELS,
    )
