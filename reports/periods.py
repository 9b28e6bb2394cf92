"""Paris days and months as the finance reports read them (R-REP-2, R-REP-3).

Pure: the store keeps naive UTC datetimes; a report's day is a day in Europe/Paris, so a
payment at 23:30 UTC on 31 March belongs to 1 April. These helpers turn Paris days into
the UTC bounds the queries use, and parse the dates people type (``AAAA-MM-JJ``,
``AAAA-MM``) into a French error rather than an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from reports.rules import FIRST_YEAR, LAST_YEAR, OUT_OF_YEARS, PARIS

# A period longer than this is refused: a year and a day covers any financial year.
MAX_DAYS = 366
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
MONTH_OUT_OF_YEARS = f"Mois hors des années couvertes : de {FIRST_YEAR} à {LAST_YEAR}."
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


class PeriodError(ValueError):
    """A date or period that cannot be read, with the French sentence to show."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def day_start_utc(day: date) -> datetime:
    """The instant (naive UTC) the Paris day ``day`` starts: 23:00 or 22:00 UTC the day
    before, depending on summer time."""
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


def bounds_utc(first: date, last: date) -> tuple[datetime, datetime]:
    """Half-open UTC bounds ``[start, end)`` of the Paris days ``first`` … ``last``."""
    return day_start_utc(first), day_start_utc(last + timedelta(days=1))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        following = date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - timedelta(days=1)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label_fr(self) -> str:
        """``mars 2027``."""
        return f"{MONTHS_FR[self.month - 1]} {self.year}"

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)


def parse_day(text: str | None, field: str = "jour") -> date:
    """``AAAA-MM-JJ`` → a date, or a French PeriodError."""
    value = (text or "").strip()
    if not _DAY.match(value):
        raise PeriodError("Date invalide : écrivez-la AAAA-MM-JJ, par exemple 2026-12-06.", field)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise PeriodError(f"Date inexistante : {value}.", field) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise PeriodError(OUT_OF_YEARS, field)
    return day


def parse_month(text: str | None, field: str = "mois") -> Month:
    """``AAAA-MM`` → a Month, or a French PeriodError."""
    value = (text or "").strip()
    if not _MONTH.match(value):
        raise PeriodError("Mois invalide : écrivez-le AAAA-MM, par exemple 2026-12.", field)
    year, month = int(value[:4]), int(value[5:])
    if not 1 <= month <= 12:
        raise PeriodError(f"Mois inexistant : {value}.", field)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(MONTH_OUT_OF_YEARS, field)
    return Month(year, month)


def check_period(first: date, last: date) -> None:
    """A period runs forward and lasts at most MAX_DAYS days."""
    if last < first:
        raise PeriodError("La date de fin précède la date de début.", "au")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(f"Période trop longue : {MAX_DAYS} jours au plus.", "au")
