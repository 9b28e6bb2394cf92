"""Catalog pages for agents (R-CAT-2…6, R-GATE-1), with fixed statement counts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from tests.factories import NOW_PARIS, login_agent, set_used, utc


@pytest.fixture
def agent_client(client, make_agent, clock):
    clock.set(NOW_PARIS)
    number, code = make_agent(region="Rhône-Alpes")
    assert login_agent(client, number, code).status_code == 302
    client.relogin = lambda: login_agent(client, number, code)
    return client


def html(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "url", ["/recherche?q=x", "/categorie/spectacles", "/offre/1", "/images/1"]
)
def test_r_gate_1_catalog_and_prices_are_members_only(client, url):
    resp = client.get(url)
    assert resp.status_code == 302 and resp.location.startswith("/connexion")


def test_r_cat_2_offer_page_shows_the_three_prices(agent_client, make_offer):
    oid = make_offer(
        kind="billet_ouvert",
        title="Parc des Volcans",
        public_price_cents=4500,
        negotiated_price_cents=4000,
        cgos_price_cents=2500,
    )
    page = html(agent_client.get(f"/offre/{oid}"))
    assert "Prix public indicatif" in page and "45,00" in page
    assert "Prix C.G.O.S" in page and "25,00" in page
    assert "Participation C.G.O.S" in page and "15,00" in page


def test_r_cat_4_regional_offer_hidden_from_another_region(agent_client, make_offer):
    breton = make_offer(kind="billet_ouvert", title="Festival des Embruns", region="Bretagne")
    lyonnais = make_offer(kind="billet_ouvert", title="Fête des Lumières", region="Rhône-Alpes")
    listing = html(agent_client.get("/categorie/parcs-et-loisirs"))
    assert "Fête des Lumières" in listing
    assert "Festival des Embruns" not in listing
    assert "Embruns" not in html(agent_client.get("/recherche?q=embruns"))
    assert agent_client.get(f"/offre/{breton}").status_code == 404
    assert agent_client.get(f"/offre/{lyonnais}").status_code == 200


def test_r_cat_3_sold_out_is_shown_and_not_orderable(agent_client, make_offer):
    oid = make_offer(kind="billet_ouvert", title="Aquarium", stock=0)
    page = html(agent_client.get(f"/offre/{oid}"))
    assert "Épuisé" in page
    assert "ne peut pas être commandée" in page
    assert "Épuisé" in html(agent_client.get("/recherche?q=aquarium"))


def test_r_cat_3_supply_state_en_cours_is_orderable(agent_client, make_offer):
    oid = make_offer(kind="billet_ouvert", title="Zoo", stock=10, supply_state="en_cours")
    page = html(agent_client.get(f"/offre/{oid}"))
    assert "En cours d&#39;approvisionnement" in page or "En cours d'approvisionnement" in page
    assert "ne peut pas être commandée" not in page


def test_r_cat_6_sales_window_opening_and_closing_instants(agent_client, make_offer, clock):
    opens = utc(NOW_PARIS + timedelta(hours=1))
    closes = utc(NOW_PARIS + timedelta(days=2))
    oid = make_offer(
        kind="billet_ouvert", title="Cirque", sale_opens_at=opens, sale_closes_at=closes
    )
    assert "Pas encore en vente" in html(agent_client.get(f"/offre/{oid}"))
    clock.set(NOW_PARIS + timedelta(hours=1))
    agent_client.relogin()
    assert "En stock" in html(agent_client.get(f"/offre/{oid}"))
    clock.set(NOW_PARIS + timedelta(days=2) - timedelta(seconds=1))
    agent_client.relogin()
    assert "Cirque" in html(agent_client.get("/recherche?q=cirque"))
    clock.set(NOW_PARIS + timedelta(days=2))
    agent_client.relogin()
    assert "Vente terminée" in html(agent_client.get(f"/offre/{oid}"))
    assert "Cirque" not in html(agent_client.get("/recherche?q=cirque"))


@pytest.mark.parametrize(("days", "courrier"), [(10, True), (9, False)])
def test_r_cat_6_courrier_only_10_days_before_the_session(agent_client, make_offer, days, courrier):
    starts = utc(NOW_PARIS.replace(hour=20, minute=30) + timedelta(days=days))
    oid = make_offer(title="Carmen", sessions=[(starts, 50)])
    page = html(agent_client.get(f"/offre/{oid}?jour={(NOW_PARIS + timedelta(days=days)).date()}"))
    line = page.split("Livraison possible :")[1].split("</span>")[0]
    assert ("Courrier" in line) is courrier
    assert "E-billet" in line and "Retrait sur place" in line


def _session_id(app, offer_id, **by):
    from catalog.models import OfferSession
    from shop.db import session

    with app.app_context():
        return session().query(OfferSession.id).filter_by(offer_id=offer_id, **by).scalar()


def test_r_cat_3_every_session_in_one_list_the_calendar_filters(agent_client, make_offer):
    """Issue 21: one list of radios (date, time, venue and city, stock state, modes open
    now) in the form that adds to the cart; the calendar is a filter of that list."""
    first = utc(datetime(2027, 3, 20, 20, 30))
    oid = make_offer(title="Nabucco", sessions=[(first, 3), (first + timedelta(days=1), 0)])
    page = html(agent_client.get(f"/offre/{oid}"))
    assert "mars 2027" in page and "samedi 20 mars 2027 : 1 séance" in page
    assert page.count('name="session_id"') == 2 and 'type="radio"' in page
    assert "samedi 20 mars 2027 à 20:30" in page and "dimanche 21 mars 2027 à 20:30" in page
    assert "Opéra de Lyon, <strong>Lyon</strong>" in page
    assert "plus que 3 places" in page and "Épuisé" in page
    open_id = _session_id(agent_client.application, oid, stock=3)
    sold_id = _session_id(agent_client.application, oid, stock=0)
    # The only session on sale is chosen already; the sold-out one cannot be chosen.
    assert f'id="s-{open_id}" value="{open_id}" checked' in page
    assert f'id="s-{sold_id}" value="{sold_id}" disabled' in page
    assert f'action="/panier/ajouter/{oid}"' in page and "Ajouter au panier" in page
    # A day of the calendar hides the other days' sessions (they stay in the page).
    day = html(agent_client.get(f"/offre/{oid}?jour=2027-03-21"))
    assert (
        f'id="seance-{open_id}" data-day="2027-03-20" data-modes="e_billet courrier retrait" hidden'
        in day
    )
    assert "Séance du dimanche 21 mars 2027" in day and 'aria-current="date"' in day
    # A link to a session (from the cart) comes back with it chosen.
    picked = html(agent_client.get(f"/offre/{oid}?seance={open_id}"))
    assert f'id="s-{open_id}" value="{open_id}" checked' in picked


def test_r_cat_3_a_touring_show_says_each_city(agent_client, make_offer, app):
    from catalog.models import OfferSession
    from shop.db import session, unit_of_work

    first = utc(datetime(2027, 3, 20, 20, 30))
    oid = make_offer(title="Tournée", sessions=[(first, 50), (first + timedelta(days=30), 50)])
    with app.app_context(), unit_of_work():
        later = session().query(OfferSession).filter_by(offer_id=oid).order_by(OfferSession.id)[1]
        later.venue, later.city = "Dôme de la Porte Maillot", "Paris"
    page = html(agent_client.get(f"/offre/{oid}"))
    assert "Opéra de Lyon, <strong>Lyon</strong>" in page
    assert "Dôme de la Porte Maillot, <strong>Paris</strong>" in page
    # Two sessions on sale: none is chosen for the agent.
    assert " checked" not in page.split('class="session-list"')[1].split("</ul>")[0]


def test_r_cap_1_offer_page_shows_the_household_remaining_cap(
    client, make_agent, clock, make_offer, app
):
    """Issue 21: the remaining cap beside the participation, per household, although the
    page is shared between agents (a marker filled per request)."""
    clock.set(NOW_PARIS)
    oid = make_offer(
        kind="billet_ouvert",
        public_price_cents=4500,
        negotiated_price_cents=4000,
        cgos_price_cents=2800,
    )
    first, code = make_agent(household_id="H-CAP-1")
    other, other_code = make_agent(household_id="H-CAP-2")
    set_used(app, "H-CAP-1", 12_345)
    login_agent(client, first, code)
    page = html(client.get(f"/offre/{oid}"))
    assert '<td>12,00\xa0€ <span class="unit">par billet</span></td>' in page
    assert "il vous reste <strong>376,55\xa0€</strong>" in page
    second = app.test_client()
    assert login_agent(second, other, other_code).status_code == 302
    again = html(second.get(f"/offre/{oid}"))
    assert "il vous reste <strong>500,00\xa0€</strong>" in again


def test_past_sessions_and_events_disappear(agent_client, make_offer):
    past = utc(NOW_PARIS - timedelta(days=1))
    make_offer(title="Concert passé", sessions=[(past, 10)])
    assert "Concert passé" not in html(agent_client.get("/recherche?q=concert"))


def test_r_cat_5_search_filters_sort_and_pagination(agent_client, make_offer):
    for i in range(30):
        make_offer(
            kind="billet_ouvert",
            title=f"Cinéma Lumière {i:02d}",
            category="cinema",
            cgos_price_cents=500 + i,
            negotiated_price_cents=900,
            public_price_cents=1000,
        )
    first = html(agent_client.get("/recherche?q=cinema+lumiere&tri=prix"))
    assert "30 offres, page 1 sur 2" in first
    assert first.index("Lumière 00") < first.index("Lumière 01")
    second = html(agent_client.get("/recherche?q=cinema+lumiere&tri=prix&page=2"))
    assert "Lumière 29" in second and "Lumière 00" not in second
    desc = html(agent_client.get("/recherche?q=lumiere&tri=prix-desc"))
    assert desc.index("Lumière 29") < desc.index("Lumière 28")
    national = html(agent_client.get("/recherche?q=lumiere&region=national&livraison=courrier"))
    assert "30 offres" in national
    assert "0 offre" in html(agent_client.get("/recherche?q=lumiere&livraison=retrait"))


def test_r_cat_5_date_filter(agent_client, make_offer):
    make_offer(title="Tosca", sessions=[(utc(datetime(2027, 4, 10, 20, 0)), 5)])
    make_offer(title="Aida", sessions=[(utc(datetime(2027, 6, 10, 20, 0)), 5)])
    page = html(agent_client.get("/recherche?du=2027-04-01&au=2027-04-30"))
    assert "Tosca" in page and "Aida" not in page


def test_bad_filters_are_explained_not_500(agent_client):
    page = html(agent_client.get("/recherche?du=31/02/2027&au=hier&categorie=nope&page=abc"))
    assert "Date invalide" in page
    assert "Catégorie inconnue." in page
    assert agent_client.get("/categorie/nope").status_code == 404
    assert agent_client.get("/offre/999999").status_code == 404


def _bulk_offers(app, count: int, partner_id: int) -> None:
    from catalog.models import Offer, OfferSession
    from shop.db import session, unit_of_work

    start = datetime(2027, 4, 1, 18, 0)
    with app.app_context(), unit_of_work() as s:
        first = (session().query(Offer.id).order_by(Offer.id.desc()).limit(1).scalar()) or 0
        rows = [
            {
                "partner_id": partner_id,
                "kind": "billet_date",
                "category": "spectacles",
                "title": f"Spectacle {first + i}",
                "summary": "",
                "description": "",
                "public_price_cents": 3000,
                "negotiated_price_cents": 3000,
                "cgos_price_cents": 2000,
                "per_order_max": 10,
                "regional_ticketing": False,
                "physical": True,
                "deliveries": "courrier,e_billet",
                "supply_state": "en_stock",
                "featured": i % 3 == 0,
                "published": True,
                "search_text": f"spectacle {first + i}",
                "created_at": start,
                "updated_at": start,
            }
            for i in range(count)
        ]
        s.execute(insert(Offer), rows)
        ids = [o for (o,) in s.query(Offer.id).filter(Offer.id > first).all()]
        s.execute(
            insert(OfferSession),
            [
                {
                    "offer_id": oid,
                    "starts_at": start + timedelta(days=d),
                    "stock": 20,
                    "supply_state": "en_stock",
                    "cancelled": False,
                }
                for oid in ids
                for d in range(3)
            ],
        )


def test_statements_per_page_do_not_grow_with_the_catalog(
    agent_client, make_partner, count_queries, app
):
    partner_id = make_partner()
    urls = [
        "/",
        "/categorie/spectacles",
        "/recherche?q=spectacle&tri=date",
        "/recherche?du=2027-04-01",
    ]

    def measure() -> dict[str, int]:
        from catalog.models import Offer
        from shop.db import session

        with app.app_context():
            some = session().query(Offer.id).order_by(Offer.id).first()[0]
        counts = {}
        for url in [*urls, f"/offre/{some}", f"/offre/{some}?jour=2027-04-02"]:
            key = url.replace(str(some), "ID")
            with count_queries() as n:
                html(agent_client.get(url))
            counts[key] = n()
        return counts

    _bulk_offers(app, 10, partner_id)
    small = measure()
    _bulk_offers(app, 490, partner_id)
    large = measure()
    assert small == large
    # Counted inside the test transaction: SAVEPOINT and ROLLBACK TO are 2 of them; then the
    # session, the dossier, and the page's own queries (count + page, or offer + pictures +
    # sessions).
    assert max(large.values()) <= 7


@pytest.mark.parametrize("url", ["/offre/99999999999999999999", "/images/99999999999999999999"])
def test_huge_ids_are_404_not_500(agent_client, url):
    assert agent_client.get(url).status_code == 404


def test_huge_page_number_is_not_500(agent_client):
    assert agent_client.get("/recherche?page=99999999999999999999").status_code == 200
