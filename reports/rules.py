"""The reporting rules as data (R-REP-1): the dashboard's period, the households' cap-use
buckets, a budget's alert, and the folding of hourly UTC counts into Paris days.

Pure: no Flask, no SQLAlchemy, no clock. ``today`` comes in as an argument; the SQL of
``reports.figures`` uses the same edges (``CAP_EDGES``) so the page and the rule agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
MAX_PERIOD_DAYS = 731  # two years: a year compared with the one before, never more
FIRST_YEAR = 2000
LAST_YEAR = 2100
DEFAULT_ALERT_PERCENT = 80
MAX_BUDGET_CENTS = 10**13  # 100 000 000 000 €: far above any budget, far below BIGINT

BAD_DATE = "Date invalide : saisissez une date comme 31/12/2026."
OUT_OF_YEARS = f"Date hors des années couvertes : de {FIRST_YEAR} à {LAST_YEAR}."


# -- the period ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Paris days ``start`` … ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def year(self) -> int | None:
        """The calendar year the period lies in, None when it spans two (no budget then)."""
        return self.start.year if self.start.year == self.end.year else None

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[from, to) in naive UTC, as stored: Paris midnight of ``start`` to Paris midnight
        of the day after ``end`` (a day of 23 or 25 hours at the clock changes)."""
        return _paris_midnight(self.start), _paris_midnight(self.end + timedelta(days=1))

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def label(self) -> str:
        return f"{self.start.strftime('%d/%m/%Y')} – {self.end.strftime('%d/%m/%Y')}"


def _paris_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


def year_of(today: date) -> Period:
    """The default period: the current calendar year, 1 January to 31 December."""
    return Period(date(today.year, 1, 1), date(today.year, 12, 31))


def _calendar_day(raw: str) -> date | None:
    """A date typed as the browser's date field sends it (2026-12-31) or the French way
    (31/12/2026), whatever its year; None when it is no date."""
    text = (raw or "").strip()[:20]
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def parse_day(raw: str) -> date | None:
    """``_calendar_day`` within the years the store knows; None otherwise."""
    day = _calendar_day(raw)
    return day if day is not None and FIRST_YEAR <= day.year <= LAST_YEAR else None


def _refusal(raw: str) -> str:
    """Why ``parse_day`` refused a date: not a date at all, or a year the store has none of."""
    return OUT_OF_YEARS if _calendar_day(raw) is not None else BAD_DATE


@dataclass(frozen=True)
class PeriodChoice:
    """The period asked for, or the errors beside its fields (``du``, ``au``)."""

    period: Period
    errors: dict[str, str]


def parse_period(du: str | None, au: str | None, today: date) -> PeriodChoice:
    """R-REP-1: the dashboard's « Du » and « Au ». Both empty: the current year. One empty:
    from 1 January or to 31 December of the other's year. A refused entry keeps its error
    beside its field and the page shows the current year meanwhile (never a 500)."""
    du, au = (du or "").strip(), (au or "").strip()
    errors: dict[str, str] = {}
    start = parse_day(du) if du else None
    end = parse_day(au) if au else None
    if du and start is None:
        errors["du"] = _refusal(du)
    if au and end is None:
        errors["au"] = _refusal(au)
    if errors:
        return PeriodChoice(year_of(today), errors)
    if start is None and end is None:
        return PeriodChoice(year_of(today), {})
    if start is None:
        assert end is not None
        start = date(end.year, 1, 1)
    if end is None:
        end = date(start.year, 12, 31)
    if end < start:
        return PeriodChoice(year_of(today), {"au": "La date de fin doit suivre la date de début."})
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        return PeriodChoice(
            year_of(today), {"au": "La période ne peut pas dépasser deux ans (731 jours)."}
        )
    return PeriodChoice(Period(start, end), {})


# -- households' cap use -------------------------------------------------------------------


class CapBucket(StrEnum):
    NONE = "none"
    LOW = "low"
    MID = "mid"
    HIGH = "high"


CAP_EDGES = (50, 90)  # percent: < 50 %, 50 % to < 90 %, >= 90 %
CAP_BUCKET_LABELS = {
    CapBucket.NONE: "0 % (rien utilisé)",
    CapBucket.LOW: "moins de 50 %",
    CapBucket.MID: "de 50 % à moins de 90 %",
    CapBucket.HIGH: "90 % et plus",
}


def cap_bucket(used_cents: int, cap_cents: int) -> CapBucket:
    """R-REP-1: a household's share of its yearly cap. Exact integer comparisons, so a
    household at 49,99 % is « moins de 50 % » and one at exactly 90 % is « 90 % et plus »."""
    low, high = CAP_EDGES
    if used_cents <= 0:
        return CapBucket.NONE
    if used_cents * 100 < low * cap_cents:
        return CapBucket.LOW
    if used_cents * 100 < high * cap_cents:
        return CapBucket.MID
    return CapBucket.HIGH


def child_born_on_or_after(year: int) -> date:
    """R-DOS-6 in one comparison: a child counts in ``year`` when under 21 on 31 December,
    that is born on or after 1 January of ``year`` − 20 (``members.rights``)."""
    return date(year - 20, 1, 1)


# -- the budget ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetState:
    """A budget against what the period consumed (committed + paid − refunded)."""

    budget_cents: int
    alert_percent: int
    consumed_cents: int

    @property
    def percent(self) -> int:
        """Rounded down, for the gauge; may pass 100."""
        if self.budget_cents <= 0:
            return 100 if self.consumed_cents > 0 else 0
        return max(0, self.consumed_cents) * 100 // self.budget_cents

    @property
    def remaining_cents(self) -> int:
        return self.budget_cents - self.consumed_cents

    @property
    def alert(self) -> bool:
        """R-REP-1: the threshold reached or passed (exactly 80 % of 80 % alerts)."""
        return self.consumed_cents * 100 >= self.alert_percent * self.budget_cents

    @property
    def over(self) -> bool:
        return self.consumed_cents > self.budget_cents


def consumed_cents(committed: int, paid: int, refunded: int) -> int:
    """What the budget bears: participation held by orders awaiting payment, plus paid,
    minus what refunds gave back (RULES.md R-REP-1)."""
    return committed + paid - refunded


def check_budget(amount_cents: int | None, alert_percent: int | None) -> dict[str, str]:
    """The errors of a budget form, by field (empty when it may be saved)."""
    errors: dict[str, str] = {}
    if amount_cents is None:
        errors["amount"] = "Saisissez le budget en euros, par exemple 1 200 000."
    elif amount_cents <= 0:
        errors["amount"] = "Le budget doit être positif."
    elif amount_cents > MAX_BUDGET_CENTS:
        errors["amount"] = "Budget trop élevé."
    if alert_percent is None or not 1 <= alert_percent <= 100:
        errors["alert_percent"] = "Le seuil d'alerte est un pourcentage entier de 1 à 100."
    return errors


# -- hours to Paris days -------------------------------------------------------------------


def paris_day(utc_hour: datetime) -> date:
    """The Paris day of a naive UTC instant (whole hours suffice: Paris is UTC+1 or +2)."""
    return utc_hour.replace(tzinfo=UTC).astimezone(PARIS).date()


def parse_hour_key(key: str) -> datetime:
    """« 2026-03-29 01 », the SQL's hour key, as a naive UTC datetime."""
    return datetime.strptime(key.strip()[:13], "%Y-%m-%d %H")  # noqa: DTZ007 - naive UTC


def month_of(day: date) -> date:
    return day.replace(day=1)


MONTHS_SHORT_FR = (  # the charts' month labels; reports.periods has the full names
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)


def month_label(day: date) -> str:
    return f"{MONTHS_SHORT_FR[day.month - 1]} {day.year}"
