"""The store's notion of now, injectable so tests can stand on 31 October or 1 November.

Datetimes are stored as naive UTC; dates that rules talk about (rights, caps, years) are
taken in Europe/Paris.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask import current_app, has_app_context

from shop.speed.memo import memoised

PARIS = ZoneInfo("Europe/Paris")

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _system_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """Aware UTC now, from the app's clock when one is installed (tests)."""
    source: Callable[[], datetime] | None = None
    if has_app_context():
        source = current_app.extensions.get("clock")
    value = (source or _system_now)()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def utcnow() -> datetime:
    """Naive UTC, the form stored in the database."""
    return now().replace(tzinfo=None)


def today() -> date:
    """Today's date in Paris."""
    return now().astimezone(PARIS).date()


def to_paris(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS)


@memoised
def format_date_fr(value: date | datetime | None) -> str:
    """``samedi 12 décembre 2026``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_paris(value).date()
    return _first(value.day, format_date(value, format="EEEE d MMMM y", locale="fr_FR"))


@memoised
def format_datetime_fr(value: datetime | None) -> str:
    """``samedi 12 décembre 2026 à 20:30`` in Paris time."""
    if value is None:
        return ""
    local = to_paris(value)
    return _first(
        local.day, format_datetime(local, format="EEEE d MMMM y 'à' HH:mm", locale="fr_FR")
    )


def _first(day: int, text: str) -> str:
    """French writes the first of the month « 1er »: ``lundi 1er mars 2027``."""
    return text.replace(" 1 ", " 1er ", 1) if day == 1 else text


def format_last_day_fr(deadline: datetime | None) -> str:
    """A deadline at midnight shown as the day it ends: ``lundi 30 novembre 2026 inclus``."""
    if deadline is None:
        return ""
    return f"{format_date_fr(deadline - timedelta(seconds=1))} inclus"
