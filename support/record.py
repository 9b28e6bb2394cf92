"""The operators' agent record (R-OPS-1, R-OPS-7): what an operator needs on the phone to
check who is calling and answer them: dossier, postal address, birth date, household (the
other agent of a couple, the children and their ages), the cap used and left, the orders of
both members with their parcels, the messages, and when the access code was issued."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from auth.models import AccessCode
from auth.principals import AgentUser, agent_user
from members.dossier_format import DossierRecord
from members.dossiers import dossier_source
from members.rights import age_on
from orders.cart import household_snapshot
from orders.models import Order
from orders.presenters import orders_sections
from orders.pricing import Household
from shop.db import session
from support.models import ContactMessage

RECORD_ORDERS = 30
RECORD_MESSAGES = 20


@dataclass(frozen=True)
class ChildRow:
    prenom: str
    birth_date: date
    age: int


@dataclass
class AgentRecord:
    agent: AgentUser
    household: Household  # the cap computation of the web cart (orders/cart.py)
    others: list[DossierRecord]  # the other agent(s) of the household
    children: list[ChildRow]
    orders: list[Order]  # of every member of the household, newest first
    messages: list[ContactMessage]
    code_issued_at: datetime | None
    sections: dict[str, Any] = field(default_factory=dict)  # shipments (partners)

    @property
    def record(self) -> DossierRecord:
        return self.agent.record

    @property
    def age(self) -> int:
        return age_on(self.record.birth_date, self.agent.today)

    @property
    def left_cents(self) -> int:
        return max(0, self.household.cap_cents - self.household.used_cents)

    @property
    def names(self) -> dict[str, str]:
        """Whose order it is, by N°: both members of a couple appear in one list."""
        found = {self.record.cgos_number: f"{self.record.prenom} {self.record.nom}"}
        found.update({o.cgos_number: f"{o.prenom} {o.nom}" for o in self.others})
        return found


def agent_record(record: DossierRecord) -> AgentRecord:
    agent = agent_user(record)
    source = dossier_source()
    members = [n for n in source.household_members(record) if n] or [record.cgos_number]
    others = [
        other
        for number in members
        if number != record.cgos_number
        for other in [source.get(number)]
        if other is not None
    ]
    numbers = sorted({record.cgos_number, *members})
    orders = list(
        session().scalars(
            select(Order)
            .where(Order.cgos_number.in_(numbers), Order.number.is_not(None))
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(RECORD_ORDERS)
        )
    )
    messages = list(
        session().scalars(
            select(ContactMessage)
            .where(ContactMessage.cgos_number == record.cgos_number)
            .order_by(ContactMessage.created_at.desc())
            .limit(RECORD_MESSAGES)
        )
    )
    code = session().get(AccessCode, record.cgos_number)
    return AgentRecord(
        agent=agent,
        household=household_snapshot(agent),
        others=others,
        children=[
            ChildRow(c.prenom, c.birth_date, age_on(c.birth_date, agent.today))
            for c in record.children
        ],
        orders=orders,
        messages=messages,
        code_issued_at=code.issued_at if code else None,
        sections=orders_sections(orders),
    )
