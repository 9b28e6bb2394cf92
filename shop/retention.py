"""Retention periods of « Données personnelles » (RULES.md §12), enforced by due tasks.

Each period below is a row of the page's « Durées de conservation » table
(templates/public/pages/donnees_personnelles.html); change both together. Each task
deletes in one statement per table what has outlived its period, so running it twice,
or from two processes, deletes nothing more. Periods kept elsewhere by construction: the
access code (replaced), the rate limiter's IP windows (an hour at most, in Redis or
memory).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select

from shop import clock
from shop.db import rowcount
from shop.jobs import due_task

MAIL_DAYS = 365  # « E-mails envoyés … conservés dans la file d'envoi : 1 an »
CONTACT_YEARS = 3  # « Messages « Nous contacter » et réponses : 3 ans »
AUDIT_YEARS = 5  # « Journal des actions du personnel : 5 ans »
ORDER_YEARS = 10  # « Commandes et factures : 10 ans à compter de la clôture de l'exercice »
CART_DAYS = 180  # « Panier non commandé : 6 mois après sa dernière modification »
REGISTRATION_YEARS = 2  # « Inscriptions Prix mini sans commande : 2 ans »
FAILURE_HOURS = 1  # « Compteur de tentatives … : 1 heure après la dernière tentative »


def years_before(moment: datetime, years: int) -> datetime:
    """The same day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def orders_cutoff(now: datetime) -> datetime:
    """Orders placed before this (naive UTC) are past their 10 years: those of a
    financial year (the calendar year, in Paris) go on the 1st of January that follows
    the 10th anniversary of its close."""
    paris_year = clock.to_paris(now).year
    start = datetime(paris_year - ORDER_YEARS, 1, 1, tzinfo=clock.PARIS)
    return start.astimezone(UTC).replace(tzinfo=None)


@due_task("retention.outbox", "Supprime les e-mails de plus d'un an de la file d'envoi")
def purge_outbox() -> int:
    from shop.db import unit_of_work
    from shop.mail import OutboxMail

    cutoff = clock.utcnow() - timedelta(days=MAIL_DAYS)
    with unit_of_work() as s:
        return rowcount(s.execute(delete(OutboxMail).where(OutboxMail.created_at < cutoff)))


@due_task("retention.sessions", "Supprime les sessions de connexion expirées")
def purge_sessions() -> int:
    from auth.models import WebSession
    from shop.db import unit_of_work

    with unit_of_work() as s:
        return rowcount(
            s.execute(delete(WebSession).where(WebSession.expires_at <= clock.utcnow()))
        )


@due_task("retention.contact", "Supprime les messages « Nous contacter » de plus de 3 ans")
def purge_contact_messages() -> int:
    """Three years after the thread's last change (the message or a reply)."""
    from shop.db import unit_of_work
    from support.models import ContactMessage, ContactReply

    cutoff = years_before(clock.utcnow(), CONTACT_YEARS)
    with unit_of_work() as s:
        old = select(ContactMessage.id).where(
            ContactMessage.updated_at < cutoff,
            ~ContactMessage.id.in_(
                select(ContactReply.message_id).where(ContactReply.sent_at >= cutoff)
            ),
        )
        ids = list(s.scalars(old))
        if not ids:
            return 0
        s.execute(delete(ContactReply).where(ContactReply.message_id.in_(ids)))
        return rowcount(s.execute(delete(ContactMessage).where(ContactMessage.id.in_(ids))))


@due_task("retention.audit", "Supprime les entrées du journal de plus de 5 ans")
def purge_audit() -> int:
    from shop.audit import AuditEntry
    from shop.db import unit_of_work

    cutoff = years_before(clock.utcnow(), AUDIT_YEARS)
    with unit_of_work() as s:
        return rowcount(s.execute(delete(AuditEntry).where(AuditEntry.at < cutoff)))


@due_task("retention.orders", "Supprime les commandes dont l'exercice est clos depuis 10 ans")
def purge_orders() -> int:
    """With everything they hold: lines, fees, payments, e-billets, shipments, and the
    Prix mini registration they paid; the household's yearly cap rows of those years."""
    from orders.models import ETicket, HouseholdYear, Order, OrderFee, OrderLine, Payment
    from partners.models import Shipment
    from shop.db import unit_of_work
    from vacations.models import PrixMiniRegistration

    now = clock.utcnow()
    cutoff = orders_cutoff(now)
    with unit_of_work() as s:
        ids = list(s.scalars(select(Order.id).where(Order.placed_at < cutoff)))
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            for model in (ETicket, Shipment, Payment, PrixMiniRegistration, OrderFee, OrderLine):
                s.execute(delete(model).where(model.order_id.in_(chunk)))
            s.execute(delete(Order).where(Order.id.in_(chunk)))
        s.execute(
            delete(HouseholdYear).where(HouseholdYear.year < clock.to_paris(now).year - ORDER_YEARS)
        )
    return len(ids)


@due_task("retention.carts", "Vide les paniers non commandés depuis 6 mois")
def purge_carts() -> int:
    from orders.models import Cart, CartLine
    from shop.db import unit_of_work

    cutoff = clock.utcnow() - timedelta(days=CART_DAYS)
    with unit_of_work() as s:
        ids = list(s.scalars(select(Cart.id).where(Cart.updated_at < cutoff)))
        if not ids:
            return 0
        s.execute(delete(CartLine).where(CartLine.cart_id.in_(ids)))
        return rowcount(s.execute(delete(Cart).where(Cart.id.in_(ids))))


@due_task("retention.registrations", "Supprime les inscriptions Prix mini de plus de 2 ans")
def purge_registrations() -> int:
    """Registrations never paid by an order (lost draws, lapsed places); a paid one goes
    with its order."""
    from shop.db import unit_of_work
    from vacations.models import PrixMiniRegistration

    cutoff = years_before(clock.utcnow(), REGISTRATION_YEARS)
    with unit_of_work() as s:
        return rowcount(
            s.execute(
                delete(PrixMiniRegistration).where(
                    PrixMiniRegistration.order_id.is_(None),
                    PrixMiniRegistration.created_at < cutoff,
                )
            )
        )


@due_task("retention.login_failures", "Supprime les compteurs d'échecs de connexion périmés")
def purge_login_failures() -> int:
    """The gate's failure counters name the client's address (``auth.throttle``): each goes
    an hour after its last failure, unless it still locks someone out (a code request's
    lock lasts 24 hours)."""
    from auth.models import LoginThrottle
    from shop.db import unit_of_work

    now = clock.utcnow()
    with unit_of_work() as s:
        return rowcount(
            s.execute(
                delete(LoginThrottle).where(
                    LoginThrottle.last_failure_at < now - timedelta(hours=FAILURE_HOURS),
                    or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
                )
            )
        )
