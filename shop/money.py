"""Money as integer cents: explicit half-up rounding and French formatting (RULES.md §12)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal

from shop.speed.memo import memoised


class MoneyError(ValueError):
    """A value that is not an amount of euros."""


def to_cents(value: Decimal | int | float | str) -> int:
    """Euros (as typed or read from JSON) to cents, rounding half-up at the cent."""
    try:
        dec = Decimal(str(value).strip().replace(",", ".").replace(" ", "").replace("\u202f", ""))
    except InvalidOperation as exc:
        raise MoneyError(f"montant invalide : {value!r}") from exc
    if not dec.is_finite() or abs(dec) >= Decimal("1e12"):
        raise MoneyError(f"montant invalide : {value!r}")
    return int((dec * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def percent_of(cents: int, percent: Decimal | int | str) -> int:
    """``percent`` % of an amount, rounded half-up to the cent."""
    exact = Decimal(cents) * Decimal(str(percent)) / Decimal(100)
    return int(exact.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def cents_to_decimal(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


@memoised
def format_eur(cents: int | None) -> str:
    """``123450`` → ``1 234,50 €`` (narrow no-break spaces, as Babel writes French)."""
    if cents is None:
        return ""
    return format_currency(cents_to_decimal(cents), "EUR", locale="fr_FR")


def format_eur_whole(cents: int | None) -> str:
    """Like ``format_eur``, without the cents of a whole amount: ``200`` → ``2 €`` (prose)."""
    text = format_eur(cents)
    return text.replace(",00\xa0€", "\xa0€")


def format_count(n: int | None) -> str:
    """``8000`` → ``8 000``: counts beside amounts read the same way (narrow spaces)."""
    if n is None:
        return ""
    return format_decimal(n, locale="fr_FR")
