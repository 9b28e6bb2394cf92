"""Orders for the finance reports' tests (R-REP-2, R-REP-3), made with the store's own
services: web and phone card payments, cheques, an expired option, refunds in part and
whole (one in the month after its payment), a payment just after midnight in Paris, both
members of a couple, two partners.

Timeline (Paris time; summer time starts on Sunday 28 March 2027):
- 1 March 10:00  web card, agent 1: 2 × Parc (partner Alpha).
- 1 March 10:05  web card, agent 2 (agent 1's partner, same household): Parc + E-carte (Beta).
- 1 March 10:10  cheque option, agent 1: Parc; cheque CHQ-1 (Crédit Mutuel) cashed 3 March 09:00.
- 1 March 10:15  cheque option, agent 3: E-carte; never paid, expired 10 March.
- 2 March 15:00  phone card, agent 3: Parc, held; captured by the evening batch at 21:05.
- 2 March 16:00  cheque option, agent 3: Parc; cheque CHQ-2 cashed 3 March 09:05;
                 refunded whole 4 March (bank transfer still to make).
- 5 March 11:00  agent 2's E-carte line refunded (part of the order, by card).
- 1 April 00:30  web card, agent 2: E-carte (22:30 UTC on 31 March: an April payment).
- 2 April 10:00  agent 1's first order refunded whole (a refund the month after).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from auth.principals import agent_user
from members.dossiers import dossier_source
from orders import cart as carts
from orders import cheques, phone, refunds, services
from orders.models import Order, OrderLine
from shop.db import session
from tests.factories import Operator

MARCH = (date(2027, 3, 1), date(2027, 3, 31))
APRIL = (date(2027, 4, 1), date(2027, 4, 30))


@dataclass
class World:
    orders: dict[str, Order]
    alpha: int
    beta: int
    parc: int
    ecarte: int


def _place(agent: Any, items: list[tuple[int, int, str]], method: str, token: str, **kw: Any):
    for offer_id, qty, delivery in items:
        carts.add_to_cart(agent, offer_id, quantity=qty, delivery=delivery)
    total = carts.view_cart(agent).priced.total_cents
    return services.place_order(
        agent,
        payment_method=method,
        contact=services.Contact("finance@exemple.fr", True),
        expected_total_cents=total,
        checkout_token=token,
        actor=agent,
        **kw,
    )


def _pay(order: Order, **extra: Any) -> None:
    services.mark_paid(
        order.id,
        method="demo",
        amount_cents=order.total_cents,
        provider_ref=f"demo-fin-{order.id}",
        actor="test",
        **extra,
    )


def _line(order: Order, offer_id: int) -> int:
    return int(
        session().scalar(
            select(OrderLine.id).where(
                OrderLine.order_id == order.id, OrderLine.offer_id == offer_id
            )
        )
    )


def build(make_agent: Any, make_offer: Any, clock: Any, make_partner: Any) -> World:
    """The timeline above; returns the orders by name, reloaded at the end."""
    clock.set(datetime(2027, 3, 1, 9, 0))
    alpha = make_partner("alpha", "Alpha Loisirs")
    beta = make_partner("beta", "Beta Cartes")
    parc = make_offer(
        kind="billet_ouvert",
        title="Parc Astérix",
        partner="alpha",
        stock=100,
        public_price_cents=4500,
        negotiated_price_cents=4000,
        cgos_price_cents=2500,
    )
    ecarte = make_offer(
        kind="carte",
        category="cartes-et-cheques",
        title="E-carte cinéma",
        partner="beta",
        public_price_cents=5500,
        negotiated_price_cents=5000,
        cgos_price_cents=4000,
        deliveries=("email",),
        stock=100,
        physical=False,
    )
    n1, _ = make_agent(household_id="H-COUPLE", nom="Martin", prenom="Alice")
    n2, _ = make_agent(household_id="H-COUPLE", nom="Martin", prenom="Bruno")
    n3, _ = make_agent(household_id="H-SEUL", nom="Durand", prenom="Chloé")
    a1, a2, a3 = (agent_user(dossier_source().get(n)) for n in (n1, n2, n3))
    op = Operator()
    o: dict[str, Order] = {}

    clock.set(datetime(2027, 3, 1, 10, 0))
    o["web1"] = _place(a1, [(parc, 2, "e_billet")], "card", "fin-web1")
    _pay(o["web1"])
    clock.set(datetime(2027, 3, 1, 10, 5))
    o["web2"] = _place(a2, [(parc, 1, "e_billet"), (ecarte, 1, "email")], "card", "fin-web2")
    _pay(o["web2"])
    clock.set(datetime(2027, 3, 1, 10, 10))
    o["chq1"] = _place(a1, [(parc, 1, "e_billet")], "cheque", "fin-chq1")
    clock.set(datetime(2027, 3, 1, 10, 15))
    o["expired"] = _place(a3, [(ecarte, 1, "email")], "cheque", "fin-expired")
    clock.set(datetime(2027, 3, 2, 15, 0))
    o["phone"] = _place(a3, [(parc, 1, "e_billet")], "card", "fin-phone", channel="phone")
    _pay(o["phone"], held=True)
    clock.set(datetime(2027, 3, 2, 16, 0))
    o["chq2"] = _place(a3, [(parc, 1, "e_billet")], "cheque", "fin-chq2")
    clock.set(datetime(2027, 3, 2, 21, 5))
    assert phone.capture_batch() == 1
    clock.set(datetime(2027, 3, 3, 9, 0))
    assert cheques.register_cheque(
        o["chq1"].number, o["chq1"].total_cents, "CHQ-1", op, bank="Crédit Mutuel"
    ).accepted
    clock.set(datetime(2027, 3, 3, 9, 5))
    assert cheques.register_cheque(o["chq2"].number, o["chq2"].total_cents, "CHQ-2", op).accepted
    clock.set(datetime(2027, 3, 4, 14, 0))
    refunds.refund_order(o["chq2"].number, [_line(o["chq2"], parc)], "doublon", op)
    clock.set(datetime(2027, 3, 5, 11, 0))
    refunds.refund_order(o["web2"].number, [_line(o["web2"], ecarte)], "doublon", op)
    clock.set(datetime(2027, 3, 10, 9, 0))
    services.expire_due()
    clock.set(datetime(2027, 4, 1, 0, 30))
    o["midnight"] = _place(a2, [(ecarte, 1, "email")], "card", "fin-midnight")
    _pay(o["midnight"])
    clock.set(datetime(2027, 4, 2, 10, 0))
    refunds.refund_order(o["web1"].number, [_line(o["web1"], parc)], "doublon", op)
    session().expire_all()
    orders = {name: session().get_one(Order, order.id) for name, order in o.items()}
    assert orders["expired"].status == "cancelled"
    assert orders["web2"].status == "partially_refunded"
    assert orders["web1"].status == "refunded"
    return World(orders, alpha, beta, parc, ecarte)
