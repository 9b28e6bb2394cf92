"""Back-office helpers: orders placed through the services as the web shop does, cheques
registered, rows read and counted, contact messages and rate forms."""

from __future__ import annotations

import html
import itertools
from datetime import datetime, timedelta

from sqlalchemy import func, select

from tests.factories import YEAR, login_staff

_tokens = itertools.count(1)


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def euros(cents: int) -> str:
    """As an operator types it: ``123,45``."""
    return f"{cents // 100},{cents % 100:02d}"


def place(app, number, offer_id, qty, *, method="cheque", delivery="e_billet", session_id=None):
    """An order placed through the services, as the web shop does; returns its number."""
    from auth.principals import agent_user
    from members.dossiers import dossier_source
    from orders import cart as carts
    from orders import services

    with app.app_context():
        agent = agent_user(dossier_source().get(number))
        carts.add_to_cart(agent, offer_id, quantity=qty, delivery=delivery, session_id=session_id)
        total = carts.view_cart(agent).priced.total_cents
        order = services.place_order(
            agent,
            payment_method=method,
            contact=services.Contact(agent.record.email, True),
            expected_total_cents=total,
            checkout_token=f"ops-tok-{next(_tokens)}",
            actor=agent,
        )
        return order.number


def order_of(app, number):
    from orders.models import Order
    from shop.db import session

    with app.app_context():
        return session().scalar(select(Order).where(Order.number == number))


def stock_of(app, offer_id):
    from catalog.models import Offer
    from shop.db import session

    with app.app_context():
        return session().get(Offer, offer_id).stock


def used_of(app, household):
    from orders.models import HouseholdYear
    from shop.db import session

    with app.app_context():
        row = session().get(HouseholdYear, (household, YEAR))
        return row.used_cents if row else 0


def count_of(app, model, **where):
    from shop.db import session

    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return session().scalar(stmt)


def register(client, number, amount, cheque="1234567", *, confirm=True, bank=None):
    """A cheque registered; ``confirm``: the refusal of a differing amount is confirmed
    (R-OPS-10), as the operator does on the second step."""
    data = {"order_number": number, "amount": amount, "cheque_number": cheque}
    if bank is not None:
        data["bank"] = bank
    if confirm:
        data["confirmer_refus"] = "1"
    return client.post("/gestion/cheques", data=data)


def add_message(app, number="12345678A", minutes_ago=0, **fields):
    from shop.db import unit_of_work
    from support.models import ContactMessage

    at = datetime(2027, 3, 1, 9, 0) - timedelta(minutes=minutes_ago)
    values = {
        "cgos_number": number,
        "topic": "expedition",
        "nom": "Martin",
        "prenom": "Paul",
        "etablissement": "CH de Valence",
        "email": "paul.martin@exemple.fr",
        "phone": "0611223344",
        "order_number": None,
        "body": "Où en est mon colis ?",
        "status": "nouveau",
        "created_at": at,
        "updated_at": at,
    }
    values.update(fields)
    with app.app_context(), unit_of_work() as s:
        message = ContactMessage(**values)
        s.add(message)
        s.flush()
        return message.id


FORM = {
    "family": "prix_mini",
    **{f"upper_{i}": v for i, v in enumerate(["600,00", "800,00", "1000,00", "1270,00"])},
    **{f"rate_{i}": v for i, v in enumerate(["60", "55", "52", "48", "10"])},
    "unknown": "12",
}


def staff_client(client, make_staff, clock, role="admin"):
    clock.set(datetime(2027, 1, 15, 10, 0))
    assert login_staff(client, *make_staff(role)).status_code == 302
    return client
