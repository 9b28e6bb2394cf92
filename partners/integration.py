"""The partner administrator's « Intégration » verbs (R-PAR-6, R-PAR-10): API tokens read,
made and revoked for one partner only (another partner's token is a 404), and the
notification address. Webhook verbs are in partners/webhooks.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from auth.models import StaffUser
from members.emails import InvalidEmail, normalise_email
from partners.models import ApiToken, Partner, PartnerNotice
from partners.services import create_token, revoke_token
from shop import audit, clock
from shop.db import session, unit_of_work
from shop.errors import DomainError, NotFound


def tokens_of(partner_id: int) -> list[ApiToken]:
    return list(
        session().scalars(
            select(ApiToken).where(ApiToken.partner_id == partner_id).order_by(ApiToken.id.desc())
        )
    )


def token_of(partner_id: int, token_id: int) -> ApiToken:
    token = session().get(ApiToken, token_id)
    if token is None or token.partner_id != partner_id:
        raise NotFound()
    return token


def new_token(partner_id: int, name: str, *, actor: Any) -> str:
    """The token itself, shown once."""
    name = (name or "").strip()
    if not name:
        raise DomainError("Donnez un nom au jeton, pour le reconnaître plus tard.", field="name")
    partner = session().get(Partner, partner_id)
    if partner is None:
        raise NotFound()
    return create_token(partner.slug, name, actor=actor)


def revoke(partner_id: int, token_id: int, *, actor: Any) -> ApiToken:
    token = token_of(partner_id, token_id)
    revoke_token(token.id, actor=actor)
    return token


def save_notice(partner_id: int, email: str | None, mail_orders: bool, *, actor: Any) -> None:
    email = (email or "").strip() or None
    if email is not None:
        try:
            email = normalise_email(email)
        except InvalidEmail:
            raise DomainError("Adresse e-mail invalide.", field="email") from None
    with unit_of_work() as s:
        notice = s.get(PartnerNotice, partner_id)
        before = (
            None if notice is None else {"email": notice.email, "mail_orders": notice.mail_orders}
        )
        if notice is None:
            notice = PartnerNotice(partner_id=partner_id)
            s.add(notice)
        notice.email = email
        notice.mail_orders = mail_orders
        notice.updated_at = clock.utcnow()
        audit.record(
            actor,
            "partner.notices_changed",
            f"partner:{partner_id}",
            before=before,
            after={"email": email, "mail_orders": mail_orders},
        )


def set_partner_admin(email: str, admin: bool, *, actor: Any) -> StaffUser:
    """A partner staff account becomes (or stops being) its partner's administrator."""
    with unit_of_work() as s:
        user = s.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
        if user is None or user.role != "partner" or user.partner_id is None:
            raise DomainError(f"Aucun compte partenaire pour {email}.", field="email")
        before = user.partner_admin
        user.partner_admin = admin
        audit.record(
            actor,
            "staff.partner_admin",
            f"staff:{user.email}",
            before={"partner_admin": before},
            after={"partner_admin": admin},
        )
        return user
