"""Mails never contradict themselves (issue 20, review BUG-10): each wording that is true
only in some cases is rendered in both."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace as NS

from flask import render_template


def _order(**kw):
    fields = dict(
        holder_name="Marie Dupont", number="L26-000012", participation_cents=3000,
        payment_method="card", lines=[], fees=[], total_cents=5000,
        placed_at=datetime(2027, 1, 10, 9, 0),
    )  # fmt: skip
    fields.update(kw)
    return NS(**fields)


def _render(app, kind, **context):
    with app.test_request_context():
        return " ".join(render_template(f"emails/{kind}.txt", subject="s", **context).split())


def _shipped(app, **kw):
    shipment = NS(tracking_number="1A2B3C")
    return _render(
        app, "partners/shipped", order=_order(), shipment=shipment, group_label="Billets",
        mode_label="Lettre suivie", **kw,
    )  # fmt: skip


def test_partial_shipment_says_what_remains_never_entirely(app):
    text = _shipped(app, complete=False, sole=False, remaining=["Cartes", "Magazines"])
    assert "Une partie de votre commande L26-000012 vient d'être expédiée : Billets." in text
    assert "Reste à venir, expédié séparément : Cartes, Magazines." in text
    assert "entièrement" not in text


def test_last_parcel_says_entirely_shipped_without_a_part(app):
    text = _shipped(app, complete=True, sole=False, remaining=[])
    assert "Le dernier envoi de votre commande L26-000012 vient de partir : Billets." in text
    assert "Votre commande est maintenant entièrement expédiée." in text
    assert "Une partie" not in text and "Reste à venir" not in text


def test_a_single_parcel_order_is_simply_shipped(app):
    text = _shipped(app, complete=True, sole=True, remaining=[])
    assert "Votre commande L26-000012 vient d'être expédiée : Billets." in text
    assert "Une partie" not in text and "entièrement" not in text


def test_cancelled_by_cgos_event_never_says_back_on_sale(app):
    dated = [NS(session_id=4)]
    order = _order(payment_method="cheque", lines=dated)
    text = _render(
        app, "orders/cancelled", order=order, reason="Artiste malade", expired=False,
        event_cancelled=True,
    )  # fmt: skip
    assert "remises en vente" not in text and "tant que les places" not in text
    assert "L'événement étant annulé par le C.G.O.S, vous n'avez rien à payer" in text
    assert "il ne sera pas encaissé et vous sera retourné" in text
    text = _render(
        app, "orders/cancelled", order=order, reason="Délai", expired=True, event_cancelled=False
    )
    assert "Les places ont été remises en vente" in text
    goods = _order(lines=[NS(session_id=None)])
    text = _render(app, "orders/cancelled", order=goods, reason="x", expired=True)
    assert "Les articles ont été remis en vente" in text and "places" not in text


def _event_mail(app, deliveries, fees):
    lines = [
        NS(quantity=1, title="Concert", session_starts_at=None, amount_cents=2500, delivery=d)
        for d in deliveries
    ]
    return _render(
        app, "orders/event_cancelled", order=_order(fees=fees), lines=lines, amount=2500,
        reason="Pluie",
    )  # fmt: skip


def test_event_cancelled_mail_speaks_of_fees_and_e_billets_only_when_there_are(app):
    text = _event_mail(app, ["e_billet"], fees=[])
    assert "frais d'envoi" not in text and "Les e-billets correspondants" in text
    assert "billets papier" not in text
    text = _event_mail(app, ["courrier"], fees=[NS(label="Envoi", cents=120)])
    assert "les frais d'envoi ne sont pas remboursés" in text
    assert "e-billets" not in text and "Les billets papier correspondants" in text


def _won(app, breakdown, children, starts=date(2027, 7, 10)):
    reg = NS(price_cents=45000, percent=55, children=children, breakdown=breakdown,
             pay_by=datetime(2027, 3, 8, 9, 0))  # fmt: skip
    offer = NS(title="Prix mini Mer", stay_starts_on=starts, stay_ends_on=date(2027, 7, 17))
    return _render(app, "vacations/won", reg=reg, offer=offer)


def test_won_mail_claims_a_free_child_only_when_one_is(app):
    free = [{"kind": "adulte", "free": False}, {"kind": "enfant", "free": True}]
    assert "premier enfant de moins de 12 ans gratuit" in _won(app, free, ["2020-01-01"])
    teen = [{"kind": "adulte", "free": False}, {"kind": "enfant", "free": False}]
    assert "gratuit" not in _won(app, teen, ["2012-01-01"])
    assert "()" not in _won(app, teen, [], starts=None)
