"""Price change requests (R-PAR-10): partners ask, admins decide; sold counts per session
(R-PAR-5). A partner's new négocié or C.G.O.S price never applies by itself, whatever
the path; admins approve (through the offer service, with its checks) or refuse."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from catalog.models import Offer, PriceChangeRequest
from shop.mail import OutboxMail
from tests.factories import audit_entries, edit_form, error_beside, load, login_staff, page
from tests.web.partner.helpers import SESSION_AT, as_partner, place, sessions_of


@pytest.fixture
def partner_client(app, client, make_staff, clock):
    clock.set(datetime(2027, 3, 1, 10, 0))
    email, password = make_staff("partner", partner="festibillet")
    assert login_staff(client, email, password).location == "/partenaire/"
    client.email = email
    return client


def _staff_client(app: Any, make_staff: Any, role: str) -> Any:
    other = app.test_client()
    email, password = make_staff(role)
    assert login_staff(other, email, password).status_code == 302
    other.email = email
    return other


@pytest.fixture
def admin(app, make_staff, partner_client):
    return _staff_client(app, make_staff, "admin")


def _ask(client: Any, oid: int, **prices: str) -> int:
    """The partner's offer form with new prices; returns the request's id."""
    resp = client.post(
        f"/partenaire/offres/{oid}/modifier",
        data=edit_form(price_reason="Nouveau contrat", **prices),
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return _requests(client.application, oid)[-1].id


def _requests(app: Any, oid: int) -> list[PriceChangeRequest]:
    from shop.db import session

    with app.app_context():
        stmt = select(PriceChangeRequest).where(PriceChangeRequest.offer_id == oid)
        return list(session().scalars(stmt.order_by(PriceChangeRequest.id)))


def _mails(app: Any, to: str) -> list[OutboxMail]:
    from shop.db import session

    with app.app_context():
        stmt = select(OutboxMail).where(
            OutboxMail.to == to, OutboxMail.kind == "catalog/price_request_decided"
        )
        return list(session().scalars(stmt))


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


# -- partners ask -------------------------------------------------------------------------


def test_r_par_10_unchanged_prices_make_no_request(app, partner_client, make_offer):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    resp = partner_client.post(f"/partenaire/offres/{oid}/modifier", data=edit_form(title="Lac"))
    assert resp.status_code == 302
    assert _requests(app, oid) == []
    assert load(app, Offer, oid).title == "Lac"


def test_r_par_10_a_new_request_replaces_the_pending_one(app, partner_client, make_offer):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    _ask(partner_client, oid, cgos_price="20,00")
    _ask(partner_client, oid, negotiated_price="38,00", cgos_price="21,00")
    first, second = _requests(app, oid)
    assert (first.status, second.status) == ("withdrawn", "pending")
    assert (second.requested_negotiated_cents, second.requested_cgos_cents) == (3800, 2100)
    form = _plain(page(partner_client.get(f"/partenaire/offres/{oid}/modifier")))
    assert "Demande en attente : prix négocié 38,00 €, prix C.G.O.S 21,00 €" in form


def test_r_par_10_reason_too_long_is_refused_beside_the_field(app, partner_client, make_offer):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    resp = partner_client.post(
        f"/partenaire/offres/{oid}/modifier",
        data=edit_form(cgos_price="20,00", price_reason="x" * 501, title="Gardé"),
    )
    text = page(resp, 422)
    assert error_beside(text, "price_reason") == "500 caractères au plus."
    assert 'value="Gardé"' in text and 'value="20,00"' in text
    assert _requests(app, oid) == [] and load(app, Offer, oid).title == "Le Lac des cygnes"


def test_r_par_10_partner_withdraws_a_pending_request(app, partner_client, make_offer):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    rid = _ask(partner_client, oid, cgos_price="20,00")
    detail = page(partner_client.get(f"/partenaire/offres/demandes-prix/{rid}"))
    assert "Retirer la demande" in detail and "Nouveau contrat" in detail
    resp = partner_client.post(f"/partenaire/offres/demandes-prix/{rid}/retirer")
    assert resp.status_code == 302
    [req] = _requests(app, oid)
    assert req.status == "withdrawn" and load(app, Offer, oid).cgos_price_cents == 2500
    assert audit_entries(app, f"offer:{oid}/price_request:{rid}", "price_request.withdrawn")
    listing = page(partner_client.get("/partenaire/offres/demandes-prix?etat=withdrawn"))
    assert "Retirée" in listing and "Le Lac des cygnes" in listing
    assert "Le Lac des cygnes" not in page(
        partner_client.get("/partenaire/offres/demandes-prix?etat=pending")
    )
    # withdrawn already: nothing more to withdraw, and no decision either
    partner_client.post(f"/partenaire/offres/demandes-prix/{rid}/retirer")
    assert _requests(app, oid)[0].status == "withdrawn"


def test_r_par_1_another_partners_request_is_404(app, partner_client, make_offer, make_staff):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    rid = _ask(partner_client, oid, cgos_price="20,00")
    rival = app.test_client()
    email, password = make_staff("partner", partner="concurrent")
    login_staff(rival, email, password)
    assert rival.get(f"/partenaire/offres/demandes-prix/{rid}").status_code == 404
    assert rival.post(f"/partenaire/offres/demandes-prix/{rid}/retirer").status_code == 404
    assert "Le Lac des cygnes" not in page(rival.get("/partenaire/offres/demandes-prix"))
    assert _requests(app, oid)[0].status == "pending"


def test_r_par_10_partner_cannot_decide_its_own_request(app, partner_client, make_offer):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    rid = _ask(partner_client, oid, cgos_price="20,00")
    resp = partner_client.post(f"/partenaire/offres/demandes-prix/{rid}", data={"approve": "y"})
    assert resp.status_code == 404
    assert load(app, Offer, oid).cgos_price_cents == 2500


def test_r_par_10_the_catalog_import_is_refused_to_partners(app, make_partner):
    from catalog.importer import import_catalog

    class _Partner:
        role = "partner"
        partner_id = 1
        audit_label = "staff:partner@test"

    with app.app_context():
        report = import_catalog({"offers": []}, _Partner())
    assert report.errors and "administration" in report.errors[0][1]


# -- admins decide ------------------------------------------------------------------------


def test_r_par_10_admin_approves_prices_apply_audited_and_mailed(
    app, partner_client, admin, make_offer
):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    rid = _ask(partner_client, oid, negotiated_price="36,00", cgos_price="20,00")
    queue = _plain(page(admin.get("/gestion/offres/demandes-prix")))
    assert "Le Lac des cygnes" in queue and "Festibillet" in queue
    assert "15,00 € → 16,00 €" in queue  # the participation, before and after
    detail = page(admin.get(f"/gestion/offres/demandes-prix/{rid}"))
    assert "Approuver et appliquer les prix" in detail and "Nouveau contrat" in detail
    resp = admin.post(f"/gestion/offres/demandes-prix/{rid}", data={"approve": "y", "note": "OK"})
    assert resp.status_code == 302
    offer = load(app, Offer, oid)
    assert (offer.negotiated_price_cents, offer.cgos_price_cents) == (3600, 2000)
    [req] = _requests(app, oid)
    assert (req.status, req.decision_note, req.decided_by) == (
        "approved",
        "OK",
        f"staff:{admin.email}",
    )
    *_, change = audit_entries(app, f"offer:{oid}", "offer.updated")  # the partner's, then
    assert change.actor == f"staff:{admin.email}"
    assert change.before["cgos_price_cents"] == 2500 and change.after["cgos_price_cents"] == 2000
    [decided] = audit_entries(app, f"offer:{oid}/price_request:", "price_request.approved")
    assert decided.before["status"] == "pending" and decided.after["status"] == "approved"
    [mail] = _mails(app, partner_client.email)
    assert "approuvée" in mail.subject and "16,00" in _plain(mail.body_text)


def test_r_par_10_admin_refuses_with_a_note_prices_stay(app, partner_client, admin, make_offer):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    rid = _ask(partner_client, oid, cgos_price="20,00")
    resp = admin.post(f"/gestion/offres/demandes-prix/{rid}", data={"refuse": "y", "note": " "})
    text = page(resp, 422)
    assert error_beside(text, "note") == "Indiquez au partenaire la raison du refus."
    assert _requests(app, oid)[0].status == "pending"
    resp = admin.post(
        f"/gestion/offres/demandes-prix/{rid}", data={"refuse": "y", "note": "Contrat en cours"}
    )
    assert resp.status_code == 302
    assert load(app, Offer, oid).cgos_price_cents == 2500
    [req] = _requests(app, oid)
    assert (req.status, req.decision_note) == ("refused", "Contrat en cours")
    assert audit_entries(app, f"offer:{oid}/price_request:", "price_request.refused")
    [mail] = _mails(app, partner_client.email)
    assert "refusée" in mail.subject and "Contrat en cours" in mail.body_text
    seen = page(partner_client.get(f"/partenaire/offres/{oid}"))
    assert "Refusée : Contrat en cours" in seen


def test_r_par_10_a_request_that_now_breaks_a_rule_is_refused_with_the_reason(
    app, partner_client, admin, make_offer
):
    """The public price went down since the request: négocié > public is refused."""
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    rid = _ask(partner_client, oid, negotiated_price="40,00", cgos_price="30,00")
    resp = partner_client.post(
        f"/partenaire/offres/{oid}/modifier", data=edit_form(public_price="40,00")
    )
    assert resp.status_code == 302  # same prices: the pending request stays
    admin.post(
        f"/gestion/offres/{oid}/modifier",
        data=edit_form(
            partner_id=str(load(app, Offer, oid).partner_id),
            public_price="35,00",
            negotiated_price="35,00",
        ),
    )
    assert load(app, Offer, oid).public_price_cents == 3500
    resp = admin.post(f"/gestion/offres/demandes-prix/{rid}", data={"approve": "y"})
    assert resp.status_code == 302
    offer = load(app, Offer, oid)
    assert (offer.negotiated_price_cents, offer.cgos_price_cents) == (3500, 2500)
    req = next(r for r in _requests(app, oid) if r.id == rid)
    assert req.status == "refused"
    assert "ne peut pas dépasser le prix public" in req.decision_note
    assert _mails(app, partner_client.email)


def test_r_par_10_operators_read_but_cannot_decide(app, partner_client, make_offer, make_staff):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    rid = _ask(partner_client, oid, cgos_price="20,00")
    operator = _staff_client(app, make_staff, "operator")
    assert "Le Lac des cygnes" in page(operator.get("/gestion/offres/demandes-prix"))
    detail = page(operator.get(f"/gestion/offres/demandes-prix/{rid}"))
    assert "Approuver" not in detail
    for data in ({"approve": "y"}, {"refuse": "y", "note": "non"}):
        assert operator.post(f"/gestion/offres/demandes-prix/{rid}", data=data).status_code == 404
    assert operator.post(f"/gestion/offres/demandes-prix/{rid}/retirer").status_code == 404
    assert _requests(app, oid)[0].status == "pending"
    assert load(app, Offer, oid).cgos_price_cents == 2500


def test_r_par_10_services_refuse_decisions_to_non_admins(app, ctx, make_offer):
    from catalog import price_requests
    from shop.errors import NotFound
    from tests.factories import Operator

    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    offer = load(app, Offer, oid)
    req = price_requests.request_price_change(
        oid, 3800, 2000, "", partner_id=offer.partner_id, actor="api:1:test"
    )
    with pytest.raises(NotFound):
        price_requests.approve(req.id, actor=Operator())
    with pytest.raises(NotFound):
        price_requests.refuse(req.id, actor=Operator(), note="non")
    with pytest.raises(NotFound):  # another partner's
        price_requests.withdraw(req.id, partner_id=offer.partner_id + 1, actor="x")


def test_r_par_10_admin_edits_prices_directly(app, admin, make_offer):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    partner_id = load(app, Offer, oid).partner_id
    resp = admin.post(
        f"/gestion/offres/{oid}/modifier",
        data=edit_form(partner_id=str(partner_id), cgos_price="22,50"),
    )
    assert resp.status_code == 302
    assert load(app, Offer, oid).cgos_price_cents == 2250
    assert _requests(app, oid) == []
    [entry] = audit_entries(app, f"offer:{oid}", "offer.updated")
    assert entry.after["cgos_price_cents"] == 2250


# -- sold counts (R-PAR-5) ----------------------------------------------------------------


def test_r_par_5_sold_per_session_paid_apart_from_awaiting(
    app, client, setup, make_staff, count_queries
):
    from catalog.services import save_session

    as_partner(client, setup)
    (first,) = sessions_of(app, setup["acme"])
    place(app, setup["number"], setup["acme"], qty=2, session_id=first)
    place(app, setup["number"], setup["acme"], qty=1, session_id=first, method="cheque", pay=False)
    text = page(client.get(f"/partenaire/offres/{setup['acme']}/seances"))
    assert "(+ 1 en attente de paiement)" in text
    row = text[text.index("<tbody>") :]
    assert "<td>47</td>" in row and "<td>2 <span" in row

    class _Admin:
        role = "admin"
        partner_id = None
        audit_label = "staff:test-admin"

    with count_queries() as few:
        page(client.get(f"/partenaire/offres/{setup['acme']}/seances"))
    with app.app_context():
        for day in range(1, 8):
            save_session(
                setup["acme"], _Admin(), starts_at=SESSION_AT + timedelta(days=day), stock=10
            )
    with count_queries() as many:
        page(client.get(f"/partenaire/offres/{setup['acme']}/seances"))
    assert many() == few()  # constant whatever the number of sessions
    listing = page(client.get("/partenaire/offres"))
    assert "Vendus" in listing and "<td>2 <span" in listing


def test_r_par_10_a_decided_request_cannot_be_decided_again(app, partner_client, admin, make_offer):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    rid = _ask(partner_client, oid, cgos_price="20,00")
    assert partner_client.post(f"/partenaire/offres/demandes-prix/{rid}/retirer").status_code == 302
    resp = admin.post(f"/gestion/offres/demandes-prix/{rid}", data={"approve": "y"})
    assert "Cette demande n'est plus en attente." in page(resp, 422)
    assert load(app, Offer, oid).cgos_price_cents == 2500
    assert _requests(app, oid)[0].status == "withdrawn"
    assert admin.get("/gestion/offres/demandes-prix/2147483647").status_code == 404
    assert admin.get("/gestion/offres/demandes-prix/99999999999").status_code == 404
