"""Every table the cached reads compute from is versioned: a write to it changes the shop's
data version (migrations 0006/0007), so no kept answer outlives it (kit/read_cache.py).

The tables read are recorded from the statements the three cached services really run, across
their parameters (both keyword paths on SQLite); the versioned tables are read from the
database's own triggers, not from a list kept beside them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text

from shopreviews.auth.caller import Caller
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import NotFound
from shopreviews.kit.pagination import PageRequest
from shopreviews.reviews import repository
from shopreviews.reviews import service as review_service
from shopreviews.reviews.query import ListRequest, RatingTarget, ReviewRequest
from shopreviews.reviews.repository import SORTS, ReviewFilter
from tests.support.api import ShopApi
from tests.support.reviews import create

BUMP = re.compile(r"UPDATE\s+shops\s+SET\s+data_version\s*=\s*data_version\s*\+\s*1", re.I)
SQLITE_EVENT = re.compile(r"\bAFTER\s+(INSERT|UPDATE|DELETE)\b", re.I)
WRITES_INTO = re.compile(r"\bINSERT\s+INTO\s+\"?(\w+)", re.I)
# A FROM list (tables, aliases, commas) or a JOIN, in the SQL as run on either database.
_NAME = r"\"?(\w+)\"?(?:\s+(?:AS\s+)?\"?\w+\"?)?"
FROM = re.compile(rf"\b(?:FROM|JOIN)\s+({_NAME}(?:\s*,\s*{_NAME})*)", re.I)
KEYWORDS = {"where", "order", "group", "limit", "offset", "on", "join", "left", "inner"}
ALL_EVENTS = {"INSERT", "UPDATE", "DELETE"}


async def versioned_tables(ctx: AppContext) -> set[str]:
    """Tables whose every insert, update and delete changes the shop's data version, by the
    triggers present in the database; on SQLite also the search index that the triggers of a
    versioned table keep, in the same transaction."""
    async with ctx.db.session(write=False) as session:
        if not ctx.db.is_sqlite:
            rows = await session.execute(
                text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_proc p ON p.oid = t.tgfoid "
                    "WHERE p.proname = 'shopreviews_bump_data_version' "
                    "AND t.tgtype & 28 = 28"  # fires on INSERT (4), DELETE (8) and UPDATE (16)
                )
            )
            return {name for (name,) in rows}
        rows = await session.execute(
            text("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        )
        triggers = list(rows)
    events: dict[str, set[str]] = {}
    for table, sql in triggers:
        if BUMP.search(sql):
            events.setdefault(table, set()).update(e.upper() for e in SQLITE_EVENT.findall(sql))
    versioned = {table for table, seen in events.items() if seen == ALL_EVENTS}
    kept = {
        target
        for table, sql in triggers
        if table in versioned
        for target in WRITES_INTO.findall(sql)
        if target != "shops"
    }
    return versioned | kept


def tables_of(sql: str) -> set[str]:
    found: set[str] = set()
    for match in FROM.finditer(sql):
        for item in match.group(1).split(","):
            name = item.strip().split()[0].strip('"')
            if name.lower() not in KEYWORDS:
                found.add(name)
    return found


@contextmanager
def recording(ctx: AppContext) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_tables_of_reads_from_lists_joins_and_subqueries() -> None:
    sql = (
        'SELECT a.x FROM reviews AS a, "products" p JOIN rating_aggregates ON 1 = 1 '
        "WHERE a.id IN (SELECT rowid FROM reviews_fts WHERE reviews_fts MATCH ?)"
    )
    assert tables_of(sql) == {"reviews", "products", "rating_aggregates", "reviews_fts"}


def list_requests(cursor: str | None) -> Iterator[ListRequest]:
    products = [(), ("101",), ("101", "0")]
    handles = [None, "Blue-Mug"]
    stores = [None, True, False]
    keywords = [None, "warm", "wa"]
    ratings = [(), (5,)]
    sources = [(), ("open api",)]
    published = [True, None, False]
    for product_ids, handle, store, keyword, stars, source, shown in itertools.product(
        products, handles, stores, keywords, ratings, sources, published
    ):
        flt = ReviewFilter(product_ids, handle, store, keyword, stars, source, shown)
        yield ListRequest(flt, PageRequest(1, 2), None)
    for sort_by in SORTS:
        yield ListRequest(ReviewFilter(sort_by=sort_by), PageRequest(2, 1), None)
        if cursor is not None and sort_by == "created-descending":
            yield ListRequest(ReviewFilter(sort_by=sort_by), PageRequest(1, 1), cursor)


@pytest.mark.parametrize("search_index", [False, True], ids=["scan", "search-index"])
async def test_cached_reads_only_read_versioned_tables(
    ctx: AppContext, shop: ShopApi, monkeypatch: pytest.MonkeyPatch, search_index: bool
) -> None:
    if search_index and not ctx.db.is_sqlite:
        pytest.skip("SQLite's keyword index; PostgreSQL reads the reviews table")
    if search_index:
        monkeypatch.setattr(repository, "SEARCH_INDEX_MIN_REVIEWS", 0)
    first = await create(shop, product_id="101", product_handle="blue-mug", title="Warm mug")
    await create(shop, product_id="0", rating=4, source="Open API", content="warm shop")
    await create(shop, product_id="202", rating=3, is_published=0)
    caller = Caller(shop_id=shop.shop_id, kind="hmac")
    versioned = await versioned_tables(ctx)
    assert "shops" not in versioned  # the version's own row is read apart, with the key

    with recording(ctx) as statements:
        async with ctx.db.session(write=False) as session:
            page = await review_service.list_reviews(
                session, caller, ListRequest(ReviewFilter(), PageRequest(1, 1), None)
            )
            for request in list_requests(page.page.next_cursor):
                await review_service.list_reviews(session, caller, request)
            await review_service.get(session, caller, ReviewRequest(int(first["id"])))
            with pytest.raises(NotFound):
                await review_service.get(session, caller, ReviewRequest(10**9))
            for target in (
                RatingTarget("all"),
                RatingTarget("all_products"),
                RatingTarget("product", "101"),
                RatingTarget("product", "0"),
                RatingTarget("product", handle="BLUE-MUG"),
                RatingTarget("product", handle="none"),
            ):
                await review_service.rating(session, caller, target)

    read = set().union(*(tables_of(sql) for sql in statements))
    assert {"reviews", "products", "rating_aggregates"} <= read  # every kind of read was run
    if search_index:
        assert "reviews_fts" in read
    assert read - versioned == set(), f"read by cached answers but not versioned: {read}"
