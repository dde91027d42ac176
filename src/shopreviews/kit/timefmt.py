"""Time input forms and output formats of the contract (docs/api.md, "Times")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

# re.ASCII: \d must not match other scripts' digits ("١٧٨٠" is no time here).
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", re.ASCII)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_UNIX = re.compile(r"^\d{1,10}$", re.ASCII)
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)


def parse_time(value: object, *, end_of_day: bool = False) -> datetime:
    """Read any accepted time input as an aware UTC datetime; ValueError otherwise.

    `end_of_day` makes a bare date mean 23:59:59 of that day (for `end_*` bounds).
    """
    if isinstance(value, bool):
        raise ValueError("must be a time")
    if isinstance(value, int):
        if 0 <= value < 10**10:
            return datetime.fromtimestamp(value, UTC)
        raise ValueError("must be Unix seconds of 1 to 10 digits")
    if not isinstance(value, str):
        raise ValueError("must be a time string or Unix seconds")
    text = value.strip()
    try:
        if _UNIX.match(text):
            return datetime.fromtimestamp(int(text), UTC)
        if _DATETIME.match(text):
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        if _DATE.match(text):
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            return day + timedelta(hours=23, minutes=59, seconds=59) if end_of_day else day
        if _RFC3339.match(text):
            normal = re.sub(r"\.\d+", "", text).replace("z", "Z").replace("t", "T")
            return datetime.fromisoformat(normal.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise ValueError("must be 'YYYY-MM-DD HH:MM:SS', 'YYYY-MM-DD', Unix seconds or RFC 3339")


def rfc3339(value: datetime | None) -> str:
    """Resource timestamps: RFC 3339 UTC with whole seconds and Z; '' when unset."""
    if value is None:
        return ""
    return _date_time(value, "T") + "Z"


def display(value: datetime | None) -> str:
    """Review display times: 'YYYY-MM-DD HH:MM:SS' UTC; '' when unset."""
    if value is None:
        return ""
    return _date_time(value, " ")


def _date_time(value: datetime, sep: str) -> str:
    # Not strftime("%Y"): glibc writes years below 1000 without zero padding ("999-01-01"),
    # which breaks the fixed-width formats; every accepted input year is 0001-9999.
    v = value.astimezone(UTC)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}{sep}{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
