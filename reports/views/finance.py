"""Finance pages of the back office (R-REP-2, R-REP-3), at ``/gestion/rapports/finance``:
card payments by day and capture batch (and Stripe payouts), cheques and the day's
remittance slip, refunds and transfers to make, partners' monthly settlements, exports.

Every page is a GET with its period in the query string (bookmarkable, no URL argument to
guess); a bad month, day, partner, kind or format is shown in French beside its field with
a 422, never a 500. Admins only for now (a 404 for operators, as the team pages do).
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from reports import finance, ledger, slips
from reports import finance_tables as ftables
from reports.journal import accounts_from
from reports.periods import Month, PeriodError, check_period, parse_day, parse_month
from reports.tables import FORMATS
from reports.views.table_files import table_download
from shop import clock
from shop.csv_export import stream_csv

bp = Blueprint("reports_finance", __name__, url_prefix="/rapports/finance")
ALLOWED_ROLES = frozenset({"admin", "gestionnaire"})
EXPORT_LABELS = {
    "sales": "Ventes (une ligne par article vendu)",
    "participation": "Participation C.G.O.S (versée et rendue)",
    "payments": "Paiements reçus (carte et chèque)",
    "refunds": "Remboursements",
    "settlement": "Règlements partenaires",
    "journal": "Journal comptable",
}
FORMAT_LABELS = {"csv": "CSV (tableur, ;)", "xlsx": "XLSX (Excel)"}


@bp.before_request
def _admins_only() -> None:
    if current_user.role not in ALLOWED_ROLES:
        abort(404)


def _arg(name: str, size: int = 20) -> str:
    return (request.args.get(name) or "").replace("\x00", "").strip()[:size]


def _month(errors: dict[str, str]) -> Month:
    """The ``mois`` asked for (AAAA-MM), this Paris month when none; an error beside it."""
    raw = _arg("mois")
    if not raw:
        return Month.of(clock.today())
    try:
        return parse_month(raw)
    except PeriodError as exc:
        errors["mois"] = exc.message
        return Month.of(clock.today())


def _day(errors: dict[str, str]) -> date:
    raw = _arg("jour")
    if not raw:
        return clock.today()
    try:
        return parse_day(raw)
    except PeriodError as exc:
        errors["jour"] = exc.message
        return clock.today()


def _page(template: str, errors: dict[str, str], **context: Any) -> tuple[str, int]:
    return render_template(template, errors=errors, **context), (422 if errors else 200)


def _attachment(body: Any, mimetype: str, filename: str) -> Response:
    response = Response(body, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/")
def index():
    return redirect(url_for(".cards"))


def _tables_page(
    template: str,
    errors: dict[str, str],
    month: Month,
    fin: ftables.FinanceMonth | None = None,
    **context: Any,
):
    """A finance page of the month: its tables read from one ``FinanceMonth``, their
    downloads linked with the same month (and day)."""
    fin = fin or ftables.FinanceMonth(month, clock.today())
    query = {"mois": month.key}
    if "typed_day" in context:
        query["jour"] = fin.day.isoformat()
    return _page(
        template,
        errors,
        month=month,
        day=fin.day,
        typed=_arg("mois") or month.key,
        fin=fin,
        tables=ftables.BY_KEY,
        query=query,
        **context,
    )


@bp.route("/cartes")
def cards():
    """Card money in per Paris day and per capture batch, held payments, Stripe payouts."""
    errors: dict[str, str] = {}
    month = _month(errors)
    return _tables_page(
        "ops/reports/finance/cards.html",
        errors,
        month,
        pending=finance.card_awaiting_capture(),
        payouts=finance.stripe_payouts(month.first, month.last),
    )


@bp.route("/cheques")
def cheques():
    """Cheques cashed per Paris day of the month, and the chosen day's remittance slip."""
    errors: dict[str, str] = {}
    month = _month(errors)
    fin = ftables.FinanceMonth(month, _day(errors))
    if not _arg("jour") and not month.first <= fin.day <= month.last:
        # Another month than this one: its last day with cheques, the slip one comes for.
        fin.day = fin.cheque_days[-1].day if fin.cheque_days else month.last
    return _tables_page(
        "ops/reports/finance/cheques.html",
        errors,
        month,
        fin,
        typed_day=_arg("jour") or fin.day.isoformat(),
    )


@bp.route("/cheques/bordereau.pdf")
def remittance_slip():
    """« Bordereau de remise de chèques » of one Paris day (PDF)."""
    errors: dict[str, str] = {}
    day = _day(errors)
    if errors:
        return cheques()
    account = current_app.config.get("REMITTANCE_ACCOUNT", "")
    pdf = slips.render_remittance_slip(day, finance.cheques_cashed(day), account)
    return _attachment(pdf, "application/pdf", f"bordereau-cheques_{day.isoformat()}.pdf")


@bp.route("/remboursements")
def refunds():
    """Refunds recorded per day (made or to make) and the transfers still to make."""
    errors: dict[str, str] = {}
    month = _month(errors)
    return _tables_page("ops/reports/finance/refunds.html", errors, month)


@bp.route("/<tableau>.<fmt>")
def download(tableau: str, fmt: str):
    """One finance table as its page shows it, total row included (CSV or XLSX)."""
    table = ftables.BY_KEY.get(tableau)
    if table is None or fmt not in FORMATS:
        abort(404)
    errors: dict[str, str] = {}
    month = _month(errors)
    day = _day(errors)
    if errors:
        abort(404)  # a download link is built from a valid month; a typed URL is not one
    name = f"finance-{table.key}-" + (
        day.isoformat() if table.key in ftables.DAY_TABLES else month.key
    )
    return table_download(table, ftables.FinanceMonth(month, day), name, fmt)


def _partner(errors: dict[str, str], required: bool) -> int | None:
    raw = _arg("partenaire")
    if not raw:
        if required:
            errors["partenaire"] = "Choisissez un partenaire."
        return None
    if not raw.isdigit() or finance.partner_name(int(raw)) is None:
        errors["partenaire"] = "Partenaire inconnu : choisissez-le dans la liste."
        return None
    return int(raw)


@bp.route("/partenaires")
def settlements():
    """Every partner's settlement for the month, and one partner's statement to download."""
    return _settlements_page(partner_required=False)


def _settlements_page(*, partner_required: bool) -> tuple[str, int]:
    errors: dict[str, str] = {}
    month = _month(errors)
    partner_id = _partner(errors, required=partner_required)
    return _tables_page(
        "ops/reports/finance/settlements.html",
        errors,
        month,
        partners=finance.partner_choices(),
        partner_id=partner_id,
    )


def _statement() -> finance.Settlement | None:
    errors: dict[str, str] = {}
    month = _month(errors)
    partner_id = _partner(errors, required=True)
    if errors or partner_id is None:
        return None
    return finance.settlement(partner_id, month)


@bp.route("/partenaires/releve.pdf")
def settlement_pdf():
    """A partner's monthly settlement statement (PDF)."""
    statement = _statement()
    if statement is None:
        return _settlements_refused()
    name = f"releve_{_slug(statement.partner_name)}_{statement.month.key}.pdf"
    return _attachment(slips.render_settlement(statement), "application/pdf", name)


@bp.route("/partenaires/releve.csv")
def settlement_csv():
    """The same statement as a CSV (UTF-8 with BOM, ``;``, formulas defused)."""
    statement = _statement()
    if statement is None:
        return _settlements_refused()
    rows = [
        [
            line.title,
            line.sold_quantity,
            ledger.euros(line.sold_negotiated_cents),
            line.refunded_quantity,
            ledger.euros(line.refunded_negotiated_cents),
            ledger.euros(line.due_cents),
            ledger.euros(line.sold_participation_cents - line.refunded_participation_cents),
            ledger.euros(line.sold_paid_cents - line.refunded_paid_cents),
        ]
        for line in statement.lines
    ]
    rows.append(
        [
            "Total",
            statement.sold_quantity,
            ledger.euros(statement.sold_negotiated_cents),
            statement.refunded_quantity,
            ledger.euros(statement.refunded_negotiated_cents),
            ledger.euros(statement.due_cents),
            ledger.euros(statement.participation_cents),
            ledger.euros(statement.agents_cents),
        ]
    )
    name = f"releve_{_slug(statement.partner_name)}_{statement.month.key}.csv"
    body = (chunk.encode("utf-8") for chunk in stream_csv(ledger.SETTLEMENT_HEADER[1:], rows))
    return _attachment(body, "text/csv; charset=utf-8", name)


def _settlements_refused() -> tuple[str, int]:
    """The statement form again, its errors beside the fields."""
    return _settlements_page(partner_required=True)


def _slug(text: str) -> str:
    """An ASCII file name part (a header carries it): « Œuvres & Cie » → ``oeuvres-cie``."""
    plain = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    ascii_text = plain.encode("ascii", "ignore").decode()
    kept = "".join(ch if ch.isalnum() else "-" for ch in ascii_text)
    return "-".join(part for part in kept.split("-") if part)[:40] or "partenaire"


# -- exports -------------------------------------------------------------------------------------


def _export_request() -> tuple[dict[str, str], dict[str, str]]:
    typed = {
        "type": _arg("type"),
        "du": _arg("du"),
        "au": _arg("au"),
        "format": _arg("format") or "csv",
    }
    errors: dict[str, str] = {}
    if typed["type"] not in ledger.KINDS:
        errors["type"] = "Choisissez le contenu de l'export."
    first = last = None
    for name in ("du", "au"):
        try:
            parsed = parse_day(typed[name], name)
        except PeriodError as exc:
            errors[name] = exc.message
            continue
        if name == "du":
            first = parsed
        else:
            last = parsed
    if first and last:
        try:
            check_period(first, last)
        except PeriodError as exc:
            errors["au"] = exc.message
    if typed["format"] not in ledger.FORMATS:
        errors["format"] = "Choisissez CSV ou XLSX."
    return typed, errors


@bp.route("/exports")
def exports():
    """The export form: what, which Paris days, which format."""
    month = Month.of(clock.today())
    typed = {"type": "sales", "du": month.first.isoformat(), "au": month.last.isoformat()}
    typed["format"] = "csv"
    return render_template(
        "ops/reports/finance/exports.html",
        typed=typed,
        errors={},
        kinds=EXPORT_LABELS,
        formats=FORMAT_LABELS,
    )


@bp.route("/exports/telecharger")
def export_download():
    """The chosen export, streamed as it is read (constant memory), or the form again with
    the errors beside their fields."""
    typed, errors = _export_request()
    if errors:
        return render_template(
            "ops/reports/finance/exports.html",
            typed=typed,
            errors=errors,
            kinds=EXPORT_LABELS,
            formats=FORMAT_LABELS,
        ), 422
    config = current_app.config
    made = ledger.download(
        typed["type"],
        date.fromisoformat(typed["du"]),
        date.fromisoformat(typed["au"]),
        typed["format"],
        accounts_from(config.get("REPORT_ACCOUNTS")),
        str(config.get("REPORT_JOURNAL_CODE") or "LOI"),
    )
    return _attachment(stream_with_context(made.chunks), made.content_type, made.filename)
