"""The one check for an e-mail address entering the store (R-ORD-6, RULES.md §12); a pure
rule (no Flask, no SQLAlchemy) shared by every domain.

Checkout, the cart's reader address, dossier imports, « Nous contacter », staff accounts
and every back-office form go through ``normalise_email`` (or its WTForms validator), so
a line break or a malformed address never reaches the outbox, where it would be a mail no
server takes. email-validator, without DNS (the store must not depend on it at checkout);
ASCII mailboxes only (``SMTPUTF8`` is not offered by every relay).
"""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from wtforms.validators import ValidationError

INVALID_EMAIL = "Adresse e-mail invalide."


class InvalidEmail(ValueError):
    """The address cannot be used: ``reason`` is email-validator's (English) detail."""

    def __init__(self, raw: str, reason: str) -> None:
        super().__init__(f"{raw!r}: {reason}")
        self.reason = reason


def normalise_email(raw: str | None) -> str:
    """The address as stored and mailed (domain in lower case), or ``InvalidEmail``."""
    value = (raw or "").strip()
    try:
        return validate_email(value, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(value, str(exc)) from None


class ValidEmail:
    """WTForms validator over ``normalise_email``: the same rule as the services."""

    def __init__(self, message: str = INVALID_EMAIL) -> None:
        self.message = message

    def __call__(self, _form: Any, field: Any) -> None:
        if not field.data:
            return  # DataRequired / Optional decide
        try:
            normalise_email(field.data)
        except InvalidEmail:
            raise ValidationError(self.message) from None
