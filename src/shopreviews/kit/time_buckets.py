"""Calendar buckets (UTC days, ISO weeks from Monday, months) of a timestamp column, computed
in SQL by each database's own date functions, and the same buckets listed in Python so a
chart can show the empty ones too. Both sides name a bucket by its first day, 'YYYY-MM-DD'."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnExpressionArgument, String, func, literal_column
from sqlalchemy.sql.functions import Function


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def bucket_of(
    column: ColumnExpressionArgument[datetime], granularity: Granularity, dialect: str
) -> Function[str]:
    """The first day of the UTC bucket holding `column`, as 'YYYY-MM-DD' text.

    PostgreSQL: the timestamptz is read in UTC whatever the session's time zone, truncated
    (date_trunc's weeks start on Monday, as ISO's do). SQLite stores UTC text, which its date
    functions read as it is; 'weekday 0' moves to the coming Sunday (or stays on one), six days
    back is that week's Monday."""
    if dialect == "postgresql":
        utc = func.timezone("UTC", column)
        truncated = func.date_trunc(granularity.value, utc)
        return func.to_char(truncated, literal_column("'YYYY-MM-DD'"), type_=String)
    if granularity is Granularity.DAY:
        return func.date(column, type_=String)
    if granularity is Granularity.WEEK:
        return func.date(column, "weekday 0", "-6 days", type_=String)
    return func.strftime("%Y-%m-01", column, type_=String)


def first_day(day: date, granularity: Granularity) -> date:
    """The first day of the bucket holding `day` (what bucket_of computes in SQL)."""
    if granularity is Granularity.DAY:
        return day
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(start: date, granularity: Granularity) -> date:
    if granularity is Granularity.DAY:
        return start + timedelta(days=1)
    if granularity is Granularity.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def buckets(first: date, last: date, granularity: Granularity) -> list[date]:
    """The first day of every bucket that holds a day of first..last (inclusive), in order."""
    found: list[date] = []
    start = first_day(first, granularity)
    while start <= last:
        found.append(start)
        start = _next(start, granularity)
    return found
