"""Back office under ``/gestion/vacances``: rate tables per season (admins edit, R-VAC-2)
and the Prix mini lottery (registrations, draws, payments; R-VAC-4)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from catalog.models import Offer
from catalog.stays import (
    EDGES,
    FAMILY_LABELS,
    PRIX_MINI,
    STAY_FAMILIES,
    Band,
    FamilyTable,
    Season,
    band_label,
    season_of,
)
from shop import clock
from shop.csv_export import stream_csv
from shop.db import session
from shop.errors import DomainError, NotFound
from shop.forms import place_error
from shop.money import MoneyError, to_cents
from vacations import lottery, winners
from vacations.forms import PrixMiniPaymentForm
from vacations.models import PAYMENT_METHODS, STATUS_LABELS, PrixMiniDraw, PrixMiniRegistration
from vacations.rates import save_table, tables_for

bp = Blueprint("vacations", __name__, url_prefix="/vacances")
LIST_LIMIT = 500


def _admin_only() -> None:
    if current_user.role != "admin":
        abort(404)


def _season_arg() -> Season:
    raw = request.values.get("saison", "")
    try:
        return Season.parse(raw)
    except ValueError:
        return season_of(clock.today())


def _parse_table(form: dict[str, str], n_bounds: int) -> FamilyTable:
    """The edit form: ``upper_i`` (euros), ``strict_i``, ``rate_i`` and ``unknown``."""
    bands = []
    try:
        for i in range(n_bounds + 1):
            rate = int(form.get(f"rate_{i}", "").strip())
            if i < n_bounds:
                upper = to_cents(form.get(f"upper_{i}", ""))
                bands.append(Band(upper, rate, inclusive=not form.get(f"strict_{i}")))
            else:
                bands.append(Band(None, rate))
        unknown = int(form.get("unknown", "").strip())
    except (ValueError, MoneyError) as exc:
        raise DomainError("Saisissez des taux entiers (en %) et des bornes en euros.") from exc
    return FamilyTable(tuple(bands), unknown)


@bp.route("/", methods=["GET", "POST"])
def tables():
    season = _season_arg()
    if request.method == "POST":
        _admin_only()
        family = request.form.get("family", "")
        try:
            table = _parse_table(request.form, len(EDGES))
            save_table(season.key, family, table, actor=current_user)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash("Table enregistrée. Les prix déjà retenus ne changent pas.", "success")
        # Only a known family goes back into the address (a typed one could hold CR/LF).
        anchor = f"#famille-{family}" if family in STAY_FAMILIES else ""
        return redirect(url_for(".tables", saison=season.key) + anchor)
    current = tables_for(season.key)
    rows = [
        (code, label, current[code], [band_label(current[code], i) for i in range(5)])
        for code, label in FAMILY_LABELS
    ]
    seasons = [Season(season.year + d, k) for d in (-1, 0, 1) for k in ("ete", "hiver")]
    return render_template(
        "ops/vacations/tables.html",
        season=season,
        seasons=seasons,
        rows=rows,
        can_edit=current_user.role == "admin",
    )


@bp.route("/prix-mini")
def lottery_offers():
    counts = {
        offer_id: n
        for offer_id, n in session().execute(
            select(PrixMiniRegistration.offer_id, func.count()).group_by(
                PrixMiniRegistration.offer_id
            )
        )
    }
    offers = session().scalars(
        select(Offer)
        .where(Offer.kind == "sejour", Offer.stay_family == PRIX_MINI)
        .order_by(Offer.stay_starts_on, Offer.id)
    )
    drawn = set(session().scalars(select(PrixMiniDraw.offer_id)))
    return render_template(
        "ops/vacations/offers.html", offers=list(offers), counts=counts, drawn=drawn
    )


def _lottery_offer_or_404(offer_id: int) -> Offer:
    offer = session().get(Offer, offer_id)
    if offer is None or offer.kind != "sejour" or offer.stay_family != PRIX_MINI:
        abort(404)
    return offer


@bp.route("/prix-mini/<int:offer_id>")
def lottery_offer(offer_id: int):
    offer = _lottery_offer_or_404(offer_id)
    the_draw = session().scalar(select(PrixMiniDraw).where(PrixMiniDraw.offer_id == offer_id))
    regs = session().scalars(
        select(PrixMiniRegistration)
        .where(PrixMiniRegistration.offer_id == offer_id)
        .order_by(PrixMiniRegistration.status, PrixMiniRegistration.rank, PrixMiniRegistration.id)
        .limit(LIST_LIMIT)
    )
    replay_ok = None
    if the_draw is not None:
        replay_ok = lottery.replay(the_draw.id)[: the_draw.places] == the_draw.results["winners"]
    registrations = list(regs)
    return render_template(
        "ops/vacations/offer.html",
        offer=offer,
        draw=the_draw,
        replay_ok=replay_ok,
        registrations=registrations,
        people=winners.identities([r.cgos_number for r in registrations]),
        payments=lottery.payments_of([r.id for r in registrations if r.status == "paye"]),
        method_labels=PAYMENT_METHODS,
        before_deadline=offer.sale_closes_at is None or clock.utcnow() < offer.sale_closes_at,
        status_labels=STATUS_LABELS,
        limit=LIST_LIMIT,
        can_edit=current_user.role == "admin",
    )


@bp.route("/prix-mini/<int:offer_id>/tirage", methods=["POST"])
def run_draw(offer_id: int):
    _admin_only()
    raw = request.form.get("seed", "").strip()
    try:
        seed = int(raw) if raw else None
        if seed is not None and not 0 <= seed < 2**62:
            raise ValueError
    except ValueError:
        flash("La graine est un entier positif (ou laissez vide).", "error")
        return redirect(url_for(".lottery_offer", offer_id=offer_id))
    try:
        lottery.draw(
            offer_id,
            seed=seed,
            actor=current_user,
            close_early=bool(request.form.get("close_early")),
        )
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(
            "Tirage effectué ; les courriels partent avec la prochaine tâche planifiée.", "success"
        )
    return redirect(url_for(".lottery_offer", offer_id=offer_id))


@bp.route("/prix-mini/<int:offer_id>/gagnants.csv")
def winners_csv(offer_id: int):
    """R-VAC-8: the winners for the holiday provider, in a French spreadsheet's dialect."""
    offer = _lottery_offer_or_404(offer_id)
    response = Response(
        stream_with_context(stream_csv(winners.CSV_HEADER, winners.winner_rows(offer))),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="prix-mini-{offer.id}-gagnants.csv"'
    )
    return response


@bp.route("/inscriptions/<int:registration_id>/paiement", methods=["GET", "POST"])
def mark_paid(registration_id: int):
    """R-VAC-7: a winner's payment received outside the store, typed and checked."""
    reg = session().get(PrixMiniRegistration, registration_id)
    if reg is None:
        abort(404)
    offer = _lottery_offer_or_404(reg.offer_id)
    form = PrixMiniPaymentForm()
    error = None
    status = 200
    if request.method == "POST":
        if form.validate():
            assert form.amount.cents is not None, "InputRequired and a valid amount"
            try:
                lottery.mark_paid(
                    registration_id,
                    actor=current_user,
                    amount_cents=form.amount.cents,
                    method=form.method.data or "",
                    reference=form.reference.data or "",
                )
            except NotFound:
                abort(404)
            except DomainError as exc:
                error = place_error(form, exc)
            else:
                flash("Paiement enregistré.", "success")
                return redirect(url_for(".lottery_offer", offer_id=reg.offer_id))
        status = 422
    person = winners.identities([reg.cgos_number]).get(reg.cgos_number)
    return (
        render_template(
            "ops/vacations/payment.html",
            offer=offer,
            reg=reg,
            person=person,
            form=form,
            error=error,
            status_labels=STATUS_LABELS,
        ),
        status,
    )
