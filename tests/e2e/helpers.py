"""Seeding and login shared by the browser tests (the live app commits for real)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from playwright.sync_api import Page, expect

from auth import second_factor
from auth.services import issue_access_code
from catalog.services import OfferData, create_offer, save_session
from members.dossier_format import parse_dossier
from members.importer import save_records
from partners.models import Partner
from shop.db import unit_of_work
from tests.factories import agent_json

CODE = "ABCD2345"


class Admin:
    role = "admin"
    partner_id = None
    audit_label = "staff:e2e-admin"


def seed_agent(live_server: Any, **overrides: Any) -> str:
    """An agent with the access code ``CODE``; returns the N° C.G.O.S."""
    record = parse_dossier(agent_json(**overrides))
    with live_server.app.app_context():
        save_records([record], actor="test")
        issue_access_code(record.cgos_number, actor="test", send=False, code=CODE)
    return record.cgos_number


def seed_offer(
    live_server: Any,
    sessions: list[tuple[datetime, int]] | None = None,
    partner: str = "e2e",
    **fields: Any,
) -> int:
    """An offer (and its sessions, naive UTC) created through the catalog services."""
    with live_server.app.app_context():
        with unit_of_work() as s:
            from sqlalchemy import select

            row = s.scalar(select(Partner).where(Partner.slug == partner))
            if row is None:
                row = Partner(slug=partner, name="Partenaire E2E", created_at=datetime.now())
                s.add(row)
                s.flush()
            partner_id = row.id
        offer = create_offer(OfferData(partner_id=partner_id, **fields), Admin())
        for starts_at, stock in sessions or []:
            save_session(offer.id, Admin(), starts_at=starts_at, stock=stock)
        return offer.id


def login(page: Page, live_server: Any, number: str) -> None:
    page.goto(live_server("/connexion"))
    page.get_by_label("N° C.G.O.S").fill(number)
    page.get_by_label("Code d'accès prestataires").fill(CODE)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Bonjour Camille")).to_be_visible()


def _to_checkout(page: Page, title: str, quantity: int, dated: bool) -> None:
    page.get_by_label("Rechercher un spectacle, un parc, une carte…").fill(title)
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name=title).click()
    if dated:
        page.locator(".session-list input[name=session_id]:enabled").first.check()
    page.get_by_label("Quantité").fill(str(quantity))
    page.get_by_role("button", name="Ajouter au panier").click()
    page.get_by_role("link", name="Finaliser ma commande").first.click()
    expect(page.get_by_role("heading", level=1, name="Finaliser ma commande")).to_be_visible()
    page.get_by_label("J'accepte les conditions générales de vente").check()


# Staff TOTP secrets read from the enrolment page, and the last time step used, by e-mail.
STAFF_TOTP: dict[str, list[Any]] = {}


def totp_code(live_server: Any, email: str) -> str:
    """The code the authenticator app shows now; a step used already is not given again
    (the store refuses a replay): the next one, accepted for clock drift."""
    secret, last = STAFF_TOTP[email]
    with live_server.app.app_context():
        now = second_factor.current_step()
    step = now if last is None else max(now, last + 1)
    STAFF_TOTP[email][1] = step
    return pyotp.TOTP(secret).at(step * second_factor.STEP_SECONDS)


def staff_second_factor(page: Page, live_server: Any, email: str) -> None:
    """After the password (R-SEC-1): enrol as a person would (the manual key of the page in
    the app, the first code typed), or type the app's code; keyboard only."""
    page.wait_for_url(lambda url: "/gestion/connexion" not in url or "/connexion/" in url)
    if "/gestion/connexion/activation" in page.url:
        key = page.locator("#manual-key").inner_text().replace(" ", "")
        STAFF_TOTP[email] = [key, None]
        page.get_by_label("Code de l'application").fill(totp_code(live_server, email))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Second facteur activé")).to_be_visible()
        page.get_by_role("link", name="J'ai noté mes codes, continuer").focus()
        page.keyboard.press("Enter")
    elif "/gestion/connexion/code" in page.url:
        page.get_by_label("Code de l'application").fill(totp_code(live_server, email))
        page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/activation" not in url and "/connexion/code" not in url)


@dataclass
class Effort:
    """What one operator's task costs at the keyboard (docs/BENCHMARKS.md, issue 20)."""

    keys: int = 0
    loads: int = 0


def measure(page: Page, log: dict[str, Effort], task: str) -> Effort:
    """Count from now on, under ``task`` in ``log``: every key press (a chord such as
    Control+A is one, every typed character one) and every page load of ``page``.
    Measured, not guessed: the figures of docs/BENCHMARKS.md come from here. A later
    ``measure`` of the same page moves the counting to its own task."""
    effort = log[task] = Effort()
    keyboard = page.keyboard
    state = keyboard.__dict__.setdefault("_effort", {})
    if not state:
        press, type_ = keyboard.press, keyboard.type

        def counted_press(key: str, **options: Any) -> None:
            state["current"].keys += 1
            press(key, **options)

        def counted_type(text: str, **options: Any) -> None:
            state["current"].keys += len(text)
            type_(text, **options)

        def counted_load(_page: Any) -> None:
            state["current"].loads += 1

        keyboard.press = counted_press  # type: ignore[method-assign]
        keyboard.type = counted_type  # type: ignore[method-assign]
        page.on("load", counted_load)
    state["current"] = effort
    return effort
