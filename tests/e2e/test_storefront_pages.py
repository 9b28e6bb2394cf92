"""Issue 21 in a real browser: a whole purchase with the keyboard alone in at most 30 Tab
presses, a session chosen without reloading the page, the checkout's error summary taking
the focus, and the phone layout (header menu, folded filters, long queries) at 320 and
360 px (RULES.md §12, WCAG 2.1 AA: 2.1.1 keyboard, 2.4.1 bypass blocks, 3.3.1 errors,
1.4.10 reflow)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from catalog.models import OfferSession
from shop.db import unit_of_work
from tests.e2e.helpers import Effort, login, measure, seed_agent, seed_offer
from tests.e2e.layout import assert_fits
from tests.factories import stay_fields

pytestmark = pytest.mark.e2e

TAB_BUDGET = 30  # issue 21: « at most 30 Tab presses for one item (today 87) »


class Tabs:
    """Tab presses (and Shift+Tab) counted, each one pressed for real."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def press(self, key: str = "Tab") -> None:
        self.count += 1
        self.page.keyboard.press(key)

    def to(self, selector: str, limit: int = 15) -> None:
        """Tab until the focused element matches ``selector`` (no Tab if it does already);
        fails past ``limit``."""
        for _ in range(limit):
            if self._focused(selector):
                return
            self.press()
        if self._focused(selector):
            return
        focused = self.page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
        raise AssertionError(f"{selector} not reached in {limit} Tabs; focus on {focused}")

    def _focused(self, selector: str) -> bool:
        return self.page.evaluate("(s) => document.activeElement.matches(s)", selector)

    def skip_to_content(self) -> None:
        """The first Tab stop of every page is « Aller au contenu » (WCAG 2.4.1)."""
        self.press()
        if self._focused(".skip-link"):
            self.page.keyboard.press("Enter")
        # Else the page opened at #contenu already (a redirect keeps the address's
        # fragment): the Tab went straight into the content.


def _tour(live_server: Any, title: str) -> int:
    """A touring show: Lyon in 5 days (no courrier: under 10 days, R-CAT-6), Paris in
    40 days."""
    soon = (datetime.now() + timedelta(days=5)).replace(hour=18, minute=30, second=0)
    later = (datetime.now() + timedelta(days=40)).replace(hour=19, minute=0, second=0)
    offer = seed_offer(
        live_server,
        sessions=[(soon, 40), (later, 40)],
        kind="billet_date",
        category="spectacles",
        title=title,
        summary="Ballet",
        venue="Opéra",
        city="Lyon",
        public_price_cents=5900,
        negotiated_price_cents=5200,
        cgos_price_cents=3500,
        deliveries=("e_billet", "courrier"),
    )
    with live_server.app.app_context(), unit_of_work() as s:
        paris = s.scalars(
            select(OfferSession).where(OfferSession.offer_id == offer).order_by(OfferSession.id)
        ).all()[1]
        paris.venue, paris.city = "Dôme de la Porte Maillot", "Paris"
    return offer


def test_a_whole_purchase_with_the_keyboard_alone_in_at_most_30_tabs(
    live_server: Any, browser_page: Page, effort_log: dict[str, Effort]
) -> None:
    """From the home page to a paid order: Tab, Enter, Space, the arrows and typing only,
    no click. The skip link, the session list as one radio group and the total with
    « Finaliser ma commande » before the cart's lines are what keep it short."""
    number = seed_agent(live_server)
    _tour(live_server, "Casse-Noisette en tournée")
    page = browser_page
    login(page, live_server, number)
    effort = measure(page, effort_log, "agent: keyboard purchase of one ticket")
    tabs = Tabs(page)

    # Home: the search field, a title, Enter.
    tabs.skip_to_content()
    tabs.to("#q")
    page.keyboard.type("casse-noisette")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("casse-noisette")
    home_to_results = tabs.count

    # Results: the filters are folded, the first card comes next.
    tabs.skip_to_content()
    tabs.to(".offer-card a")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Casse-Noisette en tournée")).to_be_visible()
    results = tabs.count - home_to_results

    # Offer: one Tab into the sessions, an arrow to the Paris one; the delivery modes follow
    # it (courrier is open for Paris only); the quantity, Enter.
    tabs.skip_to_content()
    tabs.to("input[name=session_id]")
    page.keyboard.press("ArrowDown")
    paris = page.locator(".session-list li").nth(1)
    expect(paris.locator("input")).to_be_checked()
    expect(paris).to_contain_text("Dôme de la Porte Maillot, Paris")
    tabs.to("input[name=delivery]")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Courrier", exact=True)).to_be_checked()
    tabs.to("#quantite")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Mon panier")).to_be_visible()
    offer = tabs.count - home_to_results - results

    # Cart: « Finaliser ma commande » right after the skip link.
    tabs.skip_to_content()
    tabs.to(".cart-summary a")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Finaliser ma commande")).to_be_visible()

    # Checkout: the e-mail is the dossier's; the CGV, the card, confirm.
    tabs.skip_to_content()
    tabs.to("#accept_cgv")
    page.keyboard.press("Space")
    tabs.to("input[name=payment_method]")
    page.keyboard.press("Space")
    expect(page.get_by_label("Carte bancaire")).to_be_checked()
    tabs.to("button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("démonstration")

    # The demonstration card page: pay.
    tabs.skip_to_content()
    tabs.to("button[value=succeed]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Payée").first).to_be_visible()
    expect(page.get_by_text("Casse-Noisette en tournée").first).to_be_visible()

    print(
        f"\nkeyboard purchase: {tabs.count} Tabs (home {home_to_results}, results "
        f"{results}, offer {offer}), {effort.keys} keys, {effort.loads} page loads"
    )
    assert tabs.count <= TAB_BUDGET, f"{tabs.count} Tab presses"


def test_a_session_is_chosen_without_reloading_the_page(
    live_server: Any, browser_page: Page
) -> None:
    """The calendar filters the list and the delivery modes follow the chosen session,
    all without a page load (js/sessions.js); the cart gets the session chosen."""
    number = seed_agent(live_server)
    offer = _tour(live_server, "Giselle en tournée")
    page = browser_page
    login(page, live_server, number)
    page.goto(live_server(f"/offre/{offer}"))
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))

    sessions = page.locator(".session-list li")
    expect(sessions).to_have_count(2)
    expect(sessions.nth(0)).to_contain_text("Opéra, Lyon")
    expect(sessions.nth(1)).to_contain_text("Dôme de la Porte Maillot, Paris")
    expect(sessions.nth(0)).to_contain_text("Livraison possible : E-billet")
    expect(page.get_by_role("group", name="Mode de livraison")).to_be_visible()
    courrier = page.get_by_label("Courrier", exact=True)

    page.get_by_label("Opéra").check()  # Lyon, in 5 days: no courrier
    expect(courrier).to_be_disabled()
    expect(page.get_by_label("E-billet", exact=True)).to_be_checked()
    sessions.nth(1).locator("input").check()  # Paris, in 40 days
    expect(courrier).to_be_enabled()
    courrier.check()

    # The calendar as a filter: a day hides the other days' sessions, « Toutes les dates »
    # shows them again.
    page.get_by_text("Filtrer par date (calendrier)").click()
    page.locator(".calendar td.has-session a").first.click()
    expect(sessions.nth(0)).to_be_visible()
    expect(sessions.nth(1)).to_be_hidden()
    expect(page.locator(".session-choice legend")).to_contain_text("Séance du")
    page.get_by_role("link", name="Toutes les dates").click()
    expect(sessions.nth(1)).to_be_visible()
    assert loads == [], loads

    sessions.nth(1).locator("input").check()
    courrier.check()
    page.get_by_role("button", name="Ajouter au panier").click()
    expect(page.get_by_role("heading", level=1, name="Mon panier")).to_be_visible()
    expect(page.locator(".cart-line")).to_contain_text("Dôme de la Porte Maillot, Paris")


def test_the_checkout_lists_every_error_and_the_summary_takes_the_focus(
    live_server: Any, browser_page: Page
) -> None:
    """GOV.UK's error summary: one submit, every error, the focus on the summary, each
    message a link to its field; an empty e-mail asks for one."""
    number = seed_agent(live_server)
    seed_offer(
        live_server,
        kind="billet_ouvert",
        category="parcs-et-loisirs",
        title="Parc des Volcans",
        public_price_cents=3000,
        negotiated_price_cents=2500,
        cgos_price_cents=1800,
        deliveries=("e_billet",),
        stock=100,
    )
    page = browser_page
    login(page, live_server, number)
    page.get_by_label("Rechercher un spectacle, un parc, une carte…").fill("volcans")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Parc des Volcans").click()
    page.get_by_role("button", name="Ajouter au panier").click()
    page.get_by_role("link", name="Finaliser ma commande").first.click()
    page.get_by_label("E-mail de confirmation et des e-billets").fill("")
    page.get_by_role("button", name="Confirmer ma commande").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("3 points à corriger")
    links = summary.get_by_role("link")
    expect(links).to_have_text(
        [
            "Saisissez votre adresse e-mail.",
            "Acceptez les conditions générales de vente pour commander.",
            "Choisissez un moyen de paiement : carte bancaire ou chèque.",
        ]
    )
    page.keyboard.press("Tab")
    expect(links.first).to_be_focused()
    expect(page.locator("#email-erreur")).to_have_text("Saisissez votre adresse e-mail.")


@pytest.mark.parametrize("width", [320, 360])
def test_phone_header_menu_folded_filters_and_long_queries(
    live_server: Any, browser_page: Page, width: int
) -> None:
    """At 320 and 360 px: the header is one line with « Menu », which opens the account
    links (Escape closes it); the listing's filters are behind « Filtrer »; a 300-letter
    query wraps; the offer, the cart and the checkout fit."""
    number = seed_agent(live_server)
    offer = _tour(live_server, f"Coppélia en tournée ({width} px)")
    page = browser_page
    page.set_viewport_size({"width": width, "height": 740})
    login(page, live_server, number)

    header = page.locator(".site-header")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.get_by_role("link", name="Mes commandes")).to_be_hidden()
    assert header.bounding_box()["height"] <= 80, header.bounding_box()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Mes commandes")).to_be_visible()
    assert_fits(page, f"header menu open at {width} px")
    page.keyboard.press("Escape")
    expect(menu).to_be_focused()
    expect(page.get_by_role("link", name="Mes commandes")).to_be_hidden()

    page.goto(live_server("/categorie/spectacles"))
    expect(page.get_by_label("Catégorie")).to_have_count(0)  # a category's own listing
    expect(page.get_by_label("Trier par")).to_be_hidden()
    expect(page.get_by_text("Filtrer", exact=True)).to_be_visible()
    card = page.locator(".offer-card a").first
    assert card.bounding_box()["y"] < 740, "the first result is on the first screen"
    assert_fits(page, f"listing at {width} px")
    page.get_by_text("Filtrer", exact=True).click()
    expect(page.get_by_label("Trier par")).to_be_visible()

    page.goto(live_server("/recherche?q=" + "a" * 300))
    assert_fits(page, f"a long query at {width} px")

    page.goto(live_server(f"/offre/{offer}"))
    assert_fits(page, f"offer at {width} px")
    page.locator(".session-list input[name=session_id]").nth(1).check()
    page.get_by_role("button", name="Ajouter au panier").click()
    expect(page.get_by_role("heading", level=1, name="Mon panier")).to_be_visible()
    finalise = page.locator(".cart-summary").get_by_role("link", name="Finaliser ma commande")
    assert finalise.bounding_box()["y"] < 740, "« Finaliser ma commande » on the first screen"
    assert_fits(page, f"cart at {width} px")
    finalise.click()
    page.get_by_role("button", name="Confirmer ma commande").click()
    expect(page.locator(".error-summary")).to_be_focused()
    assert_fits(page, f"checkout with errors at {width} px")


@pytest.fixture
def page_without_script(_browser: Any) -> Any:
    """A page whose scripts never run: the store's progressive enhancement's floor."""
    context = _browser.new_context(locale="fr-FR", java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_without_script_the_session_list_still_sells(
    live_server: Any, page_without_script: Page
) -> None:
    """No script: the header shows its links, the calendar's days filter on the server,
    the session is a radio of the form, and a mode the session lacks is refused beside its
    field (R-CAT-6) with the choice kept."""
    number = seed_agent(live_server)
    offer = _tour(live_server, "Don Quichotte en tournée")
    page = page_without_script
    login(page, live_server, number)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("link", name="Mes commandes")).to_be_visible()
    page.goto(live_server(f"/offre/{offer}"))
    page.get_by_text("Filtrer par date (calendrier)").click()
    page.locator(".calendar td.has-session a").nth(1).click()  # the Paris day: a reload
    re_jour = re.compile(r"jour=")
    expect(page).to_have_url(re_jour)
    sessions = page.locator(".session-list li")
    expect(sessions.nth(0)).to_be_hidden()
    expect(sessions.nth(1).locator("input")).to_be_checked()  # the day's only session
    page.get_by_role("link", name="Toutes les dates").click()
    expect(page).not_to_have_url(re_jour)
    sessions.nth(0).locator("input").check()  # Lyon, in 5 days: no courrier
    page.get_by_label("Courrier", exact=True).check()
    page.get_by_role("button", name="Ajouter au panier").click()
    expect(page.locator(".delivery-choice .error")).to_have_text(
        "Choisissez un mode de livraison proposé."
    )
    expect(sessions.nth(0).locator("input")).to_be_checked()
    page.get_by_label("E-billet", exact=True).check()
    page.get_by_role("button", name="Ajouter au panier").click()
    expect(page.get_by_role("heading", level=1, name="Mon panier")).to_be_visible()
    expect(page.locator(".cart-line")).to_contain_text("Opéra, Lyon")


@pytest.mark.parametrize("width", [320, 360, 1280])
def test_stay_checkboxes_sit_beside_their_labels(
    live_server: Any, browser_page: Page, width: int
) -> None:
    """« Enfants qui partent »: each box at its own size, on the line of its child's name
    (it used to be a 30rem-wide empty field, the name far to its right or under it)."""
    year = datetime.now().year
    number = seed_agent(
        live_server,
        children=[
            {"prenom": "Léa", "birth_date": f"{year - 9}-03-14", "fiscal_status": "a_charge"}
        ],
    )
    stay = seed_offer(live_server, **stay_fields(title=f"Village vacances ({width} px)"))
    page = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    login(page, live_server, number)
    page.goto(live_server(f"/offre/{stay}"))
    box = page.locator(".checkbox input[type=checkbox]").first.bounding_box()
    label = page.locator(".checkbox label").first.bounding_box()
    assert box["width"] <= 32, box
    assert label["x"] - (box["x"] + box["width"]) <= 16, (box, label)  # right beside it
    assert box["y"] < label["y"] + label["height"] and label["y"] < box["y"] + box["height"]
    assert_fits(page, f"stay booking at {width} px")
