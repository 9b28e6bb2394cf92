"""Partner portal: shipment queue, packing slips, address export and entry control
(R-PAR-1…4, R-PAR-7, R-PAR-8). Registered on the ``partner`` audience; every read goes through
``partners.services`` scoped to ``current_user.partner_id``, so a guessed id is a 404."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
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
from orders.presenters import add_order_section, add_orders_section
from partners import parcels, rules, services
from partners.forms import CorrectionForm, ScanForm, SelectionForm, ShipForm
from shop.csv_export import stream_csv
from shop.errors import DomainError, NotFound
from shop.forms import place_error
from shop.paging import requested_page

bp = Blueprint("shipments", __name__)


def _shipments_section(order: Order) -> dict[str, Any]:
    """The agent's order page lists what was posted, how, and its tracking (R-PAR-4)."""
    return {"shipments": services.shipments_of(order.id), "mode_labels": rules.MODE_LABELS}


def _shipments_of_orders(orders: Sequence[Order]) -> dict[str, Any]:
    """The operators' agent record shows each order's parcels and tracking (R-OPS-1)."""
    return {
        "shipments_by_order": services.shipments_of_orders([o.id for o in orders]),
        "mode_labels": rules.MODE_LABELS,
    }


@bp.record_once
def _plug_in(_state: object) -> None:
    """Wiring partners into the app adds its section to the agent's order page, which
    orders renders without importing partners."""
    add_order_section("partners.shipments", _shipments_section)
    add_orders_section("partners.shipments", _shipments_of_orders)


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
    "mode",
    "articles",
    "seances",
    "a_poster_avant",
    "en_retard",
    "numero_suivi",
]


def _queue_filters() -> parcels.ParcelFilters:
    """The queue's filters from the address; anything unknown is no filter."""
    mode = request.args.get("mode")
    raw_session = (request.args.get("seance") or "").strip()
    session_id = (
        int(raw_session)
        if raw_session.isascii() and raw_session.isdigit() and len(raw_session) < 10
        else None
    )
    status = request.args.get("statut")
    return parcels.ParcelFilters(
        mode=mode if mode in rules.MODE_LABELS else None,
        session_id=session_id,
        late=request.args.get("retard") == "1",
        status=status if status in parcels.STATUS_LABELS else "to_ship",
    )


@bp.route("/expeditions")
def queue():
    """R-PAR-2: the parcels, most urgent first, filtered and a page at a time, each with
    its session and posting deadline; ticked ones go to the bulk actions."""
    filters = _queue_filters()
    per_page = current_app.config.get("PARTNER_QUEUE_PER_PAGE", parcels.PER_PAGE)
    paged = parcels.queue_page(current_user.partner_id, filters, requested_page(), per_page)
    args = {
        "mode": filters.mode,
        "seance": filters.session_id,
        "retard": "1" if filters.late else None,
        "statut": filters.status if filters.status != "to_ship" else None,
    }
    args = {k: v for k, v in args.items() if v}
    return render_template(
        "partner/shipments/queue.html",
        paged=paged,
        filters=filters,
        args=args,
        select_all=request.args.get("tout") == "1",
        sessions=parcels.session_choices(current_user.partner_id),
        statuses=parcels.STATUS_LABELS,
        selection=SelectionForm(formdata=None),
        mode_labels=rules.MODE_LABELS,
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
    correction = CorrectionForm()
    status = 200
    if shipment is not None and "new_tracking" in request.form:
        if correction.validate_on_submit():
            try:
                parcels.correct_tracking(
                    current_user.partner_id,
                    order_number,
                    group,
                    correction.new_tracking.data,
                    actor=current_user,
                )
            except DomainError as exc:
                place_error(correction, exc, default="new_tracking")
                status = 422
            else:
                flash("Numéro de suivi corrigé, l'agent est prévenu.", "success")
                return redirect(url_for(".slip", order_number=order_number, group=group))
        else:
            status = 422
    elif shipment is None and form.validate_on_submit():
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
            correction=correction,
            shipment=shipment,
            mode_labels=rules.MODE_LABELS,
            delivery_labels=DELIVERY_LABELS,
            group_labels=GROUP_LABELS,
        ),
        status,
    )


@bp.route("/expeditions/adresses.csv")
def addresses_csv():
    """R-PAR-3: streamed row by row, formulas defused, most urgent first; the rows are read
    from the database in batches. Its last column, filled in, is the CSV upload's file."""
    partner_id = current_user.partner_id
    response = Response(
        stream_with_context(stream_csv(CSV_HEADER, parcels.iter_address_rows(partner_id))),
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
