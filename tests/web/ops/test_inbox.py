"""Operators' inbox of contact messages (R-OPS-5): list by state, take, answer (mailed to
the agent, audit-logged), and a page cost that does not grow with the inbox."""

from __future__ import annotations

import pytest
from markupsafe import escape

from tests.factories import login_agent, login_staff
from tests.web.ops.helpers import add_message


def message_of(app, message_id):
    from shop.db import session
    from support.models import ContactMessage

    with app.app_context():
        message = session().get(ContactMessage, message_id)
        return message, [r.body for r in message.replies]


def audit_of(app, message_id):
    from sqlalchemy import select

    from shop.audit import AuditEntry
    from shop.db import session

    with app.app_context():
        return list(
            session().scalars(
                select(AuditEntry)
                .where(AuditEntry.subject == f"message:{message_id}")
                .order_by(AuditEntry.id)
            )
        )


@pytest.fixture
def operator(client, make_staff):
    email, password = make_staff("operator")
    login_staff(client, email, password)
    client.email = email
    return client


def test_r_ops_5_inbox_lists_newest_first_and_filters_by_state(operator, app):
    old = add_message(app, nom="Ancien", minutes_ago=60)
    new = add_message(app, nom="Recent", minutes_ago=1)
    done = add_message(app, nom="Traite", status="repondu", minutes_ago=30)
    page = operator.get("/gestion/messages/").get_data(as_text=True)
    assert page.index("Recent") < page.index("Traite") < page.index("Ancien")
    fresh = operator.get("/gestion/messages/?etat=nouveau").get_data(as_text=True)
    assert "Recent" in fresh and "Ancien" in fresh and "Traite" not in fresh
    answered = operator.get("/gestion/messages/?etat=repondu").get_data(as_text=True)
    assert "Traite" in answered and "Recent" not in answered
    assert f"/gestion/messages/{done}" in answered
    assert operator.get("/gestion/messages/?etat=n%27importe&page=x").status_code == 200
    assert old and new
    assert 'href="/gestion/messages/"' in operator.get("/gestion/").get_data(as_text=True)


def test_r_ops_5_message_page_links_the_agent_and_the_order(operator, app):
    mid = add_message(app, number="87654321B", order_number="C-2027-000042")
    page = operator.get(f"/gestion/messages/{mid}").get_data(as_text=True)
    assert 'href="/gestion/?q=87654321B"' in page
    assert "C-2027-000042" in page and "Où en est mon colis ?" in page
    assert "Prendre en charge" in page
    assert operator.get("/gestion/messages/999999").status_code == 404


def test_r_ops_5_take_sets_en_cours_and_is_audited(operator, app):
    mid = add_message(app)
    resp = operator.post(f"/gestion/messages/{mid}/etat", data={"status": "en_cours"})
    assert resp.status_code == 302
    message, _ = message_of(app, mid)
    assert message.status == "en_cours" and message.assigned_to == f"staff:{operator.email}"
    [entry] = audit_of(app, mid)
    assert entry.action == "message.status_changed"
    assert entry.before["status"] == "nouveau" and entry.after["status"] == "en_cours"
    assert entry.actor == f"staff:{operator.email}"
    # Taking it again changes nothing and logs nothing; an unknown state is refused.
    operator.post(f"/gestion/messages/{mid}/etat", data={"status": "en_cours"})
    resp = operator.post(f"/gestion/messages/{mid}/etat", data={"status": "perdu"})
    assert resp.status_code == 302
    assert len(audit_of(app, mid)) == 1
    assert "Prendre en charge" not in operator.get(f"/gestion/messages/{mid}").get_data(
        as_text=True
    )


def test_r_ops_5_reply_is_mailed_stored_and_audited(operator, app, mailbox):
    mid = add_message(app)
    resp = operator.post(
        f"/gestion/messages/{mid}/repondre", data={"body": "Votre colis part demain."}
    )
    assert resp.status_code == 302
    message, replies = message_of(app, mid)
    assert message.status == "repondu" and replies == ["Votre colis part demain."]
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "paul.martin@exemple.fr"
    assert "Votre colis part demain." in mailbox.text_of(mail)
    [entry] = audit_of(app, mid)
    assert entry.action == "message.replied" and entry.after["status"] == "repondu"
    page = operator.get(f"/gestion/messages/{mid}").get_data(as_text=True)
    assert "Votre colis part demain." in page and "Répondu" in page


def test_r_ops_5_empty_reply_is_refused_in_french(operator, app):
    mid = add_message(app)
    resp = operator.post(f"/gestion/messages/{mid}/repondre", data={"body": "  "})
    assert resp.status_code == 422
    assert escape("Écrivez la réponse.") in resp.get_data(as_text=True)
    message, replies = message_of(app, mid)
    assert message.status == "nouveau" and replies == []
    assert audit_of(app, mid) == []


def test_r_ops_5_agent_sees_the_reply(app, make_agent, make_staff, mailbox):
    agent = app.test_client()
    number, code = make_agent()
    login_agent(agent, number, code)
    mid = add_message(app, number=number)
    staff = app.test_client()
    login_staff(staff, *make_staff("operator"))
    staff.post(f"/gestion/messages/{mid}/repondre", data={"body": "C'est réglé."})
    page = agent.get("/nous-contacter/").get_data(as_text=True)
    assert escape("C'est réglé.") in page and "Répondu" in page


def test_r_ops_5_agents_and_partners_cannot_open_the_inbox(client, app, make_agent, make_staff):
    mid = add_message(app)
    number, code = make_agent()
    login_agent(client, number, code)
    for url in ("/gestion/messages/", f"/gestion/messages/{mid}"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/gestion/connexion" in resp.location
    resp = client.post(f"/gestion/messages/{mid}/repondre", data={"body": "x"})
    assert resp.status_code == 302
    partner = app.test_client()
    login_staff(partner, *make_staff("partner", partner="sogec"))
    assert partner.get("/gestion/messages/").status_code == 404
    assert message_of(app, mid)[1] == []


def test_r_ops_5_inbox_statement_count_is_constant(operator, app, count_queries):
    add_message(app)
    operator.get("/gestion/messages/")  # warm-up: session sliding, template cache
    with count_queries() as one:
        assert operator.get("/gestion/messages/").status_code == 200
    for i in range(6):
        add_message(app, minutes_ago=i + 1, order_number=f"C-{i}")
    with count_queries() as seven:
        page = operator.get("/gestion/messages/").get_data(as_text=True)
    assert page.count('href="/gestion/messages/') >= 7
    assert seven() == one()
