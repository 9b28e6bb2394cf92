"""Outbox: mails are written in the same transaction as the change, then sent after commit.

Without ``MAIL_SERVER`` they stay in the outbox (status ``kept``) and show on the
development page. With it they go over SMTP with a timeout, never from the request itself
(a Celery worker, or this process's sender thread: ``shop.mail_thread``); a failure leaves
the mail pending for the ``mail.retry_pending`` job, which tries again with a growing
delay for ``MAIL_RETRY_HOURS`` (48) before marking it failed for the operators' page
(R-SEC-3). A mail that can never be sent (a bad header) fails at once.

A working secret (access code, payment link) is named when the mail is queued and
replaced in the stored body once the mail is sent or has finally failed (RULES.md §12).

Attachments are stored as references (``[{"kind": "eticket", "id": 12}]``) and built at
send time by the resolver a domain registered for that kind, so the outbox holds no
files and a ticket re-issued in between is never sent in its old, invalid form.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from flask import current_app, has_request_context, render_template
from flask_mail import Connection, Mail, Message
from sqlalchemy import JSON, DateTime, Integer, String, Text, delete, or_, select, update
from sqlalchemy.engine import Connection as DbConnection
from sqlalchemy.orm import Mapped, mapped_column, orm_insert_sentinel

from shop import audit, clock
from shop.db import Base, after_commit, rowcount, session, unit_of_work
from shop.errors import DomainError, NotFound
from shop.jobs import due_task, enqueue, queue_enabled, worker_task
from shop.mail_thread import submit
from shop.retention import deleted
from shop.speed import shared

# The workers' mail tasks, sent by name (``enqueue``) and registered with ``worker_task``.
DELIVER_MAIL = "shop.mail.deliver"  # by ids: messages queued before the drain existed
DRAIN_OUTBOX = "shop.mail.drain"


class MailStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    KEPT = "kept"  # no SMTP server configured: shown on the development page
    FAILED = "failed"  # unsendable, or still failing MAIL_RETRY_HOURS after its creation


# Retry pace (R-SEC-3): 1 minute after the first failure, doubling, at most an hour apart.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# A claim this old was left by a sender that died mid-way: the mail is pending again.
STALE_CLAIM = timedelta(minutes=10)
# What replaces a secret in the stored body once it is no longer needed there.
REDACTED = "[masqué après l'envoi]"


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
    # Pending mails: not tried again before this time (None: at once).
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    # Working secrets in the body, replaced once the mail is sent or failed (RULES.md §12).
    secrets: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # References resolved at send time: [{"kind": "eticket", "id": 12}].
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # One INSERT for a unit of work's mails on SQLite too, each row matched to its id.
    _sentinel: Mapped[int | None] = orm_insert_sentinel()


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
    secrets: tuple[str, ...] = (),
    **context: Any,
) -> OutboxMail:
    """Render ``shop/templates/emails/<kind>.txt`` (and ``.html`` where there is one) into the
    outbox; sent after commit.

    ``attachments`` are references for a registered resolver, built at send time;
    ``secrets`` are the working secrets the body holds, masked once it is sent. The row
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
        secrets=[secret for secret in secrets if secret] or None,
    )
    if not to:  # an agent without e-mail (R-OPS-9): their letters are printed instead
        mail.status = MailStatus.FAILED
        return mail  # neither stored nor sent
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
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
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
    """No request waits on SMTP (R-ORD-6): with ``REDIS_URL`` a Celery worker sends the
    mails; without it (or with the queue unreachable) this process's sender thread sends
    a request's mails, while a command or a job sends its own. Either way a failure leaves
    a mail pending for ``mail.retry_pending``."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    if queue_enabled(app):
        # Without Redis's answer the commit queues a drain rather than risk none.
        if not shared.claim_flag(DRAIN_FLAG, DRAIN_FLAG_SECONDS):
            return  # a drain is queued: it reads the outbox after this commit
        if enqueue(DRAIN_OUTBOX, countdown=app.config.get("MAIL_DRAIN_DELAY_SECONDS")):
            return
        shared.drop_value(DRAIN_FLAG)
    if not has_request_context() or isinstance(session().get_bind(), DbConnection):
        # Commands and jobs have no one waiting and may exit at once: sent here. So are
        # mails of a session that owns its one connection (tests' rolled-back
        # transaction), whose uncommitted rows a thread could not see.
        deliver_many(list(mail_ids))
        return
    submit(app, deliver_many, list(mail_ids))


@worker_task(DRAIN_OUTBOX)
def drain_outbox() -> int:
    """Worker: send every fresh pending mail, oldest first (a payment's « payée » mail
    before its e-billets, R-ORD-3). The flag is dropped before the outbox is read, so a
    mail committed after that read queues the next drain. Mails that already failed are
    left to ``mail.retry_pending`` and its pace."""
    shared.drop_value(DRAIN_FLAG)
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


@worker_task(DELIVER_MAIL)
def deliver_ids(*mail_ids: int) -> list[str]:
    """Worker: send these mails, each on its own (what ``DELIVER_MAIL`` carries)."""
    return [deliver(mail_id) for mail_id in mail_ids]


def deliver_many(mail_ids: Sequence[int]) -> list[str]:
    """Send pending mails once each over one SMTP connection; their new statuses.

    When the server cannot be reached the mails not yet tried are rescheduled with the
    same error instead of waiting ``MAIL_TIMEOUT`` each. Without ``MAIL_SERVER`` they are
    all marked kept in one statement."""
    if not mail_ids:
        return []
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    if not app.config.get("MAIL_SERVER"):
        with unit_of_work() as s:
            s.execute(
                update(OutboxMail)
                .where(OutboxMail.id.in_(mail_ids), OutboxMail.status == MailStatus.PENDING)
                .values(status=MailStatus.KEPT)
            )
        return [MailStatus.KEPT] * len(mail_ids)
    smtp = _Smtp()
    statuses: list[str] = []
    try:
        for index, mail_id in enumerate(mail_ids):
            try:
                statuses.append(deliver(mail_id, smtp))
            except _Unreachable as exc:
                statuses.append(exc.status)
                rest = mail_ids[index + 1 :]
                statuses.extend(_record_failure(rest, str(exc.__cause__), claimed=False))
                break
    finally:
        smtp.close()
    return statuses


class _Unreachable(Exception):
    """The SMTP server could not be reached or dropped us: no use trying the next mails."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


# Connection-level errors: the server is down, hung or refused us, not this one mail.
_CONNECTION_ERRORS = (
    OSError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
)


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


def retry_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: 1 min, 2, 4 … at most 1 h (R-SEC-3)."""
    return min(FIRST_RETRY * 2 ** max(0, min(attempts - 1, 16)), LONGEST_RETRY)


def redact(mail: OutboxMail) -> None:
    """Replace the working secrets of a mail no longer to be sent; the row keeps what was
    sent, when and to whom (RULES.md §12)."""
    for secret in mail.secrets or []:
        mail.body_text = mail.body_text.replace(secret, REDACTED)
        if mail.body_html:
            mail.body_html = mail.body_html.replace(secret, REDACTED)
    mail.secrets = None


def _record_failure(mail_ids: Sequence[int], error: str, *, claimed: bool = True) -> list[str]:
    """Count a failed try: pending again after ``retry_delay``, or failed (and redacted)
    once ``MAIL_RETRY_HOURS`` have passed since the mail was created."""
    now = clock.utcnow()
    window = timedelta(hours=float(current_app.config.get("MAIL_RETRY_HOURS", 48)))
    statuses = []
    with unit_of_work() as s:
        for mail_id in mail_ids:
            row = s.get(OutboxMail, mail_id)
            wanted = MailStatus.SENDING if claimed else MailStatus.PENDING
            if row is None or row.status != wanted:
                statuses.append("skipped")
                continue
            row.attempts += 1
            row.last_error = error[:500]
            if now >= row.created_at + window:
                row.status = MailStatus.FAILED
                row.next_attempt_at = None
                redact(row)
            else:
                row.status = MailStatus.PENDING
                row.next_attempt_at = now + retry_delay(row.attempts)
            statuses.append(row.status)
    return statuses


def _fail_now(mail_id: int, error: str) -> str:
    """A mail no server will ever take (a bad header): failed at once, for the operators."""
    with unit_of_work() as s:
        row = s.get(OutboxMail, mail_id)
        assert row is not None, "claimed by this sender, so not deleted"
        row.attempts += 1
        row.last_error = error[:500]
        row.status = MailStatus.FAILED
        row.next_attempt_at = None
        redact(row)
    return MailStatus.FAILED


def deliver(mail_id: int, smtp: _Smtp | None = None) -> str:
    """Send one pending mail once; returns its new status.

    Raises ``_Unreachable`` (its status set) when sharing ``smtp`` with a batch and the
    server cannot be reached, so the batch stops there."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy typed as Flask
    if not app.config.get("MAIL_SERVER"):
        return deliver_many([mail_id])[0]
    # Claim the row so two workers never send the same mail.
    with unit_of_work() as s:
        claimed = rowcount(
            s.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail_id, OutboxMail.status == MailStatus.PENDING)
                .values(status=MailStatus.SENDING, claimed_at=clock.utcnow())
            )
        )
        mail = s.get(OutboxMail, mail_id) if claimed else None
    if mail is None:
        return "skipped"
    try:
        message = Message(
            subject=mail.subject,
            recipients=[mail.to],
            body=mail.body_text,
            html=mail.body_html,
            sender=app.config["MAIL_DEFAULT_SENDER"],
        )
        for attachment in _resolve_attachments(mail.attachments):
            message.attach(attachment.filename, attachment.content_type, attachment.data)
        if smtp is None:
            mail_ext.send(message)
        else:
            smtp.send(message)
    except _CONNECTION_ERRORS as exc:
        app.logger.warning("Envoi du courriel %s échoué : %s", mail_id, exc)
        (status,) = _record_failure([mail_id], str(exc) or type(exc).__name__)
        if smtp is not None:
            raise _Unreachable(status) from exc
        return status
    except smtplib.SMTPException as exc:  # refused by the server: this mail only
        app.logger.warning("Envoi du courriel %s refusé : %s", mail_id, exc)
        return _record_failure([mail_id], str(exc))[0]
    except Exception as exc:  # noqa: BLE001 - a poison mail must not stop the others
        app.logger.exception("Courriel %s impossible à envoyer : abandonné", mail_id)
        return _fail_now(mail_id, f"{type(exc).__name__}: {exc}")
    with unit_of_work() as s:
        row = s.get(OutboxMail, mail_id)
        assert row is not None, "claimed by this sender, so not deleted"
        row.attempts += 1
        row.status = MailStatus.SENT
        row.sent_at = clock.utcnow()
        row.last_error = None
        row.next_attempt_at = None
        redact(row)
    app.logger.info("Courriel %s envoyé à %s (%s)", mail_id, mail.to, mail.kind)
    return MailStatus.SENT


@due_task("mail.retry_pending", "Renvoie les courriels en attente (serveur SMTP indisponible)")
def retry_pending() -> int:
    """Job: send the pending mails whose next try is due, and free claims left by a
    crashed sender."""
    now = clock.utcnow()
    stale = now - STALE_CLAIM
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
            .where(
                OutboxMail.status == MailStatus.PENDING,
                or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now),
            )
            .order_by(OutboxMail.id)
        )
        .all()
    )
    return sum(1 for status in deliver_many(ids) if status == MailStatus.SENT)


# A pending mail this old shows on the operators' page as late (R-SEC-3).
LATE_AFTER = timedelta(minutes=30)
MASKED_REFUSAL = (
    "Ce courriel contenait un code d'accès ou un lien de paiement, effacé de la file : il "
    "n'est pas renvoyé tel quel. Pour un code d'accès, l'agent en demande un nouveau "
    "(« Code oublié ? ») ; un lien de paiement se renvoie depuis la page de la commande "
    "(« Renvoyer le lien de paiement »)."
)


def troubled_mails(limit: int = 200) -> tuple[list[OutboxMail], list[OutboxMail]]:
    """The operators' view (R-SEC-3): mails that finally failed, and mails still pending
    (or stuck sending) ``LATE_AFTER`` after their creation; newest first."""
    late_before = clock.utcnow() - LATE_AFTER
    s = session()
    failed = s.scalars(
        select(OutboxMail)
        .where(OutboxMail.status == MailStatus.FAILED)
        .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
        .limit(limit)
    ).all()
    late = s.scalars(
        select(OutboxMail)
        .where(
            OutboxMail.status.in_((MailStatus.PENDING, MailStatus.SENDING)),
            OutboxMail.created_at < late_before,
        )
        .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
        .limit(limit)
    ).all()
    return list(failed), list(late)


def resend_mail(mail_id: int, actor: Any) -> OutboxMail:
    """« Renvoyer » (R-SEC-3): a failed or late mail is tried again at once, with a new
    48-hour window. A mail whose secret was masked is refused: sending it as it is would
    give a dead code; a new code or link is issued where codes and links are issued."""
    with unit_of_work() as s:
        mail = s.get(OutboxMail, mail_id, populate_existing=True)
        if mail is None:
            raise NotFound()
        stuck = (
            mail.status == MailStatus.SENDING
            and mail.claimed_at is not None
            and mail.claimed_at < clock.utcnow() - STALE_CLAIM
        )
        if mail.status not in (MailStatus.FAILED, MailStatus.PENDING) and not stuck:
            raise DomainError("Ce courriel n'est plus en attente : il est déjà parti.")
        if REDACTED in mail.body_text:
            raise DomainError(MASKED_REFUSAL)
        before = {
            "status": mail.status,
            "created_at": mail.created_at.isoformat(),
            "attempts": mail.attempts,
            "last_error": mail.last_error,
        }
        mail.status = MailStatus.PENDING
        mail.created_at = clock.utcnow()  # the retry window starts again
        mail.next_attempt_at = None
        audit.record(actor, "mail.resent", f"mail:{mail.id}", before=before, after={"to": mail.to})
        batch = _MailBatch()
        batch.mails.append(mail)
        after_commit(batch)
    return mail


MAIL_DAYS = 365  # « E-mails envoyés … conservés dans la file d'envoi : 1 an » (RULES.md §12)


@due_task("retention.outbox", "Supprime les e-mails de plus d'un an de la file d'envoi")
def purge_outbox() -> int:
    cutoff = clock.utcnow() - timedelta(days=MAIL_DAYS)
    with unit_of_work() as s:
        return deleted(s, delete(OutboxMail).where(OutboxMail.created_at < cutoff))
