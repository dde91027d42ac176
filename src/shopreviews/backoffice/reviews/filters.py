"""The reviews list's address: its tab, filters, order and cursor, read from the query string
(every problem named for the page, never an exception), and written back into links that keep
what the merchant chose."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import QueryParams

LIST_PATH = "/backoffice/reviews"
# Tab -> its label, in the order shown.
TABS = {
    "all": "All",
    "pending": "Pending",
    "published": "Published",
    "hidden": "Hidden",
    "unanswered": "Unanswered",
    "media": "With media",
}
# Order -> (its label, the repository's sort).
SORTS = {
    "newest": ("Newest first", "created-descending"),
    "oldest": ("Oldest first", "created-ascending"),
    "highest": ("Highest rating", "rating-descending"),
    "lowest": ("Lowest rating", "rating-ascending"),
}
MAX_SEARCH = 200
MAX_TEXT = 255
MAX_CURSOR = 200


@dataclass(frozen=True)
class ListQuery:
    tab: str = "all"
    search: str = ""
    ratings: tuple[int, ...] = ()
    product: str = ""
    source: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "newest"
    after: str = ""  # the cursor: the page after the one that gave it

    @property
    def sort_by(self) -> str:
        return SORTS[self.sort][1]

    @property
    def email(self) -> str | None:
        """The search box names an author's address when it holds an "@"."""
        return self.search.strip() if "@" in self.search else None

    @property
    def keyword(self) -> str | None:
        return self.search if self.search.strip() and "@" not in self.search else None

    def commented_range(self) -> tuple[int | None, int | None]:
        """Unix seconds of [from 00:00 UTC, the day after `to` 00:00 UTC)."""

        def midnight(day: date) -> int:
            return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())

        start = midnight(self.date_from) if self.date_from else None
        end = midnight(self.date_to + timedelta(days=1)) if self.date_to else None
        return start, end

    @property
    def filtered(self) -> bool:
        """Whether anything beyond the tab narrows the list."""
        return bool(
            self.search
            or self.ratings
            or self.product
            or self.source
            or self.date_from
            or self.date_to
        )

    def params(self) -> list[tuple[str, str]]:
        pairs = [("tab", self.tab)] if self.tab != "all" else []
        if self.search:
            pairs.append(("q", self.search))
        pairs += [("rating", str(r)) for r in self.ratings]
        for name, value in (("product", self.product), ("source", self.source)):
            if value:
                pairs.append((name, value))
        if self.date_from:
            pairs.append(("from", self.date_from.isoformat()))
        if self.date_to:
            pairs.append(("to", self.date_to.isoformat()))
        if self.sort != "newest":
            pairs.append(("sort", self.sort))
        if self.after:
            pairs.append(("after", self.after))
        return pairs

    def url(self, **changes: object) -> str:
        """This list's address with `changes` (a new tab or cursor, say)."""
        query = urlencode(replace(self, **changes).params())  # type: ignore[arg-type]
        return LIST_PATH + (f"?{query}" if query else "")


def parse(query: QueryParams) -> tuple[ListQuery, list[str]]:
    """The list the query string asks for, and what is wrong with it (each problem a sentence
    for the page; the query then holds only the values that were good)."""
    problems: list[str] = []
    tab = query.get("tab") or "all"
    if tab not in TABS:
        problems.append("Choose one of the tabs: " + ", ".join(TABS.values()) + ".")
        tab = "all"
    search = query.get("q") or ""
    if len(search) > MAX_SEARCH:
        problems.append(f"The search text must be at most {MAX_SEARCH} characters.")
        search = ""
    ratings: list[int] = []
    for value in query.getlist("rating"):
        if value not in ("1", "2", "3", "4", "5"):
            problems.append("A rating must be a whole number of stars from 1 to 5.")
            break
        if int(value) not in ratings:
            ratings.append(int(value))
    product = (query.get("product") or "").strip()
    if product and (len(product) > MAX_TEXT or any(c.isspace() or c == "," for c in product)):
        problems.append("The product must be a product id or handle, without spaces or commas.")
        product = ""
    source = (query.get("source") or "").strip()
    if len(source) > MAX_TEXT:
        problems.append(f"The source must be at most {MAX_TEXT} characters.")
        source = ""
    date_from = _date(query.get("from"), "from", problems)
    date_to = _date(query.get("to"), "to", problems)
    if date_from and date_to and date_from > date_to:
        problems.append("The “from” date must not be after the “to” date.")
        date_from = date_to = None
    sort = query.get("sort") or "newest"
    if sort not in SORTS:
        problems.append("Choose one of the orders: newest, oldest, highest or lowest rating.")
        sort = "newest"
    after = query.get("after") or ""
    if len(after) > MAX_CURSOR:
        problems.append("This page link is not valid: start again from the first page.")
        after = ""
    found = ListQuery(
        tab=tab,
        search=search,
        ratings=tuple(sorted(ratings)),
        product=product,
        source=source,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        after=after,
    )
    return found, problems


def _date(value: str | None, name: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"The “{name}” date must be a date such as 2026-06-30.")
        return None


def back_to(value: object) -> str:
    """Where an action returns: a reviews list address as the form sent it (its tab, filters
    and cursor), never anywhere else; the previous action's message is dropped."""
    if not isinstance(value, str) or "\\" in value or len(value) > 4096:
        return LIST_PATH
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path != LIST_PATH:
        return LIST_PATH
    query, _ = parse(QueryParams(parts.query))
    return query.url()
