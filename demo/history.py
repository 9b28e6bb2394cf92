"""``flask --app wsgi seed-demo --history``: a few weeks of orders before today, made with
the store's own services as they would have happened (web card and cheque payments,
cheques cashed at the desk with their bank, refunds in part and whole), so that a newcomer
opening the reports as the demo gestionnaire or admin sees figures, a remittance slip and
partners' settlements instead of empty tables (R-REP-1, R-REP-2).

The orders are bought by agents of their own (« Historique … »), never by the demo agents
whose codes ``seed-demo`` prints: those keep their whole cap. Idempotent: a second run finds
the history's first order and adds nothing. bin/demo runs it; the tests' ``seed-demo`` does
not, so no test depends on it but its own.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from auth.models import StaffUser
from auth.principals import agent_user
from catalog.models import Offer
from catalog.rules import Kind, OfferApproval, SupplyState
from demo.seed import agent_record
from members.dossier_format import DossierRecord
from members.dossiers import dossier_source
from members.importer import save_records
from orders import cart as carts
from orders import cheques, refunds, services
from orders.models import Order, OrderLine
from reports.rollup import roll_due
from shop import clock
from shop.db import session
from shop.errors import DomainError

DAYS = 40  # the history's length, stopping at 1 January: a year's figures stay the year's
CHECKOUT_PREFIX = "demo-historique-"  # checkout tokens of the history's orders
REGIONS = (
    "Rhône-Alpes",
    "Île-de-France",
    "Bretagne",
    "Normandie",
    "Aquitaine",
    "Provence-Alpes-Côte d'Azur-Corse",
)
BANKS = ("Crédit Agricole", "Banque Populaire", "La Banque Postale", "Crédit Mutuel", "")
FIRST_NAMES = ("Claire", "Julien", "Nadia", "Thomas", "Sophie", "Karim", "Élise", "Marc")
LAST_NAMES = ("Bernard", "Petit", "Robert", "Richard", "Durand", "Moreau", "Laurent", "Simon")


def _records(today: date) -> list[DossierRecord]:
    """Sixteen agents in six regions, two of them a couple sharing one household cap."""
    out = []
    for k in range(16):
        household = "H-HIST-COUPLE" if k in (0, 1) else f"H-HIST-{k:02d}"
        first, last = FIRST_NAMES[k % 8], LAST_NAMES[(k * 3) % 8]
        out.append(
            agent_record(
                f"7{k:07d}H",
                "Mme" if k % 2 == 0 else "M.",  # FIRST_NAMES alternate: Claire, Julien…
                first,
                f"{last} (historique)",
                date(1970 + k, 1 + k % 12, 1 + k),
                household,
                year=today.year,
                qf=40_000 + 5_000 * k,
                region=REGIONS[k % len(REGIONS)],
                email=f"historique{k}@exemple.fr",
            )
        )
    return out


def _offers(since: date) -> list[tuple[int, str]]:
    """Open tickets and cards on sale since before the history starts, in stock, that need
    no session and no regional ticket office."""
    opened = datetime.combine(since, time())
    rows = session().execute(
        select(Offer.id, Offer.deliveries)
        .where(
            Offer.kind.in_((Kind.BILLET_OUVERT, Kind.CARTE)),
            Offer.published.is_(True),
            Offer.approval == OfferApproval.APPROVED,
            Offer.supply_state == SupplyState.EN_STOCK,
            Offer.regional_ticketing.is_(False),
            or_(Offer.sale_opens_at.is_(None), Offer.sale_opens_at <= opened),
            or_(Offer.stock.is_(None), Offer.stock > 50),
        )
        .order_by(Offer.id)
    )
    found = []
    for offer_id, deliveries in rows:
        modes = [m for m in (deliveries or "").split(",") if m]
        if modes:
            found.append((int(offer_id), "e_billet" if "e_billet" in modes else modes[0]))
    return found


@contextmanager
def _at(moment: Callable[[], datetime]) -> Iterator[None]:
    """The store's clock standing at a moment of the history (the app's clock hook)."""
    extensions = current_app.extensions
    before = extensions.get("clock")
    extensions["clock"] = moment
    try:
        yield
    finally:
        if before is None:
            extensions.pop("clock", None)
        else:
            extensions["clock"] = before


def seed_history(today: date) -> list[str]:
    """Place and pay the history's orders, day by day; then roll the closed days up as the
    due job would. Returns the lines to print."""
    if session().scalar(select(Order.id).where(Order.checkout_token.startswith(CHECKOUT_PREFIX))):
        return ["Historique de commandes : déjà chargé."]
    records = _records(today)
    save_records(records, actor="seed-demo")
    first = max(date(today.year, 1, 1), today - timedelta(days=DAYS))
    offers = _offers(first)
    staff = session().scalar(select(StaffUser).where(StaffUser.role == "operator"))
    if not offers or staff is None:
        return ["Historique de commandes : aucune offre ouverte, rien de chargé."]
    rng = random.Random(f"historique-{today.isoformat()}")  # noqa: S311 - demo data
    made = cashed = refunded = 0
    day = first
    while day < today:
        for k in range(rng.randint(1, 4)):
            hour = datetime.combine(day, time(8 + 3 * k, rng.randint(0, 59)), clock.PARIS)
            outcome = _one_order(rng, records, offers, staff, hour, f"{day.isoformat()}-{k}")
            made += outcome in (1, 2, 3)
            cashed += outcome == 2
            refunded += outcome == 3
        day += timedelta(days=1)
    rolled = roll_due()  # at the store's own now, as cron's next minute would
    return [
        f"Historique de commandes ({first:%d/%m} → veille) : {made} commandes payées, dont "
        f"{cashed} par chèque encaissé et {refunded} remboursées ; {rolled} jours consolidés "
        "pour les rapports (/gestion/rapports)."
    ]


def _agent(record: DossierRecord) -> Any:
    found = dossier_source().get(record.cgos_number)
    assert found is not None, "the history's agents were saved first"
    return agent_user(found)


def _one_order(
    rng: random.Random,
    records: list[DossierRecord],
    offers: list[tuple[int, str]],
    staff: Any,
    when: datetime,
    key: str,
) -> int:
    """One order of the history: 0 not placed (a rule said no: stock, cap), 1 paid by card,
    2 paid by a cheque cashed the next weekday morning, 3 paid by card then refunded in
    part, 4 a cheque option whose cheque has not arrived yet."""
    record = rng.choice(records)
    offer_id, delivery = rng.choice(offers)
    cheque = rng.random() < 0.25
    moment = when.astimezone(UTC)
    try:
        with _at(lambda: moment):
            agent = _agent(record)
            carts.add_to_cart(agent, offer_id, quantity=rng.randint(1, 3), delivery=delivery)
            total = carts.view_cart(agent).priced.total_cents
            order = services.place_order(
                agent,
                payment_method="cheque" if cheque else "card",
                contact=services.Contact(record.email or "historique@exemple.fr", accept_cgv=True),
                expected_total_cents=total,
                checkout_token=f"{CHECKOUT_PREFIX}{key}",
                actor=agent,
            )
            if not cheque:
                services.mark_paid(
                    order.id,
                    method="demo",
                    amount_cents=order.total_cents,
                    provider_ref=f"{CHECKOUT_PREFIX}{order.id}",
                    actor=agent,
                )
        if cheque:
            desk = when.date() + timedelta(days=1)
            while desk.weekday() >= 5:  # the cheque desk opens Monday to Friday
                desk += timedelta(days=1)
            cashed_at = datetime.combine(desk, time(9, 0), clock.PARIS).astimezone(UTC)
            if cashed_at > clock.now():
                return 4  # the cheque is still in the post: an option awaiting payment
            with _at(lambda: cashed_at):
                number = f"{rng.randint(1_000_000, 9_999_999)}"
                bank = rng.choice(BANKS)
                result = cheques.register_cheque(
                    str(order.number), order.total_cents, number, staff, bank=bank
                )
            return 2 if result.accepted else 1
        if rng.random() < 0.1:
            later = (when + timedelta(days=2)).astimezone(UTC)
            line = session().scalar(
                select(OrderLine.id).where(OrderLine.order_id == order.id).limit(1)
            )
            with _at(lambda: later):
                refunds.refund_order(str(order.number), [int(line or 0)], "retractation", staff)
            return 3
        return 1
    except DomainError:  # a rule said no (cap, stock, sale closed then): the cart emptied
        with _at(lambda: moment):
            agent = _agent(record)
            for view in carts.view_cart(agent).lines:
                carts.remove_line(agent, view.row.id)
        return 0
