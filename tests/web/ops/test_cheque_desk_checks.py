"""The cheque desk shows the order before registering, and a differing amount needs the
operator's confirmation (R-OPS-10); returned cheques are recorded and the agent told."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.factories import NOW_PARIS
from tests.web.ops.helpers import count_of, euros, order_of, place, register, text


def test_r_ops_10_verify_shows_agent_and_expected_amount(operator, app, agent, parc):
    number = place(app, agent, parc, 2)
    order = order_of(app, number)
    resp = operator.post(
        "/gestion/cheques", data={"order_number": number.lower(), "action": "verifier"}
    )
    page = text(resp)
    assert resp.status_code == 200
    assert order.holder_name in page and agent in page and "50,00" in page
    assert "Option en attente de ce chèque" in page
    assert f'value="{number.lower()}"' in page  # what was typed is kept
    assert order_of(app, number).status == "option"
    missing = operator.post(
        "/gestion/cheques", data={"order_number": "L26-999999", "action": "verifier"}
    )
    assert missing.status_code == 422
    assert "Aucune commande ne porte ce numéro." in text(missing)


def test_r_ops_10_json_lookup_for_the_desk_script(operator, app, agent, parc):
    number = place(app, agent, parc, 1)
    data = operator.get(f"/gestion/cheques/commande?numero={number}").get_json()
    assert data["number"] == number and data["cgos_number"] == agent
    assert data["expected_cents"] == 2500 and data["payable"] is True
    resp = operator.get("/gestion/cheques/commande?numero=L26-1")
    assert resp.status_code == 404 and "Aucune commande" in resp.get_json()["error"]
    page = text(operator.get("/gestion/cheques"))
    assert 'src="/static/js/cheque-desk.js' in page or "js/cheque-desk.js" in page
    assert "<script>" not in page


def test_r_ops_10_a_typo_in_the_amount_asks_confirmation_first(operator, app, agent, parc, mailbox):
    from shop.audit import AuditEntry

    number = place(app, agent, parc, 2)
    mailbox.clear()
    resp = register(operator, number, "5,00", confirm=False)
    page = text(resp)
    assert resp.status_code == 422
    assert "Montant différent : confirmer le refus ?" in page
    assert "50,00 € attendus, 5,00 € saisis" in page.replace("\u202f", " ").replace("\xa0", " ")
    assert 'value="5,00"' in page and 'value="1234567"' in page
    assert order_of(app, number).status == "option"
    assert count_of(app, AuditEntry, action="order.cheque_registered") == 0
    assert mailbox.messages == []
    # Corrected amount: paid, nothing cancelled.
    assert "Chèque accepté" in text(register(operator, number, "50,00", confirm=False))
    assert order_of(app, number).status == "paid"


def test_r_ops_10_confirmed_refusal_cancels_and_the_mail_tells_the_truth(
    operator, app, agent, parc, mailbox
):
    number = place(app, agent, parc, 2)
    mailbox.clear()
    page = text(register(operator, number, "49,99", confirm=True))
    assert "Chèque refusé" in page
    assert order_of(app, number).status == "cancelled"
    mail = next(m for m in mailbox.wait_for(1) if "annulée" in m["Subject"])
    body = mailbox.text_of(mail)
    assert "sera accepté" not in body
    assert "retourné par courrier" in body and "passez une nouvelle commande" in body
    detail = text(operator.get(f"/gestion/commandes/{number}"))
    assert "Chèques retournés à l'agent" in detail and "n° 1234567" in detail


def test_gap_13_returned_late_cheque_recorded_and_agent_told(
    operator, app, agent, parc, clock, mailbox
):
    from catalog.models import Offer
    from orders import services
    from shop.audit import AuditEntry
    from shop.db import unit_of_work

    number = place(app, agent, parc, 2)
    total = order_of(app, number).total_cents
    clock.set(NOW_PARIS + timedelta(days=9))
    operator.relogin()
    with app.app_context():
        services.expire_due()
    with app.app_context(), unit_of_work() as s:
        s.execute(update(Offer).where(Offer.id == parc).values(stock=1))
    mailbox.clear()
    page = text(register(operator, number, euros(total), cheque="880011"))
    assert "Chèque à retourner à l'agent" in page
    [mail] = [m for m in mailbox.wait_for(1) if "chèque vous est retourné" in m["Subject"]]
    body = mailbox.text_of(mail)
    assert "880011" in body and "plus disponibles" in body and "nouvelle commande" in body
    detail = text(operator.get(f"/gestion/commandes/{number}"))
    assert "Chèques retournés à l'agent" in detail and "n° 880011" in detail
    assert "plus disponibles" in detail
    with app.app_context():
        from shop.db import session

        entry = session().query(AuditEntry).filter_by(action="order.cheque_registered").one()
    assert entry.after["outcome"] == "returned" and "plus disponibles" in entry.after["why"]


def test_gap_13_the_agent_sees_the_returned_cheque_on_the_order(
    operator, app, make_agent, parc, client
):
    from tests.factories import login_agent

    number_agent, code = make_agent(household_id="H-RET", email="ret@exemple.fr")
    number = place(app, number_agent, parc, 1)
    register(operator, number, "1,00", cheque="4455")
    assert order_of(app, number).status == "cancelled"
    agent_client = app.test_client()
    login_agent(agent_client, number_agent, code)
    page = text(agent_client.get(f"/mes-commandes/{number}"))
    assert "Chèques non encaissés" in page and "n° 4455" in page
    assert "retourné par courrier" in page
