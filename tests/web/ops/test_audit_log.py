"""The audit log read by people (R-OPS-6): French labels, euros, Paris time, the changed
values marked, filters by agent, order, author, action and date, pages, CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import delete

from shop import audit
from shop.audit import AuditEntry
from shop.csv_export import BOM
from shop.db import session, unit_of_work
from tests.factories import login_staff, utc
from tests.web.ops.helpers import order_of, place, text


def add(app, actor, action, subject, before=None, after=None, at=datetime(2027, 3, 1, 10, 0)):
    """An entry written ``at`` (Paris time)."""
    with app.app_context(), unit_of_work():
        entry = audit.record(actor, action, subject, before, after)
        entry.at = utc(at)
        session().flush()
        return entry.id


def clear(app):
    with app.app_context(), unit_of_work():
        session().execute(delete(AuditEntry))


@pytest.fixture
def admin(client, make_staff, clock):
    clock.set(datetime(2027, 3, 1, 12, 0))
    email, password = make_staff("admin")
    login_staff(client, email, password)
    client.email = email
    return client


@pytest.fixture
def order_number(app, agent, parc):
    return place(app, agent, parc, 1)


def test_r_ops_6_entry_in_french_with_euros_paris_time_and_changes_marked(
    admin, app, agent, order_number, parc
):
    add(
        app,
        f"staff:{admin.email}",
        "order.paid",
        f"order:{order_number}",
        {"status": "option"},
        {"status": "paid", "method": "cheque"},
        at=datetime(2027, 2, 28, 23, 30),
    )
    add(
        app,
        "system",
        "offer.updated",
        f"offer:{parc}",
        {
            "public_price_cents": 4000,
            "stock": 10,
            "sale_opens_at": "2027-07-01T08:00:00",
            "day": "2027-07-14",
        },
        {
            "public_price_cents": 4500,
            "stock": 10,
            "sale_opens_at": "2027-07-01T08:00:00",
            "day": "2027-07-14",
        },
    )
    page = text(admin.get("/gestion/journal"))
    assert "Commande payée" in page and "order.paid</" not in page
    assert "dimanche 28 février 2027 à 23:30" in page  # stored 22:30 UTC, read in Paris
    assert "Option (chèque attendu)" in page and "Payée" in page and "Chèque" in page
    assert f"Admin ({admin.email})" in page and "Système" in page
    assert f'href="/gestion/commandes/{order_number}"' in page
    assert f'href="/gestion/offres/{parc}"' in page
    assert "Offre modifiée" in page and "40,00\u00a0€" in page and "45,00\u00a0€" in page
    assert "jeudi 1er juillet 2027 à 10:00" in page  # an ISO datetime of the log, in Paris time
    assert "mercredi 14 juillet 2027" in page and "2027-07-14" not in page
    # The changed rows are marked by a class and by words, the unchanged stock is not.
    assert page.count('<tr class="audit-changed"') == 3  # status, method, price
    assert page.count("(modifié)</strong>") == 3
    stock_row = page.split(">Stock<")[1].split("</tr>")[0]
    assert "modifié" not in stock_row


def test_r_ops_6_authors_and_targets_read_as_people_say_them(admin, app, agent):
    add(
        app,
        f"agent:{agent}",
        "vacations.pre_registered",
        "registration:7",
        None,
        {"offer_id": 3, "price_cents": 12000},
    )
    add(
        app, "api:4:caisse", "offer.stock_set", "offer:999999/session:5", {"stock": 3}, {"stock": 2}
    )
    add(
        app,
        "staff:gone@example.fr",
        "order.cancelled",
        "order:C-GONE",
        {"status": "pending_payment"},
        {"status": "cancelled"},
    )
    add(app, "staff:x", "brand.new_thing", "agent:12345678A")
    page = text(admin.get("/gestion/journal"))
    assert f"agent N° {agent}" in page and "120,00\u00a0€" in page
    assert "API partenaire N° 4 (jeton «\u00a0caisse\u00a0»)" in page
    assert "Offre N° 999999, séance N° 5" in page and "/gestion/offres/999999" not in page
    assert "Commande C-GONE" in page and "/gestion/commandes/C-GONE" not in page
    assert "Stock d'une séance modifié" in page
    assert "Brand : new thing" in page  # a code without label still reads
    assert 'href="/gestion/?q=12345678A"' in page


def test_r_ops_6_filters_by_agent_order_author_action_and_paris_dates(
    admin, app, agent, parc, make_agent, make_staff
):
    mine = place(app, agent, parc, 1)
    other_agent, _ = make_agent(household_id="H-OTHER")
    theirs = place(app, other_agent, parc, 1)
    other_email, _ = make_staff("operator")
    clear(app)  # the access codes of the agents made above
    add(
        app, f"staff:{admin.email}", "order.paid", f"order:{mine}", at=datetime(2027, 2, 28, 23, 30)
    )
    add(
        app,
        f"staff:{other_email}",
        "order.cancelled",
        f"order:{theirs}",
        at=datetime(2027, 3, 1, 0, 30),
    )
    add(
        app,
        f"staff:{admin.email}",
        "access_code.issued",
        f"agent:{agent}",
        at=datetime(2027, 3, 2, 9, 0),
    )

    def actions(query):
        page = text(admin.get(f"/gestion/journal?{query}"))
        found = [
            label
            for label in ("Commande payée", "Commande annulée", "Code d'accès délivré")
            if f"<strong>{label}</strong>" in page
        ]
        return found, page

    assert actions(f"agent={agent}")[0] == ["Commande payée", "Code d'accès délivré"]
    assert actions(f"agent={other_agent}")[0] == ["Commande annulée"]
    assert actions(f"commande={mine.lower()}")[0] == ["Commande payée"]
    assert actions("auteur=Operator")[0] == ["Commande annulée"]  # by the staff's name
    assert actions(f"auteur={admin.email}")[0] == ["Commande payée", "Code d'accès délivré"]
    assert actions("action=order.cancelled")[0] == ["Commande annulée"]
    # Paris days: 23:30 on 28 February is not 1 March, 00:30 on 1 March is.
    assert actions("du=01/03/2027&au=01/03/2027")[0] == ["Commande annulée"]
    assert actions("du=2027-03-01")[0] == ["Commande annulée", "Code d'accès délivré"]
    assert actions("au=28/02/2027")[0] == ["Commande payée"]
    found, page = actions(f"agent={agent}&action=access_code.issued")
    assert found == ["Code d'accès délivré"]
    assert '<option value="access_code.issued" selected>' in page
    assert f'value="{agent}"' in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("agent=abc", "agent", "N° C.G.O.S invalide"),
        ("commande=%3Cb%3E", "commande", "N° de commande invalide"),
        ("action=order.nope", "action", "Action inconnue"),
        ("du=31/02/2027", "du", "Date invalide"),
        ("au=hier", "au", "Date invalide"),
        ("du=02/03/2027&au=01/03/2027", "au", "La date de fin précède"),
    ],
)
def test_r_ops_6_bad_filter_answered_in_french_beside_the_field(
    admin, app, agent, query, field, message
):
    add(app, "system", "order.paid", "order:C-1")
    add(app, "system", "offer.updated", "offer:1")
    resp = admin.get(f"/gestion/journal?{query}&auteur=syst%C3%A8me")
    assert resp.status_code == 200
    page = text(resp)
    assert f'id="f-{field}-erreur">{message}' in page
    assert 'value="système"' in page  # the rest is kept, and still filters
    assert "Commande payée" in page
    assert admin.get(f"/gestion/journal.csv?{query}").status_code == 200


def test_r_ops_6_pages_of_fifty_with_constant_statements(admin, app, count_queries, make_offer):
    offers = [make_offer(title=f"Offre {i}") for i in range(3)]
    add(app, f"staff:{admin.email}", "order.paid", "order:C-FEW")
    for i in range(3):
        add(app, "system", "offer.updated", f"offer:{offers[i]}", {"stock": i}, {"stock": i + 1})
    with count_queries() as few:
        assert admin.get("/gestion/journal").status_code == 200
    for i in range(52):
        add(
            app,
            f"staff:{admin.email}" if i % 2 else "system",
            "order.paid",
            f"order:C-{i}",
            {"status": "option"},
            {"status": "paid"},
        )
    for i in range(3):
        add(app, "system", "offer.updated", f"offer:{offers[i]}", {"stock": i}, {"stock": i + 1})
    with count_queries() as many:
        page = text(admin.get("/gestion/journal"))
    assert many() == few()
    assert page.count('class="audit-entry"') == 50 and "page=2" in page
    second = text(admin.get("/gestion/journal?page=2&action=order.paid"))
    assert second.count('class="audit-entry"') == 3
    assert "action=order.paid" in second  # the pager keeps the filters


def test_r_ops_6_csv_of_the_filtered_entries(admin, app, agent, order_number):
    add(
        app,
        f"staff:{admin.email}",
        "order.cancelled",
        f"order:{order_number}",
        {"status": "option"},
        {"status": "cancelled", "reason": '=HYPERLINK("http://x";"y")'},
        at=datetime(2027, 2, 28, 23, 30),
    )
    add(
        app,
        "system",
        "offer.updated",
        "offer:1",
        {"public_price_cents": 100},
        {"public_price_cents": 250},
    )
    resp = admin.get(f"/gestion/journal.csv?commande={order_number}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "journal.csv" in resp.headers["Content-Disposition"]
    body = resp.get_data(as_text=True)
    assert body.startswith(BOM)
    rows = list(csv.reader(io.StringIO(body.removeprefix(BOM)), delimiter=";"))
    assert rows[0] == [
        "Date (heure de Paris)",
        "Auteur",
        "Action",
        "Objet",
        "Champ",
        "Avant",
        "Après",
        "Modifié",
    ]
    assert [r[4] for r in rows[1:]] == ["Statut", "Motif"]  # only the filtered order
    status, reason = rows[1:]
    assert status[0] == "dimanche 28 février 2027 à 23:30"
    assert status[1] == f"Admin ({admin.email})" and status[2] == "Commande annulée"
    assert status[3] == f"Commande {order_number}"
    assert status[5:] == ["Option (chèque attendu)", "Annulée", "oui"]
    assert reason[6] == '\'=HYPERLINK("http://x";"y")'  # defused
    money = admin.get("/gestion/journal.csv?action=offer.updated").get_data(as_text=True)
    assert "1,00\u00a0€;2,50\u00a0€;oui" in money


def test_r_ops_6_partners_and_agents_never_read_the_log(client, make_staff, make_agent):
    login_staff(client, *make_staff("partner", partner="festibillet"))
    for url in ("/gestion/journal", "/gestion/journal.csv"):
        assert client.get(url).status_code == 404


def test_r_ops_6_operators_read_the_log(operator, app):
    add(app, "system", "order.paid", "order:C-OP")
    assert "Commande payée" in text(operator.get("/gestion/journal"))
    assert operator.get("/gestion/journal.csv").status_code == 200


def test_r_ops_6_a_true_before_value_reaches_the_page(admin, app, agent, parc, clock):
    """A cheque paying an option: the page says it was an option, not « pending »."""
    number = place(app, agent, parc, 1)
    total = order_of(app, number).total_cents
    admin.post(
        "/gestion/cheques",
        data={
            "order_number": number,
            "amount": f"{total // 100},{total % 100:02d}",
            "cheque_number": "42",
        },
    )
    with app.app_context():
        assert session().query(AuditEntry).filter_by(action="order.paid").one().before == {
            "status": "option"
        }
    page = text(admin.get(f"/gestion/journal?commande={number}&action=order.paid"))
    row = page.split(">Statut<")[1].split("</tr>")[0]
    assert "Option (chèque attendu)" in row and "Payée" in row and "(modifié)" in row
