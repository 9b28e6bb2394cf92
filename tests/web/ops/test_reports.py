"""The reports' pages (R-REP-1, R-REP-4; docs/RULES.md): the dashboard for a period and a
region, bad filters answered beside their field (never a 500), the tables as CSV and XLSX,
the budgets (admins set, gestionnaires read), and who may open what: admins and
gestionnaires see the reports, operators get a 404, the gestionnaire gets a 404 on every
other back-office page and a 403 on any change."""

from __future__ import annotations

import io
import re
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from auth.principals import agent_user
from members.dossiers import dossier_source
from orders import cart as carts
from orders import services
from shop.audit import AuditEntry
from shop.db import session
from tests.factories import error_beside, login_staff, page, text

NOW = datetime(2027, 3, 10, 10, 0)  # Paris
BOM = "\ufeff"


def _login(client, make_staff, role):
    email, password = make_staff(role)
    resp = login_staff(client, email, password)
    assert resp.status_code == 302, text(resp)[:500]
    return resp


def _paid_order(app, agent_number, offer_id, qty=2):
    with app.app_context():
        agent = agent_user(dossier_source().get(agent_number))
        carts.add_to_cart(agent, offer_id, quantity=qty, delivery="e_billet")
        total = carts.view_cart(agent).priced.total_cents
        order = services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact("a@exemple.fr", True),
            expected_total_cents=total,
            checkout_token=f"tok-web-{offer_id}-{qty}",
            actor=agent,
        )
        services.mark_paid(
            order.id,
            method="demo",
            amount_cents=order.total_cents,
            provider_ref=f"demo-{order.id}",
            actor="stripe",
        )
        return order.number


@pytest.fixture
def sold(app, client, clock, make_agent, make_offer):
    """One paid order of 2 park tickets (participation 2 × 11,11 €) in March 2027, for an
    offer whose title a spreadsheet would read as a formula."""
    clock.set(NOW)
    number, _ = make_agent(household_id="H-REP", region="Bretagne")
    oid = make_offer(
        kind="billet_ouvert",
        title='=HYPERLINK("http://x","Parc")',
        category="parcs-et-loisirs",
        stock=8,  # low: listed under « Stocks bas » once 2 are sold
        negotiated_price_cents=3333,
        cgos_price_cents=2222,
    )
    _paid_order(app, number, oid)
    return oid


def test_r_rep_1_dashboard_for_the_current_year_by_default(client, make_staff, sold):
    _login(client, make_staff, "admin")
    html = page(client.get("/gestion/rapports/"))
    assert "du vendredi 1er janvier 2027 au vendredi 31 décembre 2027" in html
    for heading in (
        "Par mois",  # a year reads by month; its days are downloadable
        "Par canal",
        "Par moyen de paiement",
        "Par catégorie",
        "Par partenaire",
        "Par offre",
        "Par région",
        "Utilisation des plafonds",
        "Stocks bas",
    ):
        assert f">{heading}</h2>" in html, heading
    assert 'role="img"' in html and "<desc" in html
    assert "22,22" in html  # the paid participation
    assert "Aucun budget 2027" in html and "Fixer le budget" in html
    assert ">Par jour</h2>" not in html and '<th scope="row">mars 2027</th>' in html
    assert 'href="/gestion/rapports/jours.csv?du=2027-01-01&au=2027-12-31"' in html
    assert 'href="/gestion/rapports/mois.csv?du=2027-01-01&au=2027-12-31"' in html
    assert "Rapports</a>" in html  # the admin's navigation


def test_r_rep_1_period_and_region_filters(client, make_staff, sold):
    _login(client, make_staff, "admin")
    html = page(client.get("/gestion/rapports/?du=01/03/2027&au=2027-03-31&region=Bretagne"))
    assert "Bretagne, du lundi 1er mars 2027 au mercredi 31 mars 2027" in html
    assert "22,22" in html
    other = page(client.get("/gestion/rapports/?du=2027-03-01&au=2027-03-31&region=Normandie"))
    assert "22,22" not in other


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("du=2027-02-30", "du", "Date invalide"),
        ("du=hier&au=demain", "au", "Date invalide"),
        ("du=2027-03-02&au=2027-03-01", "au", "La date de fin doit suivre la date de début."),
        ("du=2020-01-01&au=2027-01-01", "au", "deux ans"),
        ("region=Atlantide", "region", "Choisissez une région de la liste."),
        ("du=%00%ff&region=" + "x" * 3000, "du", "Date invalide"),
        ("du=1900-01-01", "du", "hors des années couvertes : de 2000 à 2100"),
    ],
    ids=["jour-inexistant", "texte", "fin-avant-debut", "trop-long", "region", "octets", "1900"],
)
def test_r_rep_1_bad_filters_beside_their_field(client, make_staff, sold, query, field, message):
    _login(client, make_staff, "admin")
    resp = client.get(f"/gestion/rapports/?{query}")
    html = page(resp, 422)
    assert message in error_beside(html, field)
    assert "Tableau de bord" in html  # the page is there, with the current year's figures


def test_r_rep_1_a_refused_period_keeps_what_was_typed(client, make_staff, sold):
    """The error is beside « Au », both dates stay as typed, and the summary says which
    figures are shown: the current year for a refused period, the period for a region."""
    _login(client, make_staff, "admin")
    html = page(client.get("/gestion/rapports/?du=2027-06-30&au=2027-06-01"), 422)
    assert 'value="2027-06-30"' in html and 'value="2027-06-01"' in html
    assert "ceux de l&#39;année en cours" in html or "ceux de l'année en cours" in html
    html = page(client.get("/gestion/rapports/?du=2027-03-01&au=2027-03-31&region=Atlantide"), 422)
    assert "ceux de la période demandée, toutes régions" in html
    assert "du lundi 1er mars 2027 au mercredi 31 mars 2027" in html


def test_r_rep_1_csv_download_reconciles_and_is_formula_safe(client, make_staff, sold):
    _login(client, make_staff, "gestionnaire")
    resp = client.get("/gestion/rapports/offres.csv?du=2027-03-01&au=2027-03-31")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert (
        'filename="rapport-offres-2027-03-01-2027-03-31.csv"' in resp.headers["Content-Disposition"]
    )
    body = resp.get_data(as_text=True)
    assert body.startswith(BOM + "Offre;Commandes;Quantité;Montant des articles (€);")
    rows = body.removeprefix(BOM).strip().split("\r\n")
    assert rows[1].startswith("\"'=HYPERLINK(")  # defused: text, not a formula
    assert rows[1].endswith(";1;2;44,44;22,22")
    assert rows[-1] == "Total;1;2;44,44;22,22"
    days = client.get("/gestion/rapports/jours.csv?du=2027-03-01&au=2027-03-31")
    lines = days.get_data(as_text=True).strip().split("\r\n")
    assert len(lines) == 1 + 31 + 1  # header, every day, total
    assert "10/03/2027;1;1;" in days.get_data(as_text=True)
    months = client.get("/gestion/rapports/mois.csv?du=2027-01-01&au=2027-12-31")
    month_rows = months.get_data(as_text=True).strip().split("\r\n")
    assert len(month_rows) == 1 + 12 + 1 and "mars 2027;1;1;" in month_rows[3]
    year_days = client.get("/gestion/rapports/jours.csv?du=2027-01-01&au=2027-12-31")
    assert month_rows[-1] == year_days.get_data(as_text=True).strip().split("\r\n")[-1]


def test_r_rep_1_xlsx_download_in_euros(client, make_staff, sold):
    _login(client, make_staff, "admin")
    resp = client.get("/gestion/rapports/categories.xlsx?du=2027-03-01&au=2027-03-31")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(resp.get_data()), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "Catégorie"
    assert rows[1][0] == "Parcs et loisirs" and Decimal(str(rows[1][3])) == Decimal("44.44")
    assert rows[-1][0] == "Total" and Decimal(str(rows[-1][4])) == Decimal("22.22")
    book.close()


@pytest.mark.parametrize(
    "path",
    [
        "/gestion/rapports/inconnu.csv",
        "/gestion/rapports/jours.pdf",
        "/gestion/rapports/jours.csv?du=n'importe",
    ],
)
def test_r_rep_1_unknown_downloads_are_404(client, make_staff, sold, path):
    _login(client, make_staff, "admin")
    assert client.get(path).status_code == 404


def test_r_rep_1_admin_sets_a_budget_and_sees_the_alert(app, client, make_staff, sold):
    _login(client, make_staff, "admin")
    form = client.get("/gestion/rapports/budgets?annee=2027")
    assert "Fixer un budget" in page(form)
    bad = client.post(
        "/gestion/rapports/budgets",
        data={"year": "2027", "region": "", "amount": "douze", "alert_percent": "80"},
    )
    assert "Montant invalide" in error_beside(page(bad, 422), "amount")
    for amount in ("1e9", "1E3", "0x10", "1_000"):  # Decimal or int would read these
        bad = client.post(
            "/gestion/rapports/budgets",
            data={"year": "2027", "region": "", "amount": amount, "alert_percent": "80"},
        )
        assert "Montant invalide" in error_beside(page(bad, 422), "amount"), amount
    bad = client.post(  # a year no INTEGER column holds: said beside it, never a 500
        "/gestion/rapports/budgets",
        data={"year": "2" * 3000, "region": "", "amount": "100", "alert_percent": "80"},
    )
    assert "Année invalide" in error_beside(page(bad, 422), "year")
    listed = page(client.get("/gestion/rapports/budgets?annee=abc"), 422)
    assert "Année invalide" in error_beside(listed, "annee")
    assert 'value="abc"' in listed
    bad = client.post(
        "/gestion/rapports/budgets",
        data={"year": "2027", "region": "", "amount": "30", "alert_percent": "120"},
    )
    assert "de 1 à 100" in error_beside(page(bad, 422), "alert_percent")
    bad = client.post(
        "/gestion/rapports/budgets",
        data={"year": "2027", "region": "Atlantide", "amount": "30", "alert_percent": "80"},
    )
    assert "région de la liste" in error_beside(page(bad, 422), "region")
    # 25 € of budget, 22,22 € of participation paid: 88 % ≥ the 80 % threshold.
    done = client.post(
        "/gestion/rapports/budgets",
        data={"year": "2027", "region": "", "amount": "25,00", "alert_percent": "80"},
    )
    assert done.status_code == 303
    listed = page(client.get(done.location))
    assert "Budget 2027 (national) enregistré : 25,00" in listed
    html = page(client.get("/gestion/rapports/"))
    assert "Alerte budget" in html and "88 % du budget 2027" in html
    # A region without a budget says so, not « 0,00 € » (and adds nothing to the total).
    regions = page(client.get("/gestion/rapports/regions.csv"))
    assert "Bretagne;0,00;22,22;0,00;22,22;—;—" in regions
    assert "Total;0,00;22,22;0,00;22,22;—;" in regions
    client.post(
        "/gestion/rapports/budgets",
        data={"year": "2027", "region": "Bretagne", "amount": "20", "alert_percent": "90"},
    )
    regions = page(client.get("/gestion/rapports/regions.csv"))
    assert "Bretagne;0,00;22,22;0,00;22,22;20,00;111 % (dépassé)" in regions
    assert "Total;0,00;22,22;0,00;22,22;20,00;" in regions
    with app.app_context():
        entry = session().scalar(select(AuditEntry).where(AuditEntry.action == "report.budget_set"))
        assert entry is not None and entry.after["amount_cents"] == 2500
    # A large budget: millions of euros typed with spaces.
    client.post(
        "/gestion/rapports/budgets",
        data={"year": "2027", "region": "", "amount": "1 200 000", "alert_percent": "80"},
    )
    html = page(client.get("/gestion/rapports/"))
    assert "Alerte budget" not in html and "1\u202f200\u202f000,00" in html


def test_r_rep_4_operators_do_not_see_the_reports(client, make_staff, sold):
    _login(client, make_staff, "operator")
    for path in ("/gestion/rapports/", "/gestion/rapports/budgets", "/gestion/rapports/jours.csv"):
        assert client.get(path).status_code == 404, path
    assert client.post("/gestion/rapports/budgets", data={"amount": "1"}).status_code == 404
    assert "Rapports" not in page(client.get("/gestion/"))


def test_r_rep_4_gestionnaire_reads_reports_and_nothing_else(client, make_staff, sold):
    resp = _login(client, make_staff, "gestionnaire")
    assert resp.location == "/gestion/rapports/"  # lands on the reports
    html = page(client.get("/gestion/rapports/"))
    nav = re.search(r'<nav aria-label="Back-office".*?</nav>', html, re.S).group(0)
    assert "Rapports" in nav and "Budgets" in nav
    assert "Commandes" not in nav and "Saisie" not in nav and "Agents" not in nav
    assert "Fixer le budget" not in html
    budgets = page(client.get("/gestion/rapports/budgets"))
    assert "Seuls les administrateurs fixent les budgets" in budgets
    assert 'action="/gestion/rapports/budgets"' not in budgets
    refused = client.post(
        "/gestion/rapports/budgets",
        data={"year": "2027", "region": "", "amount": "25", "alert_percent": "80"},
    )
    assert refused.status_code == 403
    assert "consulter les rapports, pas de modifier" in text(refused)
    assert client.head("/gestion/rapports/").status_code == 200
    for path in ("/gestion/", "/gestion/commandes/", "/gestion/equipe/", "/gestion/offres/"):
        assert client.get(path).status_code == 404, path


def test_r_rep_4_admin_creates_a_gestionnaire_with_second_factor(client, make_staff):
    _login(client, make_staff, "admin")
    html = page(client.get("/gestion/equipe/"))
    assert "Gestionnaire (rapports, lecture seule)" in html
    resp = client.post(
        "/gestion/equipe/",
        data={"email": "gestion@cgos-loisirs.example", "name": "Gaëlle", "role": "gestionnaire"},
    )
    html = page(resp)
    assert "avec l'activation du second facteur" in html
    password = re.search(r'id="temporary-password">([^<]+)</code>', html)
    assert password is not None
    client.post("/deconnexion")
    first = client.post(
        "/gestion/connexion",
        data={"email": "gestion@cgos-loisirs.example", "password": password.group(1)},
    )
    assert first.status_code == 302 and "/gestion/connexion/" in first.location
