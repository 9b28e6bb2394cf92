"""A partner's new offer waits for C.G.O.S (R-PAR-10): created hidden from agents, its
prices a « nouvelle offre » request in the back office's « Demandes de prix »; approving
puts it on sale with those prices, refusing keeps it hidden. Offers created by the
store's staff are on sale at once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from catalog.models import Offer, PriceChangeRequest
from shop.mail import OutboxMail
from tests.factories import (
    NOW_PARIS,
    add,
    audit_entries,
    load,
    login_agent,
    login_staff,
    offer_form,
    offer_titled,
    page,
)
from tests.web.partner.helpers import auth, token_for

PENDING_LABEL = "En attente de validation par le C.G.O.S"


@pytest.fixture
def partner_client(app, client, make_staff, clock):
    clock.set(NOW_PARIS)
    email, password = make_staff("partner", partner="festibillet")
    assert login_staff(client, email, password).location == "/partenaire/"
    client.email = email
    return client


def _staff_client(app: Any, make_staff: Any, role: str, **kwargs: Any) -> Any:
    other = app.test_client()
    email, password = make_staff(role, **kwargs)
    assert login_staff(other, email, password).status_code == 302
    other.email = email
    return other


@pytest.fixture
def admin(app, make_staff, partner_client):
    return _staff_client(app, make_staff, "admin")


@pytest.fixture
def agent_client(app, make_agent, partner_client):
    agent = app.test_client()
    number, code = make_agent()
    assert login_agent(agent, number, code).status_code == 302
    agent.number = number
    return agent


def _create(client: Any, **fields: str) -> Offer:
    resp = client.post("/partenaire/offres/nouvelle", data=offer_form(**fields))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    return offer_titled(client.application, fields.get("title", "Parc des Félins"))


def _requests(app: Any, oid: int) -> list[PriceChangeRequest]:
    from shop.db import session

    with app.app_context():
        stmt = select(PriceChangeRequest).where(PriceChangeRequest.offer_id == oid)
        return list(session().scalars(stmt.order_by(PriceChangeRequest.id)))


def _mails(app: Any) -> list[OutboxMail]:
    from shop.db import session

    with app.app_context():
        stmt = select(OutboxMail).where(OutboxMail.kind == "catalog/price_request_decided")
        return list(session().scalars(stmt.order_by(OutboxMail.id)))


def _agent_sees(agent: Any, oid: int) -> bool:
    """Offer page, search and category listing agree on whether the offer is on sale."""
    offer_page = agent.get(f"/offre/{oid}").status_code
    found = "Parc des Félins" in agent.get("/recherche?q=felins").get_data(as_text=True)
    listed = "Parc des Félins" in agent.get("/categorie/parcs-et-loisirs").get_data(as_text=True)
    assert (offer_page == 200) == found == listed, (offer_page, found, listed)
    return found


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


# -- a partner's new offer waits ----------------------------------------------------------


def test_r_par_10_partner_new_offer_is_hidden_and_queued(app, partner_client, admin, agent_client):
    offer = _create(partner_client)
    assert offer.approval == "pending" and offer.published is True
    [req] = _requests(app, offer.id)
    assert (req.kind, req.status) == ("new_offer", "pending")
    assert (req.requested_negotiated_cents, req.requested_cgos_cents) == (2800, 1950)
    assert audit_entries(app, f"offer:{offer.id}/price_request:{req.id}", "price_request.created")
    # The partner sees the state on its list and offer page.
    assert PENDING_LABEL in page(partner_client.get("/partenaire/offres"))
    assert PENDING_LABEL in page(partner_client.get(f"/partenaire/offres/{offer.id}"))
    # Agents: no offer page, search, listing, cart.
    assert not _agent_sees(agent_client, offer.id)
    assert agent_client.get(f"/offre/{offer.id}").status_code == 404
    assert add(agent_client, offer.id, 1).status_code == 404
    assert "Parc des Félins" not in page(agent_client.get("/panier/"))
    # The back office's queue shows it with the whole offer.
    queue = page(admin.get("/gestion/offres/demandes-prix"))
    assert "Nouvelle offre" in queue and "Parc des Félins" in queue
    detail = _plain(page(admin.get(f"/gestion/offres/demandes-prix/{req.id}")))
    assert "L'offre proposée" in detail and "Une journée au parc" in detail
    assert "28,00 €" in detail and "19,50 €" in detail and "8,50 €" in detail


def test_r_par_10_phone_order_cannot_reach_a_pending_offer(
    app, partner_client, make_staff, make_agent
):
    offer = _create(partner_client)
    operator = _staff_client(app, make_staff, "operator")
    number, _ = make_agent(household_id="H-TEL", email="tel@exemple.fr")
    found = page(operator.get(f"/gestion/saisie/{number}?t=felins"))
    assert "Parc des Félins" not in found
    resp = operator.post(
        f"/gestion/saisie/{number}/ajouter",
        data={"offer_id": str(offer.id), "quantity": "1", "delivery": "e_billet"},
    )
    assert resp.status_code in (404, 422)
    assert "Le panier est vide" in page(operator.get(f"/gestion/saisie/{number}"))


def test_r_par_10_price_change_while_pending_updates_the_request(app, partner_client):
    offer = _create(partner_client)
    edit = offer_form(negotiated_price="30,00", cgos_price="20,00", title="Parc des Félins")
    del edit["stock"], edit["supply_state"]
    resp = partner_client.post(f"/partenaire/offres/{offer.id}/modifier", data=edit)
    assert resp.status_code == 302
    [req] = _requests(app, offer.id)  # updated, not piled up
    assert req.status == "pending"
    assert (req.requested_negotiated_cents, req.requested_cgos_cents) == (3000, 2000)
    fresh = load(app, Offer, offer.id)
    assert (fresh.negotiated_price_cents, fresh.cgos_price_cents) == (3000, 2000)
    assert fresh.approval == "pending"
    assert audit_entries(app, f"offer:{offer.id}/price_request:{req.id}", "price_request.updated")
    # Texts still change while pending, with no new request.
    edit["summary"] = "Une journée entière"
    assert partner_client.post(f"/partenaire/offres/{offer.id}/modifier", data=edit).status_code
    assert load(app, Offer, offer.id).summary == "Une journée entière"
    assert len(_requests(app, offer.id)) == 1
    # Stock too (page « Stock »).
    resp = partner_client.post(
        f"/partenaire/offres/{offer.id}/stock", data={"stock": "150", "supply_state": "en_stock"}
    )
    assert resp.status_code == 302 and load(app, Offer, offer.id).stock == 150


def test_r_par_10_a_new_offer_request_is_not_withdrawn(app, partner_client):
    offer = _create(partner_client)
    [req] = _requests(app, offer.id)
    detail = page(partner_client.get(f"/partenaire/offres/demandes-prix/{req.id}"))
    assert "Retirer la demande" not in detail
    partner_client.post(f"/partenaire/offres/demandes-prix/{req.id}/retirer")
    assert _requests(app, offer.id)[0].status == "pending"


# -- C.G.O.S decides ----------------------------------------------------------------------


def test_r_par_10_approval_puts_the_offer_on_sale(app, partner_client, admin, agent_client):
    offer = _create(partner_client)
    [req] = _requests(app, offer.id)
    resp = admin.post(f"/gestion/offres/demandes-prix/{req.id}", data={"approve": "1"})
    assert resp.status_code == 302
    fresh = load(app, Offer, offer.id)
    assert fresh.approval == "approved"
    assert (fresh.negotiated_price_cents, fresh.cgos_price_cents) == (2800, 1950)
    assert _requests(app, offer.id)[0].status == "approved"
    assert _agent_sees(agent_client, offer.id)
    assert "19,50" in _plain(page(agent_client.get(f"/offre/{offer.id}")))
    [entry] = audit_entries(app, f"offer:{offer.id}", "offer.approved")
    assert entry.actor == f"staff:{admin.email}" and entry.after["approval"] == "approved"
    [mail] = _mails(app)
    assert mail.to == partner_client.email and "validée" in mail.subject
    assert PENDING_LABEL not in page(partner_client.get("/partenaire/offres"))
    # Prices are now under the usual rule: a change is a request again.
    edit = offer_form(cgos_price="18,00")
    del edit["stock"], edit["supply_state"]
    partner_client.post(f"/partenaire/offres/{offer.id}/modifier", data=edit)
    assert load(app, Offer, offer.id).cgos_price_cents == 1950
    assert [r.kind for r in _requests(app, offer.id)] == ["new_offer", "price_change"]


def test_r_par_10_refusal_keeps_the_offer_hidden(app, partner_client, admin, agent_client):
    offer = _create(partner_client)
    [req] = _requests(app, offer.id)
    url = f"/gestion/offres/demandes-prix/{req.id}"
    assert admin.post(url, data={"refuse": "1", "note": ""}).status_code == 422
    resp = admin.post(url, data={"refuse": "1", "note": "Participation trop élevée"})
    assert resp.status_code == 302
    assert load(app, Offer, offer.id).approval == "refused"
    assert not _agent_sees(agent_client, offer.id)
    assert audit_entries(app, f"offer:{offer.id}", "offer.refused")
    [mail] = _mails(app)
    assert "refusée" in mail.subject
    assert "Refusée par le C.G.O.S" in page(partner_client.get(f"/partenaire/offres/{offer.id}"))
    # Saved again by the partner, it waits once more, with a fresh request.
    edit = offer_form(cgos_price="22,00")
    del edit["stock"], edit["supply_state"]
    assert partner_client.post(f"/partenaire/offres/{offer.id}/modifier", data=edit).status_code
    assert load(app, Offer, offer.id).approval == "pending"
    assert [r.status for r in _requests(app, offer.id)] == ["refused", "pending"]


def test_r_par_10_approval_rechecks_the_offer(app, partner_client, admin, agent_client):
    from shop.db import session

    offer = _create(partner_client)
    [req] = _requests(app, offer.id)
    with app.app_context():  # the public price fell below the négocié since
        session().execute(update(Offer).where(Offer.id == offer.id).values(public_price_cents=100))
        session().commit()
    resp = admin.post(f"/gestion/offres/demandes-prix/{req.id}", data={"approve": "1"})
    assert resp.status_code == 302
    assert _requests(app, offer.id)[0].status == "refused"
    assert load(app, Offer, offer.id).approval == "refused"
    assert not _agent_sees(agent_client, offer.id)


def test_r_par_1_others_cannot_see_or_decide(app, partner_client, make_staff):
    offer = _create(partner_client)
    [req] = _requests(app, offer.id)
    url = f"/gestion/offres/demandes-prix/{req.id}"
    other = _staff_client(app, make_staff, "partner", partner="concurrent")
    assert other.get(f"/partenaire/offres/demandes-prix/{req.id}").status_code == 404
    assert other.get(f"/partenaire/offres/{offer.id}").status_code == 404
    assert other.post(url, data={"approve": "1"}).status_code in (302, 403, 404)
    operator = _staff_client(app, make_staff, "operator")
    assert "Nouvelle offre" in page(operator.get(url))
    assert operator.post(url, data={"approve": "1"}).status_code == 404
    assert load(app, Offer, offer.id).approval == "pending"


def test_r_par_10_staff_created_offer_is_on_sale_at_once(app, admin, agent_client, make_partner):
    partner_id = make_partner("festibillet")
    resp = admin.post("/gestion/offres/nouvelle", data=offer_form(partner_id=str(partner_id)))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    offer = offer_titled(app, "Parc des Félins")
    assert offer.approval == "approved" and _requests(app, offer.id) == []
    assert _agent_sees(agent_client, offer.id)


def test_r_par_10_api_shows_the_state_and_follows_prices(app, partner_client):
    offer = _create(partner_client)
    headers = auth(token_for(app, "festibillet"))
    body = partner_client.get("/api/v1/offers", headers=headers).get_json()
    assert [(o["id"], o["approval"]) for o in body["data"]] == [(offer.id, "pending")]
    resp = partner_client.post(
        f"/api/v1/offers/{offer.id}/price-requests",
        json={"negotiated_price_cents": 3000, "cgos_price_cents": 2100},
        headers=headers,
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["kind"] == "new_offer"
    [req] = _requests(app, offer.id)
    assert (req.requested_negotiated_cents, req.requested_cgos_cents) == (3000, 2100)
    assert load(app, Offer, offer.id).cgos_price_cents == 2100
