"""Back office /gestion/vacances: admins edit the rate tables (R-VAC-2) and run draws
(R-VAC-4); operators only read."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from tests.web.ops.helpers import FORM, staff_client


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


def test_admin_runs_a_draw_with_a_seed(app, client, make_staff, make_offer, make_agent, clock):
    offer_id = make_offer(
        kind="sejour", category="sejours", title="Prix mini Montagne",
        public_price_cents=50000, negotiated_price_cents=50000, cgos_price_cents=50000,
        deliveries=("email",), stock=1, stay_family="prix_mini",
        stay_starts_on=date(2027, 7, 10), stay_ends_on=date(2027, 7, 17),
        sale_closes_at=datetime(2027, 3, 1, 12, 0),
    )  # fmt: skip
    staff_client(client, make_staff, clock)
    with app.app_context():
        from vacations import lottery

        for _ in range(3):
            lottery.pre_register(make_agent(code=None)[0], offer_id)
    assert "Prix mini Montagne" in client.get("/gestion/vacances/prix-mini").get_data(as_text=True)
    resp = client.post(f"/gestion/vacances/prix-mini/{offer_id}/tirage", data={"seed": "12345"})
    assert resp.status_code == 302
    body = client.get(resp.location).get_data(as_text=True)
    assert "graine <code>12345</code>" in body and "mêmes résultats" in body
    with app.app_context():
        from shop.db import session
        from vacations.models import PrixMiniRegistration

        winner = session().scalar(
            select(PrixMiniRegistration).where(PrixMiniRegistration.status == "gagnant")
        )
        winner_id = winner.id
    resp = client.post(f"/gestion/vacances/inscriptions/{winner_id}/paiement")
    assert "Paiement enregistré" in client.get(resp.location).get_data(as_text=True)
