"""Access codes, login throttles, staff accounts and server-side sessions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base


class AccessCode(Base):
    """The agent's current code d'accès prestataires, as a slow salted hash (R-GATE-3).

    Keyed by N° C.G.O.S without a foreign key: the dossier may live in a remote service.
    """

    __tablename__ = "access_codes"

    cgos_number: Mapped[str] = mapped_column(String(9), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    # « Recevoir mon code d'accès »: codes the agent had sent on that (Paris) day (R-GATE-4).
    requested_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    requested_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginThrottle(Base):
    """Failures per login identifier, known or not (R-GATE-5, R-SEC-2).

    ``<kind>:<identifier>@<client>`` rows count one client's consecutive failures and
    carry its lock; ``<kind>:<identifier>`` rows count every client's recent failures (see
    ``auth.throttle``). Unknown numbers are throttled too, so a lock never reveals that a
    number exists.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(340), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class StaffUser(Base):
    """Operators, partner staff and admins (R-GATE-6)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id"), nullable=True, index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # A partner's administrator: manages its API tokens and webhook (R-PAR-6); set with
    # ``flask partner admin``. Plain partner staff see those pages read-only.
    partner_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Second factor (R-SEC-1): the TOTP secret encrypted with a key derived from SECRET_KEY
    # (auth.second_factor), never in clear; enabled once a first code confirmed it. The
    # last accepted time step refuses the replay of a code in its window.
    totp_secret: Mapped[str | None] = mapped_column(String(300), nullable=True)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Set by an admin's password reset or a new account: changed before any page (R-SEC-1).
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class StaffRecoveryCode(Base):
    """One of a staff member's ten recovery codes (R-SEC-1): 50 random bits each, so a
    SHA-256 digest is enough; ``used_at`` makes each usable once."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SecurityEvent(Base):
    """Staff security log (R-SEC-1): logins, failures, locks, logouts, password and second
    factor changes. Unknown e-mails are logged with the e-mail typed; kept a year."""

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    staff_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    client: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[str] = mapped_column(String(200), default="")


class WebSession(Base):
    """Server-side session: logout deletes the row, so a copied cookie is dead too (§12)."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "agent" | "staff"
    principal_id: Mapped[str] = mapped_column(String(340), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
