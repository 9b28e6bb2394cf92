"""E-billets (R-ORD-3): issued with the payment, one per ticket, unguessable, re-issuable
one at a time, printed as a PDF and mailed as attachments (R-ORD-2)."""

from __future__ import annotations

import io
from datetime import timedelta
from itertools import count

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from auth.codes import CODE_ALPHABET
from auth.principals import agent_user
from catalog.models import OfferSession
from members.dossiers import dossier_source
from orders import cart as carts
from orders import etickets, refunds, services
from orders.models import ETicket, Order
from shop.audit import AuditEntry
from shop.db import session
from shop.errors import DomainError
from shop.mail import OutboxMail
from tests.factories import NOW_PARIS, Operator, utc

_tokens = count(1)


@pytest.fixture
def agent(ctx, make_agent, clock):
    clock.set(NOW_PARIS)
    number, _ = make_agent(household_id="H-ETK", prenom="Léa", nom="Martin")
    return agent_user(dossier_source().get(number))


@pytest.fixture
def gala(make_offer):
    """A dated show with one session, 30 days ahead."""
    oid = make_offer(title="Gala de l'Opéra", sessions=[(utc(NOW_PARIS + timedelta(days=30)), 50)])
    sid = session().scalar(select(OfferSession.id).where(OfferSession.offer_id == oid))
    return oid, sid


@pytest.fixture
def parc(make_offer):
    return make_offer(kind="billet_ouvert", title="Parc des Oiseaux", stock=20)


def place(agent, items, method="card"):
    """``items``: (offer_id, quantity, delivery, session_id)."""
    for offer_id, qty, delivery, session_id in items:
        carts.add_to_cart(agent, offer_id, quantity=qty, delivery=delivery, session_id=session_id)
    total = carts.view_cart(agent).priced.total_cents
    return services.place_order(
        agent,
        payment_method=method,
        contact=services.Contact("lea@exemple.fr", True),
        expected_total_cents=total,
        checkout_token=f"etk-{next(_tokens):06d}-token",
        actor=agent,
    )


def pay(order, method="demo"):
    return services.mark_paid(
        order.id,
        method=method,
        amount_cents=order.total_cents,
        provider_ref=f"{method}-{order.id}",
        actor="system",
    )


def tickets(order_id):
    return list(
        session().scalars(select(ETicket).where(ETicket.order_id == order_id).order_by(ETicket.id))
    )


def test_r_ord_3_one_ticket_per_unit_with_unguessable_secrets(agent, gala, parc):
    oid, sid = gala
    order = pay(place(agent, [(oid, 3, "e_billet", sid), (parc, 2, "e_billet", None)]))
    rows = tickets(order.id)
    assert len(rows) == 5
    by_line: dict[int, list[int]] = {}
    for row in rows:
        by_line.setdefault(row.order_line_id, []).append(row.seq)
    assert sorted(sorted(v) for v in by_line.values()) == [[1, 2], [1, 2, 3]]
    secrets = [row.secret for row in rows]
    assert len(set(secrets)) == len(secrets)
    assert all(len(s) >= 32 and set(s) <= set(CODE_ALPHABET) for s in secrets)
    assert not set(CODE_ALPHABET) & set("01OIL")  # no look-alikes
    assert {row.holder for row in rows} == {order.holder_name}
    assert {row.status for row in rows} == {"valid"}


def test_r_ord_3_no_ticket_for_courrier_lines(agent, gala, parc):
    oid, sid = gala
    order = pay(place(agent, [(oid, 2, "courrier", sid), (parc, 1, "e_billet", None)]))
    rows = tickets(order.id)
    e_line = next(x for x in order.lines if x.delivery == "e_billet")
    assert [(r.order_line_id, r.seq) for r in rows] == [(e_line.id, 1)]


def test_r_pay_3_no_ticket_before_the_cheque_is_cashed(agent, parc, mailbox):
    order = place(agent, [(parc, 2, "e_billet", None)], method="cheque")
    assert order.status == "option"
    assert tickets(order.id) == []
    assert etickets.tickets_of(order) == []
    pay(order, method="cheque")
    assert len(tickets(order.id)) == 2


def test_issuing_twice_adds_nothing(agent, parc):
    order = pay(place(agent, [(parc, 2, "e_billet", None)]))
    order = session().get(Order, order.id)
    assert etickets.issue_for_order(order) == []
    pay(order)  # a duplicate payment event changes nothing either
    assert len(tickets(order.id)) == 2


def test_r_ord_2_etickets_mail_carries_one_pdf_per_ticket(agent, gala, mailbox):
    oid, sid = gala
    order = pay(place(agent, [(oid, 2, "e_billet", sid)]))
    mails = mailbox.wait_for(3)
    [mail] = [m for m in mails if "e-billets sont prêts" in m["Subject"]]
    assert "Mes commandes" in mailbox.text_of(mail)
    files = list(mail.iter_attachments())
    assert len(files) == 2
    assert {f.get_content_type() for f in files} == {"application/pdf"}
    assert all(f.get_filename().startswith(f"e-billet-{order.number}-") for f in files)
    first = PdfReader(io.BytesIO(files[0].get_content())).pages[0].extract_text()
    assert order.number in first and "Gala de l'Opéra" in first


def test_r_ord_3_pdf_prints_event_session_holder_order_and_secret(agent, gala):
    oid, sid = gala
    order = pay(place(agent, [(oid, 2, "e_billet", sid)]))
    items = etickets.tickets_of(session().get(Order, order.id))
    data = etickets.render_pdf(items)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    text = reader.pages[1].extract_text()
    assert "Gala de l'Opéra" in text
    assert "mercredi 31 mars 2027 à 10:00" in text  # the session, in Paris time
    assert "Opéra de Lyon" in text
    assert "Mme Léa Martin" in text
    assert order.number in text
    assert "2/2" in text
    assert etickets.spaced(items[1].ticket.secret) in text


def test_r_ord_3_reissue_invalidates_only_that_ticket_and_is_audited(agent, parc, mailbox):
    order = pay(place(agent, [(parc, 3, "e_billet", None)]))
    before = tickets(order.id)
    leaked = before[1]
    old_secret = leaked.secret
    new = etickets.reissue(leaked.id, Operator())
    after = {t.id: t for t in tickets(order.id)}
    assert after[leaked.id].status == "cancelled"
    assert new.status == "valid" and new.seq == leaked.seq and new.secret != old_secret
    for untouched in (before[0], before[2]):
        assert after[untouched.id].status == "valid"
        assert after[untouched.id].secret == untouched.secret
    valid = etickets.tickets_of(session().get(Order, order.id))
    assert sorted(t.ticket.id for t in valid) == sorted([before[0].id, before[2].id, new.id])

    entry = session().scalar(select(AuditEntry).where(AuditEntry.action == "eticket.reissued"))
    assert entry.actor == "staff:ops@test" and entry.subject == f"order:{order.number}"
    logged = repr(entry.before) + repr(entry.after)
    assert old_secret not in logged and new.secret not in logged
    assert entry.before["secret_fingerprint"] == etickets.fingerprint(old_secret)
    assert entry.after["secret_fingerprint"] == etickets.fingerprint(new.secret)

    # The old ticket is gone from downloads and from any mail still waiting to leave.
    assert etickets._eticket_attachment(leaked.id) is None
    mail = session().scalar(select(OutboxMail).where(OutboxMail.kind == "orders/eticket_reissued"))
    assert mail.attachments == [{"kind": "eticket", "id": new.id}]
    sent = [m for m in mailbox.wait_for(4) if "remplacé" in m["Subject"]]
    assert len(list(sent[0].iter_attachments())) == 1

    with pytest.raises(DomainError, match="déjà été remplacé"):
        etickets.reissue(leaked.id, Operator())


def test_r_ord_5_event_cancellation_cancels_its_etickets(agent, gala):
    oid, sid = gala
    order = pay(place(agent, [(oid, 2, "e_billet", sid)]))
    refunds.cancel_event(Operator(), session_id=sid)
    order = session().get(Order, order.id)
    assert etickets.tickets_of(order) == []
    with pytest.raises(DomainError, match="plus d'e-billet valable|remplacé ou annulé"):
        etickets.reissue(tickets(order.id)[0].id, Operator())


def test_r_ord_6_resend_matches_the_status(agent, parc, clock, mailbox):
    order = place(agent, [(parc, 1, "e_billet", None)], method="cheque")
    with pytest.raises(DomainError, match="patientez"):
        etickets.resend_confirmation(order.id, actor=agent)  # the same mail just left
    clock.advance(minutes=2)
    mail = etickets.resend_confirmation(order.id, actor=agent)
    assert mail.kind == "orders/placed" and "Postez votre chèque" in mail.body_text
    pay(order, method="cheque")
    clock.advance(minutes=2)
    mail = etickets.resend_confirmation(order.id, actor=agent)
    assert mail.kind == "orders/etickets_ready" and len(mail.attachments) == 1
