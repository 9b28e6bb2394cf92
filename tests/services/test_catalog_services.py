"""Catalog write services: what an edit may and may not change (R-CAT-7, R-OPS-6)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from catalog.models import Offer, PriceChangeRequest
from catalog.price_requests import create_partner_offer
from catalog.queries import offer_for_agent
from catalog.services import OfferData, create_offer, save_session, update_offer
from shop.audit import AuditEntry
from shop.db import session, unit_of_work
from shop.errors import DomainError


class Admin:
    role = "admin"
    partner_id = None
    audit_label = "staff:admin@test"


def test_editing_an_offer_never_overwrites_its_stock(ctx, make_offer, make_partner):
    oid = make_offer(kind="billet_ouvert", title="Parc", stock=100)
    with unit_of_work() as s:  # orders sold 30 meanwhile
        s.get(Offer, oid).stock = 70
    offer = session().get(Offer, oid)
    data = OfferData(
        partner_id=offer.partner_id,
        kind="billet_ouvert",
        category=offer.category,
        title="Parc (nouveau titre)",
        public_price_cents=4000,
        negotiated_price_cents=4000,
        cgos_price_cents=2500,
        deliveries=("e_billet",),
        stock=100,
    )
    update_offer(oid, data, Admin())
    assert session().get(Offer, oid).stock == 70


def test_a_partner_change_is_audited(ctx, make_offer, make_partner):
    oid = make_offer(kind="billet_ouvert", title="Parc", stock=10)
    other = make_partner("autre")
    offer = session().get(Offer, oid)
    data = OfferData(
        partner_id=other,
        kind="billet_ouvert",
        category=offer.category,
        title="Parc",
        public_price_cents=4000,
        negotiated_price_cents=4000,
        cgos_price_cents=2500,
        deliveries=("e_billet",),
        stock=10,
    )
    update_offer(oid, data, Admin())
    entry = (
        session().scalars(select(AuditEntry).where(AuditEntry.action == "offer.updated")).all()[-1]
    )
    assert entry.before["partner_id"] != entry.after["partner_id"] == other


def test_two_sessions_at_the_same_instant_are_refused(ctx, make_offer):
    starts = datetime(2027, 5, 1, 18, 30)
    oid = make_offer(sessions=[(starts, 10)])
    with pytest.raises(DomainError, match="existe déjà"):
        save_session(oid, Admin(), starts_at=starts, stock=5)


class PartnerStaff:
    role = "partner"
    audit_label = "staff:partner@test"

    def __init__(self, partner_id: int) -> None:
        self.partner_id = partner_id


def _park(partner_id: int) -> OfferData:
    return OfferData(
        partner_id=partner_id,
        kind="billet_ouvert",
        category="parcs-et-loisirs",
        title="Parc",
        public_price_cents=4000,
        negotiated_price_cents=3500,
        cgos_price_cents=2500,
        deliveries=("e_billet",),
        stock=10,
    )


def test_r_par_10_only_staff_offers_are_on_sale_at_once(ctx, make_partner):
    pid = make_partner("autre")
    staff_offer = create_offer(_park(pid), Admin())
    assert staff_offer.approval == "approved" and staff_offer.shown_to_agents
    assert offer_for_agent(staff_offer.id, None) is not None
    offer, req = create_partner_offer(_park(pid), PartnerStaff(pid))
    assert offer.approval == "pending" and not offer.shown_to_agents
    assert offer_for_agent(offer.id, None) is None
    assert (req.kind, req.status, req.requested_cgos_cents) == ("new_offer", "pending", 2500)
    assert session().scalars(select(PriceChangeRequest.offer_id)).all() == [offer.id]
    audited = (
        session()
        .scalars(
            select(AuditEntry.after).where(
                AuditEntry.action == "offer.created", AuditEntry.subject == f"offer:{offer.id}"
            )
        )
        .one()
    )
    assert audited["approval"] == "pending"


def test_r_cat_8_a_session_starts_in_the_future_and_after_the_sale_opens(ctx, clock, make_offer):
    clock.set(datetime(2027, 3, 1, 10, 0))
    oid = make_offer(sale_opens_at=datetime(2027, 4, 1, 8, 0))
    with pytest.raises(DomainError, match="Cette date est passée") as refused:
        save_session(oid, Admin(), starts_at=datetime(2027, 3, 1, 8, 0), stock=5)
    assert refused.value.field == "starts_at" and refused.value.rule == "R-CAT-8"
    with pytest.raises(DomainError, match="avant l'ouverture de la vente"):
        save_session(oid, Admin(), starts_at=datetime(2027, 3, 20, 18, 0), stock=5)
    row = save_session(oid, Admin(), starts_at=datetime(2027, 4, 2, 18, 0), stock=5)
    clock.set(datetime(2027, 4, 3, 10, 0))
    kept = save_session(oid, Admin(), session_id=row.id, starts_at=row.starts_at, stock=2)
    assert kept.stock == 2  # a past session's stock can still be corrected
