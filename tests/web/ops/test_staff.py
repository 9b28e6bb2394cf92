"""Staff login and audiences (R-GATE-6, R-OPS-1, R-OPS-6)."""

from __future__ import annotations

from tests.factories import login_agent, login_staff


def test_r_gate_6_operator_logs_in_to_back_office(client, make_staff, make_agent):
    email, password = make_staff("operator")
    resp = login_staff(client, email, password)
    assert resp.status_code == 302 and resp.location == "/gestion/"
    number, _ = make_agent(nom="Lefebvre")
    page = client.get(f"/gestion/?q={number}").get_data(as_text=True)
    assert number in page and "Lefebvre" in page
    by_name = client.get("/gestion/?q=lefebvre lyon").get_data(as_text=True)
    assert number in by_name


def test_r_gate_6_wrong_password_is_refused_in_french(client, make_staff):
    email, _ = make_staff("operator")
    resp = login_staff(client, email, "pas-le-bon-mot-de-passe")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Adresse e-mail ou mot de passe incorrect." in html
    assert f'value="{email}"' in html


def test_r_gate_6_agent_session_never_opens_staff_pages(client, make_agent):
    number, code = make_agent()
    login_agent(client, number, code)
    for url in ("/gestion/", "/gestion/journal", "/partenaire/"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/gestion/connexion" in resp.location


def test_r_gate_6_staff_session_never_opens_agent_pages(client, make_staff):
    email, password = make_staff("operator")
    login_staff(client, email, password)
    resp = client.get("/")
    assert resp.status_code == 302 and resp.location.startswith("/connexion")


def test_r_gate_6_partner_cannot_open_operator_pages_and_vice_versa(client, make_staff):
    p_email, p_password = make_staff("partner", partner="festibillet")
    assert login_staff(client, p_email, p_password).location == "/partenaire/"
    assert "Festibillet" in client.get("/partenaire/").get_data(as_text=True)
    assert client.get("/gestion/").status_code == 404
    client.post("/deconnexion")
    o_email, o_password = make_staff("operator")
    login_staff(client, o_email, o_password)
    assert client.get("/partenaire/").status_code == 404


def test_r_gate_5_staff_locked_after_five_failures(client, make_staff):
    email, password = make_staff("admin")
    for _ in range(4):
        login_staff(client, email, "mauvais-mot-de-passe")
    fifth = login_staff(client, email, "mauvais-mot-de-passe").get_data(as_text=True)
    assert "bloqué pendant 15 minutes" in fifth
    assert login_staff(client, email, password).status_code == 422


def test_r_ops_6_access_code_issuance_is_in_the_audit_log(client, make_staff, make_agent):
    number, _ = make_agent()
    email, password = make_staff("admin")
    login_staff(client, email, password)
    page = client.get(f"/gestion/journal?objet={number}").get_data(as_text=True)
    assert "Code d&#39;accès délivré" in page  # R-OPS-6: in French
    assert f"Agent N° {number}" in page


def test_r_ops_1_agent_page_shows_cap_and_messages(client, make_staff, make_agent, app):
    from orders.models import HouseholdYear
    from shop.db import unit_of_work
    from support.models import ContactMessage

    number, _ = make_agent(household_id="H-OPS")
    with app.app_context(), unit_of_work() as s:
        from shop import clock

        year = clock.today().year
        s.add(HouseholdYear(household_id="H-OPS", year=year, used_cents=12_345))
        s.add(
            ContactMessage(
                cgos_number=number,
                topic="autre",
                nom="T",
                prenom="C",
                etablissement="HCL",
                email="c@exemple.fr",
                phone="0600000000",
                body="Bonjour",
                status="nouveau",
                created_at=clock.utcnow(),
                updated_at=clock.utcnow(),
            )
        )
    email, password = make_staff("operator")
    login_staff(client, email, password)
    page = client.get(f"/gestion/?q={number}").get_data(as_text=True)
    assert "500,00" in page and "123,45" in page and "376,55" in page
    assert "Autre demande" in page or "autre" in page.lower()
