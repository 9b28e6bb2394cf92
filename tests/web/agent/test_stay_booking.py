"""Booking stays through the cart and the checkout: participants from the household, the
R-VAC-5 age rule, capacity reserved like stock, outside the §4 cap (R-VAC-1), and a Prix
mini winner paying within 7 days (R-VAC-4)."""

from __future__ import annotations

import html
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from tests.factories import checkout_form as base_checkout_form
from tests.factories import login_agent, set_used, stay_fields
from tests.factories import text as raw_text

NOW = datetime(2027, 1, 15, 10, 0)  # Paris time, winter 2026-2027; stays in summer 2027
KIDS = [
    {"prenom": "Léa", "birth_date": "2018-05-01", "fiscal_status": "a_charge"},  # 8 in July 2027
    {"prenom": "Tom", "birth_date": "2012-01-01", "fiscal_status": "a_charge"},  # 15
]


def text(resp) -> str:
    return html.unescape(raw_text(resp))


@pytest.fixture
def stay(make_offer):
    """6 places, bookable until 1 June 2027 (the page tests' stay otherwise)."""

    def _make(family: str = "prix_reduit_adultes", **kw) -> int:
        kw = {"stock": 6, "sale_closes_at": datetime(2027, 6, 1, 12, 0)} | kw
        return make_offer(**stay_fields(family, **kw))

    return _make


@pytest.fixture
def family(client, make_agent, clock):
    """A logged-in agent, QF 696 (600.01–800), two children."""

    def _login(**agent):
        clock.set(NOW)
        fields = {"qf": 696.0, "children": KIDS, "household_id": "H-STAY"} | agent
        number, code = make_agent(**fields)
        assert login_agent(client, number, code).status_code == 302
        client.number = number
        client.relogin = lambda: login_agent(client, number, code)
        return client

    return _login


def child_ids(app, household="H-STAY") -> dict[str, int]:
    """The ids the booking form posts: each child's rank by birth date on the dossier."""
    from members.models import DossierChild
    from shop.db import session

    with app.app_context():
        rows = session().scalars(select(DossierChild).where(DossierChild.household_id == household))
        ordered = sorted(rows, key=lambda c: (c.birth_date, c.prenom))
        return {c.prenom: i for i, c in enumerate(ordered)}


def book(client, offer_id, adults="1", children=()):
    return client.post(
        f"/sejours/{offer_id}/reserver",
        data={"adults": adults, "children": [str(c) for c in children]},
    )


def checkout_form(client, method="card") -> dict[str, str]:
    return base_checkout_form(client) | {"payment_method": method}


def checkout(client, method="card"):
    return client.post("/commande/", data=checkout_form(client, method))


def stock_of(app, offer_id):
    from catalog.models import Offer
    from shop.db import session

    with app.app_context():
        return session().get(Offer, offer_id).stock


def last_order(app):
    from orders.models import Order
    from shop.db import session

    with app.app_context():
        order = session().scalars(select(Order).order_by(Order.id.desc())).first()
        return order, [(ln.quantity, ln.amount_cents, ln.options) for ln in order.lines]


def test_r_vac_1_booked_paid_capacity_taken_and_cap_untouched(family, stay, app, mailbox):
    client = family()
    offer_id = stay()
    set_used(app, "H-STAY", 40_000)
    kids = child_ids(app)
    resp = book(client, offer_id, "2", [kids["Léa"], kids["Tom"]])
    assert resp.status_code == 302 and resp.location.endswith("/panier/")
    cart = text(client.get("/panier/"))
    # Prix réduit adultes, QF 696 → 35 %: adults 403 €, children 247 € (no free child here).
    assert "2 adultes, 2 enfants (Tom, Léa)" in cart
    assert cart.count("403,00\u00a0€") == 2 and cart.count("247,00\u00a0€") == 2
    assert "1\u202f300,00\u00a0€" in cart
    # The cap is not used by stays: what remains stays 1 000 − 400 = 600 €.
    assert "600,00\u00a0€" in cart
    paid = client.post(checkout(client).location, data={"outcome": "succeed"})
    assert paid.status_code == 302
    order, lines = last_order(app)
    assert order.status == "paid" and order.participation_cents == 0
    assert order.total_cents == 130_000
    ((qty, amount, options),) = lines
    assert (qty, amount) == (4, 130_000)
    stay_opts = options["stay"]
    assert stay_opts["percent"] == 35 and len(stay_opts["participants"]) == 4
    assert stock_of(app, offer_id) == 2  # 6 places − 4 participants
    from orders.models import HouseholdYear
    from shop.db import session

    with app.app_context():
        assert session().get(HouseholdYear, ("H-STAY", NOW.year)).used_cents == 40_000
    detail = text(client.get(f"/mes-commandes/{order.number}"))
    assert "Participants : 2 adultes, 2 enfants (Tom, Léa)" in detail
    placed = next(m for m in mailbox.wait_for(2) if "Votre commande" in m["Subject"])
    assert "(2 adultes, 2 enfants (Tom, Léa))" in mailbox.text_of(placed)
    # Issue 21: the stay's participation, after the total and not as one of its lines.
    assert (
        "Total : 1\u202f300,00\u00a0€\r\nVous économisez 700,00\u00a0€ grâce à la participation"
        in (mailbox.text_of(placed))
    )


def test_r_vac_1_stays_show_their_participation_on_cart_checkout_and_order(family, stay, app):
    """Issue 21 (never 0,00 € for a subsidised stay): 2 adults at 620 € and 2 children at
    380 €, 35 % off → 700,00 € of participation on the cart, the checkout and the order."""
    client = family()
    offer_id = stay()
    kids = child_ids(app)
    assert book(client, offer_id, "2", [kids["Léa"], kids["Tom"]]).status_code == 302
    cart = text(client.get("/panier/"))
    assert 'Participation C.G.O.S (déjà déduite)</th><td role="cell">700,00\u00a0€' in cart
    assert "Vous économisez <strong>700,00\u00a0€</strong>" in cart
    page = text(client.get("/commande/"))
    assert 'data-label="Participation C.G.O.S de la ligne">700,00\u00a0€' in page
    assert "Vous économisez <strong>700,00\u00a0€</strong>" in page
    client.post(checkout(client).location, data={"outcome": "succeed"})
    order, _ = last_order(app)
    detail = text(client.get(f"/mes-commandes/{order.number}"))
    assert 'data-label="Participation C.G.O.S">700,00\u00a0€' in detail
    assert "Vous avez économisé <strong>700,00\u00a0€</strong>" in detail
    assert ">0,00\u00a0€" not in detail.split('id="detail"')[1]


def test_capacity_is_never_oversold(family, stay, app, make_agent):
    client = family()
    offer_id = stay(stock=3)
    kids = child_ids(app)
    refused = book(client, offer_id, "2", [kids["Léa"], kids["Tom"]])
    assert refused.status_code == 422
    assert "Il ne reste que 3 place(s) pour ce séjour." in text(refused)
    assert book(client, offer_id, "2", [kids["Tom"]]).status_code == 302
    form = checkout_form(client)
    # Meanwhile another household takes two of the three places.
    from catalog.models import Offer
    from shop.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        s.get(Offer, offer_id).stock = 1
    resp = client.post("/commande/", data=form)
    assert resp.status_code == 422
    assert "Il ne reste que 1 place(s) : modifiez les participants." in text(resp)
    assert stock_of(app, offer_id) == 1
    assert "Il ne reste que 1 place(s)" in text(client.get("/panier/"))


@pytest.mark.parametrize(
    ("birth", "ok"),
    [
        ("2009-12-31", True),  # 18 in 2027: of age that year
        ("2010-01-01", False),  # 17 in 2027
        ("2007-01-01", True),  # 20 in 2027
        ("2006-12-31", False),  # 21 in 2027
    ],
)
def test_r_vac_5_child_alone_of_age_and_under_21_in_the_booking_year(family, stay, app, birth, ok):
    client = family(children=[{"prenom": "Zoé", "birth_date": birth, "fiscal_status": "a_charge"}])
    offer_id = stay()
    kids = child_ids(app)
    resp = book(client, offer_id, "0", [kids["Zoé"]])
    if ok:
        assert resp.status_code == 302
    else:
        assert resp.status_code == 422
        body = text(resp)
        assert re.search(r"doit être majeur et avoir moins de 21 ans|21 ans ou plus en 2027", body)
        # What was chosen is kept: 0 adults selected, Zoé still ticked.
        assert '<option value="0" selected>' in body
        if birth != "2006-12-31":  # a 21-year-old is no longer offered on the form
            assert re.search(rf'value="{kids["Zoé"]}" checked', body)


def test_children_stays_take_no_adult_and_an_unknown_child_is_refused(family, stay, app):
    client = family()
    offer_id = stay("prix_reduit_enfants")
    kids = child_ids(app)
    resp = book(client, offer_id, "1", [kids["Tom"]])
    assert resp.status_code == 422 and "aucun adulte" in text(resp)
    resp = book(client, offer_id, "0", [len(kids)])  # no such child on the dossier
    assert resp.status_code == 422 and "ne figurent pas sur votre dossier" in text(resp)
    assert book(client, offer_id, "0", [kids["Tom"]]).status_code == 302
    cart = text(client.get("/panier/"))
    # Prix réduit enfants at QF 696 → 58 %: 380 € → 159,60 €.
    assert "159,60\u00a0€" in cart


def test_bad_adults_value_is_a_message_not_an_error(family, stay):
    client = family()
    resp = book(client, stay(), "deux")
    assert resp.status_code == 422
    assert "Indiquez le nombre d'adultes en chiffres." in text(resp)


def test_a_stay_saved_without_a_rate_family_is_refused_with_a_message(family, stay):
    """The back office may save a stay without a rate family: it has no price to book."""
    client = family()
    resp = book(client, stay(family=None), "1")
    assert resp.status_code == 422
    assert "Ce séjour n'a pas encore de tarif : il ne peut pas être réservé." in text(resp)


def test_a_rate_change_is_explained_on_the_line_and_must_be_accepted(family, stay, app):
    from catalog.stays import DEFAULT_TABLES, FamilyTable
    from vacations.rates import save_table

    client = family()
    offer_id = stay()
    assert book(client, offer_id, "1").status_code == 302
    table = DEFAULT_TABLES["prix_reduit_adultes"]
    bands = tuple(type(b)(b.upper_cents, 20, b.inclusive) for b in table.bands)
    with app.app_context():
        save_table("ete-2027", "prix_reduit_adultes", FamilyTable(bands, 20), actor="test")
    cart = text(client.get("/panier/"))
    assert "Le prix du séjour a changé" in cart
    assert "Votre panier doit être corrigé avant de commander" in text(client.get("/commande/"))
    line_id = re.search(r'/panier/ligne/(\d+)"', cart).group(1)
    client.post(f"/panier/ligne/{line_id}", data={"quantity": "1", "modifier": "1"})
    cart = text(client.get("/panier/"))
    assert "Le prix du séjour a changé" not in cart
    assert "496,00\u00a0€" in cart  # 620 € at 20 %
    client.post(checkout(client).location, data={"outcome": "succeed"})
    order, lines = last_order(app)
    assert order.total_cents == 49_600
    # Editing the table again does not change the placed order (R-VAC-2).
    with app.app_context():
        save_table("ete-2027", "prix_reduit_adultes", table, actor="test")
    assert last_order(app)[1][0][1] == 49_600


# -- Prix mini: the winner pays through the checkout (R-VAC-4) ----------------------------


@pytest.fixture
def won(family, stay, app, clock):
    """An agent pre-registered to a 1-place Prix mini stay and drawn."""
    from vacations import lottery

    client = family()
    offer_id = stay("prix_mini", stock=1, sale_closes_at=datetime(2027, 3, 1, 12, 0))
    kids = child_ids(app)
    client.post(
        f"/sejours/{offer_id}/preinscription",
        data={"adults": "2", "children": [str(kids["Léa"]), str(kids["Tom"])]},
    )
    clock.set(datetime(2027, 3, 2, 9, 0))
    with app.app_context():
        lottery.draw(offer_id, seed=7, close_early=True)
    client.relogin()
    client.offer_id = offer_id
    return client


def registration(app, number):
    from shop.db import session
    from vacations.models import PrixMiniRegistration

    with app.app_context():
        return session().scalar(
            select(PrixMiniRegistration).where(PrixMiniRegistration.cgos_number == number)
        )


def test_r_vac_4_winner_pays_the_price_kept_with_first_child_free(won, app):
    page = text(won.get(f"/offre/{won.offer_id}"))
    assert "Régler mon séjour" in page
    resp = won.post(f"/sejours/{won.offer_id}/regler")
    assert resp.status_code == 302
    cart = text(won.get("/panier/"))
    # 2 adults at 45 % of 620 € (Prix mini, 55 %), Léa free, Tom 171 €: 729 €.
    assert "729,00\u00a0€" in cart and "gratuit" in cart
    paid = won.post(checkout(won).location, data={"outcome": "succeed"})
    assert paid.status_code == 302
    order, lines = last_order(app)
    assert order.status == "paid" and order.total_cents == 72_900
    assert lines[0][0] == 4
    reg = registration(app, won.number)
    assert reg.status == "paye" and reg.order_id == order.id
    assert stock_of(app, won.offer_id) == 1  # the draw gave the place, not the stock


def test_r_vac_4_an_unpaid_order_expires_with_the_7_days_and_the_place_passes_on(
    won, app, clock, make_agent
):
    from shop.jobs import run_due
    from vacations import lottery

    reg = registration(app, won.number)
    won.post(f"/sejours/{won.offer_id}/regler")
    resp = checkout(won, method="cheque")  # an 8-day option, cut to the 7-day deadline
    assert resp.status_code == 302
    order, _ = last_order(app)
    assert order.expires_at == reg.pay_by
    # While the order waits for its cheque, the operator's button refuses and the job waits.
    with app.app_context(), pytest.raises(Exception, match="commande en cours"):
        lottery.mark_paid(reg.id, actor="test", amount_cents=reg.price_cents, method="carte")
    clock.advance(days=7, minutes=1)  # drawn at 9:00 Paris, 7 days to pay
    with app.app_context():
        run_due()  # the order expires, then the place is passed on
        run_due()
    won.relogin()
    assert last_order(app)[0].status == "cancelled"
    assert registration(app, won.number).status == "forclos"
    # The cheque arrives late: the drawn place went to someone else, it goes back (R-PAY-3).
    from orders.cheques import ChequeOutcome, register_cheque

    with app.app_context():
        result = register_cheque(order.number, order.total_cents, "1234567", actor="test")
    assert result.outcome == ChequeOutcome.RETURNED
    assert "chèque à retourner" in result.message
    assert registration(app, won.number).status == "forclos"
    assert won.post(f"/sejours/{won.offer_id}/regler").status_code == 302  # flash, no line
    assert "Votre place n'est pas (ou plus) en attente de paiement." in text(
        won.get(f"/offre/{won.offer_id}")
    )


def test_someone_else_cannot_pay_a_winner_s_place(won, make_agent, app):
    number, code = make_agent(household_id="H-NOT")
    client = app.test_client()
    login_agent(client, number, code)
    assert client.post(f"/sejours/{won.offer_id}/regler").status_code == 404


def test_r_vac_4_the_agent_follows_their_draws_in_one_place(won, app, make_agent):
    page = text(won.get("/sejours/mes-preinscriptions"))
    assert "Prix mini" in page and "été 2027" in page
    assert "Tiré au sort" in page and "à régler au plus tard le" in page
    assert "729,00\u00a0€" in page
    assert "Mes préinscriptions aux séjours Prix mini" in text(won.get("/mon-espace/"))
    number, code = make_agent(household_id="H-NONE")
    other = app.test_client()
    login_agent(other, number, code)
    assert "Vous n'êtes préinscrit à aucun séjour Prix mini." in text(
        other.get("/sejours/mes-preinscriptions")
    )


def test_r_agt_3_a_paid_stay_shows_its_dates_and_gives_a_voucher(family, stay, app):
    """The order page shows the stay's dates, residence and participants; « Bon de
    séjour » (PDF) carries them with the holder, and is the owner's only once paid."""
    import io

    from pypdf import PdfReader

    client = family()
    offer_id = stay(
        venue="Village Les Oyats", venue_address="12 avenue de la Plage", city="Saint-Jean-de-Monts"
    )
    kids = child_ids(app)
    book(client, offer_id, "2", [kids["Léa"]])
    placed = checkout(client)
    order, _ = last_order(app)
    voucher = f"/mes-commandes/{order.number}/bon-de-sejour/{order.lines[0].id}.pdf"
    assert client.get(voucher).status_code == 404  # not paid yet
    client.post(placed.location, data={"outcome": "succeed"})
    page = text(client.get(f"/mes-commandes/{order.number}"))
    assert "Mon séjour" in page
    assert "du samedi 10 juillet 2027 au samedi 17 juillet 2027" in page
    assert "Village Les Oyats, 12 avenue de la Plage, Saint-Jean-de-Monts" in page
    assert "2 adultes, 1 enfant (Léa)" in page
    resp = client.get(voucher)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    body = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages).split()
    ).replace("\u00a0", " ")
    assert "Bon de séjour" in body and order.number in body
    assert "du samedi 10 juillet 2027 au samedi 17 juillet 2027" in body
    assert "12 avenue de la Plage" in body and "2 adultes, 1 enfant (Léa)" in body
    # The agenda holds the stay as an all-day event, departure day included.
    ics = client.get(f"/mes-commandes/{order.number}/agenda.ics").data
    assert b"DTSTART;VALUE=DATE:20270710" in ics and b"DTEND;VALUE=DATE:20270718" in ics
