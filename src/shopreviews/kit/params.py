"""Query strings and values as the contract reads them (docs/api.md, "Requests").

FastAPI's own query parsing cannot express "empty means unset", the four array forms or
last-non-empty-wins, so API routes read the raw query through `QueryParams`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

from shopreviews.kit.envelope import InvalidArgument, InvalidValue
from shopreviews.kit.timefmt import parse_time

MAX_ARRAY_ITEMS = 100
MAX_ID = 2**63 - 1
_UNSET = frozenset({"", "undefined", "null"})
# ASCII digits only (\d would also take other scripts' digits); the index may be any length.
_INDEXED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<index>[0-9]*)\]$")
# More digits than this is above any limit we check (and int() refuses > 4300 digits).
_MAX_DIGITS = 19
_HUGE: int = 10**_MAX_DIGITS
_EXTERNAL_ID = re.compile(r"^[\x21-\x7e]{1,64}$")
SHOP_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
T = TypeVar("T")


def decode_component(raw: str) -> str:
    """application/x-www-form-urlencoded decoding of one key or value; invalid UTF-8: code 3."""
    try:
        return unquote_to_bytes(raw.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgument("query string is not valid UTF-8") from exc


def parse_query(raw: str) -> list[tuple[str, str]]:
    """Raw query string -> decoded (key, value) pairs in order (docs/api.md, "Signing a
    request", step 2)."""
    pairs: list[tuple[str, str]] = []
    for segment in raw.split("&"):
        if not segment:
            continue
        key, _, value = segment.partition("=")
        pairs.append((decode_component(key), decode_component(value)))
    return pairs


def disagreement(*named: tuple[str, object]) -> str | None:
    """The problem of one value given under several names (a name and its alias, or the body
    and the query), or None when every name that is set (not None) holds the same value."""
    given = [(name, value) for name, value in named if value is not None]
    for name, value in given[1:]:
        if value != given[0][1]:
            return f"{given[0][0]} and {name} disagree"
    return None


def agreeing(*named: tuple[str, T | None]) -> T | None:
    """The value of a parameter given under several names; code 3 naming both when two
    disagree. Neither name wins silently: a client sending two ids meant one of them, and
    acting on the other (the last one read) could change a record it never meant."""
    problem = disagreement(*named)
    if problem is not None:
        raise InvalidArgument(problem)
    return next((value for _, value in named if value is not None), None)


def _no_nul(name: str, value: str) -> None:
    # PostgreSQL text cannot hold U+0000 (asyncpg raises), and no parameter has a use for it;
    # bodies get the same rule from kit.schemas.In (docs/api.md, "Bodies").
    if "\x00" in value:
        raise InvalidArgument(f"{name} must not contain the U+0000 character")


class QueryParams:
    """Decoded query pairs with the contract's reading rules."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    @classmethod
    def from_raw(cls, raw: str) -> QueryParams:
        return cls(parse_query(raw))

    def scalar(self, name: str) -> str | None:
        """The last non-empty value of `name`; None when unset. A parameter with aliases is
        read with aliased(), never as "the last of either name"."""
        found: str | None = None
        for key, value in self.pairs:
            if key == name:
                _no_nul(key, value)
                value = value.strip()
                if value not in _UNSET:
                    found = value
        return found

    def aliased(self, *names: str, parse: Callable[[str, str], T]) -> T | None:
        """A scalar known under several names, each parsed (parse(value, name)) before the
        names are compared: `05` and `5` are one id. Different values: code 3 (agreeing)."""
        return agreeing(
            *(
                (name, None if (raw := self.scalar(name)) is None else parse(raw, name))
                for name in names
            )
        )

    def verbatim(self, name: str) -> str | None:
        """Like scalar(), but the value exactly as sent (an opaque value such as an OAuth
        `state`, which must come back unchanged)."""
        found: str | None = None
        for key, value in self.pairs:
            if key == name:
                _no_nul(key, value)
                if value.strip() not in _UNSET:
                    found = value
        return found

    def array(self, name: str) -> list[str]:
        """Every array form merged in order of appearance; trimmed, de-duplicated, ≤ 100."""
        groups: list[list[str]] = []
        indexed: dict[tuple[int, str], list[str]] = {}
        indexed_slot: list[str] | None = None
        for key, value in self.pairs:
            if key == name or key == f"{name}[]":
                _no_nul(name, value)
                groups.append([value])
                continue
            match = _INDEXED.match(key)
            if match and match.group("name") == name and match.group("index"):
                _no_nul(name, value)
                if indexed_slot is None:
                    indexed_slot = []
                    groups.append(indexed_slot)  # indexed items sit where the first appeared
                indexed.setdefault(_numeric_order(match.group("index")), []).append(value)
        if indexed_slot is not None:
            for index in sorted(indexed):
                indexed_slot.extend(indexed[index])
        items: dict[str, None] = {}  # ordered set: first occurrence kept
        for group in groups:
            for value in group:
                if value.strip() in _UNSET:
                    continue
                for item in value.split(","):
                    item = item.strip()
                    if item:
                        items[item] = None
                        if len(items) > MAX_ARRAY_ITEMS:
                            raise InvalidArgument(f"{name} has more than {MAX_ARRAY_ITEMS} items")
        return list(items)


def _numeric_order(digits: str) -> tuple[int, str]:
    """Sort key ordering decimal strings by value without int() (indexes may be huge)."""
    significant = digits.lstrip("0")
    return (len(significant), significant)


def _ascii_int(text: str) -> int | None:
    """An ASCII decimal string as int, capped at _HUGE; None when not decimal."""
    if not (text.isascii() and text.isdigit()):
        return None
    significant = text.lstrip("0")
    if len(significant) > _MAX_DIGITS:
        return _HUGE
    return int(significant or "0")


def parse_flag(value: Any, field: str, *, query: bool = False) -> bool:
    """Flags: 0, 1, "0", "1", true, false (JSON); 0, 1, true, false (query)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip()
        if text in ("0", "1"):
            return text == "1"
        if query and text in ("true", "false"):
            return text == "true"
    raise InvalidValue(field, "must be 0 or 1")


def parse_id(value: Any, field: str = "id") -> int:
    """Server ids: a JSON integer or a decimal string, 1 to 2^63-1."""
    if isinstance(value, bool):
        raise InvalidValue(field, "must be a positive integer id")
    number = value if isinstance(value, int) else None
    if isinstance(value, str):
        number = _ascii_int(value.strip())
    if number is None:
        raise InvalidValue(field, "must be a positive integer id")
    if not 1 <= number <= MAX_ID:
        raise InvalidValue(field, "must be a positive integer id below 2^63")
    return number


def parse_external_id(value: Any, field: str) -> str:
    """Store-platform ids: 1-64 visible ASCII characters, no whitespace or commas."""
    if isinstance(value, bool):
        raise InvalidValue(field, "must be a string or integer id")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidValue(field, "must be a string or integer id")
    text = value.strip()
    if not _EXTERNAL_ID.match(text) or "," in text:
        raise InvalidValue(
            field, "must be 1 to 64 visible ASCII characters without whitespace or commas"
        )
    return text


def parse_positive_int(value: str | None, field: str, default: int) -> int:
    """A query integer ≥ 1; absurdly long values read as 10**19 (above every limit we apply)."""
    if value is None:
        return default
    number = _ascii_int(value)
    if number is None or number < 1:
        raise InvalidArgument(f"{field} must be an integer of at least 1")
    return number


CREATED_SORTS = ("created-descending", "created-ascending")


def created_sort_ascending(query: QueryParams) -> bool:
    """`sort_by` of the lists sorted on their creation time; True for ascending."""
    sort_by = query.scalar("sort_by") or "created-descending"
    if sort_by not in CREATED_SORTS:
        raise InvalidArgument(f"sort_by must be one of {', '.join(CREATED_SORTS)}")
    return sort_by == "created-ascending"


def time_bounds(
    query: QueryParams, start: str, end: str
) -> tuple[datetime | None, datetime | None]:
    """A `start_*`/`end_*` pair of time parameters; a date alone as `end` means its last
    second; a start after its end is code 3."""
    bounds: list[datetime | None] = []
    for name, end_of_day in ((start, False), (end, True)):
        value = query.scalar(name)
        try:
            bounds.append(None if value is None else parse_time(value, end_of_day=end_of_day))
        except ValueError as exc:
            raise InvalidArgument(f"{name} {exc}") from None
    low, high = bounds
    if low is not None and high is not None and low > high:
        raise InvalidArgument(f"{start} must not be after {end}")
    return low, high
