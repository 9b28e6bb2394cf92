"""What the production layer's users own, made the way the store makes it.

``seed_reference_data`` runs in the test process through the services (``seed-demo``'s
catalogue, agents and staff; a second partner's staff; API tokens; pictures).
``buy`` and ``write_to_support`` then go through the running gunicorn like a browser:
login, cart, checkout by card, demonstration payment, contact form.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.production.client import Browser, Form, forms_of, submit


@dataclass(frozen=True)
class Account:
    """A user the crawler acts as (``secret``: access code, password or API token)."""

    role: str
    login: str
    secret: str
    kind: str  # agent, staff, token, anonymous
    owner: str | None  # what "own objects" means: a N° C.G.O.S, a partner slug, or None


PARTNER_2 = ("billetterie@festibillet.example", "Fabien Festibillet", "festibillet")
PARTNER_2_PASSWORD = "partenaire-2-demo-2026"


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def seed_reference_data(app: Any) -> dict[str, Account]:
    """Demo data, a second partner organisation with its staff, tokens and pictures."""
    from sqlalchemy import select

    from auth.models import StaffUser
    from auth.services import create_staff
    from catalog.models import Offer
    from catalog.price_requests import create_partner_offer, request_price_change
    from catalog.services import add_picture, offer_data
    from demo.seed import STAFF, _demo_code, seed
    from partners.models import Partner
    from partners.services import create_token
    from shop.db import session

    with app.app_context():
        seed()
        email, name, slug = PARTNER_2
        create_staff(email, name, "partner", PARTNER_2_PASSWORD, slug, actor="test")
        tokens = {s: create_token(s, "crawler", actor="test") for s in ("sogec", "festibillet")}
        for slug in ("sogec", "festibillet"):
            staff = session().scalar(
                select(StaffUser).join(Partner).where(Partner.slug == slug).limit(1)
            )
            offer_id = session().scalar(
                select(Offer.id).join(Partner).where(Partner.slug == slug).order_by(Offer.id)
            )
            add_picture(offer_id, _png(), f"Affiche {slug}", actor=_StaffActor(staff))
            _webhook_log(slug)
            offer = session().get(Offer, offer_id)
            request_price_change(  # R-PAR-10: a pending request of each partner
                offer_id,
                offer.negotiated_price_cents,
                offer.cgos_price_cents - 1 if offer.cgos_price_cents else 1,
                "Nouveau contrat",
                partner_id=staff.partner_id,
                actor=_StaffActor(staff),
            )
            pending = offer_data(offer)  # R-PAR-10: a new offer awaiting C.G.O.S
            pending.title = f"Nouveauté {slug}"
            create_partner_offer(pending, _StaffActor(staff))
    cancel_a_session(app)

    staff = {role if role != "partner" else "partner_1": (e, pw) for e, _n, role, _p, pw in STAFF}
    accounts = [
        Account("anonymous", "", "", "anonymous", None),
        # Two agents of different households, and one whose rights are closed (R-DOS-2).
        Account("agent_a", "12345678A", _demo_code("12345678A"), "agent", "12345678A"),
        Account("agent_b", "89012345J", _demo_code("89012345J"), "agent", "89012345J"),
        Account("agent_closed", "45678901E", _demo_code("45678901E"), "agent", "45678901E"),
        Account("operator", *staff["operator"], "staff", None),
        Account("admin", *staff["admin"], "staff", None),
        Account("gestionnaire", *staff["gestionnaire"], "staff", None),  # R-REP-4
        Account("partner_1", *staff["partner_1"], "staff", "sogec"),
        Account("partner_2", email, PARTNER_2_PASSWORD, "staff", "festibillet"),
        Account("api_1", "sogec", tokens["sogec"], "token", "sogec"),
        Account("api_2", "festibillet", tokens["festibillet"], "token", "festibillet"),
    ]
    return {a.role: a for a in accounts}


def _webhook_log(slug: str) -> None:
    """A webhook endpoint with one failed delivery in its log (R-PAR-10), written directly:
    the crawl must not reach out to the network."""
    from sqlalchemy import select

    from partners.models import Partner, WebhookDelivery, WebhookEndpoint
    from shop import clock
    from shop.db import unit_of_work

    with unit_of_work() as s:
        partner_id = s.scalar(select(Partner.id).where(Partner.slug == slug))
        now = clock.utcnow()
        endpoint = WebhookEndpoint(
            partner_id=partner_id,
            url=f"https://{slug}.invalid/webhooks",
            enabled=False,
            events=["order.paid"],
            secret_salt="seed",
            created_at=now,
            updated_at=now,
        )
        s.add(endpoint)
        s.flush()
        s.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                partner_id=partner_id,
                event_id=f"evt_seed_{slug}",
                kind="ping",
                body="{}",
                status="failed",
                attempts=1,
                last_error="Nom de domaine introuvable.",
                created_at=now,
                failed_at=now,
            )
        )


class _StaffActor:
    """The services' actor protocol for a staff row read outside a request."""

    def __init__(self, staff: Any) -> None:
        self.role = staff.role
        self.partner_id = staff.partner_id
        self.audit_label = f"staff:{staff.email}"


def form_to(browser: Browser, path: str) -> Form:
    """The POST form of page ``path`` that posts to ``path`` itself."""
    page = browser.get(path)
    found = [f for f in forms_of(page.text, path) if f.method == "POST"]
    mine = [f for f in found if f.action == path]
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert len(mine) == 1, (path, page.url, found, shown[:1500])
    return mine[0]


def login(browser: Browser, account: Account) -> None:
    """Log in through the login form (with its CSRF token); token users send a header."""
    if account.kind == "token":
        browser.headers["Authorization"] = f"Bearer {account.secret}"
        return
    if account.kind == "anonymous":
        return
    path = "/connexion" if account.kind == "agent" else "/gestion/connexion"
    form = form_to(browser, path)
    values = (
        {"cgos_number": account.login, "access_code": account.secret}
        if account.kind == "agent"
        else {"email": account.login, "password": account.secret}
    )
    resp = submit(browser, form, **values)
    assert resp.status_code == 302, (account.role, resp.status_code, resp.text[:500])
    resp = _second_factor(browser, account, resp)
    assert "Secure" in resp.headers.get("Set-Cookie", ""), resp.headers.get("Set-Cookie")


# Staff TOTP secrets read from the enrolment page at their first login, and the last time
# step used (a code is accepted once: R-SEC-1), by e-mail.
_TOTP: dict[str, list[Any]] = {}


def _totp_code(email: str) -> str:
    import time

    import pyotp

    secret, last = _TOTP[email]
    now = int(time.time()) // 30
    step = now if last is None else max(now - 1, last + 1)
    while step > int(time.time()) // 30 + 1:  # three logins in one window: wait for the next
        time.sleep(1)
    _TOTP[email][1] = step
    return pyotp.TOTP(secret).at(step * 30)


def _second_factor(browser: Browser, account: Account, resp: Any) -> Any:
    """R-SEC-1: admins and operators enrol at their first login (the page's manual key),
    then give a code at each login, as a person with the app would."""
    location = urlsplit(resp.headers.get("Location", "")).path
    if location == "/gestion/connexion/activation":
        page = browser.get(location).text
        key = re.search(r'id="manual-key"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
        _TOTP[account.login] = [key, None]
        form = form_to(browser, location)
        done = submit(browser, form, code=_totp_code(account.login))
        assert done.status_code == 200, (account.role, done.status_code, done.text[:500])
        return done
    if location == "/gestion/connexion/code":
        form = form_to(browser, location)
        done = submit(browser, form, code=_totp_code(account.login))
        assert done.status_code == 302, (account.role, done.status_code, done.text[:500])
        return done
    return resp


def add_to_cart(browser: Browser, offer_id: int, delivery: str) -> int:
    """The offer page's own « Ajouter au panier » form (first day, first session)."""
    path = f"/offre/{offer_id}"
    page = browser.get(path).text
    for step in ("jour", "seance"):  # a dated ticket: its first day, its first session
        link = re.search(rf'href="(/offre/{offer_id}\?{step}=[^"#]+)', page)
        if link:
            path = link.group(1).replace("&amp;", "&")
            page = browser.get(path).text
    forms = [f for f in forms_of(page, path) if "/panier/ajouter/" in f.action]
    i = page.find('id="commander"')
    assert forms, f"no add-to-cart form on {path}: {re.sub(r'<[^>]+>', ' ', page[i : i + 800])}"
    resp = submit(browser, forms[0], delivery=delivery, quantity="1")
    return resp.status_code


def checkout(browser: Browser, *, method: str = "card", pay: bool = True) -> str:
    """Checkout as the agent does; by card, the demonstration payment. Returns the number."""
    form = form_to(browser, "/commande/")
    resp = submit(browser, form, payment_method=method, accept_cgv="1")
    assert resp.status_code == 302, (resp.status_code, resp.text[:2000])
    location = resp.headers["Location"]
    number = re.search(r"/commande/([^/?]+)", location).group(1)
    if method == "card" and pay:
        paid = pay_demo(browser, number)
        assert paid.status_code == 302, (paid.status_code, paid.text[:2000])
    return number


def pay_demo(browser: Browser, number: str) -> Any:
    path = f"/commande/{number}/paiement-demo"
    token = browser.csrf_token()
    return browser.post(path, data={"csrf_token": token, "outcome": "succeed"})


def write_to_support(browser: Browser) -> int:
    """« Nous contacter »; returns the message id from the « envoyé » page address."""
    path = "/nous-contacter/"
    form = form_to(browser, path)
    resp = submit(browser, form, topic="commande", body="Bonjour, une question. Merci.")
    assert resp.status_code == 302, (resp.status_code, resp.text[:2000])
    return int(re.search(r"/nous-contacter/(\d+)/envoye", resp.headers["Location"]).group(1))


def empty_cart(browser: Browser) -> None:
    """Remove every line of the cart through its « Supprimer » forms: the crawl leaves
    lines in the agents' carts that its own edits of the catalog may have made invalid."""
    lines = [
        f
        for f in forms_of(browser.get("/panier/").text, "/panier/")
        if re.fullmatch(r"/panier/ligne/\d+", f.action)
    ]
    for form in {f.action: f for f in lines}.values():  # steppers post there too
        resp = submit(browser, form, supprimer="Supprimer")
        assert resp.status_code == 302, (form.action, resp.status_code)


def checkout_one(browser: Browser, offer_id: int, *, method: str, pay: bool = True) -> str:
    """Order this one offer (the cart emptied first), as the agent does."""
    empty_cart(browser)
    assert add_to_cart(browser, offer_id, "e_billet") == 302, offer_id
    return checkout(browser, method=method, pay=pay)


def offer_id(app: Any, title_start: str) -> int:
    """A demo catalogue offer by the start of its title."""
    from sqlalchemy import select

    from catalog.models import Offer
    from shop.db import session

    with app.app_context():
        found = session().scalar(select(Offer.id).where(Offer.title.startswith(title_start)))
    assert found is not None, title_start
    return found


def pre_register(browser: Browser, app: Any) -> None:
    """A Prix mini pre-registration (R-VAC): the first stay page that offers the form."""
    from sqlalchemy import select

    from catalog.models import Offer
    from shop.db import session

    with app.app_context():
        stays = list(session().scalars(select(Offer.id).where(Offer.kind == "sejour")))
    for stay in stays:
        path = f"/offre/{stay}"
        forms = [f for f in forms_of(browser.get(path).text, path) if "/preinscription" in f.action]
        if forms:
            resp = submit(browser, forms[0])
            assert resp.status_code == 302, (path, resp.status_code, resp.text[:1000])
            return
    raise AssertionError(f"no Prix mini pre-registration form on the stays {stays}")


def cancel_a_session(app: Any) -> None:
    """An event cancellation by an admin (its summary is an ops page): the last session
    of the catalogue, before anybody has bought anything."""
    from sqlalchemy import select

    from auth.models import StaffUser
    from catalog.models import OfferSession
    from orders.refunds import cancel_event
    from shop.db import session

    with app.app_context():
        admin = session().scalar(select(StaffUser).where(StaffUser.role == "admin"))
        last = session().scalar(select(OfferSession.id).order_by(OfferSession.id.desc()))
        cancel_event(_StaffActor(admin), session_id=last)


def seat_alerts(app: Any, cgos_number: str, offer_id: int) -> None:
    """« Prévenez-moi » (R-AGT-2): one alert waiting and one holding nothing yet, written
    as the job leaves them, so « Mes alertes », its cancel form and the mailed link's page
    are crawled (the offer need not be sold out for the pages)."""
    from datetime import timedelta

    from orders.models import AlertState, SeatAlert
    from shop import clock
    from shop.db import unit_of_work

    now = clock.utcnow()
    with app.app_context(), unit_of_work() as s:
        for state in (AlertState.WAITING, AlertState.HELD):
            s.add(
                SeatAlert(
                    cgos_number=cgos_number,
                    household_id=f"H-{cgos_number}",
                    email="alerte@exemple.fr",
                    offer_id=offer_id,
                    session_id=None,
                    quantity=1,
                    held_quantity=0,
                    state=state,
                    created_at=now,
                    notified_at=now if state == AlertState.HELD else None,
                    hold_expires_at=now + timedelta(hours=24) if state == AlertState.HELD else None,
                )
            )
