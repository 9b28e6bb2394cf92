"""Form pieces shared by every domain: a text filter, ids and whole numbers the database can
hold, a field for amounts in euros, and ``place_error``, the one way a view shows a service's
refusal beside the field it names."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import BooleanField, Field, StringField
from wtforms.form import BaseForm
from wtforms.validators import ValidationError
from wtforms.widgets import HiddenInput, TextInput

from shop.errors import DomainError
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


class WholeNumberField(StringField):
    """A whole number typed in a form; ``number`` holds it once read, None when absent or
    not a number, and the service refuses None with its own message at its own turn (after
    the checks that come first, such as whose cart line it is). ``data`` stays the typed
    text, so a refused form shows what was typed."""

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any):
        super().__init__(label, validators, **kwargs)
        self.number: int | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        try:
            self.number = int(str(self.data).strip()) if self.data is not None else None
        except ValueError:  # also a number too long to read
            self.number = None


class ValuesField(Field):
    """Every value posted under one name (ticked boxes), as typed: ``data`` is a list."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = list(valuelist)


class RowIdField(Field):
    """The id of a row chosen on the page (hidden or radio): ``data`` is None for anything
    an INTEGER column cannot hold (see ``db_int``); the service says what is missing."""

    widget = HiddenInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            self.data = db_int(valuelist[0]) if valuelist else None
        except ValueError:
            self.data = None

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class TickField(BooleanField):
    """A box ticked only when its own value ("1", as the templates post it) was sent."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = bool(valuelist) and valuelist[0] == "1"


def was_posted(field: Field) -> bool:
    """Whether the field was in the posted form at all (even empty)."""
    return bool(getattr(field, "raw_data", None))


def place_errors(
    form: BaseForm, errors: Iterable[tuple[str | None, str]], default: str | None = None
) -> list[str]:
    """Put each (field name, message) beside its field, else beside ``default``; an amount
    named ``<x>_cents`` goes on the field ``<x>`` where it is typed in euros. Returns the
    messages no field of the form takes: the page shows them on top."""
    leftover: list[str] = []
    fields = form._fields
    for name, message in errors:
        field = None
        if name:
            field = fields.get(name) or fields.get(name.removesuffix("_cents"))
        if field is None and default is not None:
            field = fields.get(default)
        if field is None:
            leftover.append(message)
            continue
        if not isinstance(field.errors, list):  # a tuple until the form is validated
            field.errors = list(field.errors)
        if message not in field.errors:
            field.errors.append(message)
    return leftover


def place_error(form: BaseForm, err: DomainError, default: str | None = None) -> str | None:
    """The one way a view shows a service's refusal: beside the field the error names (or
    ``default``), every error of a multi-field refusal included; returns what no field
    takes, for the top of the page, or None."""
    errors = getattr(err, "errors", None) or [(err.field, err.message)]
    return " ".join(place_errors(form, errors, default)) or None


def field_errors(form: BaseForm) -> dict[str, str]:
    """The first error of each refused field, by field name, for pages written by hand."""
    return {field.name: field.errors[0] for field in form if field.errors}


def typed_values(form: BaseForm) -> dict[str, Any]:
    """What was posted, by field name, to show it again on a refused page."""
    return {field.name: field.data for field in form if getattr(field, "raw_data", None)}
