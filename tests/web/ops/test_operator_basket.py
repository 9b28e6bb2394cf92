"""Phone and post orders in a basket of the operator's own, with every delivery choice of
the web cart, and agents without e-mail confirmed by a printed letter (R-OPS-9, R-OPS-2)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from orders.fees import Tariff
from orders.models import Order
from orders.terms import CHEQUE_PAYEE
from shop.audit import AuditEntry
from shop.db import session
from shop.mail import OutboxMail
from tests.factories import NOW_PARIS, add, login_agent, session_id_of, utc
from tests.web.ops.helpers import count_of, euros, register, text
from tests.web.ops.phone import add as phone_add
from tests.web.ops.phone import last_order, place

T = Tariff()
ADDRESS = {"name": "M. Paul Autre", "line1": "3 rue des Lilas", "postal_code": "69003"}


@pytest.fixture
def web_agent(app, make_agent):
    """An agent logged in on the web shop, in a browser of their own."""
    number, code = make_agent(household_id="H-WEB", email="web@exemple.fr")
    browser = app.test_client()
    login_agent(browser, number, code)
    browser.number = number
    return browser


@pytest.fixture
def show(make_offer, app):
    oid = make_offer(title="Opéra", sessions=[(utc(NOW_PARIS + timedelta(days=40)), 50)])
    return oid, session_id_of(app, oid)


def _card(make_offer, price=5000, title="Carte cadeau"):
    return make_offer(
        kind="carte",
        category="cartes-et-cheques",
        title=title,
        public_price_cents=price,
        negotiated_price_cents=price,
        cgos_price_cents=price,
        deliveries=("poste",),
        stock=10,
    )


def _magazine(make_offer, title, physical=True):
    return make_offer(
        kind="abonnement",
        category="abonnements-magazines",
        title=title,
        deliveries=("poste",) if physical else ("email",),
        physical=physical,
        stock=100,
    )


def _order(app, number) -> Order | None:
    """The agent's last order with its lines, read for the test."""
    with app.app_context():
        return session().scalar(
            select(Order)
            .where(Order.cgos_number == number)
            .options(selectinload(Order.lines))
            .order_by(Order.id.desc())
        )


def _entry(operator, number) -> str:
    return text(operator.get(f"/gestion/saisie/{number}"))


def _line_ids(page: str) -> list[str]:
    return re.findall(r"/lignes/(\d+)/supprimer", page)


def _total(page: str) -> str:
    return re.search(r'name="expected_total" value="(\d+)"', page).group(1)


def _phone_show(operator, number, show, qty=1):
    oid, sid = show
    return operator.post(
        f"/gestion/saisie/{number}/ajouter",
        data={
            "offer_id": str(oid),
            "quantity": str(qty),
            "delivery": "courrier",
            "session_id": sid,
        },
    )


def test_r_ops_9_the_basket_is_not_the_agents_web_cart_both_ways(operator, app, web_agent, parc):
    number = web_agent.number
    assert add(web_agent, parc, 1).status_code == 302
    assert phone_add(operator, number, parc, 3).status_code == 302
    page = _entry(operator, number)
    assert "Panier de la saisie" in page and 'value="3"' in page
    [basket_line] = _line_ids(page)
    web_page = text(web_agent.get("/panier/"))
    web_line = re.search(r"/panier/ligne/(\d+)\"", web_page).group(1)
    assert basket_line != web_line
    assert f'id="qte-{web_line}" name="quantity"' in web_page and 'value="1"' in web_page
    assert f"qte-{basket_line}" not in web_page  # the phone basket is not visible on the web
    # Neither side can touch the other's line: each answers as if it did not exist.
    assert operator.post(f"/gestion/saisie/{number}/lignes/{web_line}", data={"quantity": "2"})
    assert operator.post(f"/gestion/saisie/{number}/lignes/{web_line}/supprimer").status_code == 404
    assert web_agent.post(f"/panier/ligne/{basket_line}", data={"quantity": "1"}).status_code == 404
    # Placing the phone order empties the basket only: the agent's web cart is untouched.
    assert place(operator, number).status_code == 302
    order = _order(app, number)
    assert [line.quantity for line in order.lines] == [3]
    web_page = text(web_agent.get("/panier/"))
    assert f"/panier/ligne/{web_line}" in web_page
    assert "Le panier est vide" in _entry(operator, number)


def test_r_ops_9_two_operators_have_a_basket_each(operator, app, agent, parc, make_staff):
    from tests.factories import login_staff

    other = app.test_client()
    login_staff(other, *make_staff("operator"))
    assert phone_add(operator, agent, parc, 2).status_code == 302
    assert "Le panier est vide" in _entry(other, agent)


@pytest.mark.parametrize(
    ("choice", "fee"),
    [("lettre_verte", T.ticket_handling), ("suivi", T.ticket_handling + T.ticket_suivi)]
    + [("recommande", T.ticket_handling + T.ticket_recommande)],
)
def test_r_ops_9_paper_ticket_supplement_priced_as_on_the_web(
    operator, app, agent, web_agent, show, choice, fee
):
    oid, sid = show
    assert _phone_show(operator, agent, show).status_code == 302
    assert add(web_agent, oid, 1, "courrier", sid).status_code == 302
    resp = operator.post(f"/gestion/saisie/{agent}/envoi", data={"ticket_post": choice})
    assert resp.status_code == 302
    assert web_agent.post("/panier/envoi", data={"ticket_post": choice}).status_code == 302
    page = _entry(operator, agent)
    assert f'id="tp-{choice}" name="ticket_post" value="{choice}" checked' in page
    web_total = re.search(
        r"Total à payer</th><td><strong>([^<]+)<", text(web_agent.get("/panier/"))
    )
    assert f"<strong>{web_total.group(1)}</strong>" in page
    assert place(operator, agent, channel="post").status_code == 302
    order = last_order(app, agent)
    assert order.fees_cents == fee and order.ticket_post == choice and order.channel == "post"


@pytest.mark.parametrize(
    ("choice", "fee"), [("lettre_verte", T.card_lettre_verte), ("r2", T.card_r2)]
)
def test_r_ops_9_cards_up_to_153_euros_lettre_verte_or_r2_to_another_address(
    operator, app, agent, make_offer, choice, fee
):
    card = _card(make_offer)
    assert phone_add(operator, agent, card, 1, delivery="poste").status_code == 302
    page = _entry(operator, agent)
    assert 'id="cp-r2" name="card_post" value="r2"' in page
    resp = operator.post(f"/gestion/saisie/{agent}/envoi", data={"card_post": choice})
    assert resp.status_code == 302
    resp = operator.post(f"/gestion/saisie/{agent}/adresse-cartes", data=ADDRESS | {"city": "Lyon"})
    assert resp.status_code == 302
    assert "Adresse d'envoi des cartes : M. Paul Autre, 69003 Lyon" in _entry(operator, agent)
    assert place(operator, agent).status_code == 302
    order = last_order(app, agent)
    assert order.card_post == choice and order.fees_cents == fee
    assert order.card_address["city"] == "Lyon" and order.card_address["name"] == "M. Paul Autre"


def test_r_ops_9_bad_address_is_explained_beside_the_field_and_kept(operator, agent, make_offer):
    card = _card(make_offer)
    assert phone_add(operator, agent, card, 1, delivery="poste").status_code == 302
    resp = operator.post(
        f"/gestion/saisie/{agent}/adresse-cartes",
        data=ADDRESS | {"postal_code": "69OO3", "city": "Lyon"},
    )
    assert resp.status_code == 422
    page = text(resp)
    assert '<p class="error" role="alert">Code postal : 5 chiffres attendus.</p>' in page
    assert 'value="69OO3"' in page and 'value="3 rue des Lilas"' in page
    resp = operator.post(f"/gestion/saisie/{agent}/envoi", data={"ticket_post": "pigeon"})
    assert resp.status_code == 422
    assert '<p class="error" role="alert">Option d\'envoi inconnue.</p>' in text(resp)


def test_r_ops_9_up_to_three_magazine_addresses(operator, app, agent, make_offer):
    """The dossier's address counts as one of the 3, as on the web (R-FEE-3)."""
    for n in range(4):
        oid = _magazine(make_offer, f"Magazine {n}")
        assert phone_add(operator, agent, oid, 1, delivery="poste").status_code == 302
    ids = _line_ids(_entry(operator, agent))
    url = f"/gestion/saisie/{agent}/lignes/{{}}/magazine"
    for n, line_id in enumerate(ids[:2]):
        resp = operator.post(url.format(line_id), data=ADDRESS | {"city": f"Ville {n}"})
        assert resp.status_code == 302
    resp = operator.post(url.format(ids[2]), data=ADDRESS | {"city": "Ville 3"})
    assert resp.status_code == 422
    page = text(resp)
    assert "Au plus 3 adresses de livraison différentes par commande" in page
    assert 'value="Ville 3"' in page
    resp = operator.post(url.format(ids[2]), data=ADDRESS | {"city": "Ville 0"})
    assert resp.status_code == 302
    assert place(operator, agent).status_code == 302
    order = _order(app, agent)
    cities = sorted((line.options or {}).get("address", {}).get("city", "") for line in order.lines)
    assert cities == ["", "Ville 0", "Ville 0", "Ville 1"]


def test_r_ops_9_reader_email_for_a_digital_edition(operator, app, agent, make_offer):
    oid = _magazine(make_offer, "Cuisine numérique", physical=False)
    assert phone_add(operator, agent, oid, 1, delivery="email").status_code == 302
    [line_id] = _line_ids(_entry(operator, agent))
    url = f"/gestion/saisie/{agent}/lignes/{line_id}/magazine"
    resp = operator.post(url, data={"reader_email": "lecteur@@exemple"})
    assert resp.status_code == 422
    page = text(resp)
    assert '<p class="error" role="alert">Adresse e-mail du lecteur invalide.</p>' in page
    assert 'value="lecteur@@exemple"' in page
    assert place(operator, agent).status_code == 422  # the reader's e-mail is missing
    assert operator.post(url, data={"reader_email": "Lecteur@Exemple.FR"}).status_code == 302
    assert place(operator, agent).status_code == 302
    order = _order(app, agent)
    assert order.lines[0].options == {"reader_email": "Lecteur@exemple.fr"}


def test_r_ops_9_other_lines_and_agents_answer_404_never_500(operator, agent, parc):
    assert phone_add(operator, agent, parc, 1).status_code == 302
    for path in ("livraison", "magazine"):
        resp = operator.post(f"/gestion/saisie/{agent}/lignes/999999/{path}", data={})
        assert resp.status_code == 404
    [line_id] = _line_ids(_entry(operator, agent))
    resp = operator.post(f"/gestion/saisie/{agent}/lignes/{line_id}/livraison", data={})
    assert resp.status_code == 422 and "Choisissez un mode de livraison proposé." in text(resp)
    resp = operator.post(f"/gestion/saisie/{agent}/lignes/{line_id}/magazine", data={})
    assert resp.status_code == 422 and "pas un abonnement" in text(resp)
    assert operator.post("/gestion/saisie/00000000X/envoi", data={}).status_code == 404


def _pdf_text(resp) -> str:
    reader = PdfReader(io.BytesIO(resp.get_data()))
    return " ".join(" ".join((page.extract_text() or "") for page in reader.pages).split())


def test_r_ops_9_agent_without_email_orders_by_post_and_gets_a_letter(
    operator, app, make_agent, show, make_offer, mailbox
):
    number, _ = make_agent(email="", household_id="H-POST")
    page = _entry(operator, number)
    assert "aucun : paiement par chèque, confirmation par courrier" in page
    assert _phone_show(operator, number, show, 2).status_code == 302
    card = _card(make_offer)
    assert phone_add(operator, number, card, 1, delivery="poste").status_code == 302
    url = f"/gestion/saisie/{number}"
    assert operator.post(f"{url}/envoi", data={"ticket_post": "recommande"}).status_code == 302
    assert operator.post(f"{url}/envoi", data={"card_post": "r2"}).status_code == 302
    assert (
        operator.post(f"{url}/adresse-cartes", data=ADDRESS | {"city": "Lyon"}).status_code == 302
    )
    page = _entry(operator, number)
    assert 'name="payment_method" value="cheque" checked' in page
    # A card would need the payment link by e-mail: refused beside the choice, nothing placed.
    resp = place(operator, number, method="card", channel="post")
    assert resp.status_code == 422 and "pas d'adresse e-mail" in text(resp)
    assert last_order(app, number) is None
    mailbox.clear()
    resp = place(operator, number, channel="post")
    assert resp.status_code == 302
    order = last_order(app, number)
    assert order.channel == "post" and order.contact_email == "" and order.status == "option"
    assert order.ticket_post == "recommande" and order.card_post == "r2"
    assert order.fees_cents == T.ticket_handling + T.ticket_recommande + T.card_r2
    assert order.card_address["city"] == "Lyon"
    with app.app_context():
        assert not session().scalars(select(OutboxMail).where(OutboxMail.to == "")).all()
    placed = text(operator.get(resp.location))
    assert "Courrier à imprimer (PDF)" in placed and "Fiche de la commande" in placed
    letter = operator.get(f"{url}/commandes/{order.number}/courrier.pdf")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    body = _pdf_text(letter)
    total = f"{order.total_cents // 100},{order.total_cents % 100:02d} €"
    assert total in body and order.number in body and CHEQUE_PAYEE in body
    assert "lundi 8 mars 2027 inclus" in body  # the option's last day (R-PAY-3)
    assert "M. Paul Autre" not in body.split("Objet")[0]  # the window shows the dossier's
    assert "Camille Testeuse" in body
    # The back office's order page links the letter; the day's letters list it.
    detail = text(operator.get(f"/gestion/commandes/{order.number}"))
    assert f"{url}/commandes/{order.number}/courrier.pdf" in detail and "à imprimer" in detail
    letters = text(operator.get("/gestion/saisie/courriers"))
    assert order.number in letters and "Marquer imprimé" in letters
    done = operator.post(f"{url}/commandes/{order.number}/courrier/imprime")
    assert done.status_code == 302
    letters = text(operator.get("/gestion/saisie/courriers"))
    assert "imprimé le" in letters and "Marquer imprimé" not in letters
    with app.app_context():
        assert session().get(Order, order.id).letter_printed_at is not None
    assert count_of(app, AuditEntry, action="order.letter_printed") == 1


def test_r_ops_9_an_agent_with_email_gets_mails_and_no_letter(operator, app, agent, parc):
    assert phone_add(operator, agent, parc, 1).status_code == 302
    assert place(operator, agent, channel="post").status_code == 302
    order = last_order(app, agent)
    assert order.contact_email == "cheque@exemple.fr"
    assert count_of(app, OutboxMail, to="cheque@exemple.fr") == 1
    url = f"/gestion/saisie/{agent}/commandes/{order.number}"
    assert operator.get(f"{url}/courrier.pdf").status_code == 404
    assert operator.post(f"{url}/courrier/imprime").status_code == 404
    assert order.number not in text(operator.get("/gestion/saisie/courriers"))


def test_r_ops_9_the_cheque_of_an_agent_without_email_is_registered(
    operator, app, make_agent, parc
):
    """Later events are not mailed to an empty address by mistake, and never a 500."""
    number, _ = make_agent(email="", household_id="H-CHQ-POST")
    assert phone_add(operator, number, parc, 1).status_code == 302
    assert place(operator, number, channel="post").status_code == 302
    order = last_order(app, number)
    resp = register(operator, order.number, euros(order.total_cents))
    assert resp.status_code in (200, 302), text(resp)
    with app.app_context():
        assert session().get(Order, order.id).status == "paid"
        assert not session().scalars(select(OutboxMail).where(OutboxMail.to == "")).all()
