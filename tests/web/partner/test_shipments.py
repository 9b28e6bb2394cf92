"""Partner shipment queue, packing slips, address export and mark shipped
(R-PAR-1…4, R-FEE-1…3). The helpers at the top are shared with the other partner tests."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from tests.factories import login_agent
from tests.web.partner.helpers import SESSION_AT, as_partner, order_of, pay_order, place


def test_r_par_1_queue_shows_only_own_organisation(app, client, setup):
    mine = place(app, setup["number"], setup["acme"])
    theirs = place(app, setup["number"], setup["other"])
    as_partner(client, setup)
    page = client.get("/partenaire/expeditions").get_data(as_text=True)
    assert mine in page and "Concert Acme" in page
    assert theirs not in page and "Opéra Autre" not in page


def test_r_par_1_guessed_order_of_another_partner_is_404(app, client, setup):
    theirs = place(app, setup["number"], setup["other"])
    as_partner(client, setup)
    assert client.get(f"/partenaire/expeditions/{theirs}/billets").status_code == 404
    response = client.post(
        f"/partenaire/expeditions/{theirs}/billets", data={"mode": "lettre_verte"}
    )
    assert response.status_code == 404
    assert client.get("/partenaire/expeditions/L27-999999/billets").status_code == 404


def test_r_par_2_cheque_orders_appear_only_once_paid(app, client, setup):
    number = place(app, setup["number"], setup["acme"], method="cheque", pay=False)
    as_partner(client, setup)
    assert number not in client.get("/partenaire/expeditions").get_data(as_text=True)
    assert client.get(f"/partenaire/expeditions/{number}/billets").status_code == 404
    pay_order(app, order_of(app, number).id, "cheque")
    assert number in client.get("/partenaire/expeditions").get_data(as_text=True)


def test_r_par_2_e_billets_are_not_in_the_queue(app, client, setup):
    number = place(app, setup["number"], setup["acme"], delivery="e_billet")
    as_partner(client, setup)
    assert number not in client.get("/partenaire/expeditions").get_data(as_text=True)


def test_r_par_2_late_flag_at_the_8_day_deadline_edge(app, client, clock, setup):
    number = place(app, setup["number"], setup["acme"])
    deadline = (SESSION_AT - timedelta(days=8)).replace(tzinfo=UTC)
    clock.set(deadline)
    as_partner(client, setup)  # after the jump, or the staff session would have expired
    page = client.get("/partenaire/expeditions").get_data(as_text=True)
    assert number in page and "En retard" not in page
    clock.set(deadline + timedelta(minutes=1))
    page = client.get("/partenaire/expeditions").get_data(as_text=True)
    assert "En retard" in page


def test_r_par_2_most_urgent_first(app, client, make_offer, setup):
    later = make_offer(
        partner="acme", title="Plus tard", sessions=[(SESSION_AT + timedelta(days=20), 10)]
    )
    late_number = place(app, setup["number"], later)
    soon_number = place(app, setup["number"], setup["acme"])
    as_partner(client, setup)
    page = client.get("/partenaire/expeditions").get_data(as_text=True)
    assert page.index(soon_number) < page.index(late_number)


@pytest.mark.parametrize("mode", ["suivi", "recommande", "r2", "r3", "valeur_declaree"])
def test_r_par_4_tracking_required_for_tracked_modes(app, client, setup, mode):
    number = place(app, setup["number"], setup["acme"])
    as_partner(client, setup)
    response = client.post(
        f"/partenaire/expeditions/{number}/billets", data={"mode": mode, "tracking_number": " "}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="tracking_number-erreur"' in page
    assert "Le numéro de suivi est obligatoire" in page
    assert order_of(app, number).status == "paid"


def test_r_par_4_mark_shipped_mails_agent_and_my_orders_shows_tracking(app, client, setup, mailbox):
    number = place(app, setup["number"], setup["acme"])
    mailbox.wait_for(2)
    mailbox.clear()
    as_partner(client, setup)
    response = client.post(
        f"/partenaire/expeditions/{number}/billets",
        data={"mode": "suivi", "tracking_number": "1L23456789012"},
    )
    assert response.status_code == 302
    order = order_of(app, number)
    assert order.status == "shipped"
    [mail] = mailbox.wait_for(1)
    assert "1L23456789012" in mailbox.text_of(mail) and number in mail["Subject"]
    page = client.get("/partenaire/expeditions").get_data(as_text=True)
    assert "envoi enregistré" in page  # the flash
    assert number not in client.get("/partenaire/expeditions").get_data(as_text=True)
    # The slip stays readable, and a second submission records nothing more.
    slip = client.get(f"/partenaire/expeditions/{number}/billets").get_data(as_text=True)
    assert "1L23456789012" in slip and "Marquer comme expédié" not in slip

    from shop.audit import AuditEntry
    from shop.db import session

    with app.app_context():
        entry = session().scalar(select(AuditEntry).where(AuditEntry.action == "order.shipped"))
        assert entry.subject == f"order:{number}" and entry.after["tracking"] == "1L23456789012"

    client.post("/deconnexion")
    agent_client = app.test_client()
    login_agent(agent_client, setup["number"], setup["code"])
    page = agent_client.get(f"/mes-commandes/{number}").get_data(as_text=True)
    assert "1L23456789012" in page and "Expédiée" in page


def test_r_par_4_partial_shipment_of_an_order(app, client, make_offer, setup):
    from auth.principals import agent_user
    from catalog.models import OfferSession
    from members.dossiers import dossier_source
    from orders import cart as carts
    from orders import services
    from shop.db import session

    with app.app_context():
        agent = agent_user(dossier_source().get(setup["number"]))
        for oid in (setup["acme"], setup["other"]):
            sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == oid))
            carts.add_to_cart(agent, oid, quantity=1, delivery="courrier", session_id=sid)
        total = carts.view_cart(agent).priced.total_cents
        order = services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact("agent@exemple.fr", True),
            expected_total_cents=total,
            checkout_token="tok-partial",
            actor=agent,
        )
        number = order.number
    pay_order(app, order.id)
    as_partner(client, setup)
    client.post(f"/partenaire/expeditions/{number}/billets", data={"mode": "lettre_verte"})
    assert order_of(app, number).status == "partially_shipped"

    agent_client = app.test_client()
    login_agent(agent_client, setup["number"], setup["code"])
    page = agent_client.get(f"/mes-commandes/{number}").get_data(as_text=True)
    assert "Partiellement expédiée" in page and "les autres colis suivront" in page


def test_r_par_3_csv_has_the_addresses_and_is_streamed(app, client, setup):
    number = place(app, setup["number"], setup["acme"], qty=2)
    theirs = place(app, setup["number"], setup["other"])
    as_partner(client, setup)
    response = client.get("/partenaire/expeditions/adresses.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0][0] == "commande"
    order = order_of(app, number)
    [row] = [r for r in rows[1:] if r[0] == number]
    assert row[1] == "billets" and row[5] == order.ship_address["postal_code"]
    assert row[6] == order.ship_address["city"] and row[8] == "2"
    assert not any(r[0] == theirs for r in rows)


def test_r_par_3_packing_slip_is_a_print_view(app, client, setup):
    number = place(app, setup["number"], setup["acme"])
    as_partner(client, setup)
    page = client.get(f"/partenaire/expeditions/{number}/billets").get_data(as_text=True)
    assert "Bon de préparation" in page and "Concert Acme" in page
    assert "css/print.css" in page
    with open(f"{app.static_folder}/css/print.css", encoding="utf-8") as css:
        assert "@media print" in css.read()


def test_queue_is_for_partners_only(app, client, setup):
    assert client.get("/partenaire/expeditions").status_code in (302, 403)
