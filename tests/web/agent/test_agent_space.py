"""The agent's own space (R-AGT-1, R-AGT-3, R-AGT-4): the yearly cap on « Mon espace »,
receipts, « Ajouter à mon agenda », e-billet venue, pick-up instructions, links in mails,
cancelling one's own cheque option and the confirmations asked before acting."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import select

from tests.factories import (
    NOW_PARIS,
    add,
    checkout_form,
    login_agent,
    order_by_cheque,
    order_of,
    session_id_of,
    stock_of,
    utc,
)
from tests.factories import text as raw_text

YEAR = NOW_PARIS.year


def text(resp) -> str:
    return html.unescape(raw_text(resp))


def pdf_text(resp) -> str:
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(resp.data))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")


def pay_by_card(client, items) -> str:
    """``items``: (offer_id, quantity, delivery, session_id); paid with the demo page."""
    for offer_id, qty, delivery, session_id in items:
        add(client, offer_id, qty, delivery=delivery, session_id=session_id)
    resp = client.post("/commande/", data=checkout_form(client) | {"payment_method": "card"})
    number = re.search(r"/commande/([^/]+)/paiement-demo", resp.location).group(1)
    client.post(resp.location, data={"outcome": "succeed"})
    return number


@pytest.fixture
def gala(make_offer, app):
    oid = make_offer(
        title="Gala des Hôpitaux",
        venue="Salle Rameau",
        venue_address="29 rue de la Martinière",
        city="Lyon",
        sessions=[(utc(NOW_PARIS.replace(hour=20, minute=30) + timedelta(days=30)), 50)],
    )
    return oid, session_id_of(app, oid)


def first_line_id(app, number) -> int:
    from orders.models import Order, OrderLine
    from shop.db import session

    with app.app_context():
        return session().scalar(
            select(OrderLine.id).join(Order).where(Order.number == number).order_by(OrderLine.id)
        )


def mails(app, number=None) -> list:
    from shop.db import session
    from shop.mail import OutboxMail

    with app.app_context():
        rows = session().scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        return [m for m in rows if number is None or number in m.subject]


# -- R-AGT-1: the cap on « Mon espace » ---------------------------------------------------


def test_r_agt_1_my_space_shows_cap_used_remaining_and_each_order(
    client, make_agent, parc, app, clock
):
    clock.set(NOW_PARIS)
    partner, partner_code = make_agent(
        household_id="H-COUPLE", prenom="Paul", nom="Martin", email="paul@exemple.fr"
    )
    me, my_code = make_agent(
        household_id="H-COUPLE", prenom="Sophie", nom="Martin", email="sophie@exemple.fr"
    )
    other_browser = app.test_client()
    login_agent(other_browser, partner, partner_code)
    theirs = order_by_cheque(other_browser, parc, 2)  # 2 × 10 € held by the option
    login_agent(client, me, my_code)
    mine = pay_by_card(client, [(parc, 1, "e_billet", None)])
    page = text(client.get("/mon-espace/"))
    assert f"Mon plafond de participation {YEAR}" in page
    assert "500,00\u00a0€" in page  # no child: 500 €
    assert "30,00\u00a0€" in page  # used: 20 + 10
    assert "470,00\u00a0€" in page  # remaining
    assert mine in page and theirs in page
    assert f'href="/mes-commandes/{mine}"' in raw_text(client.get("/mon-espace/"))
    # The other member's order is marked as theirs and is not a link to a page of mine.
    assert "autre agent du foyer" in page
    assert f'href="/mes-commandes/{theirs}"' not in raw_text(client.get("/mon-espace/"))
    assert client.get(f"/mes-commandes/{theirs}").status_code == 404


def test_r_agt_1_a_cancelled_order_gives_its_share_back(buyer, parc, app):
    number = order_by_cheque(buyer, parc, 3)
    assert "30,00\u00a0€" in text(buyer.get("/mon-espace/"))
    buyer.post(f"/mes-commandes/{number}/annuler-option")
    page = text(buyer.get("/mon-espace/"))
    assert number not in page
    assert "Aucune commande n'a encore utilisé votre plafond cette année." in page


# -- R-AGT-3: receipts ----------------------------------------------------------------------


def test_r_agt_3_receipts_are_numbered_in_payment_order_without_gaps(buyer, parc, app):
    first = pay_by_card(buyer, [(parc, 1, "e_billet", None)])
    option = order_by_cheque(buyer, parc, 1)  # not paid: no number, no receipt
    second = pay_by_card(buyer, [(parc, 2, "e_billet", None)])
    assert order_of(app, first).receipt_number == f"R{YEAR}-000001"
    assert order_of(app, second).receipt_number == f"R{YEAR}-000002"
    assert order_of(app, option).receipt_number is None
    assert buyer.get(f"/mes-commandes/{option}/recu.pdf").status_code == 404
    assert "Télécharger le reçu" not in text(buyer.get(f"/mes-commandes/{option}"))

    detail = text(buyer.get(f"/mes-commandes/{second}"))
    assert "Télécharger le reçu de la commande" in detail
    resp = buyer.get(f"/mes-commandes/{second}/recu.pdf")
    assert resp.headers["Cache-Control"] == "no-store"
    body = pdf_text(resp)
    assert f"Reçu n° R{YEAR}-000002" in body
    assert "C.G.O.S" in body and "SOGEC GESTION" in body and "Courtaboeuf" in body
    assert second in body and buyer.number in body
    flat = " ".join(body.split())
    for heading in ("Prix public", "Participation C.G.O.S", "Prix payé"):
        assert heading in flat
    # 2 × Parc: prix public 60 €, participation 20 €, paid 40 €.
    assert "Parc 2 60,00 € 20,00 € 40,00 €" in flat
    assert "Carte bancaire" in body and "reçu le" in body
    # Downloaded again: the same number.
    again = pdf_text(buyer.get(f"/mes-commandes/{second}/recu.pdf"))
    assert f"R{YEAR}-000002" in again and order_of(app, second).receipt_number.endswith("02")


def test_r_agt_3_an_order_paid_before_receipts_gets_the_next_number_at_download(buyer, parc, app):
    from shop.db import unit_of_work

    first = pay_by_card(buyer, [(parc, 1, "e_billet", None)])
    with app.app_context(), unit_of_work() as s:
        s.get(type(order_of(app, first)), order_of(app, first).id).receipt_number = None
    second = pay_by_card(buyer, [(parc, 1, "e_billet", None)])
    assert order_of(app, second).receipt_number == f"R{YEAR}-000002"
    assert f"R{YEAR}-000003" in pdf_text(buyer.get(f"/mes-commandes/{first}/recu.pdf"))
    assert order_of(app, first).receipt_number == f"R{YEAR}-000003"


def test_r_agt_3_someone_else_s_documents_answer_404(buyer, parc, gala, make_agent, app, client):
    oid, sid = gala
    number = pay_by_card(buyer, [(oid, 1, "e_billet", sid), (parc, 1, "e_billet", None)])
    line_id = first_line_id(app, number)
    assert buyer.get(f"/mes-commandes/{number}/recu.pdf").status_code == 200
    assert buyer.get(f"/mes-commandes/{number}/agenda.ics").status_code == 200
    other, code = make_agent(household_id="H-OTHER")
    client = app.test_client()
    login_agent(client, other, code)
    for path in (
        f"/mes-commandes/{number}/recu.pdf",
        f"/mes-commandes/{number}/agenda.ics",
        f"/mes-commandes/{number}/bon-de-sejour/{line_id}.pdf",
        f"/mes-commandes/{number}/annuler-option",
        f"/mes-commandes/{number}/retractation/{line_id}",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/mes-commandes/{number}/annuler-option").status_code == 404


# -- R-AGT-3: agenda ------------------------------------------------------------------------


def test_r_agt_3_agenda_file_has_one_paris_time_event_per_dated_line(buyer, parc, gala, app):
    oid, sid = gala
    number = pay_by_card(buyer, [(oid, 2, "e_billet", sid), (parc, 1, "e_billet", None)])
    assert "Ajouter à mon agenda" in text(buyer.get(f"/mes-commandes/{number}"))
    resp = buyer.get(f"/mes-commandes/{number}/agenda.ics")
    assert resp.mimetype == "text/calendar"
    assert "attachment" in resp.headers["Content-Disposition"]
    cal = Calendar.from_ical(resp.data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1  # the park ticket is not dated
    event = events[0]
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Paris" and (start.hour, start.minute) == (20, 30)
    assert b"TZID=Europe/Paris" in resp.data and b"BEGIN:VTIMEZONE" in resp.data
    assert str(event["summary"]) == "Gala des Hôpitaux"
    assert str(event["location"]) == "Salle Rameau, 29 rue de la Martinière, Lyon"
    assert f"/mes-commandes/{number}" in str(event["url"])
    again = Calendar.from_ical(buyer.get(f"/mes-commandes/{number}/agenda.ics").data)
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == [str(event["uid"])]  # stable UID


def test_r_agt_3_no_agenda_without_a_dated_line_or_before_payment(buyer, parc, gala, app):
    number = pay_by_card(buyer, [(parc, 1, "e_billet", None)])
    assert buyer.get(f"/mes-commandes/{number}/agenda.ics").status_code == 404
    assert "Ajouter à mon agenda" not in text(buyer.get(f"/mes-commandes/{number}"))
    oid, sid = gala
    add(buyer, oid, 1, session_id=sid)
    option = buyer.post(
        "/commande/", data=checkout_form(buyer) | {"payment_method": "cheque"}
    ).location.rsplit("/", 1)[1]
    assert buyer.get(f"/mes-commandes/{option}/agenda.ics").status_code == 404


# -- R-AGT-3: e-billet venue, pick-up -----------------------------------------------------


def test_r_agt_3_e_billet_prints_venue_address_and_city(buyer, gala, app):
    oid, sid = gala
    number = pay_by_card(buyer, [(oid, 1, "e_billet", sid)])
    detail = raw_text(buyer.get(f"/mes-commandes/{number}"))
    ticket = re.search(r'href="(/mes-commandes/[^"]+/e-billets/\d+\.pdf)"', detail).group(1)
    body = pdf_text(buyer.get(ticket))
    assert "Salle Rameau, 29 rue de la Martinière, Lyon" in body.replace("\n", " ")
    assert "Salle Rameau, 29 rue de la Martinière, Lyon" in text(
        buyer.get(f"/mes-commandes/{number}")
    )


def test_r_agt_3_pick_up_instructions_default_and_offer_s_own(buyer, gala, make_offer, app):
    oid, sid = gala
    own = make_offer(
        title="Concert du Nouvel An",
        pickup_instructions="Guichet B, ouvert dès 19 h ; présentez votre pièce d'identité.",
        sessions=[(utc(NOW_PARIS + timedelta(days=40)), 20)],
    )
    own_sid = session_id_of(app, own)
    number = pay_by_card(buyer, [(oid, 1, "retrait", sid), (own, 1, "retrait", own_sid)])
    page = text(buyer.get(f"/mes-commandes/{number}"))
    assert "Retrait sur place" in page
    assert "au guichet du lieu de l'événement" in page  # the store's default for the gala
    assert "Guichet B, ouvert dès 19 h" in page
    paid = next(m for m in mails(app, number) if m.kind == "orders/paid")
    assert "Retrait sur place — Gala des Hôpitaux : Vos billets sont à retirer" in paid.body_text
    assert "Guichet B, ouvert dès 19 h" in paid.body_text


# -- R-AGT-3: every mail links to its order -------------------------------------------------


def test_r_agt_3_every_mail_about_an_order_links_to_it(buyer, parc, gala, app, clock):
    oid, sid = gala
    paid = pay_by_card(buyer, [(oid, 1, "e_billet", sid)])
    option = order_by_cheque(buyer, parc, 1)
    buyer.post(f"/mes-commandes/{paid}/renvoyer-confirmation")
    # A mail written by a job, outside any request: the option expires.
    from orders import services

    clock.set(NOW_PARIS + timedelta(days=9))
    with app.app_context():
        assert services.expire_due() == 1
    written = mails(app)
    kinds = {m.kind for m in written}
    assert {"orders/placed", "orders/paid", "orders/etickets_ready", "orders/cancelled"} <= kinds
    for mail in written:
        number = paid if paid in mail.subject else option
        assert f"http://localhost/mes-commandes/{number}" in mail.body_text, mail.kind


def test_r_agt_3_mail_links_use_the_configured_public_address(app, buyer, parc):
    app.config["PUBLIC_URL"] = "https://loisirs.cgos.example"
    try:
        number = order_by_cheque(buyer, parc, 1)
    finally:
        app.config["PUBLIC_URL"] = None
    (placed,) = [m for m in mails(app, number) if m.kind == "orders/placed"]
    assert f"https://loisirs.cgos.example/mes-commandes/{number}" in placed.body_text


# -- R-AGT-4: cancelling one's own cheque option --------------------------------------------


def test_r_agt_4_cancel_own_option_after_confirming_releases_at_once(buyer, parc, app):
    from orders.models import HouseholdYear
    from shop.db import session

    before = stock_of(app, parc)
    number = order_by_cheque(buyer, parc, 2)
    assert stock_of(app, parc) == before - 2
    detail = text(buyer.get(f"/mes-commandes/{number}"))
    assert "Annuler mon option" in detail
    confirm = text(buyer.get(f"/mes-commandes/{number}/annuler-option"))
    assert f"Annuler l'option de la commande {number} ?" in confirm
    assert "Oui, annuler mon option" in confirm and "Non, garder mon option" in confirm
    assert order_of(app, number).status == "option"  # the page itself changes nothing
    done = text(buyer.post(f"/mes-commandes/{number}/annuler-option", follow_redirects=True))
    assert "Votre option est annulée" in done
    order = order_of(app, number)
    assert order.status == "cancelled" and order.cancel_reason == "Option annulée à votre demande."
    assert stock_of(app, parc) == before
    with app.app_context():
        assert session().get(HouseholdYear, ("H-BUY", YEAR)).used_cents == 0
    from tests.factories import audit_entries

    (entry,) = audit_entries(app, f"order:{number}", "order.cancelled")
    assert entry.actor == f"agent:{buyer.number}"
    cancelled = next(m for m in mails(app, number) if m.kind == "orders/cancelled")
    assert "Aucun chèque ne sera encaissé" in cancelled.body_text
    # Again: nothing more, and a clear word.
    again = text(buyer.post(f"/mes-commandes/{number}/annuler-option", follow_redirects=True))
    assert "Cette commande est déjà annulée." in again
    assert "Annuler mon option" not in text(buyer.get(f"/mes-commandes/{number}"))


def test_r_agt_4_a_cashed_cheque_cannot_be_cancelled(buyer, parc, app):
    from orders import cheques
    from tests.factories import Operator

    number = order_by_cheque(buyer, parc, 1)
    with app.app_context():
        total = order_of(app, number).total_cents
        result = cheques.register_cheque(number, total, "42", Operator())
        assert result.outcome == "paid"
    refused = text(buyer.post(f"/mes-commandes/{number}/annuler-option", follow_redirects=True))
    assert "Votre chèque a déjà été encaissé" in refused
    assert order_of(app, number).status == "paid"
    page = text(buyer.get(f"/mes-commandes/{number}/annuler-option", follow_redirects=True))
    assert "Votre chèque a déjà été encaissé" in page


def test_r_agt_4_a_card_order_is_not_an_option(buyer, parc, app):
    add(buyer, parc, 1)
    resp = buyer.post("/commande/", data=checkout_form(buyer) | {"payment_method": "card"})
    number = re.search(r"/commande/([^/]+)/paiement-demo", resp.location).group(1)
    refused = text(buyer.post(f"/mes-commandes/{number}/annuler-option", follow_redirects=True))
    assert "Seule une option par chèque peut être annulée ici." in refused
    assert order_of(app, number).status == "pending_payment"


def test_r_agt_4_late_cheque_after_agent_cancel_is_returned(buyer, parc, app):
    from orders import cheques
    from tests.factories import Operator

    number = order_by_cheque(buyer, parc, 1)
    total = order_of(app, number).total_cents
    buyer.post(f"/mes-commandes/{number}/annuler-option")
    with app.app_context():
        result = cheques.register_cheque(number, total, "43", Operator())
    assert result.outcome == "returned"  # R-PAY-3: only an expired option is re-placed
    assert order_of(app, number).status == "cancelled"


# -- R-AGT-4: « Me rétracter » asks first; quantities of 0 or less say what they do --------


def test_r_agt_4_withdrawal_asks_for_confirmation(buyer, make_offer, app):
    oid = make_offer(
        kind="carte",
        category="cartes-et-cheques",
        title="E-carte cinéma",
        stock=20,
        public_price_cents=5000,
        negotiated_price_cents=5000,
        cgos_price_cents=4000,
        deliveries=("email",),
        physical=False,
    )
    number = pay_by_card(buyer, [(oid, 1, "email", None)])
    line_id = first_line_id(app, number)
    detail = raw_text(buyer.get(f"/mes-commandes/{number}"))
    # A link to a page that asks, no longer a button that acts on one tap.
    assert f'href="/mes-commandes/{number}/retractation/{line_id}"' in detail
    assert 'Me rétracter<span class="visually-hidden"> — E-carte cinéma</span>' in detail
    confirm = text(buyer.get(f"/mes-commandes/{number}/retractation/{line_id}"))
    assert "Vous rétracter pour « E-carte cinéma » ?" in confirm
    assert "Oui, me rétracter" in confirm and "40,00\u00a0€" in confirm
    assert order_of(app, number).status == "paid"
    done = text(
        buyer.post(f"/mes-commandes/{number}/retractation/{line_id}", follow_redirects=True)
    )
    assert "Votre rétractation est enregistrée" in done
    # Asked again once done: the page says it no longer applies.
    again = text(
        buyer.get(f"/mes-commandes/{number}/retractation/{line_id}", follow_redirects=True)
    )
    assert "ne peut pas (ou plus) faire l'objet d'une rétractation" in again


@pytest.mark.parametrize("quantity", ["0", "-2"])
def test_r_agt_4_quantity_zero_or_less_says_the_line_was_removed(buyer, parc, app, quantity):
    from orders.models import CartLine
    from shop.db import session

    add(buyer, parc, 2)
    with app.app_context():
        line_id = session().scalar(select(CartLine.id))
    resp = buyer.post(f"/panier/ligne/{line_id}", data={"quantity": quantity})
    page = text(buyer.get(resp.location))
    assert f"Quantité {quantity} : la ligne « Parc » a été retirée de votre panier." in page
    assert "saisissez une quantité de 1 ou plus" in page
    with app.app_context():
        assert session().scalar(select(CartLine.id)) is None
