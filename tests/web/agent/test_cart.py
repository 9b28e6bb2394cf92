"""« Mon panier » (R-CAP-1…6, R-LIM-1…3, R-FEE-1…5, R-DOS-3) through the web pages."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from tests.factories import NOW_PARIS, YEAR, add, login_agent, session_id_of, set_used, text, utc


@pytest.fixture
def shopper(client, make_agent, clock):
    """An agent with two children: 10 and 22 on 31 December → one counts (cap 750 €)."""
    clock.set(NOW_PARIS)
    number, code = make_agent(
        household_id="H-CART",
        children=[
            {"prenom": "Léo", "birth_date": f"{YEAR - 10}-06-01", "fiscal_status": "a_charge"},
            {"prenom": "Eva", "birth_date": f"{YEAR - 22}-06-01", "fiscal_status": "non_a_charge"},
        ],
    )
    login_agent(client, number, code)
    client.relogin = lambda: login_agent(client, number, code)
    return client


def test_r_cap_5_worked_example_shows_110_euros(shopper, make_offer, app):
    starts = utc(NOW_PARIS + timedelta(days=30))
    oid = make_offer(
        title="Gala",
        negotiated_price_cents=4000,
        cgos_price_cents=2500,
        public_price_cents=4500,
        sessions=[(starts, 50)],
    )
    set_used(app, "H-CART", 70_000)
    resp = add(shopper, oid, 4, session_id=session_id_of(app, oid))
    assert resp.status_code == 302 and resp.location == "/panier/"
    page = text(shopper.get("/panier/"))
    assert "750,00" in page  # cap
    assert "700,00" in page  # used
    # Issue 21: per-unit and per-line amounts say which is which.
    assert 'Prix C.G.O.S <span class="unit">(par billet)</span></th><td>25,00' in page
    assert (
        'Participation C.G.O.S appliquée <span class="unit">(pour 4 billets)</span></th><td>50,00'
        in page
    )
    assert (
        'Montant de la ligne <span class="unit">(pour 4 billets)</span></th><td><strong>110,00'
        in page
    )
    assert "dont participation" not in page
    assert "Vous économisez <strong>50,00\xa0€</strong> grâce à la participation C.G.O.S" in page
    assert "plafond atteint : 10,00" in page
    assert "<strong>110,00" in page
    assert "Il resterait</dt><dd><strong>0,00" in page


def test_r_lim_2_quantity_over_the_offer_maximum_refused_beside_the_field(shopper, make_offer):
    oid = make_offer(kind="billet_ouvert", title="Parc", per_order_max=4)
    resp = add(shopper, oid, 5)
    page = text(resp)
    assert resp.status_code == 422
    assert "Au plus 4 par commande pour « Parc »." in page
    assert 'value="5"' in page and 'aria-invalid="true"' in page
    assert add(shopper, oid, 4).status_code == 302
    # Adding more of the same later counts what is already in the cart.
    assert "Au plus 4 par commande" in text(add(shopper, oid, 1))


def test_r_lim_1_regional_ticketing_two_plus_children_all_sessions(shopper, make_offer, app):
    starts = utc(NOW_PARIS + timedelta(days=30))
    oid = make_offer(
        title="Fête régionale",
        regional_ticketing=True,
        region="Rhône-Alpes",
        sessions=[(starts, 50), (starts + timedelta(days=1), 50)],
    )
    s1, s2 = session_id_of(app, oid, 0), session_id_of(app, oid, 1)
    assert add(shopper, oid, 2, session_id=s1).status_code == 302
    assert add(shopper, oid, 1, session_id=s2).status_code == 302  # 3 = 2 + 1 child
    resp = add(shopper, oid, 1, session_id=s2)
    assert resp.status_code == 422
    assert "au plus 3 billets par foyer" in text(resp)


def test_r_lim_3_non_numeric_quantity(shopper, make_offer):
    oid = make_offer(kind="billet_ouvert", title="Parc")
    resp = add(shopper, oid, "deux")
    assert resp.status_code == 422
    assert "Saisissez une quantité en chiffres." in text(resp)


def test_r_dos_3_expired_rights_cannot_add(client, make_agent, make_offer, clock):
    clock.set(NOW_PARIS)
    number, code = make_agent(dossier_year=YEAR - 2)
    login_agent(client, number, code)
    oid = make_offer(kind="billet_ouvert", title="Parc")
    page = text(client.get(f"/offre/{oid}"))
    assert "Ajouter au panier" not in page
    resp = add(client, oid, 1)
    assert resp.status_code == 422
    assert "constituez votre dossier C.G.O.S" in text(resp)


def test_sold_out_and_stock_limits(shopper, make_offer):
    oid = make_offer(kind="billet_ouvert", title="Parc", stock=2)
    assert "Il ne reste que 2 place(s)." in text(add(shopper, oid, 3))
    empty = make_offer(kind="billet_ouvert", title="Vide", stock=0)
    assert "Épuisé." in text(add(shopper, empty, 1))


def test_cart_follows_the_agent_and_is_repriced(shopper, make_offer, app, make_agent):
    from catalog.models import Offer
    from shop.db import unit_of_work

    oid = make_offer(
        kind="billet_ouvert",
        title="Musée",
        cgos_price_cents=1000,
        negotiated_price_cents=1500,
        public_price_cents=2000,
    )
    add(shopper, oid, 2)
    with app.app_context(), unit_of_work() as s:
        s.get(Offer, oid).cgos_price_cents = 1200
    other_browser = app.test_client()
    with shopper.session_transaction() as sess:
        token_owner = dict(sess)
    assert token_owner  # logged in
    page = text(shopper.get("/panier/"))
    assert "Le prix C.G.O.S a changé" in page
    assert "Corrigez les lignes signalées" in page
    assert "<strong>24,00" in page  # the new price is shown, not silently applied at payment
    # Confirming the quantity accepts the new price.
    from orders.models import CartLine
    from shop.db import session

    with app.app_context():
        line_id = session().query(CartLine.id).scalar()
    shopper.post(f"/panier/ligne/{line_id}", data={"quantity": "2", "modifier": "1"})
    assert "Le prix C.G.O.S a changé" not in text(shopper.get("/panier/"))
    _ = other_browser


def test_another_agents_cart_line_is_404(shopper, make_offer, make_agent, app):
    oid = make_offer(kind="billet_ouvert", title="Parc")
    add(shopper, oid, 1)
    from orders.models import CartLine
    from shop.db import session

    with app.app_context():
        line_id = session().query(CartLine.id).scalar()
    intruder = app.test_client()
    number, code = make_agent()
    login_agent(intruder, number, code)
    assert intruder.post(f"/panier/ligne/{line_id}", data={"supprimer": "1"}).status_code == 404
    assert "Parc" in text(shopper.get("/panier/"))


def test_courrier_cut_off_passing_is_explained(shopper, make_offer, app, clock):
    starts = utc(NOW_PARIS + timedelta(days=10))
    oid = make_offer(title="Opéra", sessions=[(starts, 50)])
    assert add(shopper, oid, 1, "courrier", session_id_of(app, oid)).status_code == 302
    assert "Frais d&#39;envoi des billets" in text(shopper.get("/panier/")) or (
        "Frais d'envoi des billets" in text(shopper.get("/panier/"))
    )
    clock.advance(days=1)
    shopper.relogin()
    page = text(shopper.get("/panier/"))
    assert "Ce mode de livraison n&#39;est plus possible" in page or (
        "Ce mode de livraison n'est plus possible" in page
    )


def test_r_fee_1_ticket_post_supplement(shopper, make_offer, app):
    starts = utc(NOW_PARIS + timedelta(days=40))
    oid = make_offer(title="Opéra", sessions=[(starts, 50)])
    add(shopper, oid, 1, "courrier", session_id_of(app, oid))
    shopper.post("/panier/envoi", data={"ticket_post": "recommande"})
    page = text(shopper.get("/panier/"))
    assert (
        "Frais d&#39;envoi des billets (recommandé)" in page or "(recommandé)</th><td>7,00" in page
    )
    assert "7,00" in page


@pytest.mark.parametrize(("price", "fee"), [(15_300, "2,00"), (15_301, "6,00")])
def test_r_fee_2_card_tier_in_the_cart(shopper, make_offer, price, fee):
    oid = make_offer(
        kind="carte",
        category="cartes-et-cheques",
        title="Carte cadeau",
        public_price_cents=price,
        negotiated_price_cents=price,
        cgos_price_cents=price,
        deliveries=("poste",),
        stock=10,
    )
    add(shopper, oid, 1, "poste")
    page = text(shopper.get("/panier/"))
    assert f"<td>{fee}\xa0€</td>" in page


def test_couple_shares_one_cap(client, make_agent, make_offer, app, clock):
    clock.set(NOW_PARIS)
    paul, code_p = make_agent(household_id="H-COUPLE")
    sophie, code_s = make_agent(household_id="H-COUPLE")
    set_used(app, "H-COUPLE", 12_345)
    for number, code in ((paul, code_p), (sophie, code_s)):
        c = app.test_client()
        login_agent(c, number, code)
        assert "123,45" in text(c.get("/panier/"))


def test_cart_page_statements_do_not_grow_with_lines(shopper, make_offer, count_queries):
    offers = [make_offer(kind="billet_ouvert", title=f"Parc {i}") for i in range(8)]
    add(shopper, offers[0], 1)
    with count_queries() as one:
        text(shopper.get("/panier/"))
    for oid in offers[1:]:
        add(shopper, oid, 1)
    with count_queries() as eight:
        text(shopper.get("/panier/"))
    assert one() == eight()


_ = (date, datetime)


class _FormFields(HTMLParser):
    """What a browser would post from the form whose action is ``action``: the hidden
    fields and the checked radios, in page order."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields = action, False, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        elif tag == "input" and self.inside and a.get("name") and self._posted(a):
            self.fields.append((a["name"], a.get("value", "")))

    @staticmethod
    def _posted(a: dict) -> bool:
        return a.get("type") == "hidden" or (a.get("type") == "radio" and "checked" in a)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def form_fields(page: str, action: str) -> list[tuple[str, str]]:
    parser = _FormFields(action)
    parser.feed(page)
    return parser.fields


@pytest.mark.parametrize(
    ("ticket_post", "ticket_fee"),
    [("suivi", "3,50"), ("recommande", "7,00"), ("lettre_verte", "2,00")],
)
def test_r_fee_1_ticket_post_with_cards_above_153_euros(
    shopper, make_offer, app, ticket_post, ticket_fee
):
    """Defect 17: cards in the R3 tier have no choice; the tickets' choice still applies."""
    card = make_offer(
        kind="carte",
        category="cartes-et-cheques",
        title="Carte cadeau",
        public_price_cents=20_000,
        negotiated_price_cents=20_000,
        cgos_price_cents=20_000,
        deliveries=("poste",),
        stock=10,
    )
    starts = utc(NOW_PARIS + timedelta(days=40))
    show = make_offer(title="Opéra", sessions=[(starts, 50)])
    assert add(shopper, card, 1, "poste").status_code == 302
    assert add(shopper, show, 1, "courrier", session_id_of(app, show)).status_code == 302
    if ticket_post == "lettre_verte":  # start from another choice, so the change shows
        assert shopper.post("/panier/envoi", data={"ticket_post": "suivi"}).status_code == 302
    page = text(shopper.get("/panier/"))
    fields = [(k, v) for k, v in form_fields(page, "/panier/envoi") if k != "ticket_post"]
    fields.append(("ticket_post", ticket_post))
    resp = shopper.post("/panier/envoi", data=MultiDict(fields))
    assert resp.status_code == 302, text(resp)
    page = text(shopper.get("/panier/"))
    assert f'id="tp-{ticket_post}" name="ticket_post" value="{ticket_post}" checked' in page
    assert f"<td>{ticket_fee}\xa0€</td>" in page  # the tickets' fee
    # Issue 21: the cards' fee is named by its tier, beside the tickets' lettre verte.
    assert "Envoi des cartes et chèques en recommandé R3</th><td>6,00\xa0€</td>" in page
    assert "envoi en recommandé R3, 6,00\xa0€" in page  # said in « Envoi » too


@pytest.mark.parametrize("field", ["ticket_post", "card_post"])
def test_r_fee_2_unknown_shipping_option_is_explained(shopper, make_offer, app, field):
    starts = utc(NOW_PARIS + timedelta(days=40))
    show = make_offer(title="Opéra", sessions=[(starts, 50)])
    add(shopper, show, 1, "courrier", session_id_of(app, show))
    resp = shopper.post("/panier/envoi", data={field: "pigeon"})
    assert resp.status_code == 422
    assert '<p class="error" role="alert">Option d&#39;envoi inconnue.</p>' in text(resp)


def test_quantity_steppers_post_the_next_quantity_and_never_zero(shopper, make_offer, app):
    """Issue 21: − and + beside the quantity, each posting from a form of its own, so Enter
    in the field still means « Modifier »; − is off at 1 (« Supprimer » removes)."""
    oid = make_offer(kind="billet_ouvert", title="Parc à pas", stock=20, per_order_max=3)
    assert add(shopper, oid, 1, "e_billet").status_code == 302
    page = text(shopper.get("/panier/"))
    line = re.search(r'id="plus-(\d+)"', page).group(1)
    assert f'form="moins-{line}" name="modifier" value="1" class="button step" disabled' in page
    plus = page.split(f'id="plus-{line}"')[1].split("</form>")[0]
    assert 'name="quantity" value="2"' in plus
    assert (
        shopper.post(f"/panier/ligne/{line}", data={"quantity": "2", "modifier": "1"}).status_code
        == 302
    )
    page = text(shopper.get("/panier/"))
    assert (
        f'id="qte-{line}" name="quantity" type="number" inputmode="numeric" min="1" max="3" '
        'value="2"' in page
    )
    assert "Un billet de moins : « Parc à pas »" in page
    assert 'Montant de la ligne <span class="unit">(pour 2 billets)</span>' in page
    shopper.post(f"/panier/ligne/{line}", data={"quantity": "3", "modifier": "1"})
    page = text(shopper.get("/panier/"))
    assert f'form="plus-{line}" name="modifier" value="1" class="button step" disabled' in page


def test_the_total_and_finaliser_come_first_in_the_cart(shopper, parc):
    """Issue 21: on a phone and at the keyboard « Finaliser ma commande » is reached
    before the lines (the recap at the bottom keeps its own)."""
    add(shopper, parc, 2)
    page = text(shopper.get("/panier/"))
    summary = page.split('class="cart-summary"')[1].split("</div>")[0]
    assert "1 article · Total à payer <strong>40,00" in summary
    assert 'href="/commande/">Finaliser ma commande</a>' in summary
    assert page.index('class="cart-summary"') < page.index('class="cart-lines"')
