"""The finance pages of the back office (R-REP-2, R-REP-3; docs/RULES.md R-REP-2a…e,
R-REP-3a): admins only, totals as the orders say, PDF and CSV downloads, and bad input
answered in French beside its field with a 422 — never a 500."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import insert

from reports import finance
from reports.periods import Month
from shop.money import format_eur
from tests.factories import login_staff
from tests.finance_world import MARCH, World, build
from tests.harness import free_port

BASE = "/gestion/rapports/finance"


@pytest.fixture
def world(app, db, make_agent, make_offer, make_partner, clock) -> World:
    with app.app_context():
        return build(make_agent, make_offer, clock, make_partner)


@pytest.fixture
def admin(client, make_staff, world):
    email, password = make_staff("admin")
    assert login_staff(client, email, password).status_code == 302
    return client


def _text(resp: Any) -> str:
    return resp.get_data(as_text=True)


def _pdf_text(resp: Any) -> str:
    reader = PdfReader(io.BytesIO(resp.get_data()))
    return "\n".join(page.extract_text() for page in reader.pages)


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


PAGES = ["/", "/cartes", "/cheques", "/remboursements", "/partenaires", "/exports"]


@pytest.mark.parametrize("path", PAGES)
def test_r_rep_2_finance_pages_are_for_admins_only(client, make_staff, path):
    email, password = make_staff("operator")
    login_staff(client, email, password)
    assert client.get(BASE + path).status_code == 404
    assert client.get(BASE + "/cheques/bordereau.pdf?jour=2027-03-03").status_code == 404


def test_r_rep_2_finance_pages_ask_staff_to_log_in(client):
    resp = client.get(BASE + "/cartes")
    assert resp.status_code == 302 and "/gestion/connexion" in resp.location


@pytest.mark.parametrize("path", PAGES)
def test_r_rep_2_finance_pages_open_for_an_admin(admin, path):
    resp = admin.get(BASE + path, follow_redirects=True)
    assert resp.status_code == 200


def test_r_rep_2a_card_page_totals_and_batches(admin, app, world):
    with app.app_context():
        expected = sum(r.amount_cents for r in finance.card_payments_by_day(*MARCH))
    o = world.orders
    assert expected == sum(o[n].total_cents for n in ("web1", "web2", "phone"))
    page = _text(admin.get(BASE + "/cartes?mois=2027-03"))
    assert format_eur(expected) in page
    assert "Lot du soir" in page and "Capture immédiate" in page
    assert "Stripe n&#39;est pas configuré" in page or "Stripe n'est pas configuré" in page


def test_r_rep_2a_stripe_unreachable_is_said_in_french(admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_finance")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    resp = admin.get(BASE + "/cartes?mois=2027-03")
    assert resp.status_code == 200
    assert "Stripe ne répond pas" in _text(resp)


def test_r_rep_2b_cheque_page_and_the_days_remittance_slip(admin, world):
    o = world.orders
    total = o["chq1"].total_cents + o["chq2"].total_cents
    page = _text(admin.get(BASE + "/cheques?mois=2027-03&jour=2027-03-03"))
    assert "CHQ-1" in page and "CHQ-2" in page and format_eur(total) in page
    assert "Crédit Mutuel" in page  # the bank the desk noted; CHQ-2's has none: « — »
    resp = admin.get(BASE + "/cheques/bordereau.pdf?jour=2027-03-03")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "bordereau-cheques_2027-03-03.pdf" in resp.headers["Content-Disposition"]
    text = _plain(_pdf_text(resp))
    assert "Bordereau de remise de chèques" in text
    assert "CHQ-1" in text and "CHQ-2" in text and "Crédit Mutuel" in text
    assert o["chq1"].holder_name in text
    assert _plain(format_eur(total)) in text
    assert "Nombre de chèques : 2" in text
    assert "Compte à créditer : ____" in text  # no account configured: a line to fill in


def test_r_rep_2b_the_slip_names_the_account_to_credit(admin, app, world, monkeypatch):
    monkeypatch.setitem(app.config, "REMITTANCE_ACCOUNT", "Banque Postale FR76 2004 1000 0112")
    text = _plain(_pdf_text(admin.get(BASE + "/cheques/bordereau.pdf?jour=2027-03-03")))
    assert "Compte à créditer : Banque Postale FR76 2004 1000 0112" in text


def test_r_rep_2b_refunds_page_lists_the_transfer_to_make(admin, world):
    page = _text(admin.get(BASE + "/remboursements?mois=2027-03"))
    assert world.orders["chq2"].number in page
    assert "1 virement à effectuer" in page


def test_r_rep_2c_settlement_page_pdf_and_csv(admin, app, world):
    with app.app_context():
        alpha = finance.settlement(world.alpha, Month(2027, 3))
    assert alpha.due_cents == 20000
    page = _text(admin.get(BASE + "/partenaires?mois=2027-03"))
    assert "Alpha Loisirs" in page and format_eur(20000) in page
    resp = admin.get(f"{BASE}/partenaires/releve.pdf?mois=2027-03&partenaire={world.alpha}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = _plain(_pdf_text(resp))
    assert "Relevé de règlement partenaire" in text and "Alpha Loisirs" in text
    assert "mars 2027" in text and _plain(format_eur(20000)) in text
    resp = admin.get(f"{BASE}/partenaires/releve.csv?mois=2027-03&partenaire={world.alpha}")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = resp.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert table[-1][0] == "Total" and table[-1][5] == "200,00"


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_r_rep_3a_exports_download(admin, fmt, content_type):
    resp = admin.get(
        f"{BASE}/exports/telecharger?type=payments&du=2027-03-01&au=2027-03-31&format={fmt}"
    )
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == content_type
    assert f"paiements_2027-03-01_2027-03-31.{fmt}" in resp.headers["Content-Disposition"]
    body = resp.get_data()
    if fmt == "csv":
        assert body.startswith("\ufeff".encode()) and b";" in body.splitlines()[0]
    else:
        assert body[:2] == b"PK"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("/cartes?mois=2027-13", "mois", "Mois inexistant"),
        ("/cartes?mois=%00mars", "mois", "Mois invalide"),
        ("/cartes?mois=9999-12", "mois", "de 2000 à 2100"),  # not a 500 past the last year
        ("/cheques?mois=2027-03&jour=9999-12-31", "jour", "de 2000 à 2100"),
        ("/cheques/bordereau.pdf?jour=9999-12-31", "jour", "de 2000 à 2100"),
        ("/partenaires/releve.pdf?mois=9999-12&partenaire=1", "mois", "de 2000 à 2100"),
        (
            "/exports/telecharger?type=payments&du=9999-12-01&au=9999-12-31&format=xlsx",
            "du",
            "de 2000 à 2100",
        ),
        (
            "/exports/telecharger?type=sales&du=0001-01-01&au=0001-01-02&format=csv",
            "du",
            "de 2000 à 2100",
        ),
        ("/cheques?jour=2027-02-30", "jour", "Date inexistante"),
        ("/cheques/bordereau.pdf?jour=hier", "jour", "Date invalide"),
        ("/remboursements?mois=" + "9" * 500, "mois", "Mois invalide"),
        ("/partenaires?partenaire=abc", "partenaire", "Partenaire inconnu"),
        ("/partenaires/releve.pdf?mois=2027-03", "partenaire", "Choisissez un partenaire"),
        (
            "/partenaires/releve.csv?mois=2027-03&partenaire=999999",
            "partenaire",
            "Partenaire inconnu",
        ),
        ("/partenaires/releve.pdf?mois=mars&partenaire=1", "mois", "Mois invalide"),
        (
            "/exports/telecharger?type=tout&du=2027-03-01&au=2027-03-31&format=csv",
            "type",
            "Choisissez le contenu",
        ),
        (
            "/exports/telecharger?type=sales&du=01/03/2027&au=2027-03-31&format=csv",
            "du",
            "Date invalide",
        ),
        ("/exports/telecharger?type=sales&du=2027-03-31&au=2027-03-01&format=csv", "au", "précède"),
        (
            "/exports/telecharger?type=sales&du=2025-01-01&au=2027-03-01&format=csv",
            "au",
            "trop longue",
        ),
        (
            "/exports/telecharger?type=sales&du=2027-03-01&au=2027-03-31&format=pdf",
            "format",
            "CSV ou XLSX",
        ),
    ],
)
def test_r_rep_3_bad_input_is_a_french_message_beside_its_field(admin, query, field, message):
    resp = admin.get(BASE + query)
    assert resp.status_code == 422
    page = _text(resp)
    assert f'id="{field}-erreur"' in page
    assert message in page.replace("&#39;", "'")


class _Payouts(BaseHTTPRequestHandler):
    """Stripe's ``GET /v1/payouts`` as the official library reads it, one payout."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).seen.append(self.path)
        body = json.dumps(
            {
                "object": "list",
                "url": "/v1/payouts",
                "has_more": False,
                "data": [
                    {
                        "id": "po_finance_1",
                        "object": "payout",
                        "amount": 123456,
                        "currency": "eur",
                        "status": "paid",
                        # 5 March 2027, 00:30 in Paris: 4 March 23:30 UTC.
                        "arrival_date": int(datetime(2027, 3, 4, 23, 30, tzinfo=UTC).timestamp()),
                    }
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


def test_r_rep_2a_stripe_payouts_are_listed_when_configured(admin, app, monkeypatch):
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _Payouts)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_finance")
        monkeypatch.setitem(app.config, "STRIPE_API_BASE", f"http://127.0.0.1:{port}")
        page = _text(admin.get(BASE + "/cartes?mois=2027-03"))
    finally:
        server.shutdown()
        server.server_close()
    assert "po_finance_1" in page and format_eur(123456) in page
    assert "vendredi 5 mars 2027" in page  # the Paris day of its arrival
    query = parse_qs(urlsplit(_Payouts.seen[-1]).query)
    start = int(datetime(2027, 2, 28, 23, 0, tzinfo=UTC).timestamp())  # 1 March in Paris
    end = int(datetime(2027, 3, 31, 22, 0, tzinfo=UTC).timestamp())  # 1 April in Paris
    assert query["arrival_date[gte]"] == [str(start)]
    assert query["arrival_date[lt]"] == [str(end)]


def _more_card_payments(app, world, count):
    from orders.models import Payment
    from shop.db import session, unit_of_work

    with app.app_context(), unit_of_work():
        session().execute(
            insert(Payment),
            [
                {
                    "order_id": world.orders["web1"].id,
                    "method": "card" if i % 2 else "cheque",
                    "kind": "payment" if i % 3 else "refund",
                    "amount_cents": 100 + i,
                    "created_at": datetime(2027, 3, 1 + i % 28, 12, 0),
                    "status": "received" if i % 3 else "refund_pending",
                    "details": {"cheque_number": f"N{i}", "reason": "test"},
                }
                for i in range(count)
            ],
        )


@pytest.mark.parametrize(
    "path",
    [
        "/cartes?mois=2027-03",
        "/cheques?mois=2027-03&jour=2027-03-30",
        "/remboursements?mois=2027-03",
        "/partenaires?mois=2027-03",
    ],
)
def test_r_rep_2_pages_read_a_fixed_number_of_statements(admin, app, world, count_queries, path):
    """Aggregated in SQL: the statements of a page do not grow with the month's payments."""
    with count_queries() as before:
        assert admin.get(BASE + path).status_code == 200
    _more_card_payments(app, world, 300)
    with count_queries() as after:
        assert admin.get(BASE + path).status_code == 200
    assert after() == before()


def test_r_rep_2c_a_partner_name_beyond_latin_1_downloads(admin, app, make_partner):
    """The statement's file name is ASCII: « Œuvres & Cie » never breaks the header."""
    partner = make_partner("oeuvres", "Œuvres & Cie — 東京")
    for ext in ("pdf", "csv"):
        resp = admin.get(f"{BASE}/partenaires/releve.{ext}?mois=2027-03&partenaire={partner}")
        assert resp.status_code == 200
        assert f'filename="releve_oeuvres-cie_2027-03.{ext}"' in resp.headers["Content-Disposition"]


# -- every finance table as CSV and XLSX (R-REP-3) -------------------------------------------


def _csv_rows(resp: Any) -> list[list[str]]:
    body = resp.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def _cents(cell: str) -> int:
    euros, _, cents = cell.partition(",")
    return int(euros) * 100 + (int(cents) if euros[:1] != "-" else -int(cents))


def test_r_rep_3_every_finance_table_downloads_as_its_page_shows_it(admin, world):
    """Each table of the finance pages: the CSV has the page's columns, its rows, and a total
    row equal to the sum of the rows to the cent; the XLSX the same figures in euros."""
    from openpyxl import load_workbook

    from reports import finance_tables

    query = "?mois=2027-03&jour=2027-03-03"
    for key, table in finance_tables.BY_KEY.items():
        resp = admin.get(f"{BASE}/{key}.csv{query}")
        assert resp.status_code == 200, key
        suffix = "2027-03-03" if key in finance_tables.DAY_TABLES else "2027-03"
        assert f'filename="finance-{key}-{suffix}.csv"' in resp.headers["Content-Disposition"]
        rows = _csv_rows(resp)
        assert rows[0][0] == table.columns[0].name, key
        body = rows[1:-1] if table.total else rows[1:]
        assert body, f"{key}: the world has rows for every table"
        money = table.money_indexes
        if table.total:
            assert rows[-1][0] == "Total"
            for i in money:
                assert _cents(rows[-1][i]) == sum(_cents(r[i]) for r in body), (key, i)
        xlsx = admin.get(f"{BASE}/{key}.xlsx{query}")
        assert xlsx.status_code == 200 and xlsx.get_data()[:2] == b"PK"
        sheet = load_workbook(io.BytesIO(xlsx.get_data()), read_only=True).active
        cells = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert len(cells) == len(rows), key
        for i in money:
            for csv_row, xlsx_row in zip(rows[1:], cells[1:], strict=True):
                assert round(xlsx_row[i] * 100) == _cents(csv_row[i]), (key, i)
        for i, column in enumerate(table.columns):
            if column.kind == "long_day":  # a date the spreadsheet sorts, not text
                assert all(isinstance(r[i], datetime) for r in cells[1 : len(body) + 1]), key


def test_r_rep_2_finance_downloads_reconcile_with_the_orders(admin, world):
    o = world.orders
    rows = _csv_rows(admin.get(f"{BASE}/cartes-jours.csv?mois=2027-03"))
    assert _cents(rows[-1][2]) == sum(o[n].total_cents for n in ("web1", "web2", "phone"))
    rows = _csv_rows(admin.get(f"{BASE}/cheques-du-jour.csv?mois=2027-03&jour=2027-03-03"))
    assert {r[0] for r in rows[1:-1]} == {"CHQ-1", "CHQ-2"}
    assert "Crédit Mutuel" in {r[1] for r in rows[1:-1]}
    assert _cents(rows[-1][4]) == o["chq1"].total_cents + o["chq2"].total_cents
    rows = _csv_rows(admin.get(f"{BASE}/partenaires.csv?mois=2027-03"))
    alpha = next(r for r in rows if r[0] == "Alpha Loisirs")
    assert alpha[5] == "200,00"
    rows = _csv_rows(admin.get(f"{BASE}/virements.csv?mois=2027-03"))
    assert [r[1] for r in rows[1:]] == [o["chq2"].number]


@pytest.mark.parametrize(
    "path",
    [
        "/inconnu.csv?mois=2027-03",
        "/cartes-jours.pdf?mois=2027-03",
        "/cartes-jours.csv?mois=2027-13",
        "/cheques-du-jour.csv?jour=2027-02-30",
        "/cartes-jours.csv?mois=9999-12",
    ],
)
def test_r_rep_3_unknown_finance_downloads_are_404(admin, path):
    assert admin.get(BASE + path).status_code == 404


def test_r_rep_4_a_gestionnaire_downloads_finance_tables(client, make_staff, world):
    email, password = make_staff("gestionnaire")
    assert login_staff(client, email, password).status_code == 302
    assert client.get(f"{BASE}/partenaires.xlsx?mois=2027-03").status_code == 200


def test_r_rep_2b_another_month_opens_on_its_last_day_of_cheques(admin, world):
    """Choosing March shows the slip of March's last day with cheques, not today's."""
    page = _text(admin.get(BASE + "/cheques?mois=2027-03"))
    assert 'value="2027-03-03"' in page
    assert "Le mercredi 3 mars 2027 : 2 chèques" in page
    assert "bordereau.pdf?jour=2027-03-03" in page


def test_r_rep_3a_the_sales_export_names_each_kind_in_french(admin, world):
    from catalog.rules import KIND_LABELS

    rows = _csv_rows(
        admin.get(BASE + "/exports/telecharger?type=sales&du=2027-03-01&au=2027-03-31&format=csv")
    )
    nature = rows[0].index("Nature")
    kinds = {r[nature] for r in rows[1:] if r[0] != "Total"}
    assert kinds and kinds <= set(KIND_LABELS.values()), kinds
