"""Refunds of paid orders decided by an operator (R-OPS-8): per line or whole, by bank
transfer for cheque orders, listed in « Virements à effectuer » until marked done."""

from __future__ import annotations

import re

import pytest

from tests.web.ops.helpers import count_of, euros, order_of, place, register, text, used_of


@pytest.fixture
def ballet(make_offer):
    return make_offer(kind="billet_ouvert", title="Ballet", stock=10)


def _paid(operator, app, agent, parc, ballet=None):
    """A cheque order of 2 × Parc (+ 1 × Ballet), paid (e-billets issued)."""
    from auth.principals import agent_user
    from members.dossiers import dossier_source
    from orders import cart as carts
    from orders.models import OrderLine
    from shop.db import session

    if ballet is not None:
        with app.app_context():
            who = agent_user(dossier_source().get(agent))
            carts.add_to_cart(who, ballet, quantity=1, delivery="e_billet")
    number = place(app, agent, parc, 2)
    order = order_of(app, number)
    register(operator, number, euros(order.total_cents))
    with app.app_context():
        lines = list(session().query(OrderLine).filter_by(order_id=order.id).order_by(OrderLine.id))
    return number, lines


def _refund(operator, number, lines=(), reason="geste", amount=""):
    return operator.post(
        f"/gestion/commandes/{number}/rembourser",
        data={"lines": [str(x) for x in lines], "reason": reason, "amount": amount},
    )


def test_r_ops_8_cheque_order_refunded_by_transfer_listed_exported_and_marked_done(
    operator, app, agent, parc, ballet, mailbox, clock
):
    from orders.models import ETicket, Payment
    from shop.audit import AuditEntry

    number, [line] = _paid(operator, app, agent, parc)
    assert used_of(app, "H-CHQ") == 3000
    page = text(operator.get(f"/gestion/commandes/{number}"))
    assert "Rembourser" in page and "remboursable au plus" in page
    mailbox.clear()
    resp = _refund(operator, number, [line.id], reason="doublon")
    assert resp.status_code == 302, text(resp)
    flash = text(operator.get(resp.location))
    assert "Virements à effectuer" in flash
    order = order_of(app, number)
    assert order.status == "refunded"
    assert used_of(app, "H-CHQ") == 0  # participation back to the cap
    assert count_of(app, ETicket, order_id=order.id, status="valid") == 0
    [refund] = [p for p in _payments(app, order) if p.kind == "refund"]
    assert (refund.method, refund.status, refund.amount_cents) == (
        "transfer",
        "refund_pending",
        5000,
    )
    [entry] = [e for e in _audit(app, AuditEntry) if e.action == "order.refunded"]
    assert entry.before == {"status": "paid", "refunded": 0}
    assert entry.after["status"] == "refunded" and entry.after["amount"] == 5000
    assert entry.after["method"] == "transfer" and entry.after["participation"] == 3000
    [mail] = mailbox.wait_for(1)
    body = mailbox.text_of(mail)
    assert number in mail["Subject"] and "virement bancaire" in body
    assert "Commande passée en double" in body and "50,00" in body
    # The list, the CSV, then marked done with a date.
    listing = text(operator.get("/gestion/virements"))
    assert number in listing and "Commande passée en double" in listing and "50,00" in listing
    csv = operator.get("/gestion/virements.csv")
    raw = csv.get_data(as_text=True)
    assert csv.mimetype == "text/csv" and raw.startswith("\ufeff")
    assert f";{number};" in raw and ";50,00;" in raw and "\r\n" in raw
    resp = operator.post(
        f"/gestion/commandes/{number}/remboursements/{refund.id}/virement",
        data={"done_on": "2027-03-01", "retour": "virements"},
    )
    assert resp.location.endswith("/gestion/virements")
    assert (
        number
        not in text(operator.get("/gestion/virements")).split("Aucun")[0].split("<tbody>")[-1]
    )
    assert count_of(app, Payment, id=refund.id, status="refunded") == 1
    detail = text(operator.get(f"/gestion/commandes/{number}"))
    assert "Virement effectué le lundi 1er mars 2027" in detail
    [done] = [e for e in _audit(app, AuditEntry) if e.action == "order.refund_transfer_done"]
    assert done.after["done_on"] == "2027-03-01" and done.before["status"] == "to_pay"


def test_r_ops_8_a_refund_never_exceeds_what_was_paid(operator, app, agent, parc):
    number, [line] = _paid(operator, app, agent, parc)
    # Goodwill of the whole line but one cent: allowed; then the last cent; then nothing left.
    assert _refund(operator, number, amount="49,99").status_code == 302
    order = order_of(app, number)
    assert order.status == "partially_refunded"
    resp = _refund(operator, number, amount="0,02")
    assert resp.status_code == 422
    page = text(resp).replace("\u202f", " ").replace("\xa0", " ")
    assert "Le remboursement dépasse ce qui a été payé" in page and "0,01 € au plus" in page
    assert 'value="0,02"' in page
    assert _refund(operator, number, amount="0,01").status_code == 302
    page = text(operator.get(f"/gestion/commandes/{number}"))
    assert 'action="/gestion/commandes/' + number + '/rembourser"' not in page
    resp = _refund(operator, number, [line.id], reason="doublon")
    assert resp.status_code == 422 and "0,00 € au plus" in text(resp).replace("\xa0", " ")


def test_r_ops_8_line_already_refunded_and_bad_input(operator, app, agent, parc, ballet, mailbox):
    from orders.models import Payment

    number, lines = _paid(operator, app, agent, parc, ballet)
    parc_line, ballet_line = sorted(lines, key=lambda x: x.title)[::-1]
    assert ballet_line.title == "Ballet"
    order = order_of(app, number)
    assert "Choisissez le motif du remboursement." in text(
        _refund(operator, number, [parc_line.id], reason="")
    )
    assert "Cochez au moins un article" in text(_refund(operator, number, reason="doublon"))
    resp = _refund(operator, number, [parc_line.id], reason="retractation")
    assert resp.status_code == 422 and "droit de rétractation" in text(resp)
    resp = _refund(operator, number, [parc_line.id], reason="geste", amount="10,00")
    assert resp.status_code == 422 and "ne cochez aucun article" in text(resp)
    pid = parc_line.id
    assert f'id="line-{pid}" name="lines" value="{pid}" checked' in text(resp)
    mailbox.clear()
    assert _refund(operator, number, [ballet_line.id], reason="geste").status_code == 302
    assert order_of(app, number).status == "partially_refunded"
    body = mailbox.text_of(mailbox.wait_for(1)[0])
    assert "Ballet" in body and "Geste commercial" in body and "Parc des Oiseaux" not in body
    # Second refund naming the line already refunded: refused in French, nothing written.
    resp = _refund(operator, number, [ballet_line.id], reason="geste")
    assert resp.status_code == 422
    assert "L'article « Ballet » est déjà remboursé." in text(resp)
    assert _refund(operator, number, ["abc", "99999999"], reason="geste").status_code == 422
    assert count_of(app, Payment, order_id=order.id, kind="refund") == 1
    # The rest: the order is refunded in full (fees excepted).
    assert _refund(operator, number, [parc_line.id], reason="doublon").status_code == 302
    assert order_of(app, number).status == "refunded"
    assert used_of(app, "H-CHQ") == 0


def test_r_ops_8_unpaid_order_cannot_be_refunded(operator, app, agent, parc):
    number = place(app, agent, parc, 1)
    resp = _refund(operator, number, reason="geste", amount="1,00")
    assert resp.status_code == 422 and "Seule une commande payée" in text(resp)
    assert operator.post("/gestion/commandes/L26-999999/rembourser").status_code == 404


def _payments(app, order):
    from orders.models import Payment
    from shop.db import session

    with app.app_context():
        return list(session().query(Payment).filter_by(order_id=order.id).order_by(Payment.id))


def _audit(app, model):
    from shop.db import session

    with app.app_context():
        return list(session().query(model).order_by(model.id))


def test_transfer_date_in_the_future_refused(operator, app, agent, parc):
    number, [line] = _paid(operator, app, agent, parc)
    _refund(operator, number, [line.id], reason="doublon")
    listing = text(operator.get("/gestion/virements"))
    payment_id = re.search(r"/remboursements/(\d+)/virement", listing).group(1)
    resp = operator.post(
        f"/gestion/commandes/{number}/remboursements/{payment_id}/virement",
        data={"done_on": "2099-01-01", "retour": "virements"},
    )
    assert "ne peut pas être dans le futur" in text(operator.get(resp.location))
    resp = operator.post(
        f"/gestion/commandes/{number}/remboursements/{payment_id}/virement",
        data={"done_on": "pas une date"},
    )
    assert "Date du virement invalide" in text(operator.get(resp.location))


def test_r_ops_4_event_cancellation_transfers_feed_the_same_list(operator, app, agent, parc):
    from orders import refunds

    number, _ = _paid(operator, app, agent, parc)
    with app.app_context():
        refunds.cancel_event("staff:test", offer_id=parc, reason="Parc fermé.")
    listing = text(operator.get("/gestion/virements"))
    assert number in listing and "Parc fermé." in listing
    assert number in operator.get("/gestion/virements.csv").get_data(as_text=True)


def test_r_ops_8_withdrawal_asked_by_post_refunds_the_card_line(
    operator, app, agent, make_offer, mailbox
):
    from orders.models import OrderLine, Payment
    from shop.db import session

    carte = make_offer(
        kind="carte",
        category="cartes-et-cheques",
        title="E-carte cinéma",
        stock=20,
        public_price_cents=5000,
        negotiated_price_cents=5000,
        cgos_price_cents=4000,
        deliveries=("email",),
        physical=False,
    )
    number = place(app, agent, carte, 1, delivery="email")
    order = order_of(app, number)
    register(operator, number, euros(order.total_cents))
    with app.app_context():
        line = session().query(OrderLine).filter_by(order_id=order.id).one()
    mailbox.clear()
    resp = _refund(operator, number, [line.id], reason="retractation")
    assert resp.status_code == 302, text(resp)
    assert order_of(app, number).status == "refunded"
    with app.app_context():
        assert session().get(OrderLine, line.id).status == "withdrawn"
    [refund] = [p for p in _payments(app, order) if p.kind == "refund"]
    assert refund.amount_cents == line.amount_cents and refund.method == "transfer"
    assert count_of(app, Payment, order_id=order.id, kind="refund") == 1
    body = mailbox.text_of(mailbox.wait_for(1)[0])
    assert "Rétractation demandée par téléphone ou par courrier" in body
