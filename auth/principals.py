"""Who is behind a request: an agent (read from the dossier) or a staff member.

Flask-Login keeps only the server-side session token; the principal is rebuilt from it
on each request, so a logout or a revoked session ends access everywhere at once.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_login import AnonymousUserMixin
from sqlalchemy import and_, bindparam, delete, select, update

from auth.models import StaffUser, WebSession
from members.dossier_format import DossierRecord
from members.dossiers import RECORD_COLUMNS, dossier_source, record_from_rows
from members.models import DossierAgent, DossierChild
from members.rights import Rights, count_children, evaluate_rights
from shop import clock, viewer
from shop.config import ABSOLUTE_SESSION_HOURS
from shop.db import after_commit, read_connection, session, unit_of_work
from shop.extensions import login_manager
from shop.speed.sessions import SessionCache


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class _Principal:
    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_agent = False
    is_staff = False

    def __init__(self, token: str):
        self.session_token = token

    def get_id(self) -> str:
        return self.session_token


@dataclass
class AgentUser(_Principal):
    """A logged-in agent with the rights evaluated for today (R-DOS-2, R-DOS-3)."""

    record: DossierRecord
    rights: Rights
    today: date
    session_token: str = field(default="", repr=False)
    # Values of the domains above read with the session (``SessionExtra``), by label.
    extras: dict[str, Any] = field(default_factory=dict, repr=False)
    # Whose basket the cart services use: "" is the agent's own web cart; an operator
    # entering a phone or post order works in a basket of their own (R-OPS-9).
    basket: str = ""
    is_agent = True

    def get_id(self) -> str:
        return self.session_token

    @property
    def cgos_number(self) -> str:
        return self.record.cgos_number

    @property
    def display_name(self) -> str:
        return f"{self.record.prenom} {self.record.nom}"

    @property
    def audit_label(self) -> str:
        return f"agent:{self.record.cgos_number}"

    @property
    def children_count(self) -> int:
        """Children of the household that count this year (R-DOS-6)."""
        return count_children([c.birth_date for c in self.record.children], self.today.year)

    # A catalog page is shared between agents of the same day and rights (shop.speed.pages).
    def shared_page_variant(self) -> str:
        rights = self.rights
        text = f"{rights.can_order}|{rights.open_until}|{rights.reason}".encode()
        rights_key = hashlib.sha1(text, usedforsecurity=False).hexdigest()[:16]
        return f"{self.today.isoformat()}:{rights_key}"

    def standin(self, mark: Callable[[str], str]) -> AgentUser:
        return replace(self, record=replace(self.record, prenom=mark("prenom"), nom=mark("nom")))

    def personal_values(self) -> dict[str, str]:
        return {"prenom": self.record.prenom, "nom": self.record.nom}


class StaffPrincipal(_Principal):
    is_staff = True

    def __init__(self, user: StaffUser, token: str):
        super().__init__(token)
        self.user = user

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def partner_id(self) -> int | None:
        return self.user.partner_id

    @property
    def partner_admin(self) -> bool:
        """Manages the partner's API tokens and webhook (R-PAR-6)."""
        return bool(self.user.partner_admin)

    @property
    def display_name(self) -> str:
        return self.user.name

    @property
    def audit_label(self) -> str:
        return f"staff:{self.user.email}"


class Anonymous(AnonymousUserMixin):
    is_agent = False
    is_staff = False


def agent_user(record: DossierRecord, token: str = "") -> AgentUser:
    today = clock.today()
    return AgentUser(
        record=record,
        rights=evaluate_rights(record.status, record.dossier_year, today),
        today=today,
        session_token=token,
    )


RENEW_EVERY = timedelta(minutes=5)


def _slide(token_hash: str, created_at: datetime, expires_at: datetime, now: datetime) -> None:
    """Idle timeout: activity pushes the expiry back (at most every 5 minutes, and never
    beyond 12 hours after login), so an agent is not logged out in the middle of a cart."""
    lifetime = timedelta(minutes=current_app.config["SESSION_LIFETIME_MINUTES"])
    target = min(now + lifetime, created_at + timedelta(hours=ABSOLUTE_SESSION_HOURS))
    if target - expires_at < RENEW_EVERY:
        return
    with unit_of_work() as s:
        s.execute(
            update(WebSession).where(WebSession.token_hash == token_hash).values(expires_at=target)
        )
    SESSION_CACHE.drop(token_hash)  # the next page reads the new expiry


_SESSION_COLUMNS = (
    WebSession.token_hash,
    WebSession.kind,
    WebSession.principal_id,
    WebSession.created_at,
    WebSession.expires_at,
)
_SESSION_QUERY = select(*_SESSION_COLUMNS).where(WebSession.token_hash == bindparam("digest"))


@dataclass(frozen=True)
class SessionExtra:
    """Values of a domain above auth read with the agent's session, in the same statement
    and the same cache entry (its columns, labelled, and the outer join that brings them;
    ``bindparam("year")`` is the Paris year). The orders register the household's use of
    its cap, which every offer page shows (orders/cart.py)."""

    columns: tuple[Any, ...]
    join: Callable[[Any], Any]


_EXTRAS: list[SessionExtra] = []


def add_session_extra(extra: SessionExtra) -> None:
    _EXTRAS.append(extra)
    _session_and_record_query.cache_clear()


@functools.cache
def _session_and_record_query() -> Any:
    """With the embedded dossiers, the session, the agent's record and the registered
    extras come in one statement: every page of a logged-in agent starts with this read."""
    query = (
        select(*_SESSION_COLUMNS, *RECORD_COLUMNS, *(c for e in _EXTRAS for c in e.columns))
        .select_from(WebSession)
        .outerjoin(
            DossierAgent,
            and_(WebSession.kind == "agent", DossierAgent.cgos_number == WebSession.principal_id),
        )
        .outerjoin(DossierChild, DossierChild.household_id == DossierAgent.household_id)
    )
    for extra in _EXTRAS:
        query = extra.join(query)
    return query.where(WebSession.token_hash == bindparam("digest")).order_by(DossierChild.id)


def _extras_of(row: Any) -> dict[str, Any]:
    """The registered extras of a session row (a cached row written before an extra was
    registered has none: the domain reads its value itself then)."""
    found: dict[str, Any] = {}
    mapping = row if isinstance(row, dict) else row._mapping
    for extra in _EXTRAS:
        for column in extra.columns:
            if column.key in mapping:
                found[column.key] = mapping[column.key]
    return found


# With Redis, an agent's session and dossier rows are kept for SESSION_CACHE_SECONDS
# (shop.speed.sessions): pages seen in quick succession skip the database.
SESSION_CACHE = SessionCache(
    dates=("birth_date", "child_birth_date"), times=("created_at", "expires_at")
)


def _session_rows(digest: str, local: bool) -> Sequence[Any]:
    use_cache = local and SESSION_CACHE.seconds() > 0
    if use_cache:
        cached = SESSION_CACHE.rows(digest)
        if cached is not None:
            return cached
    query = _session_and_record_query() if local else _SESSION_QUERY
    params: dict[str, Any] = {"digest": digest}
    if local:
        params["year"] = clock.today().year
    rows = read_connection().execute(query, params).all()
    if use_cache and rows and rows[0].kind == "agent":
        SESSION_CACHE.keep(digest, rows, until=rows[0].expires_at)
    return rows


def refresh_session(user: Any) -> None:
    """After a commit that changed what the agent's session read carries (an extra): this
    agent's next page reads it again. Other sessions see it within SESSION_CACHE_SECONDS."""
    token = getattr(user, "session_token", "")
    if token and SESSION_CACHE.seconds() > 0:
        SESSION_CACHE.drop(token_digest(token))


def forget_session(digest: str) -> None:
    """After a logout has committed: no process may take the session from the cache."""
    SESSION_CACHE.forget(digest)


def end_agent_sessions(s: Any, number: str, keep: str | None = None) -> int:
    """Inside a unit of work: end the agent's sessions but ``keep`` (R-SEC-1: a new code,
    a change of rights). Once committed, every process stops serving them at once, as
    after a logout: each gets the logout's tombstone in the session cache."""
    query = select(WebSession.token_hash).where(
        WebSession.kind == "agent", WebSession.principal_id == number
    )
    if keep:
        query = query.where(WebSession.token_hash != token_digest(keep))
    digests = list(s.scalars(query))
    if digests:
        s.execute(delete(WebSession).where(WebSession.token_hash.in_(digests)))

        def forget_all() -> None:
            for digest in digests:
                forget_session(digest)

        after_commit(forget_all)
    return len(digests)


@viewer.user_loader
def load_principal(token: str) -> _Principal | None:
    source = dossier_source()
    rows = _session_rows(token_digest(token), source.is_local)
    now = clock.utcnow()
    if not rows or rows[0].expires_at <= now:
        return None
    row = rows[0]
    _slide(row.token_hash, row.created_at, row.expires_at, now)
    if row.kind == "agent":
        record = record_from_rows(rows) if source.is_local else source.get(row.principal_id)
        if record is None:
            return None
        user = agent_user(record, token)
        if source.is_local:
            user.extras = _extras_of(row)
        if not user.rights.can_login:
            # Now medical staff (R-DOS-2): the session ends here too, so that a status set
            # back to actif later cannot revive it (R-SEC-1).
            with unit_of_work() as s:
                end_agent_sessions(s, row.principal_id)
            return None
        return user
    staff = session().scalar(
        select(StaffUser).where(StaffUser.id == int(row.principal_id), StaffUser.active.is_(True))
    )
    return StaffPrincipal(staff, token) if staff else None


login_manager.anonymous_user = Anonymous
