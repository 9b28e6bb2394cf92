"""Staff accounts worth trusting (R-SEC-1): password then second factor, forced enrolment
of admins and operators, password changes, admin actions, the security log.

A login is a chain of steps kept in the signed cookie until the last one passes; only then
is a server-side session opened, so an account half-way through (no second factor yet, a
password to change) has no session and can open no page.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, insert, select, update

from auth import second_factor, throttle
from auth.models import SecurityEvent, StaffRecoveryCode, StaffUser, WebSession
from auth.principals import StaffPrincipal, token_digest
from auth.services import create_staff, hash_secret, open_session, verify_secret
from partners.models import Partner
from shop import audit, clock
from shop.db import rowcount, session, unit_of_work
from shop.errors import DomainError

TWO_FACTOR_REQUIRED = ("operator", "admin", "gestionnaire")
MIN_PASSWORD = 12
STAFF_LOCKED = "Trop de tentatives : ce compte est bloqué pendant 15 minutes depuis cet appareil."
BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."
BAD_CODE = "Code incorrect ou déjà utilisé. Saisissez le code affiché par l'application."

EVENT_LABELS = {
    "login": "Connexion",
    "login_failed": "Échec de connexion (mot de passe)",
    "login_unknown": "Échec de connexion (adresse inconnue ou compte désactivé)",
    "second_factor_failed": "Échec du second facteur",
    "recovery_code_used": "Code de secours utilisé",
    "locked": "Blocage après trop d'échecs",
    "logout": "Déconnexion",
    "password_changed": "Mot de passe changé",
    "password_reset": "Mot de passe réinitialisé",
    "second_factor_enrolled": "Second facteur activé",
    "second_factor_reset": "Second facteur réinitialisé",
    "disabled": "Compte désactivé",
    "enabled": "Compte réactivé",
    "sessions_ended": "Sessions terminées",
}


class StepError(DomainError):
    """A refused step; ``locked`` when this client is now locked out."""

    def __init__(self, message: str, locked: bool = False, field: str | None = None):
        super().__init__(message, field=field, rule="R-SEC-1")
        self.locked = locked


def log_event(
    kind: str, user: StaffUser | None, email: str = "", client: str = "", detail: str = ""
) -> None:
    """One line of the security log, in its own unit of work (a refusal still logs)."""
    with unit_of_work() as s:
        s.execute(
            insert(SecurityEvent).values(
                at=clock.utcnow(),
                kind=kind,
                staff_id=user.id if user else None,
                email=(user.email if user else email)[:320],
                client=(client or "")[:100],
                detail=detail[:200],
            )
        )


# -- the login's steps --------------------------------------------------------------------


def requires_second_factor(user: StaffUser) -> bool:
    return user.role in TWO_FACTOR_REQUIRED


def has_second_factor(user: StaffUser) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


def next_step(user: StaffUser, second_factor_done: bool) -> str:
    """What the login still needs: "code", "enrol", "password" or "open"."""
    if has_second_factor(user) and not second_factor_done:
        return "code"
    if requires_second_factor(user) and not has_second_factor(user):
        return "enrol"
    if user.must_change_password:
        return "password"
    return "open"


def check_password(raw_email: str, password: str, client: str = "") -> StaffUser:
    """Step 1, e-mail and password: one message whatever failed, the cause logged."""
    email = (raw_email or "").strip().lower()
    key = f"staff:{email}"
    state = throttle.client_state(key, client)
    if state and state[1]:
        raise StepError(STAFF_LOCKED, locked=True)
    user = session().scalar(
        select(StaffUser).where(StaffUser.email == email, StaffUser.active.is_(True))
    )
    if not verify_secret(user.password_hash if user else None, password or ""):
        locked = throttle.register_failure(key, client)
        log_event("login_failed" if user else "login_unknown", user, email, client)
        if locked:
            log_event("locked", user, email, client, "mot de passe")
        raise StepError(STAFF_LOCKED if locked else BAD_CREDENTIALS, locked=locked)
    assert user is not None, "verify_secret refused a missing account"
    if state is not None:
        throttle.clear_client(key, client)
    return user


def active_user(staff_id: int) -> StaffUser | None:
    return session().scalar(
        select(StaffUser).where(StaffUser.id == staff_id, StaffUser.active.is_(True))
    )


def _use_step(user: StaffUser, step: int) -> bool:
    """Claim a time step once: the same code in its window is refused (replay)."""
    with unit_of_work() as s:
        claimed = s.execute(
            update(StaffUser)
            .where(
                StaffUser.id == user.id,
                (StaffUser.totp_last_step.is_(None)) | (StaffUser.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
    return bool(rowcount(claimed))


def _use_recovery_code(user: StaffUser, code: str) -> bool:
    with unit_of_work() as s:
        used = s.execute(
            update(StaffRecoveryCode)
            .where(
                StaffRecoveryCode.staff_id == user.id,
                StaffRecoveryCode.code_hash == second_factor.recovery_digest(code),
                StaffRecoveryCode.used_at.is_(None),
            )
            .values(used_at=clock.utcnow())
        )
    return bool(rowcount(used))


def check_second_factor(user: StaffUser, code: str, client: str = "") -> None:
    """Step 2: a TOTP code not used before, or an unused recovery code; throttled as the
    password step is."""
    key = f"staff2fa:{user.email}"
    state = throttle.client_state(key, client)
    if state and state[1]:
        raise StepError(STAFF_LOCKED, locked=True)
    code = (code or "").strip()
    ok = False
    if has_second_factor(user):
        assert user.totp_secret is not None
        if second_factor.looks_like_recovery(code):
            ok = _use_recovery_code(user, code)
            if ok:
                log_event("recovery_code_used", user, client=client)
        else:
            secret = second_factor.unseal(user.totp_secret, user.id)
            step = second_factor.matching_step(secret, code)
            ok = step is not None and _use_step(user, step)
    if not ok:
        locked = throttle.register_failure(key, client)
        log_event("second_factor_failed", user, client=client)
        if locked:
            log_event("locked", user, client=client, detail="second facteur")
        raise StepError(STAFF_LOCKED if locked else BAD_CODE, locked=locked, field="code")
    if state is not None:
        throttle.clear_client(key, client)


def open_staff_session(user: StaffUser, client: str = "") -> StaffPrincipal:
    with unit_of_work() as s:
        s.execute(
            update(StaffUser).where(StaffUser.id == user.id).values(last_login_at=clock.utcnow())
        )
    log_event("login", user, client=client)
    return StaffPrincipal(user, open_session("staff", str(user.id)))


# -- second factor enrolment --------------------------------------------------------------


def start_enrolment(user: StaffUser) -> str:
    """A new secret, kept encrypted until a first code confirms it; returns it in clear
    for the QR code and the manual key. An enrolled account keeps its factor."""
    if has_second_factor(user):
        raise DomainError("Le second facteur est déjà activé.", rule="R-SEC-1")
    if user.totp_secret:
        return second_factor.unseal(user.totp_secret, user.id)
    secret = second_factor.new_secret()
    with unit_of_work() as s:
        s.execute(
            update(StaffUser)
            .where(StaffUser.id == user.id)
            .values(totp_secret=second_factor.seal(secret, user.id), totp_last_step=None)
        )
    user.totp_secret = second_factor.seal(secret, user.id)
    return secret


def confirm_enrolment(user: StaffUser, code: str, client: str = "") -> list[str]:
    """The first code proves the app has the secret; returns the ten recovery codes, the
    only time they are shown."""
    key = f"staff2fa:{user.email}"
    state = throttle.client_state(key, client)
    if state and state[1]:
        raise StepError(STAFF_LOCKED, locked=True)
    secret = second_factor.unseal(user.totp_secret, user.id) if user.totp_secret else None
    step = second_factor.matching_step(secret, code) if secret else None
    if step is None or not _use_step(user, step):
        locked = throttle.register_failure(key, client)
        log_event("second_factor_failed", user, client=client, detail="activation")
        raise StepError(
            STAFF_LOCKED
            if locked
            else "Code incorrect. Saisissez le code à 6 chiffres affiché par l'application.",
            locked=locked,
            field="code",
        )
    codes = second_factor.new_recovery_codes()
    with unit_of_work() as s:
        s.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == user.id))
        for one in codes:
            s.add(StaffRecoveryCode(staff_id=user.id, code_hash=second_factor.recovery_digest(one)))
        s.execute(
            update(StaffUser).where(StaffUser.id == user.id).values(totp_enabled_at=clock.utcnow())
        )
        audit.record(f"staff:{user.email}", "staff.second_factor_enrolled", f"staff:{user.email}")
    user.totp_enabled_at = clock.utcnow()
    log_event("second_factor_enrolled", user, client=client)
    return codes


def recovery_codes_left(user: StaffUser) -> int:
    return len(
        session()
        .scalars(
            select(StaffRecoveryCode.id).where(
                StaffRecoveryCode.staff_id == user.id, StaffRecoveryCode.used_at.is_(None)
            )
        )
        .all()
    )


# -- passwords ----------------------------------------------------------------------------


def check_strength(password: str, field: str = "new_password") -> None:
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD} caractères.", field=field
        )


def end_staff_sessions(s: Any, staff_id: int, keep: str | None = None) -> int:
    """Inside a unit of work: the staff member's sessions but ``keep`` end. Staff sessions
    are never cached (auth.principals), so the next request of each is logged out."""
    query = delete(WebSession).where(
        WebSession.kind == "staff", WebSession.principal_id == str(staff_id)
    )
    if keep:
        query = query.where(WebSession.token_hash != token_digest(keep))
    return rowcount(s.execute(query))


def change_password(
    user: StaffUser,
    new_password: str,
    current_password: str | None = None,
    keep_session: str | None = None,
    client: str = "",
) -> None:
    """Every staff member's own change; ends their other sessions. ``current_password`` is
    None only in the login's forced change, where it was typed a moment ago."""
    if current_password is not None and not verify_secret(user.password_hash, current_password):
        raise DomainError("Mot de passe actuel incorrect.", field="current_password")
    check_strength(new_password)
    if verify_secret(user.password_hash, new_password):
        raise DomainError("Choisissez un mot de passe différent de l'actuel.", "new_password")
    with unit_of_work() as s:
        s.execute(
            update(StaffUser)
            .where(StaffUser.id == user.id)
            .values(password_hash=hash_secret(new_password), must_change_password=False)
        )
        end_staff_sessions(s, user.id, keep=keep_session)
        audit.record(f"staff:{user.email}", "staff.password_changed", f"staff:{user.email}")
    user.must_change_password = False
    log_event("password_changed", user, client=client)


# -- admin actions (« Équipe ») -----------------------------------------------------------


def temporary_password() -> str:
    return secrets.token_urlsafe(12)


def _get(staff_id: int) -> StaffUser:
    user = session().get(StaffUser, staff_id)
    if user is None:
        raise DomainError("Compte inconnu.")
    return user


def create_account(
    actor: Any, email: str, name: str, role: str, partner_slug: str | None
) -> tuple[StaffUser, str]:
    """A new account with a temporary password, changed at first login (shown once to the
    admin, never mailed)."""
    password = temporary_password()
    user = create_staff(email, name, role, password, partner_slug or None, actor=actor)
    with unit_of_work() as s:
        s.execute(
            update(StaffUser).where(StaffUser.id == user.id).values(must_change_password=True)
        )
    user.must_change_password = True
    return user, password


def set_active(actor: Any, staff_id: int, active: bool) -> StaffUser:
    """Disabling ends every session of the account at once."""
    user = _get(staff_id)
    if not active and getattr(actor, "id", None) == staff_id:
        raise DomainError("Vous ne pouvez pas désactiver votre propre compte.")
    with unit_of_work() as s:
        s.execute(update(StaffUser).where(StaffUser.id == staff_id).values(active=active))
        if not active:
            end_staff_sessions(s, staff_id)
        audit.record(
            actor,
            "staff.enabled" if active else "staff.disabled",
            f"staff:{user.email}",
            before={"active": not active},
            after={"active": active},
        )
    user.active = active
    log_event("enabled" if active else "disabled", user, detail=audit.actor_label(actor))
    return user


def reset_password(actor: Any, staff_id: int) -> tuple[StaffUser, str]:
    user = _get(staff_id)
    password = temporary_password()
    with unit_of_work() as s:
        s.execute(
            update(StaffUser)
            .where(StaffUser.id == staff_id)
            .values(password_hash=hash_secret(password), must_change_password=True)
        )
        end_staff_sessions(s, staff_id)
        audit.record(actor, "staff.password_reset", f"staff:{user.email}")
    log_event("password_reset", user, detail=audit.actor_label(actor))
    return user, password


def reset_second_factor(actor: Any, staff_id: int) -> StaffUser:
    """The account enrols again at its next login (admins, operators) or may (partners)."""
    user = _get(staff_id)
    with unit_of_work() as s:
        s.execute(
            update(StaffUser)
            .where(StaffUser.id == staff_id)
            .values(totp_secret=None, totp_enabled_at=None, totp_last_step=None)
        )
        s.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == staff_id))
        end_staff_sessions(s, staff_id)
        audit.record(actor, "staff.second_factor_reset", f"staff:{user.email}")
    log_event("second_factor_reset", user, detail=audit.actor_label(actor))
    return user


def end_sessions(actor: Any, staff_id: int) -> int:
    user = _get(staff_id)
    with unit_of_work() as s:
        count = end_staff_sessions(s, staff_id)
        audit.record(actor, "staff.sessions_ended", f"staff:{user.email}", after={"count": count})
    log_event("sessions_ended", user, detail=audit.actor_label(actor))
    return count


def set_partner_admin(actor: Any, staff_id: int, flag: bool) -> StaffUser:
    user = _get(staff_id)
    if user.role != "partner":
        raise DomainError("Seul un compte partenaire peut être administrateur du partenaire.")
    with unit_of_work() as s:
        s.execute(update(StaffUser).where(StaffUser.id == staff_id).values(partner_admin=flag))
        audit.record(
            actor,
            "staff.partner_admin",
            f"staff:{user.email}",
            before={"partner_admin": user.partner_admin},
            after={"partner_admin": flag},
        )
    user.partner_admin = flag
    return user


def security_events_query(
    email: str = "", kind: str = "", since: datetime | None = None, until: datetime | None = None
) -> Select:
    """The security log, newest first, filtered by e-mail (part of it), kind and dates."""
    query = select(SecurityEvent).order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc())
    if email:
        query = query.where(SecurityEvent.email.contains(email.strip().lower(), autoescape=True))
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    if since:
        query = query.where(SecurityEvent.at >= since)
    if until:
        query = query.where(SecurityEvent.at < until)
    return query


def team() -> list[tuple[StaffUser, str | None]]:
    """Every staff account with its partner's name (« Équipe »)."""
    rows = session().execute(
        select(StaffUser, Partner.name)
        .outerjoin(Partner, Partner.id == StaffUser.partner_id)
        .order_by(StaffUser.role, StaffUser.email)
    )
    return [(user, name) for user, name in rows]


def partner_choices() -> list[tuple[str, str]]:
    return [
        (slug, name)
        for slug, name in session().execute(
            select(Partner.slug, Partner.name).order_by(Partner.name)
        )
    ]
