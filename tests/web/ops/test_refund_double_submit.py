"""R-OPS-8a: the operator's refund form posted twice (double click, reload, second tab)
refunds once; the second post changes nothing and says so in French."""

from __future__ import annotations

import re

from orders.models import Payment
from orders.refunds import ALREADY_REFUNDED
from shop.audit import AuditEntry
from tests.web.ops.helpers import count_of, euros, order_of, place, register, text, used_of


def _paid(operator, app, agent, parc) -> str:
    number = place(app, agent, parc, 2)
    register(operator, number, euros(order_of(app, number).total_cents))
    assert order_of(app, number).status == "paid"
    return number


def _token(page: str) -> str:
    return re.search(r'name="once"[^>]*value="([^"]+)"', page).group(1)


def _state(app, number) -> tuple[int, int, int, str]:
    order = order_of(app, number)
    return (
        count_of(app, Payment, order_id=order.id, kind="refund"),
        count_of(app, AuditEntry, action="order.refunded", subject=f"order:{number}"),
        used_of(app, "H-CHQ"),
        order.status,
    )


def test_r_ops_8a_a_goodwill_refund_posted_twice_refunds_once(operator, app, agent, parc, mailbox):
    number = _paid(operator, app, agent, parc)
    page = text(operator.get(f"/gestion/commandes/{number}"))
    token = _token(page)
    assert token != _token(text(operator.get(f"/gestion/commandes/{number}")))  # per display
    form = {"reason": "geste", "amount": "10,00", "once": token}
    mailbox.clear()
    first = operator.post(f"/gestion/commandes/{number}/rembourser", data=form)
    assert first.status_code == 302, text(first)
    assert "Remboursement de 10,00" in text(operator.get(first.location))
    after_first = _state(app, number)
    assert after_first[:2] == (1, 1)
    mailbox.wait_for(1)

    second = operator.post(f"/gestion/commandes/{number}/rembourser", data=form)
    assert second.status_code == 302
    assert ALREADY_REFUNDED in text(operator.get(second.location))
    assert _state(app, number) == after_first
    assert len([m for m in mailbox.messages if "Remboursement" in m["Subject"]]) == 1

    # A new display of the page gives a new token: a second, deliberate gesture passes.
    again = {**form, "once": _token(text(operator.get(f"/gestion/commandes/{number}")))}
    resp = operator.post(f"/gestion/commandes/{number}/rembourser", data=again)
    assert resp.status_code == 302
    assert _state(app, number)[:2] == (2, 2)


def test_r_ops_8a_a_whole_refund_posted_twice_says_it_was_done(operator, app, agent, parc):
    number = _paid(operator, app, agent, parc)
    page = text(operator.get(f"/gestion/commandes/{number}"))
    line_id = re.search(r'name="lines" value="(\d+)"', page).group(1)
    form = {"lines": [line_id], "reason": "doublon", "once": _token(page)}
    assert operator.post(f"/gestion/commandes/{number}/rembourser", data=form).status_code == 302
    done = _state(app, number)
    assert done[0] == 1 and done[3] == "refunded"
    second = operator.post(f"/gestion/commandes/{number}/rembourser", data=form)
    assert second.status_code == 302
    page = text(operator.get(second.location))
    assert ALREADY_REFUNDED in page and "Seule une commande payée" not in page
    assert _state(app, number) == done


def test_r_ops_8a_a_refused_form_keeps_its_token_and_then_refunds(operator, app, agent, parc):
    number = _paid(operator, app, agent, parc)
    token = _token(text(operator.get(f"/gestion/commandes/{number}")))
    url = f"/gestion/commandes/{number}/rembourser"
    refused = operator.post(url, data={"reason": "", "amount": "10,00", "once": token})
    assert refused.status_code == 422
    assert _token(text(refused)) == token
    resp = operator.post(url, data={"reason": "geste", "amount": "10,00", "once": token})
    assert resp.status_code == 302
    assert _state(app, number)[:2] == (1, 1)
