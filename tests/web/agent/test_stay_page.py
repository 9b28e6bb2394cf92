"""R-VAC-3: a stay's offer page shows the agent's band, rate and price per participant
type, or the unknown-QF rate and how to fix it; R-VAC-4 Prix mini pre-registration."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.factories import login_agent, stay_fields

NOW = datetime(2027, 1, 15, 10, 0)


@pytest.fixture
def stay(make_offer):
    def _make(family: str = "prix_reduit_adultes", **kw) -> int:
        return make_offer(**stay_fields(family, **kw))

    return _make


def page(client, make_agent, clock, offer_id: int, **agent) -> str:
    clock.set(NOW)
    number, code = make_agent(**agent)
    assert login_agent(client, number, code).status_code == 302
    resp = client.get(f"/offre/{offer_id}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("qf", "band", "percent", "adult", "child"),
    [
        (1269.99, "QF de 1\u202f000,01 € à moins de 1\u202f270,00 €", 35, "403,00", "247,00"),
        (1270.0, "QF à partir de 1\u202f270,00 €", 10, "558,00", "342,00"),
        (600.0, "QF jusqu’à 600,00 €", 35, "403,00", "247,00"),
    ],
)
def test_r_vac_3_band_rate_and_prices(
    client, make_agent, clock, stay, qf, band, percent, adult, child
):
    body = page(client, make_agent, clock, stay(), qf=qf)
    assert band in body
    assert f"<strong>{percent} %</strong>" in body
    assert f"<strong>{adult}\u00a0€</strong>" in body  # adult
    assert f"<strong>{child}\u00a0€</strong>" in body  # child
    assert "620,00\u00a0€" in body and "380,00\u00a0€" in body
    assert "QF inconnu" not in body


def test_r_vac_3_unknown_qf_rate_and_how_to_fix_it(client, make_agent, clock, stay):
    body = page(client, make_agent, clock, stay("prix_reduit_enfants"), qf=None)
    assert "Votre quotient familial n'est pas connu" in body
    assert "taux « QF inconnu » de 10 %" in body
    assert "complétez votre dossier C.G.O.S" in body
    assert "558,00\u00a0€" in body


def test_r_vac_4_prix_mini_pre_registration_from_the_page(client, make_agent, clock, stay):
    offer_id = stay("prix_mini")
    body = page(
        client,
        make_agent,
        clock,
        offer_id,
        qf=696.0,
        children=[{"prenom": "Léa", "birth_date": "2018-05-01", "fiscal_status": "a_charge"}],
    )
    assert "Le premier enfant de moins de 12 ans" in body
    assert "Me préinscrire" in body and "Ajouter au panier" not in body
    child_id = re.search(r'name="children" value="(\d+)"', body).group(1)
    resp = client.post(
        f"/sejours/{offer_id}/preinscription", data={"adults": "1", "children": child_id}
    )
    assert resp.status_code == 302
    body = client.get(f"/offre/{offer_id}").get_data(as_text=True)
    assert "Vous êtes préinscrit à ce séjour" in body
    assert "Préinscrit" in body and "279,00\u00a0€" in body  # Léa is free
    again = client.post(f"/sejours/{offer_id}/preinscription", data={"adults": "1"})
    assert again.status_code == 302
    assert "un séjour par agent et par saison" in client.get(again.location).get_data(as_text=True)


def test_pre_registration_of_a_non_prix_mini_stay_is_404(client, make_agent, clock, stay):
    offer_id = stay("prix_reduit_adultes")
    page(client, make_agent, clock, offer_id)
    assert client.post(f"/sejours/{offer_id}/preinscription").status_code == 404
