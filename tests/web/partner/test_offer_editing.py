"""Partner staff edit their own offers, and only theirs (R-CAT-7, R-PAR-1, R-PAR-5, R-OPS-6).

The helpers at the top are shared with ``tests/web/ops/test_offer_editing.py``.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from tests.factories import (
    _upload,
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

# -- helpers ------------------------------------------------------------------------------


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def partner_client(client, make_staff, clock):
    clock.set(datetime(2027, 3, 1, 10, 0))
    email, password = make_staff("partner", partner="festibillet")
    assert login_staff(client, email, password).location == "/partenaire/"
    client.email = email
    return client


# -- creating and editing -----------------------------------------------------------------


def test_r_cat_7_partner_creates_an_offer_of_its_own_organisation(
    app, partner_client, make_partner
):
    from partners.models import Partner

    other = make_partner("concurrent")
    home = page(partner_client.get("/partenaire/"))
    assert "/partenaire/offres" in home
    form = page(partner_client.get("/partenaire/offres/nouvelle"))
    assert 'name="partner_id"' not in form  # partners never pick the organisation
    assert 'name="featured"' not in form  # featuring is the store's choice
    resp = partner_client.post(
        "/partenaire/offres/nouvelle", data=offer_form(partner_id=str(other), featured="y")
    )
    assert resp.status_code == 302
    offer = offer_titled(app, "Parc des Félins")
    assert load(app, Partner, offer.partner_id).slug == "festibillet"
    assert resp.location == f"/partenaire/offres/{offer.id}"
    assert offer.cgos_price_cents == 1950 and offer.negotiated_price_cents == 2800
    assert offer.stock == 200 and offer.featured is False
    listing = page(partner_client.get("/partenaire/offres"))
    assert "Parc des Félins" in listing and "19,50" in listing
    [entry] = audit_entries(app, f"offer:{offer.id}", "offer.created")
    assert entry.actor == f"staff:{partner_client.email}"
    assert entry.after["cgos_price_cents"] == 1950 and entry.before is None


def test_r_par_1_partner_lists_only_its_own_offers(partner_client, make_offer):
    make_offer(kind="billet_ouvert", title="Offre maison", partner="festibillet")
    make_offer(kind="billet_ouvert", title="Offre d'ailleurs", partner="concurrent")
    listing = page(partner_client.get("/partenaire/offres"))
    assert "Offre maison" in listing and "Offre d'ailleurs" not in listing
    assert "Offre maison" in page(partner_client.get("/partenaire/offres?q=MAISON"))
    assert "Offre maison" not in page(partner_client.get("/partenaire/offres?q=ailleurs"))


def test_r_par_10_partner_price_change_is_a_request_the_rest_is_saved(
    app, partner_client, make_offer
):
    from catalog.models import Offer, PriceChangeRequest
    from shop.db import session

    oid = make_offer(kind="billet_ouvert", partner="festibillet", stock=40)
    form = page(partner_client.get(f"/partenaire/offres/{oid}/modifier"))
    assert 'value="25,00"' in form and 'name="stock"' not in form
    assert 'name="price_reason"' in form
    resp = partner_client.post(
        f"/partenaire/offres/{oid}/modifier",
        data=edit_form(cgos_price="22,50", title="Le Lac", price_reason="Hausse du tarif"),
    )
    assert resp.status_code == 302 and resp.location == f"/partenaire/offres/{oid}"
    offer = load(app, Offer, oid)
    assert offer.title == "Le Lac"  # saved directly
    assert offer.cgos_price_cents == 2500 and offer.negotiated_price_cents == 4000  # unchanged
    assert offer.stock == 40  # untouched by the offer form
    with app.app_context():
        [req] = session().scalars(select(PriceChangeRequest)).all()
        assert (req.offer_id, req.status, req.reason) == (oid, "pending", "Hausse du tarif")
        assert (req.current_cgos_cents, req.requested_cgos_cents) == (2500, 2250)
        assert req.requested_negotiated_cents == 4000
        assert req.requested_by == f"staff:{partner_client.email}"
    [entry] = audit_entries(app, f"offer:{oid}", "offer.updated")
    assert entry.actor == f"staff:{partner_client.email}"
    assert entry.before["cgos_price_cents"] == entry.after["cgos_price_cents"] == 2500
    assert entry.after["title"] == "Le Lac"
    [asked] = audit_entries(app, f"offer:{oid}/price_request:", "price_request.created")
    assert asked.after["cgos_price_cents"] == 2250
    detail = page(partner_client.get(f"/partenaire/offres/{oid}"))
    assert "Demandes de changement de prix" in detail and "En attente" in detail
    assert "25,00 € → 22,50 €" in detail.replace("\u202f", " ").replace("\xa0", " ")


# -- bad input ----------------------------------------------------------------------------


def test_r_cat_7_cgos_price_above_negotiated_is_refused_beside_the_field(partner_client):
    resp = partner_client.post(
        "/partenaire/offres/nouvelle",
        data=offer_form(negotiated_price="20,00", cgos_price="25,00", title="Cirque du Nord"),
    )
    text = page(resp, 422)
    assert error_beside(text, "cgos_price") == (
        "Le prix C.G.O.S ne peut pas dépasser le prix négocié."
    )
    assert 'value="25,00"' in text and 'value="20,00"' in text
    assert 'value="Cirque du Nord"' in text


def test_r_cat_7_amount_typed_wrong_is_a_french_error_not_a_500(partner_client):
    resp = partner_client.post(
        "/partenaire/offres/nouvelle",
        data=offer_form(cgos_price="12,5x", public_price="1e400", per_order_max="dix"),
    )
    text = page(resp, 422)
    assert error_beside(text, "cgos_price").startswith("Montant invalide")
    assert error_beside(text, "public_price").startswith("Montant trop élevé")
    assert error_beside(text, "per_order_max") == "Saisissez un nombre entier, par exemple 25."
    assert 'value="12,5x"' in text and 'value="dix"' in text
    assert 'value="Parc des Félins"' in text


def test_sale_dates_in_year_1_or_9999_are_refused_beside_the_field(partner_client):
    """Year 1 in Paris time is before year 1 in UTC: the conversion overflowed (500)."""
    resp = partner_client.post(
        "/partenaire/offres/nouvelle",
        data=offer_form(sale_opens_at="0001-01-01T00:00", sale_closes_at="9999-12-31T23:59"),
    )
    text = page(resp, 422)
    assert error_beside(text, "sale_opens_at") == "Choisissez une date entre 2000 et 2100."
    assert error_beside(text, "sale_closes_at") == "Choisissez une date entre 2000 et 2100."


def test_r_cat_6_end_of_sale_before_opening_is_refused(partner_client):
    resp = partner_client.post(
        "/partenaire/offres/nouvelle",
        data=offer_form(sale_opens_at="2027-04-10T09:00", sale_closes_at="2027-04-01T18:00"),
    )
    text = page(resp, 422)
    assert error_beside(text, "sale_closes_at") == "La fin de vente doit suivre l'ouverture."
    assert 'value="2027-04-10T09:00"' in text and 'value="2027-04-01T18:00"' in text


def test_r_cat_7_missing_title_and_every_other_error_show_at_once(partner_client):
    resp = partner_client.post(
        "/partenaire/offres/nouvelle",
        data=offer_form(
            title="  ",
            deliveries=[],
            sale_closes_at="31/02/2027 10:00",
            kind="billet_date",
            stock="12",
            category="inconnue",
        ),
    )
    text = page(resp, 422)
    assert error_beside(text, "title") == "Le titre est obligatoire."
    assert error_beside(text, "deliveries") == "Choisissez au moins un mode de livraison."
    assert error_beside(text, "sale_closes_at").startswith("Date et heure invalides")
    assert error_beside(text, "stock") == "Le stock d'un billet daté se règle par séance."
    assert error_beside(text, "category").startswith("Choix invalide")
    assert 'value="31/02/2027 10:00"' in text
    assert "Le formulaire contient" in text  # the summary at the top, linked to the fields


def test_r_cat_7_delivery_mode_impossible_for_the_kind(partner_client):
    resp = partner_client.post(
        "/partenaire/offres/nouvelle", data=offer_form(deliveries=["e_billet", "poste"])
    )
    text = page(resp, 422)
    assert error_beside(text, "deliveries").startswith("Mode de livraison impossible")
    assert re.search(r'value="e_billet"[^>]*checked|checked[^>]*value="e_billet"', text)


def test_r_cat_7_bad_edit_keeps_the_offer_unchanged(app, partner_client, make_offer):
    from catalog.models import Offer

    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    resp = partner_client.post(
        f"/partenaire/offres/{oid}/modifier", data=edit_form(title="", cgos_price="45,00")
    )
    text = page(resp, 422)
    assert error_beside(text, "title") == "Le titre est obligatoire."
    assert "ne peut pas dépasser le prix négocié" in error_beside(text, "cgos_price")
    assert load(app, Offer, oid).title == "Le Lac des cygnes"
    assert audit_entries(app, f"offer:{oid}", "offer.updated") == []


# -- sessions, stock ----------------------------------------------------------------------


def test_r_cat_1_partner_adds_and_edits_a_session_in_paris_time(app, partner_client, make_offer):
    from catalog.models import OfferSession
    from shop.db import session

    oid = make_offer(partner="festibillet")
    assert "Aucune séance" in page(partner_client.get(f"/partenaire/offres/{oid}/seances"))
    resp = partner_client.post(
        f"/partenaire/offres/{oid}/seances",
        data={
            "starts_at": "2027-07-14T20:30",
            "stock": "120",
            "supply_state": "en_stock",
            "venue": "",
            "city": "",
        },
    )
    assert resp.status_code == 302
    with app.app_context():
        row = session().scalar(select(OfferSession).where(OfferSession.offer_id == oid))
    assert row.starts_at == datetime(2027, 7, 14, 18, 30)  # summer time: UTC+2
    assert row.stock == 120 and row.venue is None
    listing = page(partner_client.get(f"/partenaire/offres/{oid}/seances"))
    assert "mercredi 14 juillet 2027 à 20:30" in listing
    [created] = audit_entries(app, f"offer:{oid}/session:", "session.created")
    assert created.actor == f"staff:{partner_client.email}" and created.after["stock"] == 120

    url = f"/partenaire/offres/{oid}/seances/{row.id}"
    assert 'value="2027-07-14T20:30"' in page(partner_client.get(url))
    resp = partner_client.post(
        url,
        data={"starts_at": "2027-12-01T20:00", "stock": "80", "supply_state": "en_cours"},
    )
    assert resp.status_code == 302
    row = load(app, OfferSession, row.id)
    assert row.starts_at == datetime(2027, 12, 1, 19, 0)  # winter time: UTC+1
    assert row.stock == 80 and row.supply_state == "en_cours"
    [updated] = audit_entries(app, f"offer:{oid}/session:", "session.updated")
    assert updated.before["stock"] == 120 and updated.after["stock"] == 80


def test_r_cat_1_bad_session_input_is_refused_in_french(partner_client, make_offer):
    oid = make_offer(partner="festibillet")
    resp = partner_client.post(
        f"/partenaire/offres/{oid}/seances",
        data={"starts_at": "demain soir", "stock": "-3", "supply_state": "en_stock"},
    )
    text = page(resp, 422)
    assert error_beside(text, "starts_at").startswith("Date et heure invalides")
    assert error_beside(text, "stock") == "Le stock doit être compris entre 0 et 1 000 000."
    assert 'value="demain soir"' in text and 'value="-3"' in text


def test_r_par_5_partner_sets_stock_and_supply_state(app, partner_client, make_offer):
    from catalog.models import Offer

    oid = make_offer(kind="billet_ouvert", partner="festibillet", stock=100)
    assert 'value="100"' in page(partner_client.get(f"/partenaire/offres/{oid}/stock"))
    resp = partner_client.post(
        f"/partenaire/offres/{oid}/stock", data={"stock": "7", "supply_state": "en_cours"}
    )
    assert resp.status_code == 302
    offer = load(app, Offer, oid)
    assert offer.stock == 7 and offer.supply_state == "en_cours"
    [entry] = audit_entries(app, f"offer:{oid}", "offer.stock_set")
    assert entry.actor == f"staff:{partner_client.email}"
    assert entry.before == {"stock": 100, "supply_state": "en_stock"}
    assert entry.after == {"stock": 7, "supply_state": "en_cours"}
    bad = page(
        partner_client.post(
            f"/partenaire/offres/{oid}/stock", data={"stock": "beaucoup", "supply_state": "x"}
        ),
        422,
    )
    assert error_beside(bad, "stock") == "Saisissez un nombre entier, par exemple 25."
    assert error_beside(bad, "supply_state").startswith("Choix invalide")


def test_r_par_5_dated_offer_stock_is_set_per_session(partner_client, make_offer):
    oid = make_offer(partner="festibillet")
    assert "séance par séance" in page(partner_client.get(f"/partenaire/offres/{oid}/stock"))
    resp = partner_client.post(
        f"/partenaire/offres/{oid}/stock", data={"stock": "5", "supply_state": "en_stock"}
    )
    assert error_beside(page(resp, 422), "stock") == (
        "Le stock d'un billet daté se règle par séance."
    )


# -- pictures -----------------------------------------------------------------------------


def test_r_cat_7_partner_uploads_and_deletes_a_picture(app, partner_client, make_offer):
    from catalog.models import OfferPicture
    from shop.db import session

    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    png = tiny_png()
    resp = _upload(partner_client, oid, png, alt="Entrée du parc")
    assert resp.status_code == 302
    with app.app_context():
        pic = session().scalar(select(OfferPicture).where(OfferPicture.offer_id == oid))
        pic_id, content_type, data = pic.id, pic.content_type, pic.data
    assert content_type == "image/png" and data == png
    listing = page(partner_client.get(f"/partenaire/offres/{oid}/images"))
    assert f"/partenaire/offres/{oid}/images/{pic_id}" in listing
    assert 'alt="Entrée du parc"' in listing
    served = partner_client.get(f"/partenaire/offres/{oid}/images/{pic_id}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.data == png
    [added] = audit_entries(app, f"offer:{oid}", "offer.picture_added")
    assert added.actor == f"staff:{partner_client.email}"
    assert added.after == {"picture": pic_id, "bytes": len(png), "type": "image/png"}

    resp = partner_client.post(f"/partenaire/offres/{oid}/images/{pic_id}/supprimer")
    assert resp.status_code == 302
    assert load(app, OfferPicture, pic_id) is None
    [deleted] = audit_entries(app, f"offer:{oid}", "offer.picture_deleted")
    assert deleted.before == {"picture": pic_id}
    assert partner_client.get(f"/partenaire/offres/{oid}/images/{pic_id}").status_code == 404


def test_r_cat_7_a_file_that_is_not_an_image_is_refused_beside_the_field(
    app, partner_client, make_offer
):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    resp = _upload(partner_client, oid, b"%PDF-1.7 pas une image", name="image.png")
    text = page(resp, 422)
    assert error_beside(text, "picture") == ("Format d'image refusé : PNG, JPEG ou WebP seulement.")
    assert 'value="Le parc"' in text  # the description typed is kept
    missing = page(
        partner_client.post(
            f"/partenaire/offres/{oid}/images",
            data={"alt": ""},
            content_type="multipart/form-data",
        ),
        422,
    )
    assert error_beside(missing, "picture") == "Choisissez une image à envoyer."
    assert error_beside(missing, "alt").startswith("Décrivez l'image")
    assert audit_entries(app, f"offer:{oid}", "offer.picture_added") == []


@pytest.mark.parametrize("extra, status", [(1, 422), (512 * 1024, 413)])
def test_r_cat_7_an_oversized_picture_is_refused_in_french(
    app, partner_client, make_offer, extra, status
):
    from catalog.services import MAX_PICTURE_BYTES

    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    too_big = tiny_png() + b"\x00" * (MAX_PICTURE_BYTES + extra)
    resp = _upload(partner_client, oid, too_big)
    # The test client spooled the body to a temporary file it does not close itself.
    resp.request.input_stream.close()
    text = page(resp, status)
    assert error_beside(text, "picture") == "L'image dépasse 2 Mo."
    assert audit_entries(app, f"offer:{oid}", "offer.picture_added") == []


# -- another partner's offer --------------------------------------------------------------


def test_r_par_1_another_partners_offer_is_404_on_every_page(app, partner_client, make_offer):
    from catalog.models import Offer, OfferPicture, OfferSession
    from shop.db import session

    theirs = make_offer(
        sessions=[(datetime(2027, 6, 1, 18, 0), 30)], partner="concurrent", title="Pas à nous"
    )
    undated = make_offer(kind="billet_ouvert", partner="concurrent", stock=9)
    # A picture of theirs, added by an admin through the service.
    from catalog.services import add_picture

    class _Admin:
        role = "admin"
        partner_id = None
        audit_label = "staff:test-admin"

    with app.app_context():
        pic_id = add_picture(undated, tiny_png(), "Leur image", _Admin()).id
        sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == theirs))
    before = len(audit_entries(app, "offer:"))
    for oid in (theirs, undated):
        for url in (
            f"/partenaire/offres/{oid}",
            f"/partenaire/offres/{oid}/modifier",
            f"/partenaire/offres/{oid}/seances",
            f"/partenaire/offres/{oid}/seances/{sid}",
            f"/partenaire/offres/{oid}/stock",
            f"/partenaire/offres/{oid}/images",
            f"/partenaire/offres/{oid}/images/{pic_id}",
        ):
            assert partner_client.get(url).status_code == 404, url
        for url, data in (
            (f"/partenaire/offres/{oid}/modifier", edit_form(title="Volée")),
            (
                f"/partenaire/offres/{oid}/seances",
                {"starts_at": "2027-06-02T20:00", "stock": "5", "supply_state": "en_stock"},
            ),
            (
                f"/partenaire/offres/{oid}/seances/{sid}",
                {"starts_at": "2027-06-02T20:00", "stock": "0", "supply_state": "en_stock"},
            ),
            (f"/partenaire/offres/{oid}/stock", {"stock": "0", "supply_state": "en_stock"}),
            (f"/partenaire/offres/{oid}/images/{pic_id}/supprimer", {}),
        ):
            assert partner_client.post(url, data=data).status_code == 404, url
        resp = _upload(partner_client, oid, tiny_png())
        assert resp.status_code == 404
    assert len(audit_entries(app, "offer:")) == before
    assert load(app, Offer, theirs).title == "Pas à nous"
    assert load(app, Offer, undated).stock == 9
    assert load(app, OfferPicture, pic_id) is not None
    assert "Pas à nous" not in page(partner_client.get("/partenaire/offres?q=pas"))


def test_r_par_1_a_session_or_picture_of_another_offer_is_404(partner_client, make_offer, app):
    from catalog.models import OfferSession
    from shop.db import session

    mine = make_offer(partner="festibillet")
    theirs = make_offer(sessions=[(datetime(2027, 6, 1, 18, 0), 30)], partner="concurrent")
    with app.app_context():
        sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == theirs))
    url = f"/partenaire/offres/{mine}/seances/{sid}"
    assert partner_client.get(url).status_code == 404
    resp = partner_client.post(
        url, data={"starts_at": "2027-06-02T20:00", "stock": "0", "supply_state": "en_stock"}
    )
    assert resp.status_code == 404
    assert load(app, OfferSession, sid).stock == 30


def test_r_cat_8_partner_cannot_add_a_session_in_the_past(app, partner_client, make_offer, clock):
    from catalog.models import OfferSession
    from shop.db import session

    oid = make_offer(partner="festibillet", sale_opens_at=datetime(2027, 6, 1, 8, 0))
    url = f"/partenaire/offres/{oid}/seances"
    typed = {"starts_at": "2020-01-01T20:00", "stock": "77", "supply_state": "en_cours"}
    text = page(partner_client.post(url, data={**typed, "venue": "Salle B"}), 422)
    assert error_beside(text, "starts_at") == (
        "Cette date est passée : une séance doit commencer dans le futur."
    )
    assert 'value="77"' in text and 'value="Salle B"' in text  # the rest of the form kept
    text = page(partner_client.post(url, data={**typed, "starts_at": "2027-05-20T20:00"}), 422)
    assert "avant l'ouverture de la vente" in error_beside(text, "starts_at")
    resp = partner_client.post(url, data={**typed, "starts_at": "2027-07-14T20:30"})
    assert resp.status_code == 302
    with app.app_context():
        row = session().scalar(select(OfferSession).where(OfferSession.offer_id == oid))
    # Once the session is past, its stock can still be corrected, but not its date moved back.
    clock.set(datetime(2027, 7, 20, 10, 0))
    login_staff(partner_client, partner_client.email, "mot-de-passe-solide-42")
    edit = f"/partenaire/offres/{oid}/seances/{row.id}"
    keep = {"starts_at": "2027-07-14T20:30", "stock": "5", "supply_state": "en_stock"}
    assert partner_client.post(edit, data=keep).status_code == 302
    assert load(app, OfferSession, row.id).stock == 5
    text = page(partner_client.post(edit, data={**keep, "starts_at": "2027-07-15T20:30"}), 422)
    assert error_beside(text, "starts_at").startswith("Cette date est passée")
