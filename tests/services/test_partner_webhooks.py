"""Partners told of their orders and sessions (R-PAR-6, R-PAR-10): orders' events become
signed webhooks (each partner its own lines), sent after the commit, retried with backoff
for a bounded time, never failing the order's change; a session cancelled by C.G.O.S is
mailed to the partner."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from auth.principals import agent_user
from members.dossiers import dossier_source
from orders import cart as carts
from orders import events, refunds, services
from orders.models import Order
from orders.status import OrderStatus
from partners import notifications, webhooks
from partners.models import WebhookDelivery, WebhookEndpoint
from shop import clock as shop_clock
from shop import jobs
from shop.db import session
from tests.factories import NOW_PARIS, Operator, utc
from tests.webhook_receiver import serve_webhooks

STARTS = utc(NOW_PARIS + timedelta(days=30))


@pytest.fixture
def agent(ctx, make_agent, clock):
    clock.set(NOW_PARIS)
    number, _ = make_agent(household_id="H-HOOK")
    return agent_user(dossier_source().get(number))


@pytest.fixture
def offers(make_offer):
    acme = make_offer(
        partner="acme", title="Concert Acme", sessions=[(STARTS, 50)], negotiated_price_cents=3000
    )
    autre = make_offer(
        partner="autre", title="Opéra Autre", sessions=[(STARTS, 50)], negotiated_price_cents=3500
    )
    return {"acme": acme, "autre": autre}


@pytest.fixture
def receiver():
    with serve_webhooks() as r:
        yield r


def partner_id(slug):
    from partners.models import Partner

    return session().scalar(select(Partner.id).where(Partner.slug == slug))


def hook(slug, url, kinds=events.KINDS):
    _endpoint, secret = webhooks.save_endpoint(
        partner_id(slug), url, list(kinds), True, actor="test"
    )
    return secret


def place(agent, *offer_ids, method="card", pay=True, checkout="t"):
    for oid in offer_ids:
        carts.add_to_cart(agent, oid, quantity=2, delivery="e_billet", session_id=_session(oid))
    total = carts.view_cart(agent).priced.total_cents
    order = services.place_order(
        agent,
        payment_method=method,
        contact=services.Contact("a@exemple.fr", True),
        expected_total_cents=total,
        checkout_token=f"tok-hook-{checkout}",
        actor=agent,
    )
    if pay:
        services.mark_paid(
            order.id,
            method="demo",
            amount_cents=order.total_cents,
            provider_ref=f"demo-{order.id}",
            actor=agent,
        )
    return session().get(Order, order.id)


def _session(offer_id):
    from catalog.models import OfferSession

    return session().scalar(select(OfferSession.id).where(OfferSession.offer_id == offer_id))


def deliveries(slug=None):
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if slug:
        stmt = stmt.where(WebhookDelivery.partner_id == partner_id(slug))
    return list(session().scalars(stmt.execution_options(populate_existing=True)))


def test_paid_order_split_per_partner_and_signed(agent, offers, receiver):
    """Two partners' offers in one order: each partner gets one event with its lines only,
    signed with its own secret."""
    with serve_webhooks() as other:
        receiver.secret = hook("acme", receiver.url)
        other.secret = hook("autre", other.url)
        order = place(agent, offers["acme"], offers["autre"])
        assert order.status == OrderStatus.PAID
    (acme_event,) = receiver.events
    (autre_event,) = other.events
    assert receiver.received[0].signed and other.received[0].signed
    assert acme_event["type"] == "order.paid" and acme_event["id"].startswith("evt_")
    assert acme_event["created"].endswith("Z")
    assert [ln["title"] for ln in acme_event["data"]["lines"]] == ["Concert Acme"]
    assert [ln["title"] for ln in autre_event["data"]["lines"]] == ["Opéra Autre"]
    assert acme_event["data"]["amount_cents"] == 2 * 3000
    assert autre_event["data"]["amount_cents"] == 2 * 3500
    assert acme_event["data"]["order"]["number"] == order.number
    assert acme_event["data"]["order"]["paid_at"] == webhooks.iso(order.paid_at)  # whole change
    headers = receiver.received[0].headers
    assert headers["X-CGOS-Event-Id"] == acme_event["id"]
    assert headers["X-CGOS-Event-Type"] == "order.paid"
    # Signed with the other partner's secret, it would not verify.
    assert not webhooks.verify(other.secret, headers["X-CGOS-Signature"], receiver.received[0].body)
    assert [d.status for d in deliveries()] == ["delivered", "delivered"]


def test_secret_is_not_stored_and_rotation_changes_it(agent, offers, receiver):
    secret = hook("acme", receiver.url)
    endpoint = session().scalar(select(WebhookEndpoint))
    stored = " ".join(str(getattr(endpoint, c.key)) for c in WebhookEndpoint.__table__.columns)
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    new = webhooks.rotate_secret(partner_id("acme"), actor="test")
    assert new != secret and new == webhooks.signing_secret(endpoint)


def test_unsubscribed_or_disabled_endpoint_gets_nothing(agent, offers, receiver):
    hook("acme", receiver.url, kinds=["session.cancelled"])
    place(agent, offers["acme"])
    assert receiver.received == [] and deliveries() == []


def test_cancelled_and_refunded_events(agent, offers, receiver, clock):
    receiver.secret = hook("acme", receiver.url)
    option = place(agent, offers["acme"], method="cheque", pay=False, checkout="opt")
    services.cancel_order(option.id, reason="test", actor=Operator())
    paid = place(agent, offers["acme"], offers["autre"], checkout="paid")
    refunds.cancel_event(Operator(), session_id=_session(offers["acme"]), reason="Artiste malade")
    kinds = [e["type"] for e in receiver.events]
    assert kinds == ["order.cancelled", "order.paid", "session.cancelled", "order.refunded"]
    cancelled, _paid, sess, refunded = receiver.events
    assert cancelled["data"]["reason"] == "cancelled"
    assert cancelled["data"]["order"]["cancelled_at"] is not None
    assert sess["data"]["sessions"][0]["title"] == "Concert Acme"
    assert sess["data"]["reason"] == "Artiste malade"
    assert refunded["data"]["order"]["number"] == paid.number
    assert refunded["data"]["refunded_cents"] == 2 * 3000 and refunded["data"]["whole"]
    assert [ln["status"] for ln in refunded["data"]["lines"]] == ["refunded"]
    assert all(r.signed for r in receiver.received)


def test_5xx_then_2xx_same_event_id(agent, offers, receiver, clock):
    receiver.secret = hook("acme", receiver.url)
    receiver.script = [503]
    place(agent, offers["acme"])
    (row,) = deliveries()
    assert row.status == "pending" and row.attempts == 1 and row.last_status_code == 503
    assert row.next_attempt_at == shop_clock.utcnow() + timedelta(minutes=1)
    assert jobs.run_due()["partners.webhooks"] == 0  # not due yet
    clock.advance(minutes=1)
    assert jobs.run_due()["partners.webhooks"] == 1
    (row,) = deliveries()
    assert row.status == "delivered" and row.attempts == 2 and row.last_error is None
    first, second = receiver.received
    assert first.headers["X-CGOS-Event-Id"] == second.headers["X-CGOS-Event-Id"]
    assert first.body == second.body and second.signed


def test_backoff_then_failed_after_the_window(agent, offers, receiver, clock, app):
    hook("acme", receiver.url)
    receiver.default = 500
    place(agent, offers["acme"])
    waits = []
    for _ in range(12):
        (row,) = deliveries()
        if row.status != "pending":
            break
        waits.append(row.next_attempt_at - shop_clock.utcnow())
        clock.advance(seconds=(row.next_attempt_at - shop_clock.utcnow()).total_seconds())
        webhooks.retry_due()
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) <= timedelta(hours=1)
    clock.advance(hours=app.config["WEBHOOK_RETRY_HOURS"])
    webhooks.retry_due()
    (row,) = deliveries()
    assert row.status == "failed" and row.failed_at is not None and row.next_attempt_at is None


def test_4xx_fails_at_once(agent, offers, receiver):
    hook("acme", receiver.url)
    receiver.script = [410]
    place(agent, offers["acme"])
    (row,) = deliveries()
    assert row.status == "failed" and row.last_status_code == 410 and row.attempts == 1


def test_timeout_is_bounded(agent, offers, receiver, app, monkeypatch):
    hook("acme", receiver.url)
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT", 0.3)
    receiver.script = [2.0]
    started = time.monotonic()
    order = place(agent, offers["acme"])
    assert time.monotonic() - started < 1.8
    assert order.status == OrderStatus.PAID
    (row,) = deliveries()
    assert row.status == "pending" and "timed out" in (row.last_error or "")


def test_receiver_down_order_paid_and_sent_later_by_run_due(agent, offers, clock):
    """Fault: nobody listens. The order is paid all the same; ``jobs run-due`` delivers
    once the receiver is back (same address)."""
    with serve_webhooks() as r:
        url = r.url
        secret = hook("acme", url)
    order = place(agent, offers["acme"])
    assert order.status == OrderStatus.PAID
    (row,) = deliveries()
    assert row.status == "pending" and row.last_status_code is None and row.last_error
    with serve_webhooks() as back:
        back.secret = secret
        session().execute(
            WebhookEndpoint.__table__.update().values(url=back.url)
        )  # the partner's system came back (on a new port here)
        clock.advance(minutes=1)
        assert jobs.run_due()["partners.webhooks"] == 1
    assert back.events[0]["type"] == "order.paid" and back.received[0].signed
    assert deliveries()[0].status == "delivered"


def test_failing_subscriber_never_fails_the_payment(agent, offers, receiver, monkeypatch):
    hook("acme", receiver.url)

    def boom(*_a, **_k):
        raise RuntimeError("bug in a subscriber")

    monkeypatch.setattr(notifications, "order_data", boom)
    order = place(agent, offers["acme"])
    assert order.status == OrderStatus.PAID
    assert session().scalar(select(func.count()).select_from(WebhookDelivery)) == 0


def test_session_cancelled_always_mailed_to_the_partner(agent, offers, make_staff, mailbox):
    email, _ = make_staff(role="partner", partner="acme")
    place(agent, offers["acme"])
    refunds.cancel_event(Operator(), session_id=_session(offers["acme"]), reason="Salle fermée")
    to_partner = [m for m in mailbox.messages if email in m["To"]]
    assert len(to_partner) == 1
    assert "annulée par le C.G.O.S" in to_partner[0]["Subject"]
    body = to_partner[0].get_payload(decode=True).decode()
    assert "Salle fermée" in body and "Concert Acme" in body
    assert "31 mars 2027 à 10:00" in body  # Paris time


def test_order_mails_only_when_asked(agent, offers, make_staff, mailbox):
    from partners import integration

    email, _ = make_staff(role="partner", partner="acme")
    place(agent, offers["acme"], checkout="a")
    assert not [m for m in mailbox.messages if email in m["To"]]
    integration.save_notice(partner_id("acme"), "expe@acme.example", True, actor="test")
    order = place(agent, offers["acme"], checkout="b")
    mine = [m for m in mailbox.messages if "expe@acme.example" in m["To"]]
    assert [m["Subject"] for m in mine] == [f"Commande {order.number} payée"]


@pytest.mark.parametrize(
    "url",
    [
        "http://partenaire.example/hooks",
        "https://10.0.0.8/hooks",
        "https://192.168.1.2/",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00::1]/",
        "https://0.0.0.0/",
        "ftp://partenaire.example/",
        "https://user:pw@partenaire.example/",
        "pas une adresse",
    ],
)
def test_ssrf_refused_urls(ctx, url):
    assert webhooks.url_error(url)


def test_host_resolving_to_a_private_address_is_refused(ctx, monkeypatch):
    monkeypatch.setattr(webhooks, "_resolve", lambda host, port: ["10.1.2.3"])
    assert "privée" in webhooks.url_error("https://intranet.example/hooks")
    monkeypatch.setattr(webhooks, "_resolve", lambda host, port: ["93.184.216.34"])
    assert webhooks.url_error("https://partenaire.example/hooks") is None


def test_loopback_only_in_tests_or_when_allowed(ctx, app, monkeypatch):
    assert webhooks.url_error("http://127.0.0.1:8080/hooks") is None
    monkeypatch.setattr(app, "testing", False)
    assert webhooks.url_error("http://127.0.0.1:8080/hooks")
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_LOOPBACK", True)
    assert webhooks.url_error("http://localhost:8080/hooks") is None


def test_spec_12_deliveries_kept_one_year(agent, offers, receiver, clock):
    hook("acme", receiver.url)
    place(agent, offers["acme"])
    assert len(deliveries()) == 1
    clock.advance(days=364)
    jobs.run_due()
    assert len(deliveries()) == 1
    clock.advance(days=2)
    assert jobs.run_due()["retention.webhooks"] == 1
    assert deliveries() == []


def test_a_unit_of_work_rolled_back_publishes_nothing(agent, offers, receiver):
    from shop.db import unit_of_work

    hook("acme", receiver.url)
    order = place(agent, offers["acme"], pay=False)
    with pytest.raises(RuntimeError), unit_of_work():
        services.mark_paid(
            order.id, method="demo", amount_cents=order.total_cents, provider_ref="x", actor=agent
        )
        raise RuntimeError("the payment's unit fails after the status was set")
    with unit_of_work():
        webhooks.endpoint_of(partner_id("acme")).updated_at = shop_clock.utcnow()
    assert receiver.received == [] and deliveries() == []
