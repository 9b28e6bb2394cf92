"""« Mes commandes » (R-ORD-1, R-ORD-3, R-ORD-6, R-DOS-3) through the web pages."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from markupsafe import escape
from pypdf import PdfReader

from tests.factories import (
    NOW_PARIS,
    add,
    checkout_form,
    login_agent,
    order_by_cheque,
    session_id_of,
    text,
    utc,
)

YEAR = NOW_PARIS.year


@pytest.fixture
def buyer(client, make_agent, clock):
    """Rights from the previous year's dossier: open until 31 October (R-DOS-2)."""
    clock.set(NOW_PARIS)
    number, code = make_agent(
        household_id="H-MINE", email="acheteur@exemple.fr", dossier_year=YEAR - 1
    )
    login_agent(client, number, code)
    client.number = number
    client.relogin = lambda: login_agent(client, number, code)
    return client


@pytest.fixture
def parc(make_offer):
    return make_offer(
        kind="billet_ouvert",
        title="Parc des Oiseaux",
        stock=50,
        public_price_cents=3000,
        negotiated_price_cents=3000,
        cgos_price_cents=2000,
    )


@pytest.fixture
def gala(make_offer, app):
    oid = make_offer(title="Gala", sessions=[(utc(NOW_PARIS + timedelta(days=30)), 50)])
    return oid, session_id_of(app, oid)


def order_by_card(client, items, pay=True) -> str:
    """Add ``items`` (offer_id, quantity, delivery, session_id), check out by card and pay
    with the demonstration payment; returns the order number."""
    for offer_id, qty, delivery, session_id in items:
        add(client, offer_id, qty, delivery=delivery, session_id=session_id)
    resp = client.post("/commande/", data=checkout_form(client) | {"payment_method": "card"})
    number = re.search(r"/commande/([^/]+)/paiement-demo", resp.location).group(1)
    if pay:
        client.post(resp.location, data={"outcome": "succeed"})
    return number


def fee_labels(app, number) -> list[str]:
    from sqlalchemy import select

    from orders.models import Order, OrderFee
    from shop.db import session

    with app.app_context():
        return list(
            session().scalars(select(OrderFee.label).join(Order).where(Order.number == number))
        )


def ticket_links(page: str) -> list[str]:
    return re.findall(r'href="(/mes-commandes/[^"]+/e-billets/\d+\.pdf)"', page)


def test_r_ord_1_list_newest_first_with_french_statuses(buyer, parc, clock):
    first = order_by_cheque(buyer, parc)
    clock.advance(minutes=5)
    second = order_by_card(buyer, [(parc, 2, "e_billet", None)])
    clock.advance(minutes=5)
    third = order_by_card(buyer, [(parc, 1, "e_billet", None)], pay=False)
    page = text(buyer.get("/"))
    assert 'href="/mes-commandes/"' in page and "Mes commandes" in page
    page = text(buyer.get("/mes-commandes/"))
    assert page.index(third) < page.index(second) < page.index(first)
    assert "Option (chèque attendu)" in page
    assert "Payée" in page
    assert "En attente de paiement" in page
    assert "lundi 1er mars 2027" in page
    assert "40,00\u00a0€" in page or "40,00 €" in page or "40,00\u202f€" in page
    assert "3 commandes" in page


def test_list_is_paginated(buyer, parc, clock, monkeypatch):
    from orders.views import account

    monkeypatch.setattr(account, "PER_PAGE", 2)
    numbers = []
    for _ in range(3):
        numbers.append(order_by_cheque(buyer, parc))
        clock.advance(minutes=1)
    page1 = text(buyer.get("/mes-commandes/"))
    assert numbers[2] in page1 and numbers[1] in page1 and numbers[0] not in page1
    assert "page 1 sur 2" in page1 and 'rel="next"' in page1
    page2 = text(buyer.get("/mes-commandes/?page=2"))
    assert numbers[0] in page2 and 'rel="prev"' in page2
    assert buyer.get("/mes-commandes/?page=abc").status_code == 200
    past = text(buyer.get("/mes-commandes/?page=9"))  # defect 11: the last page instead
    assert "page 2 sur 2" in past and numbers[0] in past and 'rel="next"' not in past


def test_empty_list_says_so(buyer):
    assert "Vous n'avez pas encore passé de commande" in text(buyer.get("/mes-commandes/"))


def test_detail_of_an_option_shows_cheque_instructions_and_no_eticket(buyer, parc):
    number = order_by_cheque(buyer, parc, 2)
    page = text(buyer.get(f"/mes-commandes/{number}"))
    assert "Option (chèque attendu)" in page
    assert "Billetterie C.G.O.S - SOGEC GESTION" in page and "48 heures" in page
    assert "Parc des Oiseaux" in page and "Participation C.G.O.S" in page
    assert "dès que le paiement" in page
    assert ticket_links(page) == []
    assert buyer.get(f"/mes-commandes/{number}/e-billets.pdf").status_code == 404


def test_detail_of_a_pending_card_order_offers_to_pay(buyer, parc):
    number = order_by_card(buyer, [(parc, 1, "e_billet", None)], pay=False)
    page = text(buyer.get(f"/mes-commandes/{number}"))
    assert "En attente de paiement" in page
    assert f'action="/commande/{number}/payer"' in page
    assert "Payer par carte bancaire" in page


def test_checkout_confirmation_links_to_the_order(buyer, parc):
    number = order_by_cheque(buyer, parc)
    page = text(buyer.get(f"/commande/{number}"))
    assert f'href="/mes-commandes/{number}"' in page


def test_r_ord_3_paid_order_lists_its_etickets_and_fees(buyer, gala, parc, app):
    oid, sid = gala
    number = order_by_card(buyer, [(oid, 2, "e_billet", sid), (parc, 1, "courrier", None)])
    page = text(buyer.get(f"/mes-commandes/{number}"))
    assert "Payée" in page
    links = ticket_links(page)
    assert len(links) == 2  # the courrier line has none
    assert "Télécharger l'e-billet 1/2 — Gala" in page
    assert "Télécharger tous les e-billets" in page
    labels = fee_labels(app, number)
    assert labels and all(str(escape(label)) in page for label in labels)
    resp = buyer.get(links[0])
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in resp.headers["Cache-Control"]
    assert resp.data.startswith(b"%PDF")
    assert number in PdfReader(io.BytesIO(resp.data)).pages[0].extract_text()
    combined = buyer.get(f"/mes-commandes/{number}/e-billets.pdf")
    assert combined.headers["Content-Disposition"].startswith("attachment;")
    assert len(PdfReader(io.BytesIO(combined.data)).pages) == 2


def test_r_ord_3_someone_elses_order_and_etickets_are_404(buyer, parc, app, make_agent):
    number = order_by_card(buyer, [(parc, 2, "e_billet", None)])
    links = ticket_links(text(buyer.get(f"/mes-commandes/{number}")))
    other = app.test_client()
    other_number, code = make_agent(household_id="H-OTHER")
    login_agent(other, other_number, code)
    for url in (
        f"/mes-commandes/{number}",
        links[0],
        f"/mes-commandes/{number}/e-billets.pdf",
    ):
        resp = other.get(url)
        assert resp.status_code == 404
        assert "Page introuvable" in text(resp)
    assert other.post(f"/mes-commandes/{number}/renvoyer-confirmation").status_code == 404
    # Another of my orders' ticket id under this number: 404 as well.
    own = order_by_card(buyer, [(parc, 1, "e_billet", None)])
    ticket_id = ticket_links(text(buyer.get(f"/mes-commandes/{own}")))[0].rsplit("/", 1)[1]
    assert buyer.get(f"/mes-commandes/{number}/e-billets/{ticket_id}").status_code == 404
    assert buyer.get(f"/mes-commandes/{number}/e-billets/99999.pdf").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(links[0]).status_code == 302  # to the login page


def test_r_ord_3_reissued_ticket_old_link_is_gone(buyer, parc, app):
    from orders import etickets
    from shop.db import session

    number = order_by_card(buyer, [(parc, 2, "e_billet", None)])
    links = ticket_links(text(buyer.get(f"/mes-commandes/{number}")))
    old_id = int(links[0].rsplit("/", 1)[1].removesuffix(".pdf"))
    with app.app_context():
        etickets.reissue(old_id, actor="staff:test")
        session().commit()
    assert buyer.get(links[0]).status_code == 404
    new_links = ticket_links(text(buyer.get(f"/mes-commandes/{number}")))
    assert len(new_links) == 2 and links[1] in new_links and links[0] not in new_links


def test_r_dos_3_without_rights_past_orders_and_etickets_stay_available(buyer, parc, clock):
    number = order_by_card(buyer, [(parc, 1, "e_billet", None)])
    clock.set(datetime(YEAR, 11, 2, 10, 0))  # the previous year's dossier no longer counts
    buyer.relogin()
    page = text(buyer.get("/mes-commandes/"))
    assert "Vous ne pouvez pas commander" in page and number in page
    page = text(buyer.get(f"/mes-commandes/{number}"))
    [link] = ticket_links(page)
    assert buyer.get(link).status_code == 200


def test_r_ord_6_resend_confirmation_sends_the_mail_of_the_status(buyer, parc, clock, mailbox):
    number = order_by_card(buyer, [(parc, 2, "e_billet", None)])
    mailbox.wait_for(3)  # placed, e-billets ready, paid
    mailbox.clear()
    url = f"/mes-commandes/{number}/renvoyer-confirmation"
    resp = buyer.post(url)
    assert resp.status_code == 302
    assert "patientez une minute" in text(buyer.get(resp.location))  # it just left
    clock.advance(minutes=2)
    resp = buyer.post(url)
    assert resp.location == f"/mes-commandes/{number}"
    assert "La confirmation a été renvoyée à acheteur@exemple.fr" in text(buyer.get(resp.location))
    [mail] = mailbox.wait_for(1)
    assert number in mail["Subject"] and "e-billets" in mail["Subject"]
    assert len(list(mail.iter_attachments())) == 2


def test_r_ord_6_resend_for_an_option_repeats_the_cheque_instructions(buyer, parc, clock, mailbox):
    number = order_by_cheque(buyer, parc)
    mailbox.wait_for(1)
    mailbox.clear()
    clock.advance(minutes=2)
    buyer.post(f"/mes-commandes/{number}/renvoyer-confirmation")
    [mail] = mailbox.wait_for(1)
    assert "Postez votre chèque sous 48 heures" in mailbox.text_of(mail)


def test_sql_statements_do_not_grow_with_orders_lines_or_tickets(buyer, parc, gala, count_queries):
    oid, sid = gala
    small = order_by_card(buyer, [(parc, 1, "e_billet", None)])
    buyer.get("/mes-commandes/")  # warm up
    with count_queries() as n:
        buyer.get("/mes-commandes/")
    list_one = n()
    with count_queries() as n:
        buyer.get(f"/mes-commandes/{small}")
    detail_small = n()

    big = order_by_card(
        buyer, [(parc, 3, "e_billet", None), (oid, 4, "e_billet", sid), (oid, 1, "courrier", sid)]
    )
    order_by_cheque(buyer, parc, 2)
    with count_queries() as n:
        page = text(buyer.get("/mes-commandes/"))
    assert big in page
    assert n() == list_one
    with count_queries() as n:
        page = text(buyer.get(f"/mes-commandes/{big}"))
    assert len(ticket_links(page)) == 7
    assert n() == detail_small
