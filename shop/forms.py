"""Form pieces shared by every domain: a text filter, ids and whole numbers the database can
hold, and a field for amounts in euros."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import StringField
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from shop.money import MoneyError, to_cents

MAX_EUROS = Decimal("999999.99")  # far above any price, far below the INTEGER of cents
MAX_ID = 2**31 - 1  # ids are INTEGER columns (int4 on PostgreSQL)


def db_int(raw: Any) -> int:
    """A positive whole number an INTEGER column holds, typed in ASCII digits; else
    ValueError, so ``request.form.get(name, type=db_int)`` answers None for a number a
    query would overflow (issue 17, defect 11)."""
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        raise ValueError(f"not a row number: {text[:20]!r}")
    return int(text)


def strip_text(value: Any) -> Any:
    """Trim, and drop NUL characters, which PostgreSQL refuses in text."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


class EuroField(StringField):
    """An amount typed in euros ("1 234,50"); ``cents`` holds the value once validated.

    ``data`` stays the typed text, so a refused form shows exactly what was typed.
    Given an int (cents) as initial data, it shows it the French way ("12,50").
    """

    widget = TextInput()

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        kwargs.setdefault("description", "En euros, par exemple 12,50.")
        super().__init__(label, validators, filters=[strip_text], **kwargs)
        self.cents: int | None = None

    def process_data(self, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.data = f"{value // 100},{value % 100:02d}" if value >= 0 else str(value)
        else:
            self.data = value

    def pre_validate(self, form: Any) -> None:
        self.cents = None
        raw = (self.data or "").strip()
        if not raw:
            return
        try:
            exact = Decimal(
                raw.replace(" ", "")
                .replace("\u202f", "")
                .replace("\xa0", "")
                .replace(",", ".")
                .removesuffix("€")
            )
        except InvalidOperation:
            exact = None
        if exact is None or not exact.is_finite():
            raise ValidationError("Montant invalide : saisissez des euros, par exemple 12,50.")
        exponent = exact.as_tuple().exponent
        assert isinstance(exponent, int), "a letter only for NaN and infinities, refused above"
        if exponent < -2:
            raise ValidationError("Montant invalide : deux chiffres au plus après la virgule.")
        if exact < 0:
            raise ValidationError("Le montant ne peut pas être négatif.")
        # Bound first (a comparison, no arithmetic): to_cents cannot quantize 1e400.
        if exact > MAX_EUROS:
            raise ValidationError("Montant trop élevé : 999 999,99 € au plus.")
        try:
            self.cents = to_cents(exact)
        except (MoneyError, ArithmeticError) as exc:  # pragma: no cover - checked above
            raise ValidationError("Montant invalide.") from exc
