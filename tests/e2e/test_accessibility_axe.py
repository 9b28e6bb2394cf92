"""Issue 21, RULES.md §12 « accessible »: axe-core finds no violation on any page an agent
sees, at 1280 px and on a 360 px phone.

The rules are axe's WCAG 2.0 and 2.1 levels A and AA plus its best practices, run by
axe-core itself (npm ``axe-core``, vendored under ``tests/e2e/vendor/axe-core``: a test
tool, never shipped nor loaded by the store). It is served to the browser on the store's
own origin by a Playwright route, so the pages keep the Content-Security-Policy they are
served with (``script-src 'self'``) and axe judges them as an agent's browser shows them.

Pages are not sampled: every GET rule of ``app.url_map`` an agent can reach (``agent.*``
and the ``public.*`` pages of the agent's store) must be checked here, or be named in
``NOT_HTML`` (fetched, and its type checked) or ``NOT_THE_AGENT_S`` with the reason. A
new agent page that nobody added to ``_pages`` fails ``test_every_agent_page_is_checked``.

The data is the demonstration's (``flask seed-demo``: dated shows, a sold-out session,
stays, magazines…) with one agent who has a paid card order with e-billets, a cheque
order, a card order awaiting payment, a Prix mini pre-registration, a message to support
and a cart holding a show, a magazine and a stay; every ``<details>`` is opened before
axe runs, so what it hides is checked too.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, Route, expect
from werkzeug.exceptions import HTTPException

from tests.e2e.helpers import CODE, Admin
from tests.production import seed as shop
from tests.production.client import Browser, forms_of, submit

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"
AXE_SHA256 = "KTSJmUUM3yhJqOcLeRL8LahahJ2jnA0NU5T1HUqe2Vw="  # README.txt, sri-history.json
AXE_URL_PATH = "/__axe__/axe.min.js"  # answered by the test's route, never by the store
TIMEOUT_MS = 10_000  # as the other browser tests
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

# Width → height of the windows checked: a laptop and the common small phone (the
# phone layout test goes down to 320 px for reflow).
WINDOWS = {1280: 800, 360: 740}

AGENT = "12345678A"  # Marie Dupont of the demonstration: rights open, a household
EMPTY_CART = "34567890D"  # Karim Benali: rights open, nothing bought
CLOSED = "45678901E"  # Julie Leroy: rights expired, the store's « Vous ne pouvez pas
# commander » notice on every page

# GET rules an agent reaches that are not HTML pages: the type each answers (checked).
NOT_HTML: dict[str, str] = {
    "agent.catalog.picture": "image/",
    "agent.catalog.picture_size": "image/",
    "agent.my_orders.all_tickets_pdf": "application/pdf",
    "agent.my_orders.ticket_pdf": "application/pdf",
    "agent.my_orders.receipt_pdf": "application/pdf",
    "agent.my_orders.stay_voucher": "application/pdf",
    "agent.my_orders.agenda_ics": "text/calendar",
}
# GET rules outside the agent's store, by endpoint or endpoint prefix, and why.
NOT_THE_AGENT_S: dict[str, str] = {
    "ops.": "the back office (operators and administrators)",
    "partner.": "the partners' space",
    "public.api.": "the partners' JSON API",
    "public.auth.staff_": "the back office's login (staff only)",
    "public.staff_account.": "staff accounts' settings (back office)",
    "public.pages.dev_outbox": "a developer's tool, served only without MAIL_SERVER",
    "public.pages.health": "the JSON health check for monitoring",
    "static": "stylesheets and scripts, checked through the pages that use them",
}


def _not_the_agent_s(endpoint: str) -> bool:
    return any(
        endpoint == key or (key.endswith(("_", ".")) and endpoint.startswith(key))
        for key in NOT_THE_AGENT_S
    )


def agent_pages(url_map: Any) -> set[str]:
    """Every GET endpoint of the agent's store (``agent.*`` and public pages)."""
    return {
        rule.endpoint
        for rule in url_map.iter_rules()
        if "GET" in rule.methods and not _not_the_agent_s(rule.endpoint)
    }


# ---------------------------------------------------------------------------------------
# The data: the demonstration, and what one agent bought through the store's own forms.


@dataclass
class World:
    orders: dict[str, str]  # paid (card, e-billets), cheque, unpaid (card, not yet paid)
    eticket_pdf: str  # the paid order's first e-billet
    picture: str  # an offer picture
    message: int  # the agent's message to support
    offers: dict[str, str]  # page name → offer page path (with ?jour / ?seance)
    payment_link: str  # the unpaid order's payment link
    code_request: tuple[str, str]  # the agent's birth year and month (« Code oublié »)
    alert_form: str  # « Prévenez-moi » for a sold-out session
    alert_link: str  # the mailed link holding a seat that came back
    withdrawal: str  # « Me rétracter » for the e-card's line


def _seed(live_server: Any) -> World:
    from sqlalchemy import select

    from catalog.models import Offer, OfferPicture, OfferSession
    from catalog.services import add_picture
    from demo.seed import demo_agents, seed
    from orders.models import ETicket, Order, OrderLine
    from shop import clock
    from shop.db import session

    app = live_server.app
    with app.app_context():
        seed()
        from auth.services import issue_access_code

        for number in (AGENT, EMPTY_CART, CLOSED):
            issue_access_code(number, actor="test", send=False, code=CODE)
        record = next(r for r, _ in demo_agents(clock.today()) if r.cgos_number == AGENT)
        birth = (str(record.birth_date.year), str(record.birth_date.month))

    def offer(title_start: str) -> int:
        return shop.offer_id(app, title_start)

    show = offer("Le Lac des cygnes")
    with app.app_context():
        magazine = session().scalar(
            select(Offer.id).where(Offer.kind == "abonnement").order_by(Offer.id)
        )
        if session().scalar(select(OfferPicture.id).limit(1)) is None:  # cards with a picture
            add_picture(show, _poster(), "Affiche du Lac des cygnes", actor=Admin())
    browser = Browser(live_server.url, "127.0.0.1")
    form = shop.form_to(browser, "/connexion")
    assert submit(browser, form, cgos_number=AGENT, access_code=CODE).status_code == 302

    orders: dict[str, str] = {}
    assert shop.add_to_cart(browser, show, "e_billet") == 302
    orders["paid"] = shop.checkout(browser, method="card")
    orders["cheque"] = shop.checkout_one(browser, offer("E-billet CinéRéseau"), method="cheque")
    orders["unpaid"] = shop.checkout_one(
        browser, offer("E-billet CinéRéseau"), method="card", pay=False
    )
    # An e-card sent by e-mail: delivered at payment, so « Me rétracter » applies.
    assert shop.add_to_cart(browser, offer("Carte cadeau Maison"), "email") == 302
    orders["withdrawable"] = shop.checkout(browser, method="card")
    message = shop.write_to_support(browser)
    shop.pre_register(browser, app)

    # The cart: a show's session, a magazine, a stay (its booking form's defaults).
    assert shop.add_to_cart(browser, show, "e_billet") == 302
    assert shop.add_to_cart(browser, magazine, "poste") == 302
    with app.app_context():
        stays = list(session().scalars(select(Offer.id).where(Offer.kind == "sejour")))
        sold_out = list(
            session().execute(
                select(OfferSession.offer_id, OfferSession.id)
                .where(OfferSession.stock == 0)
                .order_by(OfferSession.id)
            )
        )
        by_kind = list(session().execute(select(Offer.kind, Offer.id).order_by(Offer.id)))
        paid = session().scalar(select(Order).where(Order.number == orders["paid"]))
        ticket = session().scalar(
            select(ETicket.id).where(ETicket.order_id == paid.id).order_by(ETicket.id)
        )
        assert ticket is not None, "the paid order has e-billets"
    payment_link = _phone_order_link(app, shop.offer_id(app, "E-billet CinéRéseau"))
    with app.app_context():
        picture = session().scalar(select(OfferPicture.id).order_by(OfferPicture.id))
        first_session = session().scalar(
            select(OfferSession)
            .where(OfferSession.offer_id == show, OfferSession.stock > 0)
            .order_by(OfferSession.starts_at)
        )
    booked = None
    for stay in stays:
        path = f"/offre/{stay}"
        forms = [f for f in forms_of(browser.get(path).text, path) if "/reserver" in f.action]
        if forms:
            assert submit(browser, forms[0]).status_code == 302, path
            booked = path
            break
    assert booked, f"no stay of the demonstration takes a booking: {stays}"
    with app.app_context():
        from vacations.models import PrixMiniRegistration

        prix_mini = session().scalar(select(PrixMiniRegistration.offer_id))

    shown = [
        (o, i) for o, i in sold_out if browser.get(f"/offre/{o}?seance={i}").status_code == 200
    ]
    assert shown, f"no sold-out session of the demonstration shown to {AGENT}: {sold_out}"
    sold_out_page = f"/offre/{shown[0][0]}?seance={shown[0][1]}"
    alert_form, alert_link = _alert(app, browser, *shown[0])
    with app.app_context():
        withdrawable = session().scalar(
            select(OrderLine.id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.number == orders["withdrawable"])
        )
    day = first_session.starts_at.date().isoformat()  # naive UTC; evening: same Paris day
    offers = {
        "spectacle (calendrier)": f"/offre/{show}",
        "spectacle, un jour choisi": f"/offre/{show}?jour={day}",
        "spectacle, une séance choisie": f"/offre/{show}?seance={first_session.id}",
        "séance complète": sold_out_page,
        "séjour (réservation)": booked,
        "séjour Prix mini (préinscrit)": f"/offre/{prix_mini}",
    }
    for kind, oid in by_kind:  # the first offer of every kind that the agent may see
        if (
            f"offre de type {kind}" not in offers
            and browser.get(f"/offre/{oid}").status_code == 200
        ):
            offers[f"offre de type {kind}"] = f"/offre/{oid}"
    kinds = {kind for kind, _ in by_kind}
    assert all(f"offre de type {k}" in offers for k in kinds), (kinds, offers)
    return World(
        orders=orders,
        eticket_pdf=f"/mes-commandes/{orders['paid']}/e-billets/{ticket}.pdf",
        picture=f"/images/{picture}",
        message=message,
        offers=offers,
        payment_link=payment_link,
        code_request=birth,
        alert_form=alert_form,
        alert_link=alert_link,
        withdrawal=f"/mes-commandes/{orders['withdrawable']}/retractation/{withdrawable}",
    )


def _alert(app: Any, browser: Browser, offer_id: int, session_id: int) -> tuple[str, str]:
    """« Prévenez-moi » on a sold-out session, then one seat back: the form's path and
    the mailed link that holds the seat (R-AGT-2)."""
    import re

    from sqlalchemy import select

    from catalog.models import OfferSession
    from orders import alerts
    from shop.db import session, unit_of_work
    from shop.mail import OutboxMail

    path = f"/mes-alertes/nouvelle/{offer_id}?seance={session_id}"
    page = browser.get(path)
    assert page.status_code == 200, (path, page.status_code)
    form = next(f for f in forms_of(page.text, path) if "/mes-alertes/nouvelle/" in f.action)
    assert submit(browser, form, quantity="1").status_code == 302
    with app.app_context():
        with unit_of_work() as s:
            s.get(OfferSession, session_id).stock = 1
        alerts.serve_alerts()
        mail = session().scalar(
            select(OutboxMail)
            .where(OutboxMail.kind == "orders/seat_alert_held")
            .order_by(OutboxMail.id.desc())
        )
    link = re.search(r"https?://\S+(/mes-alertes/\S+)", mail.body_text)
    assert link, mail.body_text
    return path, link.group(1)


def _poster() -> bytes:
    """A plain 16:9 PNG, the size of a card's picture."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 360), (30, 80, 130)).save(out, format="PNG")
    return out.getvalue()


def _phone_order_link(app: Any, offer_id: int) -> str:
    """A card order taken by phone for the agent (R-OPS-9) and the payment link mailed to
    them (R-PAY-5): the page the agent opens without logging in."""
    from dataclasses import replace

    from auth.principals import agent_user
    from members.dossiers import dossier_source
    from orders import cart as carts
    from orders.phone import issue_payment_link
    from orders.services import Contact, place_order

    with app.test_request_context():  # the mail's link is built with url_for
        record = dossier_source().get(AGENT)
        agent = replace(agent_user(record), basket="staff:axe")
        carts.add_to_cart(agent, offer_id, quantity=1, delivery="e_billet")
        order = place_order(
            agent,
            payment_method="card",
            contact=Contact(email=record.email or "", accept_cgv=True),
            expected_total_cents=carts.view_cart(agent).priced.total_cents,
            checkout_token="axe-phone-order",
            actor=Admin(),
            channel="phone",
        )
        return urlsplit(issue_payment_link(order.id, Admin())).path


@pytest.fixture(scope="module")
def world(live_server: Any) -> World:
    return _seed(live_server)


# ---------------------------------------------------------------------------------------
# axe in the page.


@dataclass
class Finding:
    page: str
    url: str
    rule: str
    impact: str
    help: str
    help_url: str
    targets: list[str]


@dataclass
class Checker:
    page: Page
    live_server: Any
    width: int
    findings: list[Finding] = field(default_factory=list)
    seen: dict[str, list[str]] = field(default_factory=dict)  # endpoint → page names

    def check(self, name: str, expected_path: str | None = None) -> None:
        """Run axe on the page shown now, which must be ``expected_path`` (no redirect to
        the login page or elsewhere: the page named is really the one checked)."""
        page = self.page
        page.wait_for_load_state("load")
        path = urlsplit(page.url).path + (
            f"?{urlsplit(page.url).query}" if urlsplit(page.url).query else ""
        )
        if expected_path is not None:
            assert path == expected_path, f"{name}: expected {expected_path}, shown {path}"
        adapter = self.live_server.app.url_map.bind("127.0.0.1")
        try:
            endpoint, _ = adapter.match(urlsplit(page.url).path, method="GET")
        except HTTPException:
            endpoint = f"(no GET rule: {urlsplit(page.url).path})"
        self.seen.setdefault(endpoint, []).append(name)
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=self.live_server(AXE_URL_PATH))
        version = page.evaluate("window.axe.version")
        assert version == AXE_VERSION, version
        result = page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})",
            AXE_TAGS,
        )
        for v in result["violations"]:
            self.findings.append(
                Finding(
                    page=name,
                    url=path,
                    rule=v["id"],
                    impact=v.get("impact") or "",
                    help=v["help"],
                    help_url=v["helpUrl"],
                    targets=[
                        f"{' '.join(map(str, n['target']))}  {' '.join(n['html'].split())[:160]}"
                        for n in v["nodes"]
                    ],
                )
            )

    def visit(self, name: str, path: str, status: int = 200) -> None:
        response = self.page.goto(self.live_server(path))
        assert response is not None, (name, path)
        assert response.status == status, f"{name} {path}: {response.status}, not {status}"
        self.check(name, path)

    def report(self) -> str:
        lines = [
            f"axe-core {AXE_VERSION} ({', '.join(AXE_TAGS)}) at {self.width} px: "
            f"{len(self.findings)} violation(s) on "
            f"{len({f.url for f in self.findings})} page(s)"
        ]
        for f in self.findings:
            lines.append(f"- [{f.impact}] {f.rule} on « {f.page} » {f.url}: {f.help}")
            lines.append(f"    {f.help_url}")
            lines += [f"    node: {t}" for t in f.targets[:10]]
            if len(f.targets) > 10:
                lines.append(f"    … and {len(f.targets) - 10} more node(s)")
        return "\n".join(lines)


def _serve_axe(route: Route) -> None:
    route.fulfill(status=200, content_type="text/javascript", body=AXE.read_bytes())


@pytest.fixture
def window(_browser: Chromium, request: pytest.FixtureRequest) -> Iterator[Callable[[], Page]]:
    """New French contexts (no cookies) at the width under test, axe served on the
    store's origin by the route."""
    contexts: list[Any] = []
    width = request.param

    def new_page() -> Page:
        context = _browser.new_context(
            locale="fr-FR", viewport={"width": width, "height": WINDOWS[width]}
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.route(f"**{AXE_URL_PATH}", _serve_axe)
        contexts.append(context)
        return context.new_page()

    try:
        yield new_page
    finally:
        for context in contexts:
            context.close()


def _login(page: Page, live_server: Any, number: str) -> None:
    page.goto(live_server("/connexion"))
    page.get_by_label("N° C.G.O.S").fill(number)
    page.get_by_label("Code d'accès prestataires").fill(CODE)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("h1")).to_contain_text("Bonjour")


def _submit_form(page: Page, action_ends_with: str) -> None:
    """Send the page's POST form whose action ends so, as it stands (nothing filled in):
    the store must answer with its French errors, which axe then checks with the page."""
    form = page.locator(f"main form[method=post][action$='{action_ends_with}']")
    if form.count() == 0:  # a form posting to its own page has no action, or an empty one
        form = page.locator("main form[method=post]:not([action]), main form[action='']")
    with page.expect_navigation():
        form.first.locator("[type=submit]").last.click()
    expect(page.locator(".error-summary, .error").first).to_be_visible()


def _pages(checker: Checker, world: World, new_page: Callable[[], Page]) -> None:
    """Every page an agent sees, each checked by axe at the window's width."""
    live_server, page = checker.live_server, checker.page

    # Logged out: login, its errors, « Code oublié » in two steps, the payment link, help.
    checker.visit("connexion", "/connexion")
    _submit_form(page, "/connexion")
    checker.check("connexion, erreurs", "/connexion")
    checker.visit("code oublié, étape 1", "/code-acces")
    _submit_form(page, "/code-acces")
    checker.check("code oublié, erreurs", "/code-acces")
    page.get_by_label("N° C.G.O.S").fill(AGENT)
    page.get_by_label("Année de naissance").fill(world.code_request[0])
    page.get_by_label("Mois de naissance").select_option(world.code_request[1])
    with page.expect_navigation():
        page.locator("main form [type=submit]").last.click()
    checker.check("code oublié, étape 2 (adresse)", "/code-acces/adresse")
    checker.visit("lien de paiement", world.payment_link)
    checker.visit("lien de paiement inconnu", "/paiement/lien/lien-inconnu", 410)
    checker.visit("aide, déconnecté", "/aide")  # the header of a visitor not logged in

    _login(page, live_server, AGENT)
    checker.check("accueil", "/")
    from catalog.categories import CATEGORIES

    for category in CATEGORIES:
        checker.visit(f"catégorie {category.name}", f"/categorie/{category.slug}")
    checker.visit("recherche", "/recherche")
    checker.visit("recherche « concert »", "/recherche?q=concert")
    checker.visit("recherche sans résultat", "/recherche?q=introuvable-xyz")
    checker.visit("recherche, erreurs", "/recherche?du=demain&au=hier")
    expect(page.locator(".error").first).to_be_visible()
    checker.visit("recherche, page 2", "/recherche?page=2")
    for name, path in world.offers.items():
        checker.visit(name, path)
    checker.visit("offre inconnue (404)", "/offre/2147483000", 404)

    checker.visit("panier", "/panier/")
    checker.visit("finaliser ma commande", "/commande/")
    _submit_form(page, "/commande/")
    checker.check("finaliser ma commande, erreurs", "/commande/")
    for kind, number in world.orders.items():
        checker.visit(f"confirmation ({kind})", f"/commande/{number}")
    checker.visit("paiement (démonstration)", f"/commande/{world.orders['unpaid']}/paiement-demo")
    checker.visit("mes commandes", "/mes-commandes/")
    for kind, number in world.orders.items():
        checker.visit(f"commande ({kind})", f"/mes-commandes/{number}")
    checker.visit("mes préinscriptions", "/sejours/mes-preinscriptions")
    checker.visit("mon espace", "/mon-espace/")
    checker.visit("prévenez-moi", world.alert_form)
    checker.visit("mes alertes", "/mes-alertes/")
    checker.visit("places retenues (lien du courriel)", world.alert_link)
    checker.visit("annuler mon option", f"/mes-commandes/{world.orders['cheque']}/annuler-option")
    checker.visit("me rétracter", world.withdrawal)
    checker.visit("nous contacter", "/nous-contacter/")
    _submit_form(page, "/nous-contacter/")
    checker.check("nous contacter, erreurs", "/nous-contacter/")
    checker.visit("message envoyé", f"/nous-contacter/{world.message}/envoye")
    for name, path in [
        ("aide", "/aide"),
        ("CGV", "/cgv"),
        ("mentions légales", "/mentions-legales"),
        ("données personnelles", "/donnees-personnelles"),
        ("déclaration d'accessibilité", "/accessibilite"),
    ]:
        checker.visit(name, path)

    # Another agent, nothing in the cart: the empty cart and the empty checkout.
    empty = Checker(new_page(), live_server, checker.width, checker.findings, checker.seen)
    _login(empty.page, live_server, EMPTY_CART)
    empty.visit("panier vide", "/panier/")
    empty.page.goto(live_server("/commande/"))
    empty.check("finaliser ma commande, panier vide (renvoyé au panier)", "/panier/")

    # An agent whose rights are closed: the notice above every page.
    closed = Checker(new_page(), live_server, checker.width, checker.findings, checker.seen)
    _login(closed.page, live_server, CLOSED)
    closed.check("accueil, droits fermés", "/")
    closed.visit("offre, droits fermés", world.offers["spectacle (calendrier)"])


@pytest.mark.parametrize("window", list(WINDOWS), indirect=True, ids=lambda w: f"{w}px")
def test_s12_no_axe_violation_on_agent_pages(
    live_server: Any, world: World, window: Callable[[], Page]
) -> None:
    """Zero axe-core violation (WCAG 2.0/2.1 A and AA, best practices) on every page of
    the agent's store, at 1280 px and at 360 px (issue 21, RULES.md §12)."""
    page = window()
    width = page.viewport_size["width"] if page.viewport_size else 0
    checker = Checker(page, live_server, width)
    _pages(checker, world, window)

    missing = agent_pages(live_server.app.url_map) - set(checker.seen) - set(NOT_HTML)
    report = checker.report() if checker.findings else ""
    if missing:
        report += f"\nagent pages axe did not check (add them to _pages): {sorted(missing)}"
    assert not report, report
    checked = sum(len(names) for names in checker.seen.values())
    print(f"\naxe-core {AXE_VERSION}: {checked} pages at {width} px, no violation")


def test_every_agent_page_is_checked(live_server: Any, world: World) -> None:
    """The tables above are complete and current: each non-HTML rule answers its type,
    and each excluded endpoint still exists (a renamed one would hide a new page)."""
    url_map = live_server.app.url_map
    endpoints = {rule.endpoint for rule in url_map.iter_rules()}
    for key in NOT_THE_AGENT_S:
        assert any(e == key or e.startswith(key) for e in endpoints), f"stale entry {key}"
    assert set(NOT_HTML) <= agent_pages(url_map), "NOT_HTML names no agent page"
    browser = Browser(live_server.url, "127.0.0.1")
    form = shop.form_to(browser, "/connexion")
    assert submit(browser, form, cgos_number=AGENT, access_code=CODE).status_code == 302
    fetched = {"agent.my_orders.ticket_pdf": world.eticket_pdf}
    fetched["agent.my_orders.all_tickets_pdf"] = (
        f"/mes-commandes/{world.orders['paid']}/e-billets.pdf"
    )
    fetched["agent.catalog.picture"] = world.picture
    fetched["agent.catalog.picture_size"] = f"{world.picture}/vignette-320.webp"
    fetched["agent.my_orders.receipt_pdf"] = f"/mes-commandes/{world.orders['paid']}/recu.pdf"
    fetched["agent.my_orders.agenda_ics"] = f"/mes-commandes/{world.orders['paid']}/agenda.ics"
    for endpoint, path in fetched.items():
        resp = browser.get(path)
        assert resp.status_code == 200, (path, resp.status_code)
        assert resp.headers["Content-Type"].startswith(NOT_HTML[endpoint]), (path, resp.headers)


def test_vendored_axe_is_the_pinned_release() -> None:
    """tests/e2e/vendor/axe-core/README.txt: the file is axe-core's own, unchanged."""
    digest = base64.b64encode(hashlib.sha256(AXE.read_bytes()).digest()).decode()
    assert digest == AXE_SHA256, "axe.min.js is not the pinned axe-core release"
    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{AXE_VERSION}")
    readme = (AXE.parent / "README.txt").read_text(encoding="utf-8")
    assert f"version:     {AXE_VERSION}" in readme and AXE_SHA256 in readme
    assert "Mozilla Public License" in (AXE.parent / "LICENSE").read_text(encoding="utf-8")
