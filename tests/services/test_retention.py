"""RULES.md §12 (defect 10): each retention period of « Données personnelles » is enforced by a
due task (``jobs run-due``), checked on both sides of its edge with a moved clock; and no
working secret stays readable in the outbox once its mail is sent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from auth.models import LoginThrottle, WebSession
from orders.models import Cart, HouseholdYear, Order, OrderLine, Payment
from orders.status import PaymentStatus
from shop.audit import AuditEntry
from shop.db import session, unit_of_work
from shop.jobs import registered, run_due
from shop.mail import REDACTED, MailStatus, OutboxMail
from support.models import ContactMessage, ContactReply
from tests.harness import Mailbox

T0 = datetime(2027, 3, 1, 9, 0)  # naive UTC, as stored


def _count(model, *where) -> int:
    return session().scalar(select(func.count()).select_from(model).where(*where))


def _run_at(clock, moment: datetime) -> dict[str, int]:
    clock.set(moment.replace(tzinfo=UTC))
    results = run_due()
    assert all(v >= 0 for v in results.values()), results
    return results


def test_spec_12_every_stated_period_has_a_due_task(app):
    names = {task.name for task in registered()}
    assert {
        "retention.outbox",
        "retention.sessions",
        "retention.contact",
        "retention.audit",
        "retention.orders",
        "retention.carts",
        "retention.registrations",
        "retention.login_failures",
        "retention.security_log",
        "retention.webhooks",
    } <= names


def test_spec_12_page_states_each_purged_period(client):
    html = client.get("/donnees-personnelles").get_data(as_text=True)
    for stated in ("1 an", "3 ans", "5 ans", "10 ans", "6 mois", "2 ans après l'inscription"):
        assert stated in html.replace("&#39;", "'")


def test_spec_12_outbox_mails_are_kept_one_year(ctx, clock):
    with unit_of_work() as s:
        s.add(_mail(T0))
    _run_at(clock, T0 + timedelta(days=365) - timedelta(minutes=1))
    assert _count(OutboxMail) == 1
    _run_at(clock, T0 + timedelta(days=365, minutes=1))
    assert _count(OutboxMail) == 0


def test_spec_12_expired_sessions_are_deleted(ctx, clock):
    with unit_of_work() as s:
        s.add(
            WebSession(
                token_hash=uuid.uuid4().hex,
                kind="agent",
                principal_id="12345678A",
                created_at=T0,
                expires_at=T0 + timedelta(hours=2),
            )
        )
    _run_at(clock, T0 + timedelta(hours=2) - timedelta(seconds=1))
    assert _count(WebSession) == 1
    _run_at(clock, T0 + timedelta(hours=2, seconds=1))
    assert _count(WebSession) == 0


def test_spec_12_login_failure_counters_go_an_hour_after_the_last_failure(ctx, clock):
    """They name the client's address: kept an hour after the last failure, or while they
    still lock someone out (a code request's lock lasts 24 hours)."""
    with unit_of_work() as s:
        s.add(LoginThrottle(key="agent:12345678A@203.0.113.9", failures=2, last_failure_at=T0))
        s.add(
            LoginThrottle(
                key="email:12345678A@203.0.113.9",
                failures=0,
                last_failure_at=T0,
                locked_until=T0 + timedelta(hours=24),
            )
        )
    _run_at(clock, T0 + timedelta(hours=1) - timedelta(seconds=1))
    assert _count(LoginThrottle) == 2
    _run_at(clock, T0 + timedelta(hours=1, seconds=1))
    assert _count(LoginThrottle) == 1  # the code request's lock still holds
    _run_at(clock, T0 + timedelta(hours=24, seconds=1))
    assert _count(LoginThrottle) == 0


def test_spec_12_contact_messages_are_kept_three_years_after_the_last_exchange(ctx, clock):
    with unit_of_work() as s:
        quiet = _contact(T0)
        answered = _contact(T0)
        s.add_all([quiet, answered])
        s.flush()
        s.add(
            ContactReply(
                message_id=answered.id,
                author="Conseiller",
                body="Réponse",
                sent_at=T0 + timedelta(days=30),
                direction="staff",
            )
        )
    _run_at(clock, datetime(2030, 3, 1, 8, 59))
    assert _count(ContactMessage) == 2
    _run_at(clock, datetime(2030, 3, 1, 9, 1))
    assert _count(ContactMessage) == 1  # the answered thread lives on from its reply
    _run_at(clock, datetime(2030, 3, 31, 9, 1))
    assert _count(ContactMessage) == 0 and _count(ContactReply) == 0


def test_spec_12_audit_entries_are_kept_five_years(ctx, clock):
    with unit_of_work() as s:
        s.add(AuditEntry(at=T0, actor="staff:x", action="order.note", subject="order:1"))
    _run_at(clock, datetime(2032, 3, 1, 8, 59))
    assert _count(AuditEntry, AuditEntry.action == "order.note") == 1
    _run_at(clock, datetime(2032, 3, 1, 9, 1))
    assert _count(AuditEntry, AuditEntry.action == "order.note") == 0


def test_spec_12_orders_go_ten_years_after_their_financial_year(
    app, ctx, clock, make_agent, make_offer
):
    """An order of 2027 (Paris) is kept until 31 December 2037, with all it holds."""
    from orders.services import Contact, place_order
    from tests.concurrency.helpers import fill_cart, load_agent

    offer = make_offer(kind="billet_ouvert", title="Parc", stock=10)
    number, _ = make_agent(household_id="H-OLD")
    clock.set(T0.replace(tzinfo=UTC))
    total = fill_cart(app, number, offer, None)
    order = place_order(
        load_agent(number),
        payment_method="cheque",
        contact=Contact("vieux@exemple.fr", True),
        expected_total_cents=total,
        checkout_token=uuid.uuid4().hex,
        actor="test",
    )
    with unit_of_work() as s:
        s.add(
            Payment(
                order_id=order.id,
                method="cheque",
                amount_cents=100,
                created_at=T0,
                status=PaymentStatus.RECEIVED,
            )
        )
    assert _count(HouseholdYear, HouseholdYear.household_id == "H-OLD") == 1

    _run_at(clock, datetime(2037, 12, 31, 22, 59))  # 23:59 in Paris
    assert _count(Order, Order.id == order.id) == 1
    _run_at(clock, datetime(2037, 12, 31, 23, 1))  # 1 January 2038, 00:01 in Paris
    assert _count(Order, Order.id == order.id) == 0
    assert _count(OrderLine, OrderLine.order_id == order.id) == 0
    assert _count(Payment, Payment.order_id == order.id) == 0
    assert _count(HouseholdYear, HouseholdYear.household_id == "H-OLD") == 0


def test_spec_12_unordered_carts_are_emptied_after_six_months(ctx, clock, make_agent):
    number, _ = make_agent()
    clock.set(T0.replace(tzinfo=UTC))
    with unit_of_work() as s:
        s.add(Cart(cgos_number=number, updated_at=T0))
    _run_at(clock, T0 + timedelta(days=180) - timedelta(minutes=1))
    assert _count(Cart, Cart.cgos_number == number) == 1
    _run_at(clock, T0 + timedelta(days=180, minutes=1))
    assert _count(Cart, Cart.cgos_number == number) == 0


def test_spec_12_unpaid_prix_mini_registrations_are_kept_two_years(ctx, clock, make_offer):
    from tests.factories import stay_fields
    from vacations.models import PrixMiniRegistration

    offer = make_offer(**stay_fields())
    with unit_of_work() as s:
        s.add(
            PrixMiniRegistration(
                offer_id=offer,
                season="2027",
                cgos_number="12345678A",
                household_id="H-1",
                email="a@exemple.fr",
                percent=50,
                price_cents=31000,
                created_at=T0,
            )
        )
    _run_at(clock, datetime(2029, 3, 1, 8, 59))
    assert _count(PrixMiniRegistration) == 1
    _run_at(clock, datetime(2029, 3, 1, 9, 1))
    assert _count(PrixMiniRegistration) == 0


def test_spec_12_a_sent_access_code_is_masked_in_the_outbox(client, make_agent, mailbox):
    """M6: the code could be read from a sent row and used to log in."""
    from tests.factories import CODE_RE, _step1, _step2

    number, _ = make_agent(email="camille.martin@exemple.fr")
    _step1(client, number)
    _step2(client, "camille.martin@exemple.fr")
    (msg,) = mailbox.wait_for(1)
    code = CODE_RE.search(Mailbox.text_of(msg)).group(1)
    with client.application.app_context():
        row = session().scalar(select(OutboxMail).where(OutboxMail.kind == "auth/access_code"))
        assert row.status == MailStatus.SENT
        assert code not in row.body_text and code not in (row.body_html or "")
        assert REDACTED in row.body_text and row.secrets is None
        assert number in row.body_text  # the trace: to whom, which number, when


def test_spec_12_years_before_handles_29_february():
    from shop.retention import years_before

    assert years_before(datetime(2028, 2, 29, 12), 1) == datetime(2027, 2, 28, 12)


def _mail(created_at: datetime) -> OutboxMail:
    return OutboxMail(
        created_at=created_at,
        to="a@exemple.fr",
        subject="Bonjour",
        body_text="Bonjour",
        kind="orders/status",
        status=MailStatus.SENT,
        attempts=1,
    )


def _contact(at: datetime) -> ContactMessage:
    return ContactMessage(
        cgos_number="12345678A",
        topic="expedition",
        nom="Martin",
        prenom="Paul",
        etablissement="CH de Valence",
        email="paul.martin@exemple.fr",
        phone="0611223344",
        body="Où en est mon colis ?",
        status="nouveau",
        created_at=at,
        updated_at=at,
    )


def test_spec_12_a_sent_payment_link_is_masked_in_the_outbox(
    app, client, make_staff, make_agent, make_offer, mailbox
):
    """The phone payment link is a working secret for 24 hours: masked once sent."""
    from tests.factories import login_staff
    from tests.web.ops.phone import card_order

    email, password = make_staff("operator")
    login_staff(client, email, password)
    number, _ = make_agent(email="tel@exemple.fr")
    offer = make_offer(kind="billet_ouvert", title="Parc des Oiseaux", stock=10)
    _order, link = card_order(client, app, number, offer, mailbox)
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        row = session().scalar(select(OutboxMail).where(OutboxMail.kind == "orders/payment_link"))
        assert row.status == MailStatus.SENT
        assert token not in row.body_text and REDACTED in row.body_text
