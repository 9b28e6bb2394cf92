"""Outbox: mails are written in the same transaction as the change, then sent after commit.

Without ``MAIL_SERVER`` they stay in the outbox (status ``kept``) and show on the
development page. With it they go over SMTP with a timeout; a failure leaves the mail
pending for the ``mail.retry_pending`` job, so a down SMTP server loses nothing.

Attachments are stored as references (``[{"kind": "eticket", "id": 12}]``) and built at
send time by the resolver a domain registered for that kind, so the outbox holds no
files and a ticket re-issued in between is never sent in its old, invalid form.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from flask import current_app, render_template
from flask_mail import Connection, Mail, Message
from sqlalchemy import JSON, DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from shop import cache, clock
from shop.db import Base, after_commit, session, unit_of_work
from shop.jobs import DRAIN_OUTBOX, due_task, enqueue, queue_enabled


class MailStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    KEPT = "kept"  # no SMTP server configured: shown on the development page
    FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS


class OutboxMail(Base):
    __tablename__ = "outbox_mails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    to: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    kind: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), index=True, default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # References resolved at send time: [{"kind": "eticket", "id": 12}].
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)


class Attachment(NamedTuple):
    filename: str
    content_type: str
    data: bytes


# kind -> resolver(id) returning the file, or None when it no longer exists or is invalid.
_RESOLVERS: dict[str, Callable[[int], Attachment | None]] = {}


def attachment_resolver(
    kind: str,
) -> Callable[[Callable[[int], Attachment | None]], Callable[[int], Attachment | None]]:
    """Register how to build the attachments of ``kind`` when a mail is sent."""

    def _register(fn: Callable[[int], Attachment | None]) -> Callable[[int], Attachment | None]:
        _RESOLVERS[kind] = fn
        return fn

    return _register


def _resolve_attachments(refs: list[dict[str, Any]] | None) -> Iterator[Attachment]:
    """Build what can be built; a missing or failing attachment is logged and left out
    (the mail itself still goes: it always says where to find the document)."""
    for ref in refs or []:
        resolver = _RESOLVERS.get(ref.get("kind", ""))
        if resolver is None:
            current_app.logger.warning("Pièce jointe de type inconnu : %r", ref)
            continue
        try:
            built = resolver(int(ref["id"]))
        except Exception:  # noqa: BLE001 - a broken attachment must not lose the mail
            current_app.logger.exception("Pièce jointe %r impossible à produire", ref)
            continue
        if built is not None:
            yield built


class _TimeoutConnection(Connection):
    """Flask-Mail opens SMTP without a timeout; a hung server must not hang a worker."""

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        timeout = current_app.config.get("MAIL_TIMEOUT", 10)
        cls = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = cls(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class TimeoutMail(Mail):
    def connect(self) -> Connection:
        return _TimeoutConnection(current_app.extensions["mail"])


mail_ext = TimeoutMail()


def queue_mail(
    to: str,
    kind: str,
    subject: str,
    *,
    attachments: list[dict[str, Any]] | None = None,
    **context: Any,
) -> OutboxMail:
    """Render ``templates/emails/<kind>.txt`` (and ``.html`` where there is one) into the
    outbox; sent after commit.

    ``attachments`` are references for a registered resolver, built at send time. The row
    is written by the unit of work's commit, with the others of that unit (one INSERT)."""
    text = render_template(f"emails/{kind}.txt", subject=subject, **context)
    html_name = f"emails/{kind}.html"
    html = (
        render_template(html_name, subject=subject, **context)
        if html_name in _html_templates()
        else None
    )
    mail = OutboxMail(
        created_at=clock.utcnow(),
        to=to,
        subject=subject,
        body_text=text,
        body_html=html,
        kind=kind,
        status=MailStatus.PENDING,
        attempts=0,
        attachments=attachments or None,
    )
    s = session()
    s.add(mail)
    batch = next((c for c in s.info.get("after_commit", []) if isinstance(c, _MailBatch)), None)
    if batch is None:
        batch = _MailBatch()
        after_commit(batch)
    batch.mails.append(mail)
    return mail


def _html_templates() -> frozenset[str]:
    """The mails that have an HTML part (most are text only), listed once per app: asking
    Jinja for a template that does not exist searches every loader each time."""
    app = current_app._get_current_object()
    names = app.extensions.get("mail_html_templates")
    if names is None:
        names = frozenset(
            name
            for name in app.jinja_env.list_templates(extensions=["html"])
            if name.startswith("emails/")
        )
        app.extensions["mail_html_templates"] = names
    return names


class _MailBatch:
    """The mails of one unit of work, handed on together after its commit (which gave
    them their ids, in the order they were queued)."""

    def __init__(self) -> None:
        self.mails: list[OutboxMail] = []

    def __call__(self) -> None:
        send_after_commit(*(mail.id for mail in self.mails))


# Set while a drain of the outbox is queued for the workers: the commits that happen
# meanwhile add nothing to the queue, since that drain will find their mails. At the
# on-sale rush this turns one broker message (and one worker task) per order into one
# per batch of orders. It expires on its own, should a queued drain ever be lost.
DRAIN_FLAG = "mail:drain-queued"
DRAIN_FLAG_SECONDS = 60
DRAIN_BATCH = 200
DRAIN_MAX_BATCHES = 20


def send_after_commit(*mail_ids: int) -> None:
    """With ``REDIS_URL`` a Celery worker sends the mails, so no request waits on SMTP;
    without it (or with the queue unreachable) they are sent here, with the SMTP timeout.
    Either way a failure leaves a mail pending for ``mail.retry_pending`` (R-ORD-6)."""
    app = current_app._get_current_object()
    if queue_enabled(app):
        # Without Redis's answer the commit queues a drain rather than risk none.
        if not cache.claim_flag(DRAIN_FLAG, DRAIN_FLAG_SECONDS):
            return  # a drain is queued: it reads the outbox after this commit
        if enqueue(DRAIN_OUTBOX, countdown=app.config.get("MAIL_DRAIN_DELAY_SECONDS")):
            return
        cache.drop_value(DRAIN_FLAG)
    deliver_many(list(mail_ids))


def drain_outbox() -> int:
    """Worker: send every fresh pending mail, oldest first (a payment's « payée » mail
    before its e-billets, R-ORD-3). The flag is dropped before the outbox is read, so a
    mail committed after that read queues the next drain. Mails that already failed are
    left to ``mail.retry_pending`` and its pace."""
    cache.drop_value(DRAIN_FLAG)
    sent = 0
    for _ in range(DRAIN_MAX_BATCHES):
        ids = list(
            session().scalars(
                select(OutboxMail.id)
                .where(OutboxMail.status == MailStatus.PENDING, OutboxMail.attempts == 0)
                .order_by(OutboxMail.id)
                .limit(DRAIN_BATCH)
            )
        )
        session().rollback()  # end the read: each mail is then claimed in its own unit
        deliver_many(ids)
        sent += len(ids)
        if len(ids) < DRAIN_BATCH:
            break
    return sent


def deliver_many(mail_ids: list[int]) -> list[str]:
    """Send pending mails once each over one SMTP connection; their new statuses.

    Without ``MAIL_SERVER`` they are all marked kept in one statement."""
    if not mail_ids:
        return []
    app = current_app._get_current_object()
    if not app.config.get("MAIL_SERVER"):
        with unit_of_work() as s:
            s.execute(
                update(OutboxMail)
                .where(OutboxMail.id.in_(mail_ids), OutboxMail.status == MailStatus.PENDING)
                .values(status=MailStatus.KEPT)
            )
        return [MailStatus.KEPT] * len(mail_ids)
    smtp = _Smtp()
    try:
        return [deliver(mail_id, smtp) for mail_id in mail_ids]
    finally:
        smtp.close()


class _Smtp:
    """One SMTP connection shared by a batch of mails, opened on first use and opened
    again after a failure."""

    def __init__(self) -> None:
        self._conn: Connection | None = None

    def send(self, message: Message) -> None:
        if self._conn is None:
            conn = mail_ext.connect()
            self._conn = conn.__enter__()
        try:
            message.send(self._conn)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and conn.host is not None:
            try:
                conn.host.quit()
            except (OSError, smtplib.SMTPException):
                conn.host.close()


def deliver(mail_id: int, smtp: _Smtp | None = None) -> str:
    """Send one pending mail once; returns its new status."""
    app = current_app._get_current_object()
    if not app.config.get("MAIL_SERVER"):
        return deliver_many([mail_id])[0]
    # Claim the row so two workers never send the same mail.
    with unit_of_work() as s:
        claimed = s.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id, OutboxMail.status == MailStatus.PENDING)
            .values(status=MailStatus.SENDING, claimed_at=clock.utcnow())
        ).rowcount
        mail = s.get(OutboxMail, mail_id) if claimed else None
    if mail is None:
        return "skipped"
    message = Message(
        subject=mail.subject,
        recipients=[mail.to],
        body=mail.body_text,
        html=mail.body_html,
        sender=app.config["MAIL_DEFAULT_SENDER"],
    )
    for attachment in _resolve_attachments(mail.attachments):
        message.attach(attachment.filename, attachment.content_type, attachment.data)
    try:
        if smtp is None:
            mail_ext.send(message)
        else:
            smtp.send(message)
    except (OSError, smtplib.SMTPException) as exc:
        app.logger.warning("Envoi du courriel %s échoué : %s", mail_id, exc)
        with unit_of_work() as s:
            row = s.get(OutboxMail, mail_id)
            row.attempts += 1
            row.last_error = str(exc)[:500]
            max_attempts = app.config.get("MAIL_MAX_ATTEMPTS", 8)
            row.status = MailStatus.FAILED if row.attempts >= max_attempts else MailStatus.PENDING
            return row.status
    with unit_of_work() as s:
        row = s.get(OutboxMail, mail_id)
        row.attempts += 1
        row.status = MailStatus.SENT
        row.sent_at = clock.utcnow()
        row.last_error = None
    app.logger.info("Courriel %s envoyé à %s (%s)", mail_id, mail.to, mail.kind)
    return MailStatus.SENT


@due_task("mail.retry_pending", "Renvoie les courriels en attente (serveur SMTP indisponible)")
def retry_pending() -> int:
    """Job: send what is still pending, and free claims left by a crashed sender."""
    stale = clock.utcnow() - timedelta(minutes=10)
    with unit_of_work() as s:
        s.execute(
            update(OutboxMail)
            .where(OutboxMail.status == MailStatus.SENDING, OutboxMail.claimed_at < stale)
            .values(status=MailStatus.PENDING)
        )
    ids = (
        session()
        .scalars(
            select(OutboxMail.id)
            .where(OutboxMail.status == MailStatus.PENDING)
            .order_by(OutboxMail.id)
        )
        .all()
    )
    return sum(1 for status in deliver_many(ids) if status == MailStatus.SENT)
