"""The portal's « Intégration » page (R-PAR-6, R-PAR-10): API tokens made (shown once),
listed with their last use and revoked; the webhook set up, tested and its delivery log;
all for the partner's administrators only, scoped to their partner, and audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.web.partner.helpers import as_partner, place, token_for
from tests.webhook_receiver import serve_webhooks


def make_admin(app, email):
    from partners.integration import set_partner_admin

    with app.app_context():
        set_partner_admin(email, True, actor="test")


def audit_actions(app, prefix):
    from shop.audit import AuditEntry
    from shop.db import session

    with app.app_context():
        return [
            e.action
            for e in session().scalars(
                select(AuditEntry).where(AuditEntry.action.like(f"{prefix}%"))
            )
        ]


@pytest.fixture
def admin(app, client, setup):
    make_admin(app, setup["staff"][0])
    as_partner(client, setup)
    return setup


def test_r_par_6_token_created_shown_once_listed_and_revoked(app, client, clock, admin):
    resp = client.post("/partenaire/integration/jetons", data={"name": "Logiciel d'expédition"})
    assert resp.status_code == 201
    page = resp.get_data(as_text=True)
    raw = re.search(r'value="(cgos_[^"]+)"', page).group(1)
    assert "Copiez-le maintenant" in page
    listing = client.get("/partenaire/integration").get_data(as_text=True)
    assert raw not in listing and "Logiciel d&#39;expédition" in listing
    assert "jamais" in listing  # not used yet
    # Used by the API five minutes later: its last use shows, in Paris time.
    clock.advance(minutes=5)
    api = client.get("/api/v1/shipments", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 200
    listing = client.get("/partenaire/integration").get_data(as_text=True)
    assert "jamais" not in listing and "1er mars 2027 à 10:05" in listing
    from partners.models import ApiToken
    from shop.db import session

    with app.app_context():
        token_id = session().scalar(select(ApiToken.id).where(ApiToken.name.like("Logiciel%")))
    confirm = client.get(f"/partenaire/integration/jetons/{token_id}/revoquer")
    assert "Révoquer définitivement" in confirm.get_data(as_text=True)
    done = client.post(f"/partenaire/integration/jetons/{token_id}/revoquer")
    assert done.status_code == 302
    assert "Révoqué le" in client.get("/partenaire/integration").get_data(as_text=True)
    refused = client.get("/api/v1/shipments", headers={"Authorization": f"Bearer {raw}"})
    assert refused.status_code == 401
    assert audit_actions(app, "api_token.") == ["api_token.created", "api_token.revoked"]


def test_token_without_a_name_french_message_beside_the_field(client, admin):
    resp = client.post("/partenaire/integration/jetons", data={"name": "   "})
    assert resp.status_code == 422
    assert "Donnez un nom au jeton" in resp.get_data(as_text=True)


def test_another_partners_token_and_delivery_are_404(app, client, admin):
    from partners import webhooks
    from partners.models import ApiToken, Partner
    from shop.db import session

    token_for(app, "autre")
    with app.app_context():
        other_id = session().scalar(select(Partner.id).where(Partner.slug == "autre"))
        theirs = session().scalar(select(ApiToken.id).where(ApiToken.partner_id == other_id))
        webhooks.save_endpoint(other_id, "http://127.0.0.1:9/h", ["order.paid"], True, actor="t")
        delivery = webhooks.send_ping(other_id, actor="test").id
    assert client.get(f"/partenaire/integration/jetons/{theirs}/revoquer").status_code == 404
    assert client.post(f"/partenaire/integration/jetons/{theirs}/revoquer").status_code == 404
    assert client.post(f"/partenaire/integration/envois/{delivery}/renvoyer").status_code == 404
    assert client.post("/partenaire/integration/envois/999999/renvoyer").status_code == 404
    log = client.get("/partenaire/integration/envois").get_data(as_text=True)
    assert "Aucun envoi" in log and "127.0.0.1:9" not in log


def test_plain_partner_user_reads_only(app, client, setup):
    token_for(app, "acme")
    as_partner(client, setup)
    page = client.get("/partenaire/integration")
    assert page.status_code == 200 and "Lecture seule" in page.get_data(as_text=True)
    assert "Créer un jeton" not in page.get_data(as_text=True)
    assert client.post("/partenaire/integration/jetons", data={"name": "x"}).status_code == 403
    url = {"url": "https://93.184.216.34/h", "events": ["order.paid"], "enabled": "y"}
    assert client.post("/partenaire/integration/webhook", data=url).status_code == 403
    assert client.post("/partenaire/integration/avis", data={"email": ""}).status_code == 403


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://partenaire.example/hooks", "https://"),
        ("https://10.0.0.8/hooks", "privée ou réservée"),
        ("", "Indiquez l&#39;adresse"),
    ],
)
def test_bad_webhook_url_french_message_beside_the_field(client, admin, url, message):
    resp = client.post(
        "/partenaire/integration/webhook",
        data={"url": url, "events": ["order.paid"], "enabled": "y"},
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page and 'id="url-erreur"' in page
    assert f'value="{url}"' in page or not url  # what was typed is kept


def test_webhook_setup_ping_log_and_resend(app, client, admin):
    with serve_webhooks() as receiver:
        resp = client.post(
            "/partenaire/integration/webhook",
            data={
                "url": receiver.url,
                "events": ["order.paid", "session.cancelled"],
                "enabled": "y",
            },
        )
        assert resp.status_code == 201
        receiver.secret = re.search(
            r'value="(whsec_[0-9a-f]+)"', resp.get_data(as_text=True)
        ).group(1)
        assert client.get("/partenaire/integration").get_data(as_text=True).count("whsec_") == 0
        receiver.script = [500]
        assert client.post("/partenaire/integration/webhook/test").status_code == 302
        _join_sender()
        log = client.get("/partenaire/integration/envois").get_data(as_text=True)
        assert "ping" in log and "HTTP 500" in log and "En attente" in log
        from partners.models import WebhookDelivery
        from shop.db import session

        with app.app_context():
            delivery_id = session().scalar(select(WebhookDelivery.id))
        assert (
            client.post(f"/partenaire/integration/envois/{delivery_id}/renvoyer").status_code == 302
        )
        _join_sender()
        assert [e["type"] for e in receiver.events] == ["ping", "ping"]
        assert all(r.signed for r in receiver.received)
        assert "Livré" in client.get("/partenaire/integration/envois").get_data(as_text=True)
        # Rotating the secret: the old one no longer verifies.
        rotated = client.post("/partenaire/integration/webhook/secret")
        new = re.search(r'value="(whsec_[0-9a-f]+)"', rotated.get_data(as_text=True)).group(1)
        assert new != receiver.secret
    assert audit_actions(app, "webhook.") == [
        "webhook.created",
        "webhook.ping",
        "webhook.resent",
        "webhook.secret_rotated",
    ]


def test_paid_order_reaches_the_partner_never_fails_the_agent(app, client, admin):
    """The receiver answers 500: the agent's order is paid all the same."""
    with serve_webhooks() as receiver:
        client.post(
            "/partenaire/integration/webhook",
            data={"url": receiver.url, "events": ["order.paid"], "enabled": "y"},
        )
        receiver.default = 500
        number = place(app, admin["number"], admin["acme"])
        from tests.web.partner.helpers import order_of

        assert order_of(app, number).status == "paid"
        assert receiver.events[0]["data"]["order"]["number"] == number


def test_notice_address_french_message_and_saved(app, client, admin):
    bad = client.post("/partenaire/integration/avis", data={"email": "pas-une-adresse"})
    assert bad.status_code == 422 and "Adresse e-mail invalide" in bad.get_data(as_text=True)
    ok = client.post(
        "/partenaire/integration/avis", data={"email": "expe@acme.example", "mail_orders": "y"}
    )
    assert ok.status_code == 302
    assert "expe@acme.example" in client.get("/partenaire/integration").get_data(as_text=True)
    assert audit_actions(app, "partner.notices") == ["partner.notices_changed"]


def _join_sender():
    from shop.mail_thread import join

    join(5)


def test_partner_admin_set_by_the_command_line_audited(app, client, setup):
    from auth.models import StaffUser
    from shop.db import session

    runner = app.test_cli_runner()
    email = setup["staff"][0]
    result = runner.invoke(args=["partner", "admin", email])
    assert result.exit_code == 0, result.output
    as_partner(client, setup)
    assert "Créer un jeton" in client.get("/partenaire/integration").get_data(as_text=True)
    assert runner.invoke(args=["partner", "admin", email, "--off"]).exit_code == 0
    assert "Lecture seule" in client.get("/partenaire/integration").get_data(as_text=True)
    unknown = runner.invoke(args=["partner", "admin", "personne@exemple.fr"])
    assert unknown.exit_code == 1 and "Aucun compte partenaire" in unknown.output
    with app.app_context():
        assert not session().scalar(select(StaffUser.partner_admin).where(StaffUser.email == email))
    assert audit_actions(app, "staff.partner_admin") == ["staff.partner_admin"] * 2
