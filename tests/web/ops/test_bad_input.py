"""Out-of-range input on back-office and partner pages (issue 17, defect 11): a French
message, what was typed kept, never a 500; a page past the last shows the last."""

from __future__ import annotations

import pytest

from tests.factories import login_staff
from tests.web.ops.helpers import FORM, add_message, staff_client


def text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture
def operator(client, make_staff, clock):
    from tests.factories import NOW_PARIS

    clock.set(NOW_PARIS)
    login_staff(client, *make_staff("operator"))
    return client


@pytest.fixture
def agent(make_agent):
    return make_agent(household_id="H-TEL")[0]


@pytest.mark.parametrize("raw", ["2147483648", "99999999999999999999"])
def test_defect_11_phone_entry_search_by_a_huge_number(operator, agent, raw):
    resp = operator.get(f"/gestion/saisie/{agent}?t={raw}")
    assert resp.status_code == 200
    assert f'value="{raw}"' in text(resp)  # the search typed is kept


@pytest.mark.parametrize("field", ["offer_id", "session_id"])
@pytest.mark.parametrize("raw", ["2147483648", "99999999999999999999"])
def test_defect_11_phone_entry_add_with_a_huge_id(operator, agent, make_offer, field, raw):
    oid = make_offer(kind="billet_ouvert", title="Parc des Oiseaux", stock=10)
    data = {"offer_id": str(oid), "quantity": "2", "delivery": "e_billet", field: raw}
    resp = operator.post(f"/gestion/saisie/{agent}/ajouter", data=data)
    if field == "offer_id":
        assert resp.status_code == 422
        assert "Cette offre n&#39;est pas disponible." in text(resp) or (
            "Cette offre n'est pas disponible." in text(resp)
        )
    else:  # an open-dated ticket has no session: the stray field is ignored
        assert resp.status_code == 302


def test_defect_11_phone_entry_stay_with_a_huge_offer_id(operator, agent):
    resp = operator.post(
        f"/gestion/saisie/{agent}/sejour", data={"offer_id": "99999999999999999999"}
    )
    assert resp.status_code in (404, 422)


@pytest.mark.parametrize(
    "family",
    ["prix_mini\r\nSet-Cookie: x=1", "x" * 300_000, "prix_mini\n"],
    ids=["crlf", "300kB", "lf"],
)
def test_defect_11_rate_table_with_a_bad_family(app, client, make_staff, clock, family):
    staff_client(client, make_staff, clock)
    resp = client.post("/gestion/vacances/?saison=ete-2027", data={**FORM, "family": family})
    assert resp.status_code == 302
    assert len(resp.headers["Location"]) < 200 and "\n" not in resp.headers["Location"]
    assert "Famille de séjour inconnue." in text(client.get(resp.location))


def test_defect_11_cancel_event_with_a_huge_offer(operator):
    for raw in ("2147483648", "99999999999999999999"):
        assert operator.get(f"/gestion/annulations?offre={raw}").status_code == 200


# -- pages past the last ------------------------------------------------------------------


def test_defect_11_inbox_page_past_the_last_shows_the_last(operator, app, monkeypatch):
    from support.views import ops

    monkeypatch.setattr(ops, "PAGE_SIZE", 2)
    for i in range(3):
        add_message(app, nom=f"Expéditeur{i}", minutes_ago=i)
    page = text(operator.get("/gestion/messages/?page=999"))
    assert "Expéditeur2" in page and "Expéditeur1" not in page
    assert "page=1" in page and "page=3" not in page  # previous link only
    assert "Expéditeur0" in text(operator.get("/gestion/messages/?page=-3"))


def test_defect_11_audit_log_page_past_the_last_shows_the_last(operator, app, monkeypatch):
    from shop import audit
    from shop.db import unit_of_work
    from support.views import home as ops

    monkeypatch.setattr(ops, "PAGE_SIZE", 2)
    with app.app_context(), unit_of_work():
        for i in range(3):
            audit.record("staff:test", "test.paging", f"objet-paging-{i}", None, None)
    page = text(operator.get("/gestion/journal?objet=objet-paging&page=999"))
    assert "objet-paging-0" in page and "objet-paging-1" not in page
    assert "page=1" in page and "page=3" not in page


@pytest.mark.parametrize("role", ["admin", "partner"])
def test_defect_11_offer_list_page_past_the_last_shows_the_last(
    client, make_staff, make_offer, monkeypatch, role
):
    from catalog.views import _editing

    monkeypatch.setattr(_editing, "PAGE_SIZE", 2)
    for i in range(3):
        make_offer(kind="billet_ouvert", title=f"Parc {i}", partner="festibillet")
    login_staff(client, *make_staff(role, partner="festibillet" if role == "partner" else None))
    base = "/gestion/offres" if role == "admin" else "/partenaire/offres"
    page = text(client.get(f"{base}?q=parc&page=999"))
    assert "Parc 2" in page and "Parc 1" not in page
    assert "(page 2)" in page and "page=3" not in page


@pytest.mark.parametrize(
    "url",
    ["/gestion/journal?objet=a%00b&auteur=%00", "/gestion/saisie/{agent}?t=Parc%00des"],
    ids=["audit-log", "phone-entry"],
)
def test_defect_11_a_nul_in_a_search_is_dropped(operator, agent, url):
    """PostgreSQL refuses NUL in text: the search runs without it."""
    resp = operator.get(url.format(agent=agent))
    assert resp.status_code == 200
    assert "\x00" not in text(resp)
