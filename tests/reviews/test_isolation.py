"""Tenant isolation: shop B can neither read, change nor detect shop A's reviews and ratings."""

from __future__ import annotations

from typing import Any

import pytest

from shopreviews.kit.context import AppContext
from tests.reviews.helpers import NO_RATING, aggregate_rows, events, expected_rating, rating
from tests.support.api import ShopApi, error
from tests.support.reviews import create, list_data


async def _shop_a(shop: ShopApi) -> list[dict[str, Any]]:
    return [
        await create(
            shop,
            product_id="111",
            product_handle="shared-handle",
            product_title="A's shirt",
            title="secret alpha",
            source="Amazon",
            rating=5,
        ),
        await create(shop, product_id="111", content="secret beta", rating=4, is_published=0),
        await create(shop, author="Secret Gamma", rating=1),
    ]


async def test_foreign_ids_are_not_found(shop: ShopApi, other_shop: ShopApi) -> None:
    a_reviews = await _shop_a(shop)
    unknown = str(int(a_reviews[-1]["id"]) + 10_000)
    for review in a_reviews:
        rid = review["id"]
        foreign = error(await other_shop.get("get_review", {"id": rid}), 5, 404)
        missing = error(await other_shop.get("get_review", {"id": unknown}), 5, 404)
        # Nothing tells a foreign id from one that does not exist.
        assert foreign["message"].replace(rid, "N") == missing["message"].replace(unknown, "N")
        error(await other_shop.get("get_review", {"review_id": rid}), 5, 404)
        error(await other_shop.post("update_review", {"id": rid, "is_published": 0}), 5, 404)
        error(await other_shop.post("update_review", {"id": rid, "reply": None}), 5, 404)
        error(await other_shop.post("delete_review", {"id": rid}), 5, 404)
        error(await other_shop.post("delete_review", {"review_id": rid}), 5, 404)
    # A's reviews are untouched.
    for review in a_reviews:
        got = await shop.get("get_review", {"id": review["id"]})
        assert got.json()["data"] == review


async def test_foreign_writes_leave_no_trace(
    shop: ShopApi, other_shop: ShopApi, ctx: AppContext
) -> None:
    a_reviews = await _shop_a(shop)
    rows_before = await aggregate_rows(ctx, shop.shop_id)
    events_before = await events(ctx, shop.shop_id)
    for review in a_reviews:
        await other_shop.post("update_review", {"id": review["id"], "is_published": 1})
        await other_shop.post("delete_review", {"id": review["id"]})
    assert await aggregate_rows(ctx, shop.shop_id) == rows_before
    assert await events(ctx, shop.shop_id) == events_before
    assert await events(ctx, other_shop.shop_id) == []
    assert await aggregate_rows(ctx, other_shop.shop_id) == {}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"is_published": "all"},
        {"is_published": "0"},
        {"product_ids": "111"},
        {"product_ids": "111,0"},
        {"product_id": "111"},
        {"product_handle": "shared-handle"},
        {"product_handle": "SHARED-HANDLE"},
        {"is_store_review": "1"},
        {"is_store_review": "0"},
        {"keyword": "secret"},
        {"keyword": "SECRET", "is_published": "all"},
        {"ratings": "1,4,5", "is_published": "all"},
        {"sources": "amazon,open api"},
        {"sort_by": "rating-descending", "is_published": "all"},
    ],
)
async def test_lists_never_show_other_shops(
    shop: ShopApi, other_shop: ShopApi, params: dict[str, str]
) -> None:
    a_reviews = await _shop_a(shop)
    # B has its own review of a product with the same id and handle.
    b_review = await create(
        other_shop,
        product_id="111",
        product_handle="shared-handle",
        product_title="B's shirt",
        title="secret",
        source="Amazon",
        rating=4,
    )
    a_ids = {r["id"] for r in a_reviews}
    data = await list_data(other_shop, {**params, "page_size": "100"})
    ids = {r["id"] for r in data["list"]}
    assert not ids & a_ids
    assert ids <= {b_review["id"]}
    assert data["page"]["count"] == len(ids)
    for review in data["list"]:
        assert review["product_title"] in ("B's shirt", "")


async def test_catalogues_are_per_shop(shop: ShopApi, other_shop: ShopApi) -> None:
    a = await create(shop, product_id="111", product_handle="a-handle", product_title="A")
    b = await create(other_shop, product_id="111", product_handle="b-handle", product_title="B")
    got_a = (await shop.get("get_review", {"id": a["id"]})).json()["data"]
    got_b = (await other_shop.get("get_review", {"id": b["id"]})).json()["data"]
    assert (got_a["product_handle"], got_a["product_title"]) == ("a-handle", "A")
    assert (got_b["product_handle"], got_b["product_title"]) == ("b-handle", "B")
    empty = await list_data(other_shop, {"product_handle": "a-handle"})
    assert empty["list"] == [] and empty["page"]["count"] == 0
    assert await rating(other_shop, {"product_handle": "a-handle"}) == NO_RATING


async def test_ratings_never_include_other_shops(shop: ShopApi, other_shop: ShopApi) -> None:
    await _shop_a(shop)
    for params in (
        {"is_all_rating": 1},
        {"is_all_products_rating": 1},
        {"is_store_rating": 1},
        {"product_id": "111"},
        {"product_id": "0"},
        {"product_handle": "shared-handle"},
    ):
        assert await rating(other_shop, params) == NO_RATING, params
    await create(other_shop, product_id="111", product_handle="shared-handle", rating=2)
    two = expected_rating([0, 1, 0, 0, 0])
    for params in (
        {"is_all_rating": 1},
        {"is_all_products_rating": 1},
        {"product_id": "111"},
        {"product_handle": "shared-handle"},
    ):
        assert await rating(other_shop, params) == two, params
    # And A's ratings are unaffected by B's review.
    assert await rating(shop, {"product_handle": "shared-handle"}) == expected_rating(
        [0, 0, 0, 0, 1]
    )
    assert await rating(shop, {"is_all_rating": 1}) == expected_rating([1, 0, 0, 0, 1])
