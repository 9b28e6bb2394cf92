"""Operators' order pages (R-OPS-1, R-ORD-3, R-ORD-6, R-OPS-4, R-OPS-6)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from orders import refunds, services
from shop.mail import OutboxMail
from tests.factories import NOW_PARIS, utc
from tests.web.ops.helpers import count_of, euros, order_of, place, register, text, used_of


def pay_by_cheque(client, app, number, cheque="9001"):
    register(client, number, euros(order_of(app, number).total_cents), cheque=cheque)
    assert order_of(app, number).status == "paid"


def tickets_of(app, order_id):
    from orders.models import ETicket
    from shop.db import session

    with app.app_context():
        return list(
            session().scalars(
                select(ETicket).where(ETicket.order_id == order_id).order_by(ETicket.id)
            )
        )


def test_r_ops_1_agent_page_lists_orders_and_search_finds_them(operator, app, agent, parc):
    number = place(app, agent, parc, 1)
    page = text(operator.get(f"/gestion/?q={agent}"))
    assert "Commandes" in page and number in page and "Option (chèque attendu)" in page
    resp = operator.get(f"/gestion/commandes?q={number.lower()}")
    assert resp.status_code == 302 and resp.location.endswith(f"/gestion/commandes/{number}")
    listing = text(operator.get(f"/gestion/commandes?q={agent}"))
    assert number in listing
    assert "Aucune commande" in text(operator.get("/gestion/commandes?q=L00-000000"))
    assert operator.get("/gestion/commandes/L00-000000").status_code == 404


def test_order_detail_shows_agent_status_lines_and_payments(operator, app, agent, parc):
    number = place(app, agent, parc, 2)
    pay_by_cheque(operator, app, number)
    page = text(operator.get(f"/gestion/commandes/{number}"))
    assert agent in page and "Payée" in page and "Parc des Oiseaux" in page
    assert "chèque n° 9001" in page and "50,00" in page
    assert page.count("Réémettre</button>") == 2
    assert "Renvoyer la confirmation" in page
    assert "Annuler la commande" not in page  # paid: refunded, not cancelled


def test_r_ord_3_reissue_invalidates_only_that_ticket(operator, app, agent, parc):
    from shop.audit import AuditEntry

    number = place(app, agent, parc, 2)
    pay_by_cheque(operator, app, number)
    order = order_of(app, number)
    first, second = tickets_of(app, order.id)
    resp = operator.post(f"/gestion/commandes/{number}/e-billets/{first.id}/reemettre")
    assert resp.status_code == 302
    after = {t.id: t for t in tickets_of(app, order.id)}
    assert after[first.id].status == "cancelled"
    assert after[second.id].status == "valid" and after[second.id].secret == second.secret
    new = [t for t in after.values() if t.id not in (first.id, second.id)]
    assert len(new) == 1 and new[0].seq == first.seq and new[0].secret != first.secret
    assert count_of(app, AuditEntry, action="eticket.reissued") == 1
    assert "réémis" in text(operator.get(f"/gestion/commandes/{number}"))
    # The replaced ticket cannot be re-issued again; another order's ticket is a 404.
    again = operator.post(f"/gestion/commandes/{number}/e-billets/{first.id}/reemettre")
    assert "plus valable" in text(operator.get(again.location))
    other = place(app, agent, parc, 1)
    resp = operator.post(f"/gestion/commandes/{other}/e-billets/{second.id}/reemettre")
    assert resp.status_code == 404


def test_r_ord_6_resend_confirmation_from_the_order(operator, app, agent, parc, mailbox, clock):
    number = place(app, agent, parc, 1)
    clock.advance(minutes=2)  # the "placed" mail itself is not re-sent within a minute
    mailbox.clear()
    resp = operator.post(f"/gestion/commandes/{number}/confirmation", follow_redirects=True)
    assert "Confirmation renvoyée" in text(resp)
    assert any(number in m["Subject"] for m in mailbox.wait_for(1))
    again = operator.post(f"/gestion/commandes/{number}/confirmation", follow_redirects=True)
    assert "patientez une minute" in text(again)


def test_cancel_an_option_with_a_reason(operator, app, agent, parc, mailbox):
    from shop.audit import AuditEntry

    number = place(app, agent, parc, 2)
    resp = operator.post(f"/gestion/commandes/{number}/annuler", data={"reason": "  "})
    assert resp.status_code == 422 and "Indiquez le motif" in text(resp)
    assert order_of(app, number).status == "option"
    mailbox.clear()
    resp = operator.post(
        f"/gestion/commandes/{number}/annuler", data={"reason": "Demande de l'agent au téléphone"}
    )
    assert resp.status_code == 302
    order = order_of(app, number)
    assert order.status == "cancelled" and used_of(app, "H-CHQ") == 0
    assert count_of(app, AuditEntry, action="order.cancelled") == 1
    body = text(operator.get(f"/gestion/commandes/{number}"))
    assert "Annulée" in body and "Demande de l'agent au téléphone" in body
    mail = mailbox.wait_for(1)[0]
    assert "Demande de l'agent au téléphone" in mailbox.text_of(mail)
    resp = operator.post(f"/gestion/commandes/{number}/annuler", data={"reason": "Encore"})
    assert resp.status_code == 422 and "en option peut être annulée" in text(resp)


@pytest.fixture
def concert(app, make_offer):
    from catalog.models import OfferSession
    from shop.db import session

    starts = utc(NOW_PARIS + timedelta(days=30))
    later = utc(NOW_PARIS + timedelta(days=31))
    oid = make_offer(title="Concert du printemps", sessions=[(starts, 20), (later, 20)])
    with app.app_context():
        ids = list(
            session().scalars(
                select(OfferSession.id)
                .where(OfferSession.offer_id == oid)
                .order_by(OfferSession.starts_at)
            )
        )
    return oid, ids


def test_r_ops_4_cancel_a_session_refunds_and_summarises(
    operator, app, agent, make_agent, concert, mailbox
):
    from orders.models import Payment
    from shop.audit import AuditEntry
    from shop.db import session

    oid, (first, second) = concert
    other, _ = make_agent(household_id="H-OTHER")
    paid = place(app, agent, oid, 2, session_id=first)
    pay_by_cheque(operator, app, paid)
    option = place(app, other, oid, 1, session_id=first)
    untouched = place(app, other, oid, 1, session_id=second)
    assert used_of(app, "H-CHQ") == 3000

    found = text(operator.get("/gestion/annulations?q=printemps"))
    assert "Concert du printemps" in found
    form_page = text(operator.get(f"/gestion/annulations?q=printemps&offre={oid}"))
    assert f'value="{first}"' in form_page and 'value="offre"' in form_page

    resp = operator.post(f"/gestion/annulations?offre={oid}", data={"reason": "Artiste malade"})
    assert resp.status_code == 422 and "Choisissez une séance" in text(resp)
    assert "Artiste malade" in text(resp)
    resp = operator.post(
        f"/gestion/annulations?offre={oid}", data={"target": str(first), "reason": ""}
    )
    assert resp.status_code == 422 and "Indiquez le motif" in text(resp)

    # First the impact, nothing changed yet; then the explicit confirmation.
    preview = operator.post(
        f"/gestion/annulations?offre={oid}",
        data={"target": str(first), "reason": "Artiste malade"},
    )
    assert preview.status_code == 200
    impact = text(preview).split('id="impact"', 1)[1]
    assert (
        '<th scope="row">Commandes concernées</th><td>2 (1 payée à rembourser, 1 non payée'
        in impact
    )
    assert '<th scope="row">Billets</th><td>3</td>' in impact
    assert '<th scope="row">Agents prévenus</th><td>2</td>' in impact
    assert "À rembourser par virement</th><td>50,00" in impact
    assert "À rembourser par carte</th><td>0,00" in impact
    assert "Participation rendue aux plafonds</th><td>45,00" in impact
    assert "Confirmer l'annulation et rembourser" in impact
    assert 'name="reason" value="Artiste malade"' in impact
    assert order_of(app, paid).status == "paid" and order_of(app, option).status == "option"
    assert count_of(app, AuditEntry, action="event.cancelled") == 0
    resp = operator.post(
        f"/gestion/annulations?offre={oid}",
        data={"target": str(first), "reason": "Artiste malade", "confirm": "1"},
    )
    assert resp.status_code == 302 and "/gestion/annulations/bilan/" in resp.location
    page = text(operator.get(resp.location))
    assert "Annulation enregistrée" in page
    # Reloading the summary is a plain read: nothing is cancelled or audited twice. (The
    # logout form's CSRF token carries the second it was made in: not compared.)
    assert _without_csrf(text(operator.get(resp.location))) == _without_csrf(page)
    assert count_of(app, AuditEntry, action="event.cancelled") == 1
    assert operator.get("/gestion/annulations/bilan/999999").status_code == 404
    figures = page.split("<dl", 1)[1].split("</dl>", 1)[0]
    assert "<dt>Commandes remboursées</dt><dd>1</dd>" in figures
    assert "<dt>Montant remboursé</dt><dd>50,00" in figures
    assert "<dt>Participation rendue aux plafonds</dt><dd>30,00" in figures
    assert "<dt>E-billets annulés</dt><dd>2</dd>" in figures
    assert "<dt>Options et commandes non payées annulées</dt><dd>1</dd>" in figures
    assert paid in page and option in page and untouched not in page
    assert order_of(app, paid).status == "refunded" and used_of(app, "H-CHQ") == 0
    assert order_of(app, option).status == "cancelled"
    assert order_of(app, untouched).status == "option"
    with app.app_context():
        cancelled_mail = session().scalar(
            select(OutboxMail.body_text).where(OutboxMail.kind == "orders/cancelled")
        )
    assert "remises en vente" not in cancelled_mail  # the event is cancelled: nothing on sale
    assert "L'événement étant annulé par le C.G.O.S" in cancelled_mail

    # The cheque order is owed a bank transfer, which the operator marks done (audited).
    detail = text(operator.get(f"/gestion/commandes/{paid}"))
    assert "Virement à effectuer" in detail
    with app.app_context():
        refund = session().scalar(
            select(Payment).where(
                Payment.order_id == order_of(app, paid).id, Payment.kind == "refund"
            )
        )
    url = f"/gestion/commandes/{paid}/remboursements/{refund.id}/virement"
    assert operator.post(f"/gestion/commandes/{untouched}/remboursements/{refund.id}/virement")
    assert operator.post(url).status_code == 302
    operator.post(url)
    detail = text(operator.get(f"/gestion/commandes/{paid}"))
    assert "Virement à effectuer" not in detail and "Virement effectué" in detail
    assert count_of(app, AuditEntry, action="order.refund_transfer_done") == 1


def test_r_ops_4_cancel_a_whole_offer(operator, app, agent, concert):
    oid, (first, second) = concert
    a = place(app, agent, oid, 1, session_id=first)
    b = place(app, agent, oid, 1, session_id=second)
    pay_by_cheque(operator, app, a, cheque="1")
    pay_by_cheque(operator, app, b, cheque="2")
    resp = operator.post(
        f"/gestion/annulations?offre={oid}",
        data={"target": "offre", "reason": "Tournée annulée", "confirm": "1"},
    )
    page = text(operator.get(resp.location))
    assert "<dt>Commandes remboursées</dt><dd>2</dd>" in page
    assert "Concert du printemps" in page
    assert order_of(app, a).status == order_of(app, b).status == "refunded"


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def test_r_ops_4_impact_splits_card_and_transfer_in_constant_statements(
    operator, app, agent, make_agent, concert, count_queries
):
    oid, (first, _second) = concert
    by_cheque = place(app, agent, oid, 1, session_id=first)
    pay_by_cheque(operator, app, by_cheque)
    with app.app_context(), count_queries() as one_order:
        refunds.cancellation_impact(session_id=first)
    numbers = []
    for i in range(3):
        other, _ = make_agent(household_id=f"H-CARTE-{i}")
        numbers.append(place(app, other, oid, 2, method="card", session_id=first))
    with app.app_context():
        for n in numbers:
            order = order_of(app, n)
            services.mark_paid(
                order.id, method="demo", amount_cents=order.total_cents,
                provider_ref=f"d-{n}", actor=None,
            )  # fmt: skip
    with app.app_context(), count_queries() as counted:
        impact = refunds.cancellation_impact(session_id=first)
    assert counted() == one_order() <= 4  # the same statements, whatever the orders
    assert (impact.orders_refunded, impact.orders_cancelled) == (4, 0)
    assert impact.tickets == 7 and impact.agents == 4
    assert impact.transfer_cents == 2500 and impact.card_cents == 3 * 2 * 2500
    assert impact.participation_cents == 7 * 1500
    page = text(
        operator.post(
            f"/gestion/annulations?offre={oid}", data={"target": str(first), "reason": "Pluie"}
        )
    )
    assert "À rembourser par carte</th><td>150,00" in page
