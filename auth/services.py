"""Agent gate, access codes, staff accounts and sessions (R-GATE-1…6).

Each verb is one unit of work. Failure counters are committed before the failure is
raised, so a refused login still counts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, insert, select

from auth import throttle
from auth.codes import generate_access_code, mask_email, normalise_access_code, same_email
from auth.models import AccessCode, StaffUser, WebSession
from auth.principals import (
    AgentUser,
    agent_user,
    end_agent_sessions,
    forget_session,
    token_digest,
)
from members.dossier_format import DossierRecord
from members.dossiers import dossier_source
from members.emails import INVALID_EMAIL, InvalidEmail, normalise_email
from members.numbers import is_valid_cgos_number, normalise_cgos_number
from members.rights import Status
from partners.models import Partner
from shop import audit, clock
from shop.db import session, unit_of_work, write_alone
from shop.errors import DomainError
from shop.mail import queue_mail

_hasher = PasswordHasher()  # staff passwords: argon2-cffi's defaults (RFC 9106 low-memory)
# Agent access codes: Argon2id at OWASP's minimum, in the form of its equivalent settings
# that costs least CPU: m=7 MiB, t=5, p=1 (OWASP lists m=46/19/12/9/7 MiB with t=1…5 as
# "an equal level of defense"). A smaller memory area is mostly page-fault and cache cost
# saved: about 15 ms of CPU per login here against 20 ms for m=19 MiB, t=2, and 24–28 ms
# for the same with two lanes (whose threads only help an idle machine). Enough for codes
# that are 8 random characters of a 31-letter alphabet (≈ 40 bits, never chosen by a
# person) behind a 5-failure lock (R-GATE-3, R-GATE-5). Codes hashed with other
# parameters are rehashed at their next successful login.
_code_hasher = PasswordHasher(time_cost=5, memory_cost=7 * 1024, parallelism=1)

GENERIC_LOGIN_FAILURE = (
    "Identifiants incorrects. Vérifiez votre N° C.G.O.S et votre code d'accès "
    "prestataires, ou utilisez « Code oublié ? »."
)
LOCKED_MESSAGE = (
    "Trop de tentatives : la connexion avec ce numéro est bloquée pendant 15 minutes "
    "depuis cet appareil. Utilisez « Code oublié ? » pour recevoir un nouveau code d'accès."
)
# « Code oublié » itself locked: never send the agent back to it (L11).
CODE_REQUEST_LOCKED = (
    "Trop de tentatives : la demande de code pour ce numéro est bloquée pendant 15 minutes "
    "depuis cet appareil. Vérifiez votre année et votre mois de naissance, puis réessayez "
    "dans 15 minutes ; votre code actuel reste valable. En cas de besoin, appelez la "
    "billetterie au 01 70 56 59 24, du lundi au samedi de 8 h 30 à 18 h 30."
)
CODES_PER_DAY_REACHED = (
    "Plusieurs codes d'accès ont déjà été envoyés aujourd'hui pour ce numéro : utilisez le "
    "dernier reçu (pensez à regarder dans vos courriers indésirables) ou réessayez demain."
)
IDENTITY_FAILURE = (
    "Les informations saisies ne permettent pas de vous identifier. Vérifiez votre "
    "N° C.G.O.S, votre année et votre mois de naissance."
)
EMAIL_UPDATE_HELP = (
    "Pour faire mettre à jour votre adresse e-mail, contactez votre délégation régionale "
    "C.G.O.S en joignant votre dernier bulletin de salaire."
)
STAFF_LOCKED = "Trop de tentatives : ce compte est bloqué pendant 15 minutes depuis cet appareil."
# R-REP-4: « gestionnaire », read-only access to the reports.
STAFF_ROLES = ("operator", "partner", "admin", "gestionnaire")


class LoginError(DomainError):
    """A refused login; ``locked`` says whether the number is now locked."""

    def __init__(self, message: str, locked: bool = False, portal_url: str | None = None):
        super().__init__(message, rule="R-GATE-2")
        self.locked = locked
        self.portal_url = portal_url


def hash_secret(secret: str, hasher: PasswordHasher = _hasher) -> str:
    """Argon2id: slow and salted (R-GATE-3, R-GATE-6)."""
    return hasher.hash(secret)


def hash_code(code: str) -> str:
    """An agent's access code (R-GATE-3)."""
    return _code_hasher.hash(code)


def verify_secret(secret_hash: str | None, secret: str, hasher: PasswordHasher = _hasher) -> bool:
    if not secret_hash:
        # Same cost whether the account exists or not.
        hasher.hash(secret or "x")
        return False
    try:
        return hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


# -- sessions -----------------------------------------------------------------------------


def open_session(kind: str, principal_id: str) -> str:
    """A new server-side session; the caller puts the token in a fresh cookie session."""
    token = secrets.token_urlsafe(32)
    now = clock.utcnow()
    lifetime = timedelta(minutes=current_app.config["SESSION_LIFETIME_MINUTES"])
    # A plain INSERT of a new random token, nothing read back: it needs no transaction.
    write_alone(
        insert(WebSession).values(
            token_hash=token_digest(token),
            kind=kind,
            principal_id=principal_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def close_session(token: str | None) -> None:
    """Logout really ends the session server-side (RULES.md §12)."""
    if not token:
        return
    with unit_of_work() as s:
        s.execute(delete(WebSession).where(WebSession.token_hash == token_digest(token)))
    forget_session(token_digest(token))


# -- agents -------------------------------------------------------------------------------


def login_agent(raw_number: str, raw_code: str, client: str = "") -> AgentUser:
    """R-GATE-2/5, R-DOS-2, R-SEC-2: one generic failure, this client locked after 5, pm
    sent to its portal. ``client`` is the address the failures count against."""
    number = normalise_cgos_number(raw_number)
    code = normalise_access_code(raw_code)
    key = f"agent:{number}"
    state = throttle.client_state(key, client)
    if state and state[1]:
        raise LoginError(LOCKED_MESSAGE, locked=True)
    record = dossier_source().get(number) if is_valid_cgos_number(number) else None
    stored = session().get(AccessCode, number) if record else None
    if not verify_secret(stored.code_hash if stored else None, code, _code_hasher):
        locked = throttle.register_failure(key, client)
        raise LoginError(LOCKED_MESSAGE if locked else GENERIC_LOGIN_FAILURE, locked=locked)
    assert record is not None and stored is not None, "verify_secret refused a missing code"
    if state is not None:  # no write when nothing to reset
        throttle.clear_client(key, client)
    if _code_hasher.check_needs_rehash(stored.code_hash):
        with unit_of_work():
            stored.code_hash = hash_code(code)
    user = agent_user(record)
    if record.status == Status.PM:
        assert user.rights.reason is not None, "R-DOS-2: a refusal always says why"
        raise LoginError(user.rights.reason, portal_url=current_app.config["PM_PORTAL_URL"])
    user.session_token = open_session("agent", number)
    return user


def _sent_today(row: AccessCode | None) -> int:
    """Codes the agent had sent through « Recevoir mon code d'accès » today (Paris)."""
    if row is None or row.requested_on != clock.today():
        return 0
    return row.requested_count or 0


def issue_access_code(
    number: str,
    actor: Any,
    send: bool = True,
    code: str | None = None,
    *,
    self_service: bool = False,
    keep_session: str | None = None,
) -> str:
    """A new code replaces the old one (R-GATE-3); e-mailed unless printed; audit-logged.

    It ends the agent's other sessions (R-SEC-1): whoever knew the old code is logged out
    everywhere; ``keep_session`` is the token of the request asking, if it is the agent's.
    ``self_service`` codes (R-GATE-4) are limited to ACCESS_CODES_PER_DAY per number and
    day. ``code`` is only given by the demo seed, so its printed codes stay the same.
    """
    record = dossier_source().get(number)
    if record is None:
        raise DomainError("N° C.G.O.S inconnu.", field="cgos_number")
    if send and not record.email:
        raise DomainError(
            "Aucune adresse e-mail dans le dossier : imprimez le code (--print).", field="email"
        )
    code = normalise_access_code(code) if code else generate_access_code()
    now = clock.utcnow()
    with unit_of_work() as s:
        # Locked, so that two requests at once cannot both pass the daily limit.
        row = s.get(AccessCode, number, with_for_update=True, populate_existing=True)
        if self_service and _sent_today(row) >= current_app.config["ACCESS_CODES_PER_DAY"]:
            raise DomainError(CODES_PER_DAY_REACHED, rule="R-GATE-4")
        if row is None:
            row = AccessCode(cgos_number=number, code_hash="", issued_at=now, requested_count=0)
            s.add(row)
        if self_service:
            row.requested_count = _sent_today(row) + 1
            row.requested_on = clock.today()
        row.code_hash = hash_code(code)
        row.issued_at = now
        throttle.clear_all(s, f"agent:{number}")
        end_agent_sessions(s, number, keep=keep_session)
        audit.record(
            actor,
            "access_code.issued",
            f"agent:{number}",
            after={"delivery": "email" if send else "print"},
        )
        if send:
            assert record.email, "a dossier without an address was refused above"
            queue_mail(
                record.email,
                "auth/access_code",
                "Votre code d'accès prestataires CGOS Loisirs",
                record=record,
                code=code,
                secrets=(code,),
            )
    return code


@dataclass(frozen=True)
class CodeRequest:
    """Step 1 passed: the dossier was found; the page shows the masked address."""

    cgos_number: str
    masked_email: str | None
    pm_portal_url: str | None = None


class CodeRequestClosed(DomainError):
    """Step 2 is over for this client: three mismatches, or no address to match (R-GATE-4)."""

    def __init__(self, message: str = EMAIL_UPDATE_HELP):
        super().__init__(message, rule="R-GATE-4")


def verify_identity(
    raw_number: str, birth_year: int, birth_month: int, client: str = ""
) -> CodeRequest:
    """R-GATE-4 step 1: number + birth year + month, same generic failure as a login; the
    lock is this client's only (R-SEC-2) and its message does not point back here (L11)."""
    number = normalise_cgos_number(raw_number)
    key = f"code:{number}"
    state = throttle.client_state(key, client)
    if state and state[1]:
        raise DomainError(CODE_REQUEST_LOCKED, rule="R-GATE-5")
    record = dossier_source().get(number) if is_valid_cgos_number(number) else None
    if (
        record is None
        or record.birth_date.year != birth_year
        or record.birth_date.month != birth_month
    ):
        locked = throttle.register_failure(key, client)
        raise DomainError(CODE_REQUEST_LOCKED if locked else IDENTITY_FAILURE, rule="R-GATE-4")
    if state is not None:
        throttle.clear_client(key, client)
    if record.status == Status.PM:
        return CodeRequest(number, None, current_app.config["PM_PORTAL_URL"])
    if (
        record.email
        and _sent_today(session().get(AccessCode, number))
        >= current_app.config["ACCESS_CODES_PER_DAY"]
    ):
        raise DomainError(CODES_PER_DAY_REACHED, rule="R-GATE-4")
    return CodeRequest(number, mask_email(record.email) if record.email else None)


MAX_EMAIL_TRIES = 3
# Three mismatched addresses close step 2 for that number and client for a day, however
# often step 1 is passed again (the count is kept here, not in the visitor's cookie).
EMAIL_TRIES_LOCK = timedelta(hours=24)


def email_tries_left(number: str, client: str = "") -> int:
    """Addresses this client may still try for ``number`` (0: step 2 is closed)."""
    state = throttle.client_state(f"email:{number}", client)
    if state is None:
        return MAX_EMAIL_TRIES
    failures, locked = state
    return 0 if locked else max(MAX_EMAIL_TRIES - failures, 1)


def confirm_email(
    number: str, email: str, client: str = "", keep_session: str | None = None
) -> DossierRecord:
    """R-GATE-4 step 2: the full address must match the dossier's; then the code is sent.

    A mismatch raises a DomainError on the field; the third (counted server-side, per
    number and client) raises CodeRequestClosed, as does a dossier without an address.
    """
    key = f"email:{number}"
    if email_tries_left(number, client) == 0:
        raise CodeRequestClosed()
    record = dossier_source().get(number)
    if record is None or not record.email:
        raise CodeRequestClosed()
    if not same_email(email, record.email):
        if throttle.register_failure(
            key, client, max_failures=MAX_EMAIL_TRIES, lock=EMAIL_TRIES_LOCK
        ):
            raise CodeRequestClosed()
        raise DomainError(
            "Cette adresse ne correspond pas à celle de votre dossier C.G.O.S.",
            field="email",
            rule="R-GATE-4",
        )
    issue_access_code(number, actor=f"agent:{number}", self_service=True, keep_session=keep_session)
    throttle.clear_client(key, client)
    return record


# -- staff --------------------------------------------------------------------------------


def create_staff(
    email: str,
    name: str,
    role: str,
    password: str,
    partner_slug: str | None = None,
    actor: Any = "cli",
) -> StaffUser:
    """R-GATE-6: partner staff belong to exactly one partner organisation."""
    try:
        email = normalise_email(email).lower()
    except InvalidEmail:
        raise DomainError(INVALID_EMAIL, field="email") from None
    if role not in STAFF_ROLES:
        raise DomainError(f"Rôle inconnu : {role} ({', '.join(STAFF_ROLES)}).", field="role")
    if len(password) < 12:
        raise DomainError("Le mot de passe doit compter au moins 12 caractères.", "password")
    partner = None
    if role == "partner":
        if not partner_slug:
            raise DomainError("Un compte partenaire doit être rattaché à un partenaire.", "partner")
        partner = session().scalar(select(Partner).where(Partner.slug == partner_slug))
        if partner is None:
            raise DomainError(f"Partenaire inconnu : {partner_slug}.", field="partner")
    elif partner_slug:
        raise DomainError("Seul un compte partenaire est rattaché à un partenaire.", "partner")
    if session().scalar(select(StaffUser).where(StaffUser.email == email)):
        raise DomainError("Un compte existe déjà avec cette adresse.", field="email")
    with unit_of_work() as s:
        user = StaffUser(
            email=email,
            name=name,
            password_hash=hash_secret(password),
            role=role,
            partner_id=partner.id if partner else None,
            active=True,
            created_at=clock.utcnow(),
        )
        s.add(user)
        s.flush()
        audit.record(
            actor,
            "staff.created",
            f"staff:{email}",
            after={"role": role, "partner": partner_slug},
        )
    return user
