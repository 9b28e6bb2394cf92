"""Back office /gestion/vacances: admins edit the rate tables (R-VAC-2) and run draws
(R-VAC-4); operators only read."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select, update

from catalog.models import Offer
from shop.audit import AuditEntry
from shop.db import session
from tests.factories import error_beside, login_staff
from tests.web.ops.helpers import FORM, euros, staff_client, text
from vacations import lottery
from vacations.models import PrixMiniDraw, PrixMiniPayment, PrixMiniRegistration


def test_admin_edits_a_table_for_a_season(app, client, make_staff, clock):
    staff_client(client, make_staff, clock)
    page = client.get("/gestion/vacances/?saison=ete-2027").get_data(as_text=True)
    assert "Prix réduit adultes et famille" in page and 'name="strict_3" value="1" checked' in page
    resp = client.post("/gestion/vacances/?saison=ete-2027", data=FORM)
    assert resp.status_code == 302
    with app.app_context():
        from catalog.stays import rate_for
        from vacations.rates import tables_for

        tables = tables_for("ete-2027")
        assert rate_for("prix_mini", 60000, tables).percent == 60
        assert rate_for("prix_mini", None, tables).percent == 12
        assert rate_for("prix_mini", None, tables_for("ete-2028")).percent == 10
    bad = client.post("/gestion/vacances/?saison=ete-2027", data={**FORM, "rate_0": "120"})
    assert "compris entre 0 et 100" in client.get(bad.location).get_data(as_text=True)


def test_operator_reads_but_cannot_edit(client, make_staff, clock):
    staff_client(client, make_staff, clock, role="operator")
    assert "Enregistrer la table" not in client.get("/gestion/vacances/").get_data(as_text=True)
    assert client.post("/gestion/vacances/", data=FORM).status_code == 404


def _prix_mini(make_offer, stock=1) -> int:
    return make_offer(
        kind="sejour", category="sejours", title="Prix mini Montagne",
        public_price_cents=50000, negotiated_price_cents=50000, cgos_price_cents=50000,
        deliveries=("email",), stock=stock, stay_family="prix_mini",
        stay_starts_on=date(2027, 7, 10), stay_ends_on=date(2027, 7, 17),
        sale_closes_at=datetime(2027, 3, 1, 12, 0),
    )  # fmt: skip


def _winner(app) -> PrixMiniRegistration:
    with app.app_context():
        return session().scalar(
            select(PrixMiniRegistration).where(PrixMiniRegistration.status == "gagnant")
        )


def test_admin_runs_a_draw_with_a_seed(app, client, make_staff, make_offer, make_agent, clock):
    offer_id = _prix_mini(make_offer)
    staff_client(client, make_staff, clock)
    with app.app_context():
        for _ in range(3):
            lottery.pre_register(make_agent(code=None, nom="Durand", prenom="Léa")[0], offer_id)
    assert "Prix mini Montagne" in client.get("/gestion/vacances/prix-mini").get_data(as_text=True)
    resp = client.post(
        f"/gestion/vacances/prix-mini/{offer_id}/tirage", data={"seed": "12345", "close_early": "1"}
    )
    assert resp.status_code == 302
    body = text(client.get(resp.location))
    assert "graine <code>12345</code>" in body and "mêmes résultats" in body
    assert "Durand Léa" in body  # the agents' names, not only their numbers (R-VAC-8)
    winner = _winner(app)
    page = client.get(f"/gestion/vacances/inscriptions/{winner.id}/paiement")
    assert page.status_code == 200 and "Montant dû" in text(page)
    resp = client.post(
        f"/gestion/vacances/inscriptions/{winner.id}/paiement",
        data={"amount": euros(winner.price_cents), "method": "cheque", "reference": "CHQ 0042"},
    )
    assert resp.status_code == 302
    body = text(client.get(resp.location))
    assert "Paiement enregistré" in body and "par chèque (CHQ 0042)" in body


def test_r_vac_6_draw_before_the_deadline_needs_a_confirmation(
    app, client, make_staff, make_offer, make_agent, clock
):
    offer_id = _prix_mini(make_offer)
    staff_client(client, make_staff, clock)  # 15 January 2027, pre-registrations until 1 March
    with app.app_context():
        lottery.pre_register(make_agent(code=None)[0], offer_id)
    page = text(client.get(f"/gestion/vacances/prix-mini/{offer_id}"))
    assert "Clore les préinscriptions maintenant et tirer au sort" in page
    resp = client.post(f"/gestion/vacances/prix-mini/{offer_id}/tirage", data={"seed": "1"})
    body = text(client.get(resp.location))
    assert "Les préinscriptions ne sont pas closes" in body
    with app.app_context():
        assert session().scalar(select(func.count()).select_from(PrixMiniDraw)) == 0
    resp = client.post(
        f"/gestion/vacances/prix-mini/{offer_id}/tirage", data={"seed": "1", "close_early": "1"}
    )
    assert "Tirage effectué" in text(client.get(resp.location))
    with app.app_context():
        offer = session().get(Offer, offer_id)
        assert offer.sale_closes_at == datetime(2027, 1, 15, 9, 0)  # closed now, as agents see
        entry = session().scalar(
            select(AuditEntry).where(AuditEntry.action == "vacations.registrations_closed_early")
        )
        assert entry.before == {"sale_closes_at": "2027-03-01T12:00:00"}
        assert entry.after == {"sale_closes_at": "2027-01-15T09:00:00"}


def test_after_the_deadline_no_confirmation_is_asked(
    app, client, make_staff, make_offer, make_agent, clock
):
    offer_id = _prix_mini(make_offer)
    staff_client(client, make_staff, clock)
    with app.app_context():
        lottery.pre_register(make_agent(code=None)[0], offer_id)
    clock.set(datetime(2027, 3, 1, 13, 1))  # Paris: one minute after the deadline
    login_staff(client, *make_staff("admin"))
    assert "Clore les préinscriptions" not in text(
        client.get(f"/gestion/vacances/prix-mini/{offer_id}")
    )
    resp = client.post(f"/gestion/vacances/prix-mini/{offer_id}/tirage", data={"seed": "1"})
    assert "Tirage effectué" in text(client.get(resp.location))


def test_r_vac_7_payment_received_is_checked_recorded_and_audited(
    app, client, make_staff, make_offer, make_agent, clock
):
    offer_id = _prix_mini(make_offer)
    staff_client(client, make_staff, clock, role="operator")
    with app.app_context():
        lottery.pre_register(make_agent(code=None)[0], offer_id)
        lottery.draw(offer_id, seed=5, close_early=True)
    winner = _winner(app)
    url = f"/gestion/vacances/inscriptions/{winner.id}/paiement"
    short = euros(winner.price_cents - 1)
    resp = client.post(url, data={"amount": short, "method": "cheque", "reference": "123"})
    assert resp.status_code == 422
    assert error_beside(text(resp), "amount").startswith("Le montant dû est de")
    assert f'value="{short}"' in text(resp) and 'value="123"' in text(resp)  # typed, kept
    resp = client.post(url, data={"amount": "abc", "method": "cheque", "reference": "123"})
    assert resp.status_code == 422 and "Montant invalide" in error_beside(text(resp), "amount")
    good = euros(winner.price_cents)
    resp = client.post(url, data={"amount": good, "method": "", "reference": ""})
    assert error_beside(text(resp), "method") == "Choisissez le moyen de paiement."
    resp = client.post(url, data={"amount": good, "method": "virement", "reference": " "})
    assert "référence du virement" in error_beside(text(resp), "reference")
    resp = client.post(url, data={"amount": good, "method": "virement", "reference": "VIR-77"})
    assert resp.status_code == 302
    with app.app_context():
        payment = session().scalar(select(PrixMiniPayment))
        assert (payment.registration_id, payment.amount_cents) == (winner.id, winner.price_cents)
        assert (payment.method, payment.reference) == ("virement", "VIR-77")
        entry = session().scalar(select(AuditEntry).where(AuditEntry.action == "vacations.paid"))
        assert entry.before == {
            "status": "gagnant", "paid_at": None, "pay_by": winner.pay_by.isoformat()
        }  # fmt: skip
        assert entry.after["status"] == "paye" and entry.after["payment_id"] == payment.id
        assert entry.after["amount_cents"] == winner.price_cents
        assert entry.after["method"] == "virement" and entry.after["reference"] == "VIR-77"
    again = client.post(url, data={"amount": good, "method": "virement", "reference": "VIR-77"})
    assert "n'est pas (ou plus) en attente" in text(again)
    assert client.get("/gestion/vacances/inscriptions/999999/paiement").status_code == 404


def test_r_vac_8_winners_export_for_the_provider(
    app, client, make_staff, make_offer, make_agent, clock
):
    offer_id = _prix_mini(make_offer, stock=1)
    staff_client(client, make_staff, clock, role="operator")
    with app.app_context():
        won = make_agent(code=None, nom="=Dupont", prenom="Marie", phone="0611223344")[0]
        lost = make_agent(code=None, nom="Martin", prenom="Paul")[0]
        lottery.pre_register(won, offer_id)
        lottery.pre_register(lost, offer_id, adults=2)
        lottery.draw(offer_id, seed=5, close_early=True)
    winner = _winner(app)
    assert winner.cgos_number in (won, lost)
    resp = client.get(f"/gestion/vacances/prix-mini/{offer_id}/gagnants.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    raw = resp.get_data(as_text=True)
    assert raw.startswith("\ufeffN° C.G.O.S;nom;prénom;établissement;ville;")
    lines = raw.lstrip("\ufeff").splitlines()
    assert "montant dû;statut de paiement" in lines[0]
    assert len(lines) == 2  # the winner only, not the waiting list
    cells = lines[1].split(";")
    assert cells[0] == winner.cgos_number, cells
    if winner.cgos_number == won:
        assert cells[1:3] == ["'=Dupont", "Marie"]  # a formula is defused
        assert "0611223344" in cells
    assert (
        "Prix mini Montagne" in cells
        and "du samedi 10 juillet 2027 au samedi 17 juillet 2027" in cells
    )
    assert "Tiré au sort" in cells
    other = _prix_mini(make_offer)
    with app.app_context():
        session().execute(
            update(Offer).where(Offer.id == other).values(stay_family="prix_reduit_adultes")
        )
        session().commit()
    assert client.get(f"/gestion/vacances/prix-mini/{other}/gagnants.csv").status_code == 404
