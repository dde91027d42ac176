"""The period an insights page covers, as its form asks for it: the last 7, 30, 90 or 365 days
(ending today, UTC) or custom dates, both days included; and the bucket a chart's bars use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from shopreviews.kit.time_buckets import Granularity, buckets

PRESETS = ("7", "30", "90", "365")
CUSTOM = "custom"
DEFAULT = "30"
# Bars per chart stay readable: days up to two months (62 bars at most), weeks up to a year
# and a day (53 or 54), months beyond (decision 176).
DAYS_BY_DAY = 62
DAYS_BY_WEEK = 366
# Ten years of months is 120 bars; longer periods would need another scale.
MAX_DAYS = 3660
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)  # far from date.max, whose next day would overflow


class BadPeriod(ValueError):
    """The form asked for a period that cannot be shown; the message says what to change."""


@dataclass(frozen=True)
class Period:
    choice: str  # one of PRESETS or CUSTOM: what the form shows selected
    first: date
    last: date  # included

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The first instant of the period (UTC midnight of its first day)."""
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period (its last day is included)."""
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)

    @property
    def granularity(self) -> Granularity:
        if self.days <= DAYS_BY_DAY:
            return Granularity.DAY
        if self.days <= DAYS_BY_WEEK:
            return Granularity.WEEK
        return Granularity.MONTH

    def buckets(self) -> list[date]:
        return buckets(self.first, self.last, self.granularity)


def _day(value: str, name: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BadPeriod(f"Enter the {name} date as YYYY-MM-DD, for example 2026-03-31.") from None
    if not EARLIEST <= day <= LATEST:
        raise BadPeriod(f"The {name} date must be between {EARLIEST} and {LATEST}.")
    return day


def parse_period(choice: str | None, first: str | None, last: str | None, today: date) -> Period:
    """The period of the form's fields (all optional: the last 30 days when none is given)."""
    choice = (choice or "").strip() or DEFAULT
    if choice in PRESETS:
        days = int(choice)
        return Period(choice, today - timedelta(days=days - 1), today)
    if choice != CUSTOM:
        raise BadPeriod("Choose one of the periods offered, or custom dates.")
    if not (first or "").strip() or not (last or "").strip():
        raise BadPeriod("For custom dates, enter both the first and the last day.")
    from_day, to_day = _day(first or "", "first"), _day(last or "", "last")
    if from_day > to_day:
        raise BadPeriod("The first day must not be after the last day.")
    if (to_day - from_day).days + 1 > MAX_DAYS:
        raise BadPeriod(f"Choose a period of at most {MAX_DAYS} days (ten years).")
    return Period(CUSTOM, from_day, to_day)
