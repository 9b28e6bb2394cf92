"""Out-of-range input on agents' pages (issue 17, defect 11): a French message beside the
field, what was typed kept; never a 500. Some only failed on PostgreSQL (int4 columns)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import NOW_PARIS, add, login_agent, text, utc

OUT_OF_RANGE = "Date hors limites : choisissez une date entre 2000 et 2100."


@pytest.fixture
def shopper(client, make_agent, clock):
    clock.set(NOW_PARIS)
    login_agent(client, *make_agent())
    return client


@pytest.mark.parametrize(
    ("url", "field", "typed"),
    [
        ("/recherche?q=opera&du=0001-01-01", "du", "0001-01-01"),
        ("/recherche?q=opera&au=9999-12-31", "au", "9999-12-31"),
        ("/recherche?q=opera&du=9999-12-31", "du", "9999-12-31"),
        ("/categorie/spectacles?q=opera&du=0001-01-01", "du", "0001-01-01"),
        ("/categorie/spectacles?q=opera&au=0001-01-01", "au", "0001-01-01"),
    ],
)
def test_defect_11_search_dates_out_of_range_are_explained(shopper, url, field, typed):
    resp = shopper.get(url)
    assert resp.status_code == 200
    page = text(resp)
    assert f'<p class="error" id="{field}-erreur">{OUT_OF_RANGE}</p>' in page
    assert f'name="{field}" type="date" value="{typed}"' in page
    assert 'value="opera"' in page  # the rest of what was typed is kept


@pytest.mark.parametrize("raw", ["2147483648", "99999999999999999999", "-1", "٣"])
def test_defect_11_session_id_out_of_range_in_the_cart(shopper, make_offer, app, raw):
    starts = utc(NOW_PARIS + timedelta(days=30))
    oid = make_offer(title="Gala", sessions=[(starts, 50)])
    resp = shopper.post(
        f"/panier/ajouter/{oid}",
        data={"session_id": raw, "quantity": "3", "delivery": "e_billet"},
    )
    assert resp.status_code == 422
    assert "Choisissez une séance à venir." in text(resp)


@pytest.mark.parametrize("raw", ["2147483648", "99999999999999999999", "10000000000"])
def test_defect_11_huge_quantity_is_refused_in_french(shopper, make_offer, app, raw):
    oid = make_offer(kind="billet_ouvert", title="Parc", stock=1000)
    resp = shopper.post(f"/panier/ajouter/{oid}", data={"quantity": raw, "delivery": "e_billet"})
    assert resp.status_code == 422
    assert 'class="error' in text(resp)
    add(shopper, oid, 1)
    line = text(shopper.get("/panier/")).split('action="/panier/ligne/')[1].split('"')[0]
    resp = shopper.post(f"/panier/ligne/{line}", data={"quantity": raw})
    assert resp.status_code == 422 and 'class="error' in text(resp)


@pytest.mark.parametrize("url", ["/offre/2147483648", "/offre/99999999999999999999"])
def test_defect_11_ids_past_the_columns_are_404(shopper, url):
    assert shopper.get(url).status_code == 404


def test_defect_11_seance_out_of_range_on_the_offer_page(shopper, make_offer):
    oid = make_offer(title="Gala", sessions=[(utc(NOW_PARIS + timedelta(days=30)), 50)])
    assert shopper.get(f"/offre/{oid}?seance=99999999999999999999").status_code == 200
    assert shopper.get(f"/offre/{oid}?seance=2147483648&jour=0001-01-01").status_code == 200


def test_defect_11_search_page_past_the_last_shows_the_last(shopper, make_offer):
    from catalog.queries import PER_PAGE

    for i in range(PER_PAGE + 1):
        make_offer(kind="billet_ouvert", title=f"Parc {i:02d}")
    for url in ("/recherche?q=parc&page=999", "/categorie/parcs-et-loisirs?page=999"):
        page = text(shopper.get(url))
        assert f"{PER_PAGE + 1} offres, page 2 sur 2" in page, url
        assert 'rel="prev"' in page and 'rel="next"' not in page
        assert page.count("Parc ") >= 1
    assert "page 1 sur 2" in text(shopper.get("/recherche?q=parc&page=-5"))
    assert "0 offre" in text(shopper.get("/recherche?q=introuvable&page=999"))
