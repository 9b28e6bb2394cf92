"""A fulfilment house with many parcels (issue 19; R-PAR-2, R-PAR-3, R-PAR-4, R-PAR-6):
the queue's filters, pages and constant statements, the slips and pick list PDF of a
selection, bulk shipping, the CSV upload, the tracking correction, the API's bulk and
correction operations, and another partner's parcels refused on every bulk path."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from partners.models import Shipment
from shop.audit import AuditEntry
from shop.db import session
from tests.web.partner.helpers import (
    SESSION_AT,
    as_partner,
    auth,
    order_of,
    place,
    sessions_of,
    token_for,
)

QUEUE = "/partenaire/expeditions"


def _csrf(client, url: str = QUEUE) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _shipment(app, number: str, group: str = "billets") -> Shipment | None:
    with app.app_context():
        order = order_of(app, number)
        return session().scalar(
            select(Shipment).where(Shipment.order_id == order.id, Shipment.group == group)
        )


@pytest.fixture(name="later")
def later_fixture(make_offer):
    """A second show of « acme », 20 days after the first: less urgent."""
    return make_offer(
        partner="acme", title="Ballet Acme", sessions=[(SESSION_AT + timedelta(days=20), 50)]
    )


# --- Queue: filters, pages, session and deadline, constant statements (R-PAR-2) ---------


def test_queue_shows_session_and_deadline_most_urgent_first(app, client, setup, later):
    late_show = place(app, setup["number"], later)
    soon = place(app, setup["number"], setup["acme"])
    as_partner(client, setup)
    page = client.get(QUEUE).get_data(as_text=True)
    assert page.index(soon) < page.index(late_show)
    assert "Séance" in page and "À poster avant le" in page


def test_queue_filters_by_session_mode_late_and_status(app, client, clock, setup, later):
    first = place(app, setup["number"], setup["acme"])
    second = place(app, setup["number"], later)
    [later_session] = sessions_of(app, later)
    as_partner(client, setup)
    page = client.get(f"{QUEUE}?seance={later_session}").get_data(as_text=True)
    assert second in page and first not in page
    page = client.get(f"{QUEUE}?mode=r3").get_data(as_text=True)
    assert first not in page and second not in page
    page = client.get(f"{QUEUE}?mode=lettre_verte").get_data(as_text=True)
    assert first in page and second in page
    # Late: past the first show's deadline, not yet the second's.
    clock.set((SESSION_AT - timedelta(days=7)).replace(tzinfo=None))
    as_partner(client, setup)
    page = client.get(f"{QUEUE}?retard=1").get_data(as_text=True)
    assert first in page and second not in page and "En retard" in page
    # Shipped ones only under « Expédiés ».
    client.post(f"{QUEUE}/{first}/billets", data={"mode": "lettre_verte"}, follow_redirects=True)
    assert first not in client.get(QUEUE).get_data(as_text=True)
    shipped = client.get(f"{QUEUE}?statut=shipped").get_data(as_text=True)
    assert first in shipped and second not in shipped
    # Anything unknown in the address is no filter, never a 500.
    for junk in ("mode=%00", "seance=9999999999999", "seance=²", "statut=x", "page=-3"):
        assert client.get(f"{QUEUE}?{junk}").status_code == 200


def test_queue_pages_keep_the_filters(app, client, setup):
    app.config["PARTNER_QUEUE_PER_PAGE"] = 2
    numbers = [place(app, setup["number"], setup["acme"]) for _ in range(5)]
    as_partner(client, setup)
    first = client.get(f"{QUEUE}?mode=lettre_verte").get_data(as_text=True)
    assert [n for n in numbers if n in first] == numbers[:2]
    assert "page=2" in first and "mode=lettre_verte" in first
    third = client.get(f"{QUEUE}?mode=lettre_verte&page=3").get_data(as_text=True)
    assert [n for n in numbers if n in third] == numbers[4:]
    past = client.get(f"{QUEUE}?page=99").get_data(as_text=True)
    assert numbers[4] in past  # past the end: the last page


def test_queue_statements_do_not_grow_with_parcels(app, client, setup, count_queries):
    as_partner(client, setup)
    counts = []
    for extra in (2, 6):
        for _ in range(extra):
            place(app, setup["number"], setup["acme"])
        client.get(QUEUE)  # warm caches (catalogue, session)
        with count_queries() as n:
            assert client.get(QUEUE).status_code == 200
        counts.append(n())
    assert counts[0] == counts[1]
    app.config["PARTNER_QUEUE_PER_PAGE"] = 3
    with count_queries() as n:
        assert client.get(f"{QUEUE}?page=2&mode=lettre_verte").status_code == 200
    assert n() == counts[0]


# --- Selection: slips PDF, pick list, bulk ship (R-PAR-3, R-PAR-4) -----------------------


def test_slips_pdf_one_page_per_selected_parcel(app, client, setup, later):
    numbers = [place(app, setup["number"], setup["acme"]) for _ in range(2)]
    numbers.append(place(app, setup["number"], later, qty=3))
    as_partner(client, setup)
    token = _csrf(client)
    response = client.post(
        "/partenaire/expeditions/bordereaux.pdf",
        data={"csrf_token": token, "colis": [f"{n}/billets" for n in numbers]},
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = _pdf_text(response.data)
    assert len(pages) == 3
    for number in numbers:
        assert sum(number in text for text in pages) == 1
    assert "3 × Ballet Acme" in pages[2] and "Destinataire" in pages[0]


def test_select_all_ticks_every_parcel_of_the_filtered_page(app, client, setup):
    app.config["PARTNER_QUEUE_PER_PAGE"] = 2
    for _ in range(3):
        place(app, setup["number"], setup["acme"])
    as_partner(client, setup)
    page = client.get(f"{QUEUE}?tout=1").get_data(as_text=True)
    assert page.count('name="colis"') == 2 and page.count(" checked>") >= 2


def test_pick_list_totals_per_article_and_session(app, client, setup, later):
    a = place(app, setup["number"], setup["acme"], qty=2)
    b = place(app, setup["number"], setup["acme"], qty=3)
    c = place(app, setup["number"], later, qty=1)
    as_partner(client, setup)
    response = client.post(
        "/partenaire/expeditions/preparation.pdf",
        data={"csrf_token": _csrf(client), "colis": [f"{n}/billets" for n in (a, b, c)]},
    )
    text = "\n".join(_pdf_text(response.data))
    assert "3 colis" in text
    assert "Total Concert Acme : 5" in text and "Total Ballet Acme : 1" in text
    assert "5 — séance du" in text and "(2 colis)" in text


def test_bulk_ship_with_one_untracked_mode_mails_every_agent(app, client, setup, mailbox):
    numbers = [place(app, setup["number"], setup["acme"]) for _ in range(3)]
    mailbox.wait_for(6)
    mailbox.clear()
    as_partner(client, setup)
    response = client.post(
        "/partenaire/expeditions/lot",
        data={
            "csrf_token": _csrf(client),
            "colis": [f"{n}/billets" for n in numbers[:2]],
            "mode": "lettre_verte",
        },
        follow_redirects=True,
    )
    assert "2 colis marqué(s) expédié(s)" in response.get_data(as_text=True)
    assert [order_of(app, n).status for n in numbers] == ["shipped", "shipped", "paid"]
    mails = mailbox.wait_for(2)
    assert sorted(m["Subject"] for m in mails) == sorted(
        f"Commande {n} expédiée" for n in numbers[:2]
    )


def test_bulk_ship_with_a_tracked_mode_points_to_the_csv(app, client, setup):
    number = place(app, setup["number"], setup["acme"])
    as_partner(client, setup)
    response = client.post(
        "/partenaire/expeditions/lot",
        data={"csrf_token": _csrf(client), "colis": [f"{number}/billets"], "mode": "suivi"},
        follow_redirects=True,
    )
    assert "importez-les avec le fichier CSV" in response.get_data(as_text=True)
    assert order_of(app, number).status == "paid"


@pytest.mark.parametrize(
    "url", ["bordereaux.pdf", "preparation.pdf", "lot"], ids=["slips", "pick", "ship"]
)
def test_another_partners_parcel_in_a_selection_is_404(app, client, setup, url):
    mine = place(app, setup["number"], setup["acme"])
    theirs = place(app, setup["number"], setup["other"])
    as_partner(client, setup)
    data = {
        "csrf_token": _csrf(client),
        "colis": [f"{mine}/billets", f"{theirs}/billets"],
        "mode": "lettre_verte",
    }
    assert client.post(f"/partenaire/expeditions/{url}", data=data).status_code == 404
    data["colis"] = ["L27-999999/billets"]
    assert client.post(f"/partenaire/expeditions/{url}", data=data).status_code == 404
    data["colis"] = ["n'importe quoi\x00"]
    assert client.post(f"/partenaire/expeditions/{url}", data=data).status_code == 404
    assert order_of(app, mine).status == "paid"


# --- CSV upload (R-PAR-4) ----------------------------------------------------------------


def _upload(client, text: str | bytes, encoding: str = "utf-8"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return client.post(
        "/partenaire/expeditions/import",
        data={
            "csrf_token": _csrf(client, "/partenaire/expeditions/import"),
            "fichier": (io.BytesIO(data), "envois.csv"),
        },
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("sep", "bom"), [(";", True), (";", False), (",", False)], ids=["bom", "semicolon", "comma"]
)
def test_csv_upload_marks_every_row_shipped_and_is_idempotent(
    app, client, setup, mailbox, sep, bom
):
    a = place(app, setup["number"], setup["acme"])
    b = place(app, setup["number"], setup["acme"])
    mailbox.wait_for(4)
    mailbox.clear()
    as_partner(client, setup)
    text = (
        ("\ufeff" if bom else "")
        + sep.join(["Commande", "Groupe", "Mode", "Numéro de suivi"])
        + "\r\n"
        + f"{a}{sep}billets{sep}suivi{sep}1l 2345 6789 012\r\n"
        + f"{b}{sep}Billets{sep}Recommandé{sep}RR123456789FR\r\n\r\n"
    )
    response = _upload(client, text)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _shipment(app, a).tracking_number == "1L23456789012"
    assert _shipment(app, b).mode == "recommande"
    assert len(mailbox.wait_for(2)) == 2
    again = _upload(client, text)
    assert again.status_code == 302
    page = client.get(QUEUE).get_data(as_text=True)
    assert "0 colis marqué(s) expédié(s), 2 déjà enregistré(s)" in page


def test_csv_upload_with_a_wrong_row_records_nothing_and_lists_errors(app, client, setup):
    a = place(app, setup["number"], setup["acme"])
    b = place(app, setup["number"], setup["acme"])
    theirs = place(app, setup["number"], setup["other"])
    as_partner(client, setup)
    text = (
        "commande;groupe;mode;numero_suivi\n"
        f"{a};billets;suivi;1L23456789012\n"
        f"{b};billets;recommande;1L23\n"
        f"{theirs};billets;lettre_verte;\n"
        "L27-9;valise;pigeon;=cmd()\n"
    )
    response = _upload(client, text)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="fichier-erreur"' in page and "aucun colis n&#39;a été enregistré" in page
    assert "Ligne 3 (numero_suivi) : Numéro de suivi invalide pour un envoi « Recommandé »" in page
    assert "Ligne 4 (commande) : Colis introuvable parmi les vôtres." in page
    assert "Ligne 5 (commande)" in page and "Ligne 5 (groupe)" in page
    assert "Ligne 5 (mode)" in page
    assert _shipment(app, a) is None and order_of(app, a).status == "paid"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("commande;groupe\nL27-000001;billets\n", "Colonnes manquantes : mode, numero_suivi."),
        ("commande;groupe;mode;numero_suivi\n".encode("latin-1") + b"\xe9\xe9\n", "UTF-8"),
        (b"", "Le fichier est vide."),
        ("commande;groupe;mode;numero_suivi\n", "aucune ligne de colis"),
    ],
    ids=["columns", "encoding", "empty", "header-only"],
)
def test_csv_upload_bad_files_are_explained(app, client, setup, content, message):
    as_partner(client, setup)
    response = _upload(client, content)
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_csv_upload_conflicts_with_a_shipment_already_recorded(app, client, setup):
    a = place(app, setup["number"], setup["acme"])
    as_partner(client, setup)
    client.post(f"{QUEUE}/{a}/billets", data={"mode": "suivi", "tracking_number": "1L23456789012"})
    response = _upload(
        client, f"commande;groupe;mode;numero_suivi\n{a};billets;suivi;1L999999999\n"
    )
    assert response.status_code == 422
    assert "déjà expédié avec un autre mode ou numéro" in response.get_data(as_text=True)
    assert _shipment(app, a).tracking_number == "1L23456789012"


# --- Address export (R-PAR-3) ------------------------------------------------------------


def test_address_csv_has_mode_article_session_in_urgency_order(app, client, setup, later):
    second = place(app, setup["number"], later, qty=2)
    first = place(app, setup["number"], setup["acme"])
    as_partner(client, setup)
    body = client.get(f"{QUEUE}/adresses.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    header = rows[0]
    assert header[9:] == [
        "mode",
        "articles",
        "seances",
        "a_poster_avant",
        "en_retard",
        "numero_suivi",
    ]
    assert [r[0] for r in rows[1:]] == [first, second]
    assert rows[2][9] == "lettre_verte" and rows[2][10] == "2 × Ballet Acme" and rows[2][11]


# --- Correction (R-PAR-4) -----------------------------------------------------------------


def test_correct_tracking_on_the_slip_is_audited_and_mailed(app, client, setup, mailbox):
    number = place(app, setup["number"], setup["acme"])
    as_partner(client, setup)
    url = f"{QUEUE}/{number}/billets"
    client.post(url, data={"mode": "recommande", "tracking_number": "RR123456789FR"})
    mailbox.wait_for(3)
    mailbox.clear()
    bad = client.post(url, data={"csrf_token": _csrf(client, url), "new_tracking": "12"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'id="new_tracking-erreur"' in page and 'value="12"' in page
    ok = client.post(
        url, data={"csrf_token": _csrf(client, url), "new_tracking": "rr 987654321 fr"}
    )
    assert ok.status_code == 302
    assert _shipment(app, number).tracking_number == "RR987654321FR"
    [mail] = mailbox.wait_for(1)
    assert "RR987654321FR" in mailbox.text_of(mail) and "RR123456789FR" in mailbox.text_of(mail)
    with app.app_context():
        entry = session().scalar(
            select(AuditEntry).where(AuditEntry.action == "shipment.tracking_corrected")
        )
        assert entry.before["tracking"] == "RR123456789FR"
        assert entry.after["tracking"] == "RR987654321FR"


def test_correcting_another_partners_shipment_is_404(app, client, setup):
    theirs = place(app, setup["number"], setup["other"])
    as_partner(client, setup)
    url = f"{QUEUE}/{theirs}/billets"
    assert client.post(url, data={"new_tracking": "RR987654321FR"}).status_code == 404


# --- API: listing filters, bulk, correction (R-PAR-6) --------------------------------------


def test_api_lists_by_urgency_with_filters_and_stable_cursor(app, client, setup, later):
    late_show = [place(app, setup["number"], later) for _ in range(2)]
    soon = [place(app, setup["number"], setup["acme"]) for _ in range(3)]
    token = token_for(app)
    seen, cursor = [], None
    while True:
        url = "/api/v1/shipments?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=auth(token)).get_json()
        seen += [p["order_number"] for p in body["data"]]
        if seen == soon[:2]:  # shipped between two pages: the next page is still right
            client.post(
                f"/api/v1/shipments/{soon[0]}/billets/shipped",
                json={"mode": "lettre_verte"},
                headers=auth(token),
            )
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == soon + late_show
    [later_session] = sessions_of(app, later)
    body = client.get(f"/api/v1/shipments?session_id={later_session}", headers=auth(token))
    assert [p["order_number"] for p in body.get_json()["data"]] == late_show
    shipped = client.get("/api/v1/shipments?status=shipped", headers=auth(token)).get_json()
    assert [p["order_number"] for p in shipped["data"]] == [soon[0]]
    assert shipped["data"][0]["shipment"]["mode"] == "lettre_verte"
    for bad in ("late=oui", "status=x", "mode=pigeon", "session_id=0"):
        assert client.get(f"/api/v1/shipments?{bad}", headers=auth(token)).status_code == 422


def test_api_bulk_is_all_or_nothing_with_per_item_errors(app, client, setup, mailbox):
    a = place(app, setup["number"], setup["acme"])
    b = place(app, setup["number"], setup["acme"])
    theirs = place(app, setup["number"], setup["other"])
    token = token_for(app)
    url = "/api/v1/shipments/shipped"
    good = [
        {
            "order_number": a,
            "group": "billets",
            "mode": "suivi",
            "tracking_number": "1L23456789012",
        },
        {"order_number": b, "group": "billets", "mode": "lettre_verte"},
    ]
    bad = client.post(
        url,
        json={"shipments": [good[0], {**good[1], "mode": "recommande", "tracking_number": "x"}]},
        headers=auth(token),
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == [
        {"index": 1, "field": "tracking_number", "message": bad.get_json()["errors"][0]["message"]}
    ]
    foreign = client.post(
        url,
        json={
            "shipments": [
                *good,
                {"order_number": theirs, "group": "billets", "mode": "lettre_verte"},
            ]
        },
        headers=auth(token),
    )
    assert foreign.status_code == 404 and foreign.get_json()["errors"][0]["index"] == 2
    assert order_of(app, a).status == "paid"
    done = client.post(url, json={"shipments": good}, headers=auth(token))
    assert done.status_code == 200 and done.get_json()["recorded"] == 2
    again = client.post(url, json={"shipments": good}, headers=auth(token))
    assert again.get_json() == {"recorded": 0, "already_shipped": 2, "data": []}
    changed = [{**good[0], "tracking_number": "1L99999999999"}]
    conflict = client.post(url, json={"shipments": changed}, headers=auth(token))
    assert conflict.status_code == 409 and conflict.get_json()["errors"][0]["index"] == 0


def test_api_correct_tracking(app, client, setup, mailbox):
    a = place(app, setup["number"], setup["acme"])
    theirs = place(app, setup["number"], setup["other"])
    token = token_for(app)
    client.post(
        f"/api/v1/shipments/{a}/billets/shipped",
        json={"mode": "r2", "tracking_number": "1A12345678901"},
        headers=auth(token),
    )
    url = f"/api/v1/shipments/{a}/billets"
    body = {"mode": "r2", "tracking_number": "RA123456789FR"}
    response = client.patch(url, json=body, headers=auth(token))
    assert response.status_code == 200 and response.get_json()["tracking_number"] == "RA123456789FR"
    wrong_mode = client.patch(url, json={**body, "mode": "suivi"}, headers=auth(token))
    assert wrong_mode.status_code == 409
    malformed = client.patch(url, json={**body, "tracking_number": "12"}, headers=auth(token))
    assert malformed.status_code == 422
    other = client.patch(f"/api/v1/shipments/{theirs}/billets", json=body, headers=auth(token))
    assert other.status_code == 404
    with app.app_context():
        assert (
            session()
            .scalar(select(AuditEntry).where(AuditEntry.action == "shipment.tracking_corrected"))
            .actor.startswith("api:")
        )
