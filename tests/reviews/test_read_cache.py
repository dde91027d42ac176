"""Cached read answers (kit/read_cache.py): served only while the shop's data is unchanged.

The test settings keep the cache on (its default), so every other test that reads after a
write also checks that no answer outlives a write. These tests name the cases: each write
path, a write made by another process, a write made in SQL by hand, tenants, and credentials
checked before any cached answer is served.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import make_url, select, text

from shopreviews.kit.context import AppContext
from shopreviews.kit.read_cache import ENTRY_OVERHEAD, ReadCache
from shopreviews.main import create_app
from shopreviews.settings import Settings
from shopreviews.shops.models import Shop
from tests.reviews.helpers import rating
from tests.support.api import ShopApi, error, ok
from tests.support.reviews import create, delete, list_data, update


async def data_version(ctx: AppContext, shop_id: str) -> int:
    async with ctx.db.session(write=False) as session:
        version = await session.scalar(select(Shop.data_version).where(Shop.shop_id == shop_id))
    assert version is not None
    return version


async def read_twice(ctx: AppContext, shop: ShopApi, name: str, params: Any) -> Any:
    """Read twice: the second answer must come from the cache and equal the first."""
    hits = ctx.read_cache.hits
    first = ok(await shop.get(name, params))
    second = ok(await shop.get(name, params))
    assert ctx.read_cache.hits == hits + 1
    assert second == first
    return second


async def test_repeated_reads_are_served_from_the_cache(ctx: AppContext, shop: ShopApi) -> None:
    review = await create(shop, product_id="101", title="Warm", rating=4)
    page = await read_twice(ctx, shop, "get_reviews", {"product_id": "101"})
    assert [r["id"] for r in page["list"]] == [review["id"]]
    assert page["page"]["count"] == 1
    one = await read_twice(ctx, shop, "get_review", {"id": review["id"]})
    assert one["title"] == "Warm"
    stars = await read_twice(ctx, shop, "get_rating", {"product_id": "101"})
    assert stars["star4_count"] == 1 and stars["rating_value"] == "4.0"


async def test_cached_answer_has_its_own_request_id_and_time(
    ctx: AppContext, shop: ShopApi
) -> None:
    await create(shop)
    first = (await shop.get("get_reviews")).json()
    second_response = await shop.get("get_reviews")
    second = second_response.json()
    assert second["request_id"] != first["request_id"]
    assert second["request_id"] == second_response.headers["x-request-id"]
    assert second_response.headers["content-type"] == "application/json; charset=utf-8"
    assert second["data"] == first["data"]


async def test_every_review_write_changes_what_reads_answer(ctx: AppContext, shop: ShopApi) -> None:
    params = {"product_id": "7"}
    versions = [await data_version(ctx, shop.shop_id)]
    review = await create(shop, product_id="7", rating=5, title="First")
    versions.append(await data_version(ctx, shop.shop_id))
    assert (await read_twice(ctx, shop, "get_rating", params))["review_count"] == 1

    await update(shop, review["id"], title="Changed")
    versions.append(await data_version(ctx, shop.shop_id))
    assert ok(await shop.get("get_review", {"id": review["id"]}))["title"] == "Changed"
    assert (await list_data(shop, params))["list"][0]["title"] == "Changed"

    await update(shop, review["id"], reply={"content": "Thanks"})
    versions.append(await data_version(ctx, shop.shop_id))
    assert (await list_data(shop, params))["list"][0]["reply"]["content"] == "Thanks"

    await update(shop, review["id"], is_published=0)
    versions.append(await data_version(ctx, shop.shop_id))
    assert (await rating(shop, params))["review_count"] == 0
    assert (await list_data(shop, params))["list"] == []

    await update(shop, review["id"], is_published=1)
    await read_twice(ctx, shop, "get_reviews", params)
    await delete(shop, review["id"])
    versions.append(await data_version(ctx, shop.shop_id))
    assert (await list_data(shop, params))["page"]["count"] == 0
    error(await shop.get("get_review", {"id": review["id"]}), 5, 404)
    assert versions == sorted(set(versions)), versions


async def test_a_product_change_reaches_cached_pages(ctx: AppContext, shop: ShopApi) -> None:
    await create(shop, product_id="55", product_handle="old-handle", product_title="Old")
    page = await read_twice(ctx, shop, "get_reviews", {"product_id": "55"})
    assert page["list"][0]["product_title"] == "Old"
    # Another review of the product renames it; the first review's page must show the new name.
    await create(shop, product_id="55", product_handle="new-handle", product_title="New")
    page = await list_data(shop, {"product_id": "55"})
    assert {r["product_title"] for r in page["list"]} == {"New"}
    assert (await rating(shop, {"product_handle": "new-handle"}))["review_count"] == 2


async def test_a_write_in_sql_by_hand_is_seen(ctx: AppContext, shop: ShopApi) -> None:
    """The version is kept by triggers, so even a write no code path knows about counts."""
    review = await create(shop, title="Before")
    await read_twice(ctx, shop, "get_review", {"id": review["id"]})
    before = await data_version(ctx, shop.shop_id)
    async with ctx.db.session(write=True) as session:
        await session.execute(
            text("UPDATE reviews SET title = 'After' WHERE id = :id"), {"id": int(review["id"])}
        )
    assert await data_version(ctx, shop.shop_id) > before
    assert ok(await shop.get("get_review", {"id": review["id"]}))["title"] == "After"


async def test_a_write_rolled_back_keeps_the_version(ctx: AppContext, shop: ShopApi) -> None:
    await create(shop)
    before = await data_version(ctx, shop.shop_id)
    with pytest.raises(RuntimeError):
        async with ctx.db.session(write=True) as session:
            await session.execute(
                text("UPDATE reviews SET title = 'x' WHERE shop_id = :s"), {"s": shop.shop_id}
            )
            raise RuntimeError("abandon")
    assert await data_version(ctx, shop.shop_id) == before


async def test_postgres_bumps_once_per_transaction_and_shop(
    ctx: AppContext, settings: Settings, shop: ShopApi, other_shop: ShopApi
) -> None:
    """Migration 0007: a transaction is one new version per shop however many rows it writes
    (five for a created review), and the next transaction on the same connection bumps again."""
    if ctx.db.is_sqlite:
        pytest.skip("PostgreSQL's trigger; SQLite's triggers bump per row")
    before = await data_version(ctx, shop.shop_id)
    for _ in range(3):
        await create(shop)
    await create(other_shop)
    assert await data_version(ctx, shop.shop_id) == before + 3
    mine = await data_version(ctx, shop.shop_id)
    theirs = await data_version(ctx, other_shop.shop_id)
    dsn = make_url(settings.database_url).set(drivername="postgresql")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    touch = "UPDATE reviews SET title = title || '!' WHERE shop_id = $1"
    try:
        for done in (1, 2):
            async with conn.transaction():
                # Three rows of one shop, one of the other, the first shop's three again.
                for shop_id in (shop.shop_id, other_shop.shop_id, shop.shop_id):
                    await conn.execute(touch, shop_id)
            assert await data_version(ctx, shop.shop_id) == mine + 2 * done
            assert await data_version(ctx, other_shop.shop_id) == theirs + done
    finally:
        await conn.close()


@pytest.fixture
async def second_process(settings: Settings) -> AsyncIterator[tuple[AppContext, httpx.AsyncClient]]:
    """Another server process on the same database: its own context, pool and cache."""
    other = AppContext.build(settings, public_url="http://testserver")
    transport = httpx.ASGITransport(app=create_app(settings, ctx=other))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield other, http
    await other.db.dispose()


async def test_a_write_through_another_process_is_seen(
    ctx: AppContext,
    shop: ShopApi,
    second_process: tuple[AppContext, httpx.AsyncClient],
) -> None:
    other_ctx, other_client = second_process
    there = ShopApi(
        other_client, shop.shop_id, shop.myshopify_domain, shop.public_token, shop.private_token
    )
    await create(shop, product_id="9", rating=3)
    assert (await read_twice(other_ctx, there, "get_rating", {"product_id": "9"}))[
        "review_count"
    ] == 1
    await create(shop, product_id="9", rating=5)  # through the first process
    stars = ok(await there.get("get_rating", {"product_id": "9"}))
    assert (stars["review_count"], stars["star5_count"]) == (2, 1)
    assert (await list_data(there, {"product_id": "9"}))["page"]["count"] == 2


async def test_answers_are_kept_per_shop(
    ctx: AppContext, shop: ShopApi, other_shop: ShopApi
) -> None:
    mine = await create(shop, product_id="1", author="Mine")
    theirs = await create(other_shop, product_id="1", author="Theirs")
    for owner, review in ((shop, mine), (other_shop, theirs)):
        for _ in range(2):
            page = ok(await owner.get("get_reviews", {"product_id": "1"}))
            assert [r["id"] for r in page["list"]] == [review["id"]]
    error(await other_shop.get("get_review", {"id": mine["id"]}), 5, 404)
    error(await other_shop.get("get_review", {"id": mine["id"]}), 5, 404)


async def test_credentials_are_checked_before_a_cached_answer(
    ctx: AppContext, shop: ShopApi
) -> None:
    await create(shop)
    await read_twice(ctx, shop, "get_reviews", None)
    async with ctx.db.session(write=True) as session:
        row = await session.get(Shop, shop.shop_id)
        assert row is not None
        row.status = "disabled"
    error(await shop.get("get_reviews"), 16, 401)
    bad = dict(shop.headers([]), Sign="0" * 64)
    error(await shop.client.get("/api/v1/openapi/get_reviews", headers=bad), 16, 401)


async def test_cache_off_answers_the_same(settings: Settings, shop: ShopApi) -> None:
    off = AppContext.build(settings.model_copy(update={"read_cache_mb": 0}))
    transport = httpx.ASGITransport(app=create_app(off.settings, ctx=off))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            there = ShopApi(
                http, shop.shop_id, shop.myshopify_domain, shop.public_token, shop.private_token
            )
            review = await create(there, title="Uncached")
            for _ in range(2):
                assert ok(await there.get("get_review", {"id": review["id"]}))["title"] == (
                    "Uncached"
                )
            assert (off.read_cache.hits, len(off.read_cache)) == (0, 0)
    finally:
        await off.db.dispose()


def test_byte_budget_evicts_least_recently_used() -> None:
    cache = ReadCache(max_bytes=3 * (100 + ENTRY_OVERHEAD))
    for name in "abc":
        cache.put(name, b"x" * 100)
    assert cache.get("a") == b"x" * 100  # a is now the most recently used
    cache.put("d", b"y" * 100)
    assert cache.get("b") is None
    assert [cache.get(k) is not None for k in "acd"] == [True, True, True]
    assert cache.size == 3 * (100 + ENTRY_OVERHEAD)
    cache.put("a", b"z" * 10)  # replacing an entry frees its old size
    assert cache.size == 2 * (100 + ENTRY_OVERHEAD) + 10 + ENTRY_OVERHEAD


def test_an_answer_larger_than_the_budget_is_not_kept() -> None:
    cache = ReadCache(max_bytes=1000)
    cache.put("big", b"x" * 1000)
    assert (cache.get("big"), len(cache), cache.size) == (None, 0, 0)
