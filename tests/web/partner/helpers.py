"""Partner helpers: orders placed (and paid) on partners' offers, e-billet secrets, API
tokens, the entry-control page."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from typing import Any

from sqlalchemy import select

from tests.factories import NOW_PARIS, login_staff, utc

SESSION_AT = utc(NOW_PARIS + timedelta(days=30))  # naive UTC
_tokens = count(1)


def place(
    app: Any,
    number: str,
    offer_id: int,
    qty: int = 1,
    delivery: str = "courrier",
    method: str = "card",
    pay: bool = True,
    session_id: int | None = None,
) -> str:
    """Place (and pay) an order as the agent; returns its number."""
    from auth.principals import agent_user
    from catalog.models import OfferSession
    from members.dossiers import dossier_source
    from orders import cart as carts
    from orders import services
    from shop.db import session

    with app.app_context():
        agent = agent_user(dossier_source().get(number))
        sid = session_id or session().scalar(
            select(OfferSession.id)
            .where(OfferSession.offer_id == offer_id)
            .order_by(OfferSession.id)
            .limit(1)
        )
        carts.add_to_cart(agent, offer_id, quantity=qty, delivery=delivery, session_id=sid)
        total = carts.view_cart(agent).priced.total_cents
        order = services.place_order(
            agent,
            payment_method=method,
            contact=services.Contact("agent@exemple.fr", True),
            expected_total_cents=total,
            checkout_token=f"tok-par-{next(_tokens)}",
            actor=agent,
        )
        if pay:
            pay_order(app, order.id, method)
        return order.number


def pay_order(app: Any, order_id: int, method: str = "card") -> None:
    from orders import services
    from orders.models import Order
    from shop.db import session

    with app.app_context():
        order = session().get(Order, order_id)
        services.mark_paid(
            order.id,
            method="cheque" if method == "cheque" else "demo",
            amount_cents=order.total_cents,
            provider_ref=f"pay-{order.id}",
            actor="test",
        )


def order_of(app: Any, number: str) -> Any:
    from orders.models import Order
    from shop.db import session

    with app.app_context():
        return session().scalar(select(Order).where(Order.number == number))


def as_partner(client, setup) -> None:
    assert login_staff(client, *setup["staff"]).location == "/partenaire/"


def secrets_of(app: Any, number: str) -> list[str]:
    from orders.models import ETicket
    from shop.db import session

    with app.app_context():
        order = order_of(app, number)
        return list(session().scalars(select(ETicket.secret).where(ETicket.order_id == order.id)))


def sessions_of(app: Any, offer_id: int) -> list[int]:
    """The offer's session ids, in creation order."""
    from catalog.models import OfferSession
    from shop.db import session

    with app.app_context():
        return list(
            session().scalars(
                select(OfferSession.id)
                .where(OfferSession.offer_id == offer_id)
                .order_by(OfferSession.id)
            )
        )


def scan_page(client, code: str, session_id: int) -> str:
    """R-PAR-8: a code scanned at the door of ``session_id``."""
    response = client.post("/partenaire/controle", data={"code": code, "session_id": session_id})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def token_for(app: Any, slug: str = "acme") -> str:
    from partners.services import create_token

    with app.app_context():
        return create_token(slug, "Entrepôt", actor="test")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
