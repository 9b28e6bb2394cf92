"""Back office under ``/gestion/rapports`` (R-REP-1, R-REP-4): the dashboard for a period
and a region, its tables as CSV and XLSX, and the yearly budgets (admins set them, the
« gestionnaire » reads them). Admins and gestionnaires only: ``shop.audiences`` answers
404 to operators on every ``ops.reports*`` page and refuses a gestionnaire's POST."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from members.regions import REGIONS
from reports import budgets, charts, figures, tables
from reports.forms import BudgetForm
from reports.rules import (
    DEFAULT_ALERT_PERCENT,
    FIRST_YEAR,
    LAST_YEAR,
    month_label,
    month_of,
    parse_period,
)
from reports.views.table_files import table_download
from shop import clock
from shop.errors import DomainError
from shop.forms import place_error
from shop.money import format_eur

bp = Blueprint("reports", __name__, url_prefix="/rapports")
CHART_DAYS = tables.LONG_PERIOD_DAYS  # up to two months a column per day, beyond per month


def _filters() -> tuple[figures.Filters, dict[str, str], dict[str, str]]:
    """The period and region asked for, what was typed, and the errors beside the fields.
    A refused field never fails the page: the current year (or all regions) stands in."""
    typed = {
        "du": (request.args.get("du") or "")[:20],
        "au": (request.args.get("au") or "")[:20],
        "region": (request.args.get("region") or "")[:80],
    }
    choice = parse_period(typed["du"], typed["au"], clock.today())
    errors = dict(choice.errors)
    region: str | None = typed["region"] or None
    if region is not None and region not in REGIONS:
        errors["region"] = "Choisissez une région de la liste."
        region = None
    return figures.Filters(choice.period, region), typed, errors


def _query_args(filters: figures.Filters) -> dict[str, str]:
    args = {"du": filters.period.start.isoformat(), "au": filters.period.end.isoformat()}
    if filters.region:
        args["region"] = filters.region
    return args


def _charts(board: figures.Dashboard) -> dict[str, Markup]:
    """The SVG charts, each drawn beside the table with the same figures."""
    period = board.filters.period
    if period.days <= CHART_DAYS:
        columns = [
            charts.Bar(
                d.day.strftime("%d/%m"),
                d.paid_participation_cents,
                format_eur(d.paid_participation_cents),
            )
            for d in board.by_day
        ]
        unit = "jour"
    else:
        months: dict[Any, int] = {}
        for d in board.by_day:
            key = month_of(d.day)
            months[key] = months.get(key, 0) + d.paid_participation_cents
        columns = [charts.Bar(month_label(m), v, format_eur(v)) for m, v in months.items()]
        unit = "mois"
    out = {
        "jours" if unit == "jour" else "mois": charts.column_chart(
            "graphique-jours", f"Participation payée par {unit}", columns
        ),
        "canaux": charts.hbar_chart(
            "graphique-canaux",
            "Encaissé par canal",
            [
                charts.Bar(r.label, r.total_cents, format_eur(r.total_cents))
                for r in board.by_channel
            ],
        ),
        "paiements": charts.hbar_chart(
            "graphique-paiements",
            "Encaissé par moyen de paiement",
            [
                charts.Bar(r.label, r.total_cents, format_eur(r.total_cents))
                for r in board.by_method
            ],
        ),
        "categories": charts.hbar_chart(
            "graphique-categories",
            "Montant des articles par catégorie",
            [
                charts.Bar(r.label, r.amount_cents, format_eur(r.amount_cents))
                for r in board.by_category
            ],
        ),
        "partenaires": charts.hbar_chart(
            "graphique-partenaires",
            "Montant des articles par partenaire",
            [
                charts.Bar(r.label, r.amount_cents, format_eur(r.amount_cents))
                for r in board.by_partner
            ],
        ),
        "offres": charts.hbar_chart(
            "graphique-offres",
            "Montant des articles par offre",
            [
                charts.Bar(r.label, r.amount_cents, format_eur(r.amount_cents))
                for r in board.by_offer
            ],
        ),
        "plafonds": charts.hbar_chart(
            "graphique-plafonds",
            f"Foyers selon la part de leur plafond {board.cap_year} utilisée",
            [
                charts.Bar(
                    r.label, r.households, f"{r.households} foyer{'s' if r.households > 1 else ''}"
                )
                for r in board.cap_use
            ],
        ),
    }
    state = board.budget_state
    if state is not None:
        out["budget"] = charts.budget_gauge(
            "graphique-budget",
            budget_cents=state.budget_cents,
            paid_net_cents=board.net_paid_cents,
            committed_cents=board.committed_cents,
            alert_percent=state.alert_percent,
            texts={
                "budget": format_eur(state.budget_cents),
                "paid": format_eur(board.net_paid_cents),
                "committed": format_eur(board.committed_cents),
                "consumed": format_eur(state.consumed_cents),
                "percent": f"{state.percent} %",
            },
        )
    # Built here from escaped text only (reports.charts escapes every label and value).
    return {k: Markup(v) for k, v in out.items()}  # noqa: S704


@bp.route("/")
def dashboard():
    """R-REP-1: the figures of the period and region, charts beside their tables."""
    filters, typed, errors = _filters()
    board = figures.dashboard(filters)
    status = 422 if errors else 200
    return render_template(
        "ops/reports/dashboard.html",
        board=board,
        filters=filters,
        typed=typed,
        errors=errors,
        regions=REGIONS,
        tables=tables.page_tables(filters.period.days),
        days_table=tables.BY_KEY["jours"],
        charts=_charts(board),
        query=_query_args(filters),
        can_edit=current_user.role == "admin",
    ), status


@bp.route("/<tableau>.<fmt>")
def download(tableau: str, fmt: str):
    """One table of the dashboard as the page shows it, total row included: CSV (UTF-8
    with BOM, ``;``, formulas defused) or XLSX (amounts in euros)."""
    table = tables.BY_KEY.get(tableau)
    if table is None or fmt not in tables.FORMATS:
        abort(404)
    filters, _typed, errors = _filters()
    if errors:
        abort(404)  # a download link is built from a valid period; a typed URL is not one
    board = figures.dashboard(filters)
    period = filters.period
    name = f"rapport-{table.key}-{period.start.isoformat()}-{period.end.isoformat()}"
    if filters.region:
        name += "-" + "".join(c if c.isalnum() else "-" for c in filters.region.lower())
    return table_download(table, board, name, fmt)


# -- budgets -------------------------------------------------------------------------------


def _year_arg() -> tuple[int, str | None]:
    """The year asked for in ``annee``, this year when none; a refused one says why."""
    raw = (request.args.get("annee") or "").strip()[:20]
    if not raw:
        return clock.today().year, None
    if raw.isascii() and raw.isdigit() and FIRST_YEAR <= int(raw) <= LAST_YEAR:
        return int(raw), None
    return clock.today().year, budgets.YEAR_REFUSED


def _budgets_page(
    form: BudgetForm,
    year: int,
    status: int = 200,
    message: str | None = None,
    year_error: str | None = None,
    typed_year: str | None = None,
):
    return render_template(
        "ops/reports/budgets.html",
        form=form,
        year=year,
        typed_year=typed_year if typed_year is not None else str(year),
        year_error=year_error,
        rows=budgets.budgets_of(year),
        can_edit=current_user.role == "admin",
        message=message,
    ), status


@bp.route("/budgets")
def budgets_page():
    """R-REP-1: the year's budgets; admins get the form to set one."""
    year, error = _year_arg()
    form = BudgetForm(
        formdata=None, data={"year": str(year), "alert_percent": str(DEFAULT_ALERT_PERCENT)}
    )
    typed = (request.args.get("annee") or "")[:20] if error else None
    return _budgets_page(form, year, 422 if error else 200, None, error, typed)


@bp.route("/budgets", methods=["POST"])
def save_budget():
    """An admin sets (or replaces) one budget; audited by the service."""
    if current_user.role != "admin":
        abort(404)
    form = BudgetForm()
    typed = form.year.number
    # The page lists a year the store can read: a refused year is said beside its field.
    year = typed if typed is not None and FIRST_YEAR <= typed <= LAST_YEAR else clock.today().year
    form.validate()
    if form.amount.errors:
        return _budgets_page(form, year, 422)
    try:
        saved = budgets.set_budget(
            current_user,
            year=form.year.number,
            region=form.region.data or None,
            amount_cents=form.amount.cents,
            alert_percent=form.alert_percent.number,
        )
    except DomainError as exc:
        message = place_error(form, exc, default="amount")
        return _budgets_page(form, year, 422, message)
    scope = saved.region or "national"
    flash(
        f"Budget {saved.year} ({scope}) enregistré : {format_eur(saved.amount_cents)}, "
        f"alerte à {saved.alert_percent} %.",
        "success",
    )
    return redirect(url_for(".budgets_page", annee=saved.year), 303)
