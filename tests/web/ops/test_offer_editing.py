"""Back-office offers: operators read, admins create and edit any offer (R-CAT-7, R-OPS-6)."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

import pytest
from sqlalchemy import select

from tests.factories import (
    audit_entries,
    edit_form,
    error_beside,
    load,
    login_staff,
    offer_form,
    offer_titled,
    page,
    tiny_png,
)


@pytest.fixture
def admin_client(client, make_staff, clock):
    clock.set(datetime(2027, 3, 1, 10, 0))
    email, password = make_staff("admin")
    assert login_staff(client, email, password).location == "/gestion/"
    client.email = email
    return client


@pytest.fixture
def operator_client(client, make_staff, clock):
    clock.set(datetime(2027, 3, 1, 10, 0))
    email, password = make_staff("operator")
    assert login_staff(client, email, password).location == "/gestion/"
    return client


def test_r_cat_7_back_office_lists_every_offer_with_search_and_partner_filter(
    admin_client, make_offer, make_partner
):
    make_offer(kind="billet_ouvert", title="Parc Astérix", partner="sogec")
    make_offer(kind="billet_ouvert", title="Parc du Futuroscope", partner="festibillet")
    make_offer(title="Concert de Noël", partner="festibillet")
    festibillet = make_partner("festibillet")
    menu = page(admin_client.get("/gestion/"))
    assert 'href="/gestion/offres"' in menu
    listing = page(admin_client.get("/gestion/offres"))
    for title in ("Parc Astérix", "Parc du Futuroscope", "Concert de Noël"):
        assert title in listing
    assert "Sogec" in listing and "Festibillet" in listing
    found = page(admin_client.get("/gestion/offres?q=parc"))
    assert "Parc Astérix" in found and "Futuroscope" in found and "Noël" not in found
    both = page(admin_client.get(f"/gestion/offres?q=parc&partenaire={festibillet}"))
    assert "Futuroscope" in both and "Astérix" not in both
    assert "Aucune offre" in page(admin_client.get("/gestion/offres?q=100%25"))
    assert "Parc" in page(admin_client.get("/gestion/offres?partenaire=abc&page=x"))


def test_r_cat_7_offer_list_costs_a_fixed_number_of_statements(
    admin_client, make_offer, count_queries
):
    make_offer(sessions=[(datetime(2027, 5, 1, 18, 0), 10)], partner="sogec")

    def cost() -> int:
        with count_queries() as n:
            page(admin_client.get("/gestion/offres"))
        return n()

    few = cost()
    for i in range(6):
        make_offer(
            sessions=[(datetime(2027, 5, 2 + i, 18, 0), 10)],
            partner=f"partenaire-{i}",
            title=f"Spectacle {i}",
        )
    assert cost() == few


def test_r_cat_7_admin_creates_an_offer_for_the_partner_picked(app, admin_client, make_partner):
    from partners.models import Partner

    festibillet = make_partner("festibillet")
    form = page(admin_client.get("/gestion/offres/nouvelle"))
    assert 'name="partner_id"' in form and "Festibillet" in form
    missing = page(admin_client.post("/gestion/offres/nouvelle", data=offer_form()), 422)
    assert error_beside(missing, "partner_id") == "Choisissez le partenaire."
    resp = admin_client.post(
        "/gestion/offres/nouvelle",
        data=offer_form(partner_id=str(festibillet), featured="y", title="Parc Spirou"),
    )
    assert resp.status_code == 302
    offer = offer_titled(app, "Parc Spirou")
    assert load(app, Partner, offer.partner_id).slug == "festibillet"
    assert offer.featured is True
    assert resp.location == f"/gestion/offres/{offer.id}"
    [entry] = audit_entries(app, f"offer:{offer.id}", "offer.created")
    assert entry.actor == f"staff:{admin_client.email}"


def test_r_cat_7_admin_edits_any_offer_and_moves_it_to_another_partner(
    app, admin_client, make_offer, make_partner
):
    from catalog.models import Offer

    oid = make_offer(kind="billet_ouvert", partner="sogec", stock=12)
    other = make_partner("festibillet")
    form = page(admin_client.get(f"/gestion/offres/{oid}/modifier"))
    assert 'name="partner_id"' in form
    resp = admin_client.post(
        f"/gestion/offres/{oid}/modifier",
        data=edit_form(partner_id=str(other), public_price="45,00", negotiated_price="42,00"),
    )
    assert resp.status_code == 302
    offer = load(app, Offer, oid)
    assert offer.partner_id == other
    assert (offer.public_price_cents, offer.negotiated_price_cents) == (4500, 4200)
    assert offer.stock == 12
    [entry] = audit_entries(app, f"offer:{oid}", "offer.updated")
    assert entry.actor == f"staff:{admin_client.email}"
    assert entry.before["public_price_cents"] == 4000
    assert entry.after["public_price_cents"] == 4500
    journal = page(admin_client.get(f"/gestion/journal?objet=offer:{oid}"))
    assert "Offre modifiée" in journal and "40,00" in journal and "45,00" in journal


def test_r_cat_7_admin_manages_sessions_stock_and_pictures(app, admin_client, make_offer):
    from catalog.models import OfferPicture, OfferSession
    from shop.db import session

    dated = make_offer(partner="sogec")
    resp = admin_client.post(
        f"/gestion/offres/{dated}/seances",
        data={"starts_at": "2027-05-20T19:00", "stock": "40", "supply_state": "en_stock"},
    )
    assert resp.status_code == 302
    with app.app_context():
        row = session().scalar(select(OfferSession).where(OfferSession.offer_id == dated))
    assert row.starts_at == datetime(2027, 5, 20, 17, 0) and row.stock == 40
    undated = make_offer(kind="billet_ouvert", partner="sogec")
    resp = admin_client.post(
        f"/gestion/offres/{undated}/stock", data={"stock": "3", "supply_state": "en_cours"}
    )
    assert resp.status_code == 302
    resp = admin_client.post(
        f"/gestion/offres/{undated}/images",
        data={"picture": (BytesIO(tiny_png()), "a.png"), "alt": "Affiche"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    with app.app_context():
        assert session().scalar(select(OfferPicture.id).where(OfferPicture.offer_id == undated))
    actions = {e.action for e in audit_entries(app, "offer:")}
    assert {"session.created", "offer.stock_set", "offer.picture_added"} <= actions
    assert all(
        e.actor == f"staff:{admin_client.email}"
        for e in audit_entries(app, "offer:")
        if e.action != "offer.created"
    )


def test_r_cat_7_operator_reads_offers_but_every_editing_page_is_404(
    app, operator_client, make_offer
):
    from catalog.models import Offer, OfferPicture, OfferSession
    from catalog.services import add_picture
    from shop.db import session

    class _Admin:
        role = "admin"
        partner_id = None
        audit_label = "staff:test-admin"

    oid = make_offer(sessions=[(datetime(2027, 6, 1, 18, 0), 30)], partner="sogec")
    with app.app_context():
        sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == oid))
        pic_id = add_picture(oid, tiny_png(), "Affiche", _Admin()).id
    listing = page(operator_client.get("/gestion/offres"))
    assert "Le Lac des cygnes" in listing and "Créer une offre" not in listing
    detail = page(operator_client.get(f"/gestion/offres/{oid}"))
    assert "Le Lac des cygnes" in detail and "/modifier" not in detail
    assert "Supprimer" not in detail and "30" in detail
    assert operator_client.get(f"/gestion/offres/{oid}/images/{pic_id}").status_code == 200
    before = len(audit_entries(app, "offer:"))
    for url in (
        "/gestion/offres/nouvelle",
        f"/gestion/offres/{oid}/modifier",
        f"/gestion/offres/{oid}/seances",
        f"/gestion/offres/{oid}/seances/{sid}",
        f"/gestion/offres/{oid}/stock",
        f"/gestion/offres/{oid}/images",
    ):
        assert operator_client.get(url).status_code == 404, url
        assert operator_client.post(url, data=edit_form()).status_code == 404, url
    resp = operator_client.post(f"/gestion/offres/{oid}/images/{pic_id}/supprimer")
    assert resp.status_code == 404
    assert len(audit_entries(app, "offer:")) == before
    assert load(app, Offer, oid).title == "Le Lac des cygnes"
    assert load(app, OfferPicture, pic_id) is not None


def test_r_gate_6_partner_cannot_reach_back_office_offers(client, make_staff, make_offer):
    oid = make_offer(partner="festibillet")
    email, password = make_staff("partner", partner="festibillet")
    login_staff(client, email, password)
    assert client.get("/gestion/offres").status_code == 404
    assert client.get(f"/gestion/offres/{oid}").status_code == 404


def test_r_cat_8_back_office_cannot_add_a_session_in_the_past(app, admin_client, make_offer):
    dated = make_offer(partner="sogec")
    resp = admin_client.post(
        f"/gestion/offres/{dated}/seances",
        data={"starts_at": "2020-01-01T20:00", "stock": "40", "supply_state": "en_stock"},
    )
    text = page(resp, 422)
    assert error_beside(text, "starts_at") == (
        "Cette date est passée : une séance doit commencer dans le futur."
    )
    assert 'value="2020-01-01T20:00"' in text and 'value="40"' in text
    assert "Séance ajoutée" not in text


def test_r_agt_3_venue_address_and_pick_up_instructions_are_edited_with_the_offer(
    app, admin_client, make_offer
):
    """The street address printed on e-billets and the « Retrait sur place » text; left
    empty, the store's default text applies (orders.receipts.DEFAULT_PICKUP)."""
    from catalog.models import Offer

    oid = make_offer(kind="billet_ouvert", partner="sogec", stock=12)
    form = page(admin_client.get(f"/gestion/offres/{oid}/modifier"))
    assert "Adresse du lieu" in form and "Instructions de retrait sur place" in form
    resp = admin_client.post(
        f"/gestion/offres/{oid}/modifier",
        data=edit_form(
            venue_address="1 place de la Comédie",
            pickup_instructions="Guichet C, dès 19 h, avec une pièce d'identité.",
        ),
    )
    assert resp.status_code == 302
    offer = load(app, Offer, oid)
    assert offer.venue_address == "1 place de la Comédie"
    assert offer.pickup_instructions == "Guichet C, dès 19 h, avec une pièce d'identité."
    form = page(admin_client.get(f"/gestion/offres/{oid}/modifier"))
    assert "1 place de la Comédie" in form and "Guichet C, dès 19 h" in form
    too_long = page(
        admin_client.post(
            f"/gestion/offres/{oid}/modifier", data=edit_form(pickup_instructions="x" * 1001)
        ),
        status=422,
    )
    assert "1 000 caractères au plus." in too_long
    emptied = edit_form(venue_address="", pickup_instructions="")
    assert admin_client.post(f"/gestion/offres/{oid}/modifier", data=emptied).status_code == 302
    assert load(app, Offer, oid).pickup_instructions is None
