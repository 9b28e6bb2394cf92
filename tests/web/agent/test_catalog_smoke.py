from datetime import datetime, timedelta

from tests.conftest import login_agent


def test_smoke(client, make_agent, make_offer):
    number, code = make_agent()
    soon = datetime.now() + timedelta(days=20)
    oid = make_offer(sessions=[(soon, 5), (soon + timedelta(days=1), 0)])
    make_offer(kind="billet_ouvert", title="Parc Astérix", category="parcs-et-loisirs")
    login_agent(client, number, code)
    home = client.get("/")
    assert home.status_code == 200, home.get_data(as_text=True)[-2000:]
    assert "Lac des cygnes" in home.get_data(as_text=True)
    r = client.get("/recherche?q=cygne")
    assert "Lac des cygnes" in r.get_data(as_text=True)
    r = client.get(f"/offre/{oid}")
    assert r.status_code == 200
    r = client.get(f"/offre/{oid}?jour={soon.date().isoformat()}")
    assert "Séances du" in r.get_data(as_text=True)
    r = client.get("/categorie/parcs-et-loisirs")
    assert "Parc Astérix" in r.get_data(as_text=True)
