"""The cheque desk (R-PAY-3, R-PAY-4, R-OPS-3, R-OPS-6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import NOW_PARIS, login_agent, login_staff
from tests.web.ops.helpers import (
    count_of,
    euros,
    order_of,
    place,
    register,
    stock_of,
    text,
    used_of,
)


def expire(app):
    from orders import services

    with app.app_context():
        return services.expire_due()


def test_r_pay_4_cheque_one_cent_short_refuses_and_cancels(operator, app, agent, parc, mailbox):
    number = place(app, agent, parc, 2)
    order = order_of(app, number)
    assert order.status == "option" and stock_of(app, parc) == 8
    assert used_of(app, "H-CHQ") == 3000
    mailbox.clear()
    resp = register(operator, number, euros(order.total_cents - 1))
    page = text(resp)
    assert resp.status_code == 200
    assert "Chèque refusé" in page and "à retourner à l'agent" in page
    assert order_of(app, number).status == "cancelled"
    assert stock_of(app, parc) == 10 and used_of(app, "H-CHQ") == 0
    mail = next(m for m in mailbox.wait_for(1) if "annulée" in m["Subject"])
    body = mailbox.text_of(mail)
    assert "refusé" in body and "49,99" in body and "50,00" in body
    from orders.models import Payment

    assert count_of(app, Payment, order_id=order.id) == 0


def test_r_pay_4_exact_cheque_pays_and_issues_etickets(operator, app, agent, parc, mailbox):
    from orders.models import ETicket, Payment
    from shop.audit import AuditEntry

    number = place(app, agent, parc, 2)
    order = order_of(app, number)
    resp = register(operator, number, euros(order.total_cents), cheque="0012 345")
    assert "Chèque accepté" in text(resp)
    assert order_of(app, number).status == "paid"
    assert count_of(app, ETicket, order_id=order.id, status="valid") == 2
    with app.app_context():
        from shop.db import session

        pay = session().scalar(select(Payment).where(Payment.order_id == order.id))
        entry = session().scalar(
            select(AuditEntry).where(AuditEntry.action == "order.cheque_registered")
        )
    assert pay.method == "cheque" and pay.provider_ref == f"cheque-{number}-0012345"
    assert pay.details["cheque_number"] == "0012345"
    assert entry.before == {"status": "option"} and entry.after["status"] == "paid"
    assert entry.actor.startswith("staff:")
    subjects = [m["Subject"] for m in mailbox.wait_for(3)]
    assert any("e-billets" in s for s in subjects)


def test_r_rep_2b_the_bank_noted_at_the_desk_is_kept_for_the_slip(operator, app, agent, parc):
    from orders.models import Payment

    number = place(app, agent, parc, 1)
    order = order_of(app, number)
    resp = register(operator, number, euros(order.total_cents), bank="x" * 61)
    page = text(resp)
    assert resp.status_code == 422 and "Nom de banque trop long" in page
    assert number in page  # what was typed is kept
    assert order_of(app, number).status == "option"
    resp = register(operator, number, euros(order.total_cents), bank="  La Banque Postale ")
    assert "Chèque accepté" in text(resp)
    with app.app_context():
        from shop.db import session

        pay = session().scalar(select(Payment).where(Payment.order_id == order.id))
    assert pay.details["bank"] == "La Banque Postale"


def test_r_pay_4_same_cheque_twice_is_harmless(operator, app, agent, parc):
    from orders.models import ETicket, Payment
    from shop.audit import AuditEntry

    number = place(app, agent, parc, 1)
    amount = euros(order_of(app, number).total_cents)
    register(operator, number, amount)
    again = text(register(operator, number, amount))
    assert "déjà été enregistré" in again
    order = order_of(app, number)
    assert count_of(app, Payment, order_id=order.id) == 1
    assert count_of(app, ETicket, order_id=order.id) == 1
    assert count_of(app, AuditEntry, action="order.cheque_registered") == 1
    # A refused cheque registered twice does not cancel or mail twice either.
    other = place(app, agent, parc, 1)
    register(operator, other, "1,00", cheque="77")
    assert "déjà été enregistré" in text(register(operator, other, "1,00", cheque="77"))
    assert count_of(app, AuditEntry, action="order.cancelled") == 1


def test_r_pay_3_late_cheque_is_replaced_while_stock_remains(operator, app, agent, parc, clock):
    number = place(app, agent, parc, 2)
    total = order_of(app, number).total_cents
    clock.set(NOW_PARIS + timedelta(days=9))
    operator.relogin()
    assert expire(app) == 1
    assert order_of(app, number).status == "cancelled" and stock_of(app, parc) == 10
    assert used_of(app, "H-CHQ") == 0
    page = text(register(operator, number, euros(total)))
    assert "commande reprise" in page and "même prix" in page
    order = order_of(app, number)
    assert order.status == "paid" and order.total_cents == total and order.cancelled_at is None
    assert stock_of(app, parc) == 8 and used_of(app, "H-CHQ") == 3000


def test_r_pay_3_late_cheque_without_stock_is_to_be_returned(operator, app, agent, parc, clock):
    from catalog.models import Offer
    from shop.db import unit_of_work

    number = place(app, agent, parc, 2)
    total = order_of(app, number).total_cents
    clock.set(NOW_PARIS + timedelta(days=9))
    operator.relogin()
    expire(app)
    with app.app_context(), unit_of_work() as s:
        s.execute(update(Offer).where(Offer.id == parc).values(stock=1))
    page = text(register(operator, number, euros(total)))
    assert "Chèque à retourner à l'agent" in page
    assert "plus disponibles" in page
    assert order_of(app, number).status == "cancelled"
    assert stock_of(app, parc) == 1 and used_of(app, "H-CHQ") == 0


def test_r_ops_3_options_listed_by_days_left(operator, app, make_agent, parc, clock):
    first, _ = make_agent(household_id="H-OPT1")
    second, _ = make_agent(household_id="H-OPT2")
    clock.set(NOW_PARIS - timedelta(days=5))
    older = place(app, first, parc, 1)
    clock.set(NOW_PARIS)
    newer = place(app, second, parc, 1)
    card = place(app, second, parc, 1, method="card")
    page = text(operator.get("/gestion/cheques"))
    assert page.index(older) < page.index(newer)
    assert card not in page
    # Placed on 24 February: held until the end of 3 March, two days after today.
    assert "2 jours" in page and "mercredi 3 mars 2027" in page
    assert "7 jours" in page and "lundi 8 mars 2027" in page


def test_bad_cheque_input_is_answered_in_french_beside_the_field(operator, app, agent, parc):
    number = place(app, agent, parc, 1)
    resp = register(operator, number, "12,3x")
    page = text(resp)
    assert resp.status_code == 422
    assert "Montant invalide" in page
    assert 'value="12,3x"' in page and f'value="{number}"' in page
    assert order_of(app, number).status == "option"
    resp = register(operator, "L27-999999", "12,30", cheque="55")
    page = text(resp)
    assert resp.status_code == 422
    assert "Aucune commande ne porte ce numéro." in page
    assert 'value="L27-999999"' in page and 'value="12,30"' in page and 'value="55"' in page
    resp = register(operator, "", "", cheque="")
    assert resp.status_code == 422 and "Indiquez le montant du chèque." in text(resp)


def test_a_card_order_takes_no_cheque(operator, app, agent, parc):
    number = place(app, agent, parc, 1, method="card")
    resp = register(operator, number, euros(order_of(app, number).total_cents))
    assert resp.status_code == 422 and "carte bancaire" in text(resp)
    assert order_of(app, number).status == "pending_payment"


@pytest.mark.parametrize("url", ["/gestion/cheques", "/gestion/commandes", "/gestion/annulations"])
def test_agents_and_partners_cannot_open_the_desk(client, make_agent, make_staff, url):
    number, code = make_agent()
    login_agent(client, number, code)
    resp = client.get(url)
    assert resp.status_code == 302 and "/gestion/connexion" in resp.location
    posts = url != "/gestion/commandes"
    if posts:
        assert client.post(url, data={}).status_code == 302
    client.post("/deconnexion")
    email, password = make_staff("partner", partner="festibillet")
    login_staff(client, email, password)
    assert client.get(url).status_code == 404
    if posts:
        assert client.post(url, data={}).status_code == 404
