"""Entry control at the venue's door in a real browser (R-PAR-8, R-PAR-9): a real e-billet
of the store, rendered from its PDF, shown to Chromium's fake camera; the printed code
typed; the network cut while scanning, then back, with a conflict from the API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from auth.principals import agent_user
from auth.services import create_staff
from catalog.models import OfferSession
from members.dossiers import dossier_source
from orders import cart as carts
from orders import services as orders
from orders.etickets import render_pdf, spaced, tickets_of
from orders.models import ETicket, Order
from partners.models import DoorScan
from partners.services import create_token
from shop.db import session
from tests.e2e.camera import pdf_page_image, qr_frame, write_y4m
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DEFAULT_TIMEOUT_MS
from tests.e2e.helpers import seed_agent, seed_offer
from tests.e2e.layout import assert_fits

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-porte-42"
EMAIL = "porte@e2e.example"
SYNC_TIMEOUT_MS = 20_000  # the page retries every 10 s, and at once on « online »


@dataclass(frozen=True)
class Door:
    sessions: tuple[int, int]  # the tickets' session, another one of the same show
    secrets: list[str]  # 4 e-billets of one order, seats 1/4 … 4/4
    holder: str
    frame: Path  # a camera picture of e-billet 1/4 (its PDF, rendered)
    token: str  # an API token of the same partner: « another device »


def _paid_eticket_order(
    live_server: Any, number: str, offer_id: int, session_id: int, checkout: str = "e2e-door"
) -> str:
    with live_server.app.app_context():
        agent = agent_user(dossier_source().get(number))
        carts.add_to_cart(agent, offer_id, quantity=4, delivery="e_billet", session_id=session_id)
        total = carts.view_cart(agent).priced.total_cents
        order = orders.place_order(
            agent,
            payment_method="card",
            contact=orders.Contact("c@exemple.fr", True),
            expected_total_cents=total,
            checkout_token=f"{checkout}-token",
            actor=agent,
        )
        orders.mark_paid(
            order.id,
            method="demo",
            amount_cents=order.total_cents,
            provider_ref=f"demo-{checkout}",
            actor=agent,
        )
        return order.number


@pytest.fixture(scope="module")
def door(live_server: Any, tmp_path_factory: Any) -> Door:
    number = seed_agent(live_server)
    starts = (datetime.now() + timedelta(days=20)).replace(hour=19, minute=0, second=0)
    offer_id = seed_offer(
        live_server,
        sessions=[(starts, 20), (starts + timedelta(days=1), 20)],
        kind="billet_date",
        category="spectacles",
        title="Gala de la porte",
        public_price_cents=3000,
        negotiated_price_cents=2800,
        cgos_price_cents=2000,
        deliveries=("e_billet",),
    )
    with live_server.app.app_context():
        first, second = session().scalars(
            select(OfferSession.id).where(OfferSession.offer_id == offer_id).order_by("id")
        )
    order_number = _paid_eticket_order(live_server, number, offer_id, first)
    with live_server.app.app_context():
        create_staff(EMAIL, "Pierre", "partner", PASSWORD, "e2e")
        token = create_token("e2e", "Autre porte", actor="test")
        order = session().scalar(select(Order).where(Order.number == order_number))
        items = tickets_of(order)
        pdf = render_pdf([items[0]])  # the e-billet as the agent downloads it
        secrets = [i.ticket.secret for i in items]
        holder = items[0].ticket.holder
    folder = tmp_path_factory.mktemp("camera")
    frame = qr_frame(pdf_page_image(pdf))
    frame.save(folder / "frame.png")
    return Door((first, second), secrets, holder, write_y4m(folder / "ebillet.y4m", frame), token)


@pytest.fixture(scope="module")
def camera_browser(_browser: Browser, door: Door) -> Iterator[Browser]:
    """Another Chromium whose webcam plays the e-billet video, the permission granted."""
    browser = _browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={door.frame}",
        ],
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def door_page(camera_browser: Browser, live_server: Any) -> Iterator[Page]:
    context = camera_browser.new_context(
        locale="fr-FR", permissions=["camera"], viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        page = context.new_page()
        _login_staff(page, live_server)
        yield page
    finally:
        context.close()


def _control(page: Page, live_server: Any, session_id: int) -> None:
    page.goto(live_server(f"/partenaire/controle?seance={session_id}"))
    expect(page.get_by_text("Séance contrôlée")).to_be_visible()
    expect(page.locator("#door-list")).to_contain_text("Liste hors ligne : ")


def _admitted(live_server: Any) -> int:
    with live_server.app.app_context():
        return session().scalar(select(func.count(ETicket.id)).where(ETicket.used_at.is_not(None)))


def _verdict(page: Page) -> Any:
    return page.locator("#scan-result-slot [data-verdict]")


def _type(page: Page, code: str) -> None:
    field = page.get_by_label("Code du billet")
    expect(field).to_be_focused()  # the field keeps the focus: a keyboard-wedge scanner types
    field.fill(code)
    field.press("Enter")


def test_the_camera_reads_a_real_e_billet_another_session_first_then_its_own(
    door: Door, door_page: Page, live_server: Any
) -> None:
    page = door_page
    first, second = door.sessions
    # (b) The ticket shown at the door of the show's other session: not burnt.
    _control(page, live_server, second)
    expect(page.get_by_role("button", name="Arrêter la caméra")).to_be_hidden()
    page.get_by_role("button", name="Scanner avec la caméra").click()
    expect(_verdict(page)).to_have_attribute("data-verdict", "autre_seance", timeout=15_000)
    expect(_verdict(page)).to_contain_text("Autre séance")
    expect(_verdict(page)).to_contain_text(door.holder)
    expect(page.locator("#camera-message")).to_contain_text("Caméra active")
    # The same ticket, still in front of the lens, is not sent again and again.
    page.wait_for_timeout(1500)
    with live_server.app.app_context():
        assert session().scalar(select(func.count(DoorScan.id))) == 1
    page.get_by_role("button", name="Arrêter la caméra").click()
    expect(page.get_by_role("button", name="Scanner avec la caméra")).to_be_visible()

    # (a) At its own session's door the same e-billet is admitted.
    _control(page, live_server, first)
    # The other session's list (holders' names) is not kept once its queue is empty.
    assert page.evaluate(f"() => localStorage.getItem('door:list:{second}')") is None
    page.get_by_role("button", name="Scanner avec la caméra").click()
    expect(_verdict(page)).to_have_attribute("data-verdict", "valide", timeout=15_000)
    expect(_verdict(page)).to_contain_text("entrée autorisée")
    expect(_verdict(page)).to_contain_text("1/4")
    admitted = _admitted(live_server)
    expect(page.locator("#control-count")).to_contain_text(f"{admitted} entré")


def test_the_printed_code_typed_with_spaces_in_lower_case_is_admitted(
    door: Door, door_page: Page, live_server: Any
) -> None:
    """(c) As a controller reads it off a phone's screen; then the same again."""
    page = door_page
    _control(page, live_server, door.sessions[0])
    _type(page, spaced(door.secrets[1]).lower())
    expect(_verdict(page)).to_have_attribute("data-verdict", "valide")
    expect(_verdict(page)).to_contain_text("2/4")
    _type(page, door.secrets[1])
    expect(_verdict(page)).to_have_attribute("data-verdict", "deja_utilise")
    expect(_verdict(page)).to_contain_text("Premier passage le")
    expect(page.get_by_label("Code du billet")).to_be_focused()


def test_offline_scans_are_decided_queued_then_synced_with_a_conflict(
    door: Door, door_page: Page, live_server: Any, tmp_path: Path
) -> None:
    """(d) The network is cut: the page decides from its list and queues; meanwhile another
    door (the API) admits a ticket this one admitted offline; back online, the queue syncs,
    the counts follow and the conflict is shown."""
    page = door_page
    _control(page, live_server, door.sessions[0])
    expect(page.locator("#door-offline")).to_be_hidden()
    before = _admitted(live_server)
    expect(page.locator("#control-count")).to_contain_text(f"{before} entré")
    page.context.set_offline(True)
    try:
        _type(page, door.secrets[2])
        expect(_verdict(page)).to_have_attribute("data-verdict", "valide")
        expect(_verdict(page)).to_contain_text("décision hors ligne")
        expect(page.locator("#door-offline")).to_have_text("Hors ligne — 1 scan en attente")
        _type(page, spaced(door.secrets[2]))
        expect(_verdict(page)).to_have_attribute("data-verdict", "deja_utilise")
        _type(page, door.secrets[3])
        expect(_verdict(page)).to_have_attribute("data-verdict", "valide")
        _type(page, "ABCD EFGH JKMN PQRS")
        expect(_verdict(page)).to_have_attribute("data-verdict", "inconnu")
        expect(_verdict(page)).to_contain_text("Inconnu hors ligne")
        expect(page.locator("#door-offline")).to_have_text("Hors ligne — 4 scans en attente")
        for width, height in ((1280, 900), (360, 780)):
            page.set_viewport_size({"width": width, "height": height})
            assert_fits(page, f"offline verdict at {width} px")
            page.screenshot(path=tmp_path / f"door-offline-{width}.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

        # Meanwhile another door admits e-billet 3/4 through the API.
        answer = requests.post(
            live_server("/api/v1/scans"),
            json={"code": door.secrets[2], "session_id": door.sessions[0]},
            headers={"Authorization": f"Bearer {door.token}"},
            timeout=10,
        )
        assert answer.json()["verdict"] == "valide"
    finally:
        page.context.set_offline(False)

    conflict = page.locator("#door-conflicts li")
    expect(conflict).to_contain_text(
        f"Conflit : billet 3/4 ({door.holder}) admis deux fois", timeout=SYNC_TIMEOUT_MS
    )
    expect(page.locator("#door-offline")).to_be_hidden(timeout=SYNC_TIMEOUT_MS)
    assert _admitted(live_server) == before + 2
    # Once synced, the device holds no ticket's code: hashes, names and numbers only.
    kept = page.evaluate("() => JSON.stringify(localStorage)")
    assert "door:list:" in kept
    assert not any(secret in kept for secret in door.secrets)
    expect(page.locator("#control-count")).to_contain_text(f"{before + 2} entrés / 4 attendus")
    page.screenshot(path=tmp_path / "door-conflict-1280.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 780})
    assert_fits(page, "conflict at 360 px")
    page.screenshot(path=tmp_path / "door-conflict-360.png", full_page=True)


def _login_staff(page: Page, live_server: Any) -> None:
    page.goto(live_server("/gestion/connexion"))
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def test_without_a_camera_the_typed_field_stays_and_a_french_message_says_why(
    door: Door, browser_page: Page, live_server: Any
) -> None:
    """The ordinary browser has no camera and no permission for it."""
    page = browser_page
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    _login_staff(page, live_server)
    _control(page, live_server, door.sessions[1])
    page.get_by_role("button", name="Scanner avec la caméra").click()
    expect(page.locator("#camera-message")).to_contain_text("saisissez le code")
    expect(page.get_by_label("Code du billet")).to_be_visible()
    _type(page, "ABCD EFGH")
    expect(_verdict(page)).to_have_attribute("data-verdict", "invalide")
    assert violations == []


def test_without_javascript_the_form_still_answers(
    door: Door, _browser: Browser, live_server: Any
) -> None:
    context = _browser.new_context(locale="fr-FR", java_script_enabled=False)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        page = context.new_page()
        _login_staff(page, live_server)
        page.goto(live_server(f"/partenaire/controle?seance={door.sessions[1]}"))
        expect(page.get_by_role("button", name="Scanner avec la caméra")).to_be_hidden()
        page.get_by_label("Code du billet").fill(door.secrets[0])
        page.get_by_role("button", name="Vérifier").click()
        expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "autre_seance")
    finally:
        context.close()


# -- the page opens again without network (service worker) --------------------------------


@dataclass(frozen=True)
class Offline:
    session_id: int
    secrets: list[str]


@pytest.fixture(scope="module")
def offline_show(live_server: Any, door: Door) -> Offline:
    """Another show of the partner, 4 e-billets of one order, for the reloaded page."""
    number = seed_agent(live_server)
    starts = (datetime.now() + timedelta(days=25)).replace(hour=20, minute=0, second=0)
    offer_id = seed_offer(
        live_server,
        sessions=[(starts, 20)],
        kind="billet_date",
        category="spectacles",
        title="Récital hors ligne",
        public_price_cents=3000,
        negotiated_price_cents=2800,
        cgos_price_cents=2000,
        deliveries=("e_billet",),
    )
    with live_server.app.app_context():
        [sid] = session().scalars(select(OfferSession.id).where(OfferSession.offer_id == offer_id))
    order_number = _paid_eticket_order(live_server, number, offer_id, sid, "e2e-door-offline")
    with live_server.app.app_context():
        order = session().scalar(select(Order).where(Order.number == order_number))
        secrets = [i.ticket.secret for i in tickets_of(order)]
    return Offline(sid, secrets)


@pytest.fixture
def partner_page(_browser: Browser, live_server: Any) -> Iterator[Page]:
    context = _browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        page = context.new_page()
        _login_staff(page, live_server)
        yield page
    finally:
        context.close()


def _controlled(page: Page) -> None:
    """The control page under its service worker, the page itself kept."""
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=DEFAULT_TIMEOUT_MS,
    )


def _used(live_server: Any, secret: str) -> datetime | None:
    with live_server.app.app_context():
        return session().scalar(select(ETicket.used_at).where(ETicket.secret == secret))


def test_reloaded_offline_the_page_opens_from_the_device_and_syncs_on_return(
    door: Door, offline_show: Offline, partner_page: Page, live_server: Any
) -> None:
    page = partner_page
    sid = offline_show.session_id
    _control(page, live_server, sid)
    _controlled(page)
    keys = page.evaluate("() => caches.keys()")
    assert len(keys) == 1 and keys[0].startswith("door-")
    page.context.set_offline(True)
    try:
        page.reload()
        expect(page.get_by_text("Séance contrôlée")).to_be_visible()
        expect(page.locator("#door-offline")).to_have_text("Hors ligne — 0 scan en attente")
        expect(page.locator("#door-list")).to_contain_text("Liste hors ligne : 4 billets")
        # Its styles and scripts came from the same copy.
        assert page.evaluate("() => typeof window.jsQR") == "function"
        expect(page.get_by_role("button", name="Scanner avec la caméra")).to_be_visible()
        _type(page, offline_show.secrets[0])
        expect(_verdict(page)).to_have_attribute("data-verdict", "valide")
        expect(_verdict(page)).to_contain_text("décision hors ligne")
        expect(page.locator("#door-offline")).to_have_text("Hors ligne — 1 scan en attente")
        assert _used(live_server, offline_show.secrets[0]) is None
        # The page kept held an older login's token: the sync must get a fresh one.
        page.evaluate(
            "() => document.querySelectorAll('input[name=csrf_token]')"
            ".forEach(i => { i.value = 'jeton-perime'; })"
        )
        # A session never opened on this device is not there without network: the page
        # above came from the device's copy, not from a network the worker still had.
        with pytest.raises(Exception, match="net::ERR_"):
            page.context.new_page().goto(
                live_server(f"/partenaire/controle?seance={door.sessions[1]}")
            )
    finally:
        page.context.set_offline(False)

    expect(page.locator("#door-offline")).to_be_hidden(timeout=SYNC_TIMEOUT_MS)
    assert _used(live_server, offline_show.secrets[0]) is not None
    with live_server.app.app_context():
        assert (
            session().scalar(select(func.count(DoorScan.id)).where(DoorScan.session_id == sid)) == 1
        )
    expect(page.locator("#control-count")).to_contain_text("1 entré / 4 attendus")
    token = page.evaluate("() => document.querySelector('input[name=csrf_token]').value")
    assert token != "jeton-perime"


def test_a_partners_logout_empties_the_devices_copy(
    offline_show: Offline, partner_page: Page, live_server: Any
) -> None:
    page = partner_page
    _control(page, live_server, offline_show.session_id)
    _controlled(page)
    assert page.evaluate("() => caches.keys()") != []
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_label("Adresse e-mail")).to_be_visible()
    # The browser applies Clear-Site-Data before it shows the logout's answer.
    assert page.evaluate("() => caches.keys()") == []
    assert page.evaluate("() => Object.keys(localStorage)") == []
    assert (
        page.evaluate("() => navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    )
    # Logged out and offline: the control page is gone from this device.
    page.context.set_offline(True)
    try:
        with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
            page.goto(live_server(f"/partenaire/controle?seance={offline_show.session_id}"))
    finally:
        page.context.set_offline(False)


def test_the_worker_is_not_served_without_a_partners_login(
    door: Door, browser_page: Page, live_server: Any
) -> None:
    page = browser_page
    page.goto(live_server("/connexion"))
    response = page.goto(live_server("/partenaire/controle/sw.js"))
    assert response is not None
    assert "self.addEventListener" not in page.content()
    registered = page.evaluate(
        """(url) => navigator.serviceWorker.register(url, {scope: '/partenaire/controle'})
             .then(() => 'registered', e => 'refused: ' + e.name)""",
        live_server("/partenaire/controle/sw.js"),
    )
    assert registered.startswith("refused")


def test_a_logout_sends_the_queue_first_and_asks_before_losing_scans(
    offline_show: Offline, _browser: Browser, live_server: Any
) -> None:
    """The logout empties the device: scans the store did not take are not lost unasked."""
    context = _browser.new_context(locale="fr-FR", service_workers="block")  # routes seen
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        page = context.new_page()
        _login_staff(page, live_server)
        _control(page, live_server, offline_show.session_id)
        context.set_offline(True)
        _type(page, offline_show.secrets[1])
        expect(page.locator("#door-offline")).to_have_text("Hors ligne — 1 scan en attente")
        page.route("**/synchro", lambda route: route.fulfill(status=503, body="indisponible"))
        context.set_offline(False)
        asked: list[str] = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.get_by_role("button", name="Se déconnecter").click()
        for _ in range(50):  # the page tries to send the queue, then asks
            if asked:
                break
            page.wait_for_timeout(100)
        assert asked == ["1 scan non envoyé sera perdu. Se déconnecter quand même ?"]
        expect(page.get_by_text("Séance contrôlée")).to_be_visible()  # not logged out
        assert _used(live_server, offline_show.secrets[1]) is None

        page.unroute("**/synchro")
        page.get_by_role("button", name="Se déconnecter").click()
        expect(page.get_by_label("Adresse e-mail")).to_be_visible()
        assert _used(live_server, offline_show.secrets[1]) is not None
    finally:
        context.close()
