"""Issue « vacations » in a real browser (R-VAC-4): two agents pre-register to a one-place
Prix mini stay, the draw runs as a background job, the winner lets the 7 days pass, the
next on the waiting list is offered the place and pays it by demonstration card, first
child under 12 free."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shop.db import session
from shop.jobs import run_due
from tests.e2e.helpers import login, seed_agent, seed_offer
from tests.factories import stay_fields
from tests.harness import Mailbox
from vacations.models import PrixMiniRegistration

pytestmark = pytest.mark.e2e

TITLE = "Prix mini Océan — Les Sables-d'Olonne"


def _logout(page: Page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()


def _pre_register(page: Page, live_server: Any, number: str, offer_id: int, child: str) -> None:
    login(page, live_server, number)
    page.goto(live_server(f"/offre/{offer_id}"))
    expect(page.get_by_role("heading", name="Préinscription au tirage au sort")).to_be_visible()
    page.get_by_label("Nombre d'adultes").select_option("2")
    page.get_by_label(child, exact=False).check()
    page.get_by_role("button", name="Me préinscrire").click()
    expect(page.get_by_text("Votre préinscription pour la saison été")).to_be_visible()
    expect(page.get_by_text("État : Préinscrit")).to_be_visible()
    _logout(page)


def _offer_as(page: Page, live_server: Any, number: str, offer_id: int, state: str) -> None:
    """Log in as ``number``, open the stay and see the registration in ``state``."""
    login(page, live_server, number)
    page.goto(live_server(f"/offre/{offer_id}"))
    expect(page.get_by_text(f"État : {state}")).to_be_visible()


def _status_of(live_server: Any, number: str) -> str:
    with live_server.app.app_context():
        return session().scalar(
            select(PrixMiniRegistration.status).where(PrixMiniRegistration.cgos_number == number)
        )


def test_draw_then_the_place_passes_to_the_waiting_list_and_is_paid(
    live_server: Any, browser_page: Page, mailbox: Mailbox
) -> None:
    clock = live_server.app.extensions["clock"]
    clock.set(datetime(2027, 1, 15, 10, 0))
    kids = [{"prenom": "Jules", "birth_date": "2019-04-02", "fiscal_status": "a_charge"}]
    first = seed_agent(live_server, qf=696.0, children=kids, household_id="H-E2E-1")
    second = seed_agent(live_server, qf=696.0, children=kids, household_id="H-E2E-2")
    offer_id = seed_offer(
        live_server,
        **stay_fields(
            "prix_mini", title=TITLE, stock=1, sale_closes_at=datetime(2027, 3, 1, 11, 0)
        ),
    )
    page = browser_page
    _pre_register(page, live_server, first, offer_id, "Jules")
    _pre_register(page, live_server, second, offer_id, "Jules")

    # The pre-registration closes; the job draws the stay and mails everyone.
    clock.set(datetime(2027, 3, 2, 9, 0))
    with live_server.app.app_context():
        run_due()
    statuses = {n: _status_of(live_server, n) for n in (first, second)}
    assert sorted(statuses.values()) == ["attente", "gagnant"]
    winner = next(n for n, s in statuses.items() if s == "gagnant")
    waiting = next(n for n, s in statuses.items() if s == "attente")
    subjects = sorted(m["Subject"] for m in mailbox.wait_for(2))
    assert subjects == [
        "Prix mini : vous êtes sur la liste d'attente",
        "Prix mini : vous êtes tiré au sort",
    ]

    _offer_as(page, live_server, winner, offer_id, "Tiré au sort")
    expect(page.get_by_role("button", name="Régler mon séjour")).to_be_visible()
    _logout(page)

    # The winner lets the 7 days pass: the place goes to the next on the list.
    mailbox.clear()
    clock.advance(days=7, minutes=5)
    with live_server.app.app_context():
        run_due()
    assert _status_of(live_server, winner) == "forclos"
    assert _status_of(live_server, waiting) == "gagnant"
    subjects = sorted(m["Subject"] for m in mailbox.wait_for(2))
    assert subjects == [
        "Prix mini : place perdue faute de paiement",
        "Prix mini : vous êtes tiré au sort",
    ]

    _offer_as(page, live_server, waiting, offer_id, "Tiré au sort")
    page.get_by_role("button", name="Régler mon séjour").click()
    # 2 adults at 45 % of 620 € (QF 696 → 55 %) and Jules, 8, free: 558,00 €.
    expect(page.get_by_text("2 adultes, 1 enfant, dont 1 gratuit")).to_be_visible()
    expect(page.get_by_text("558,00 €").first).to_be_visible()
    page.get_by_role("link", name="Finaliser ma commande").first.click()
    page.get_by_label("J'accepte les conditions générales de vente").check()
    page.get_by_label("Carte bancaire").check()
    page.get_by_role("button", name="Confirmer ma commande").click()
    page.get_by_role("button", name="Payer 558,00 € (démonstration)").click()
    expect(page.get_by_text("Payée").first).to_be_visible()
    assert _status_of(live_server, waiting) == "paye"
    page.goto(live_server(f"/offre/{offer_id}"))
    expect(page.get_by_text("État : Payé")).to_be_visible()
    _logout(page)

    _offer_as(page, live_server, winner, offer_id, "Forclos (non payé)")
    expect(page.get_by_role("button", name="Régler mon séjour")).to_have_count(0)
