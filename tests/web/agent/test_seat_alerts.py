"""« Prévenez-moi » pages (R-AGT-2): the button on a sold-out session, the form, « Mes
alertes », and the mailed link: its agent only (anyone else, or a forged link: 404), a
lapsed hold explained in French, the seats put into the cart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from catalog.models import OfferSession
from orders import alerts
from orders.models import AlertState, SeatAlert
from shop.db import session, unit_of_work
from shop.mail import OutboxMail
from tests.factories import NOW_PARIS, login_agent, text, utc

SHOW = utc(NOW_PARIS) + timedelta(days=30)


@pytest.fixture
def gala(app, make_offer, clock):
    clock.set(NOW_PARIS)
    offer_id = make_offer(sessions=[(SHOW, 0)], title="Gala", per_order_max=4)
    with app.app_context():
        sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == offer_id))
    return offer_id, sid


@pytest.fixture
def waiter(client, make_agent, clock):
    clock.set(NOW_PARIS)
    creds = make_agent()
    login_agent(client, *creds)
    client.relogin = lambda: login_agent(client, *creds)
    return client


def _serve(app, sid, seats):
    with app.app_context():
        with unit_of_work() as s:
            s.get(OfferSession, sid).stock = seats
        alerts.serve_alerts()
        mail = session().scalar(
            select(OutboxMail)
            .where(OutboxMail.kind == "orders/seat_alert_held")
            .order_by(OutboxMail.id.desc())
        )
        return re.search(r"https?://\S+(/mes-alertes/\S+)", mail.body_text).group(1)


def _subscribe(client, offer_id, sid, quantity="2"):
    page = client.get(f"/mes-alertes/nouvelle/{offer_id}?seance={sid}")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(page)).group(1)
    return client.post(
        f"/mes-alertes/nouvelle/{offer_id}",
        data={"csrf_token": token, "session_id": sid, "quantity": quantity},
    )


def test_r_agt_2_a_sold_out_session_offers_the_button_and_the_form(waiter, gala, app):
    offer_id, sid = gala
    page = text(waiter.get(f"/offre/{offer_id}?seance={sid}"))
    assert f"/mes-alertes/nouvelle/{offer_id}?seance={sid}" in page
    assert "Prévenez-moi" in page
    refused = _subscribe(waiter, offer_id, sid, quantity="9")
    assert refused.status_code == 422
    assert "Demandez entre 1 et 4 place(s)" in text(refused)
    done = _subscribe(waiter, offer_id, sid)
    assert done.status_code == 302 and done.headers["Location"].endswith("/mes-alertes/")
    mine = text(waiter.get("/mes-alertes/"))
    assert "Gala" in mine and "En attente" in mine and "Annuler l'alerte" in mine
    assert "/mes-alertes/" in text(waiter.get("/mon-espace/"))


def test_r_agt_2_the_link_is_its_agents_only_and_fills_the_cart(
    waiter, gala, app, make_agent, clock
):
    offer_id, sid = gala
    _subscribe(waiter, offer_id, sid)
    link = _serve(app, sid, 2)
    page = waiter.get(link)
    assert page.status_code == 200 and "2 places vous sont réservées" in text(page)
    # Someone else, even logged in, and a forged signature: 404.
    other = app.test_client()
    login_agent(other, *make_agent())
    assert other.get(link).status_code == 404
    alert_id = link.split("/")[2]
    assert waiter.get(f"/mes-alertes/{alert_id}/places/forge").status_code == 404
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(page)).group(1)
    taken = waiter.post(link, data={"csrf_token": token})
    assert taken.status_code == 302 and taken.headers["Location"].endswith("/panier/")
    cart = text(waiter.get("/panier/"))
    assert "Gala" in cart and "Épuisé" not in cart


def test_r_agt_2_a_lapsed_link_says_so_in_french(waiter, gala, app, clock):
    offer_id, sid = gala
    _subscribe(waiter, offer_id, sid)
    link = _serve(app, sid, 1)
    clock.set(NOW_PARIS + timedelta(hours=25))
    with app.app_context():
        alerts.serve_alerts()
        assert session().scalar(select(SeatAlert.state)) == AlertState.EXPIRED
    waiter.relogin()  # the web session did not last a day
    page = waiter.get(link)
    assert page.status_code == 200
    body = text(page)
    assert "Ce lien a expiré" in body and "personne suivante" in body
    assert "Mettre les places dans mon panier" not in body
