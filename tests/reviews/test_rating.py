"""get_rating (reviews.md#get_rating): precedence, scopes, rounding, and the aggregate rows."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import update as sql_update

from shopreviews.kit.context import AppContext
from shopreviews.reviews.models import RatingAggregate
from tests.reviews.helpers import (
    NO_RATING,
    aggregate_rows,
    expected_rating,
    rating,
    raw_get,
    recount,
)
from tests.support.api import ShopApi, error, ok
from tests.support.reviews import create, delete, update


async def _catalogue(shop: ShopApi) -> None:
    """Store: 1, 2. Product 111 (handle Shirt-H): 5, 4. Product 222: 3. Plus hidden ones."""
    await create(shop, rating=1)
    await create(shop, rating=2)
    await create(shop, product_id="111", product_handle="Shirt-H", rating=5)
    await create(shop, product_id="111", rating=4)
    await create(shop, product_id="222", rating=3)
    await create(shop, product_id="111", rating=1, is_published=0)
    await create(shop, rating=5, is_published=0)


STORE = expected_rating([1, 1, 0, 0, 0])
SHIRT = expected_rating([0, 0, 0, 1, 1])
OTHER = expected_rating([0, 0, 1, 0, 0])
ALL_PRODUCTS = expected_rating([0, 0, 1, 1, 1])
ALL = expected_rating([1, 1, 1, 1, 1])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"is_all_rating": "1"}, ALL),
        ({"is_all_rating": "true"}, ALL),
        (
            {
                "is_all_rating": "1",
                "is_all_products_rating": "1",
                "is_store_rating": "1",
                "product_id": "111",
                "product_handle": "shirt-h",
            },
            ALL,
        ),
        ({"is_all_products_rating": "1"}, ALL_PRODUCTS),
        (
            {"is_all_products_rating": "1", "is_store_rating": "1", "product_id": "222"},
            ALL_PRODUCTS,
        ),
        ({"is_all_rating": "0", "is_all_products_rating": "1"}, ALL_PRODUCTS),
        ({"is_store_rating": "1"}, STORE),
        ({"is_store_rating": "1", "product_id": "111", "product_handle": "shirt-h"}, STORE),
        ({"is_all_rating": "false", "is_store_rating": "true"}, STORE),
        ({"product_id": "111"}, SHIRT),
        ({"product_id": "111", "product_handle": "nothing"}, SHIRT),
        ({"is_store_rating": "0", "product_id": "222"}, OTHER),
        ({"product_id": "0"}, STORE),
        ({"product_handle": "Shirt-H"}, SHIRT),
        ({"product_handle": "SHIRT-h"}, SHIRT),
        ({"is_all_rating": "", "product_id": "undefined", "product_handle": "shirt-h"}, SHIRT),
        ({"product_id": "null", "is_store_rating": "1"}, STORE),
        ({"product_id": "999"}, NO_RATING),
        ({"product_handle": "unknown-handle"}, NO_RATING),
    ],
)
async def test_precedence_and_scopes(
    shop: ShopApi, params: dict[str, str], expected: dict[str, Any]
) -> None:
    await _catalogue(shop)
    assert await rating(shop, params) == expected


async def test_legacy_prefix(shop: ShopApi) -> None:
    await create(shop, product_id="111", rating=4)
    resp = await raw_get(shop, "/api/v1/open_api/get_rating", "product_id=111")
    assert ok(resp) == expected_rating([0, 0, 0, 1, 0])


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"is_all_rating": "0"},
        {"is_all_rating": "0", "is_all_products_rating": "0", "is_store_rating": "0"},
        {"product_id": "", "product_handle": "null", "is_store_rating": "undefined"},
    ],
)
async def test_no_target_is_code_3(shop: ShopApi, params: dict[str, str]) -> None:
    body = error(await shop.get("get_rating", params), 3, 400)
    assert "product_id" in body["message"] and body["data"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"is_all_rating": "2"}, "is_all_rating"),
        ({"is_all_products_rating": "yes"}, "is_all_products_rating"),
        ({"is_store_rating": "-1"}, "is_store_rating"),
        ({"product_id": "a b"}, "product_id"),
        ({"product_id": "x" * 65}, "product_id"),
    ],
)
async def test_malformed_parameter_is_code_3(
    shop: ShopApi, params: dict[str, str], field: str
) -> None:
    assert field in error(await shop.get("get_rating", params), 3, 400)["message"]


async def test_nul_in_product_handle_is_code_3(shop: ShopApi) -> None:
    body = error(await raw_get(shop, "/api/v1/openapi/get_rating", "product_handle=x%00"), 3, 400)
    assert "product_handle" in body["message"]


@pytest.mark.parametrize(
    ("ratings", "value"),
    [
        ([5, 5, 5, 4], "4.8"),  # 19 over 4 = 4.75, the spec's example
        ([5] * 8 + [4, 3], "4.7"),  # 47 over 10, the spec's example
        ([5, 4, 4, 4], "4.3"),  # 4.25 rounds half up (not to even)
        ([5] + [4] * 19, "4.1"),  # 4.05 rounds half up (float rounding gives 4.0)
        ([5, 5, 4], "4.7"),  # 4.666...
        ([4, 4, 5], "4.3"),  # 4.333...
        ([1, 2], "1.5"),
        ([5], "5.0"),
        ([1], "1.0"),
        ([3, 3, 3], "3.0"),
    ],
)
async def test_rounding(shop: ShopApi, ratings: list[int], value: str) -> None:
    for stars in ratings:
        await create(shop, product_id="111", rating=stars)
    got = await rating(shop, {"product_id": "111"})
    counts = [ratings.count(n) for n in range(1, 6)]
    assert got == {
        "rating_value": value,
        "review_count": len(ratings),
        **{f"star{n}_count": counts[n - 1] for n in range(1, 6)},
    }
    assert isinstance(got["rating_value"], str)


async def test_spec_example_counts(shop: ShopApi) -> None:
    for stars in [5] * 8 + [4, 3]:
        await create(shop, product_id="9200305176832", rating=stars)
    assert await rating(shop, {"product_id": "9200305176832"}) == {
        "rating_value": "4.7",
        "review_count": 10,
        "star1_count": 0,
        "star2_count": 0,
        "star3_count": 1,
        "star4_count": 1,
        "star5_count": 8,
    }


async def test_no_reviews_is_zero(shop: ShopApi) -> None:
    for params in (
        {"is_all_rating": 1},
        {"is_all_products_rating": 1},
        {"is_store_rating": 1},
        {"product_id": "111"},
        {"product_handle": "h"},
    ):
        assert await rating(shop, params) == NO_RATING


async def test_unpublished_and_deleted_are_not_counted(shop: ShopApi) -> None:
    await create(shop, product_id="111", rating=1, is_published=0)
    gone = await create(shop, product_id="111", rating=2)
    await delete(shop, gone["id"])
    for params in ({"product_id": "111"}, {"is_all_rating": 1}, {"is_all_products_rating": 1}):
        assert await rating(shop, params) == NO_RATING
    await create(shop, product_id="111", rating=4)
    assert await rating(shop, {"product_id": "111"}) == expected_rating([0, 0, 0, 1, 0])


async def test_rating_is_read_from_aggregate_rows(shop: ShopApi, ctx: AppContext) -> None:
    await create(shop, product_id="111", rating=5)
    await create(shop, product_id="111", rating=4)
    await create(shop, rating=2)
    rows = await aggregate_rows(ctx, shop.shop_id)
    assert rows == {
        ("product", "111"): [0, 0, 0, 1, 1],
        ("product", "0"): [0, 1, 0, 0, 0],
        ("all_products", ""): [0, 0, 0, 1, 1],
        ("all", ""): [0, 1, 0, 1, 1],
    }
    assert rows == await recount(ctx, shop.shop_id)
    # Change a row behind the API's back: get_rating reports the row, so it never scans.
    async with ctx.db.session(write=True) as session:
        await session.execute(
            sql_update(RatingAggregate)
            .where(
                RatingAggregate.shop_id == shop.shop_id,
                RatingAggregate.scope == "product",
                RatingAggregate.product_id == "111",
            )
            .values(star1_count=3)
        )
    assert await rating(shop, {"product_id": "111"}) == expected_rating([3, 0, 0, 1, 1])
    assert await rating(shop, {"is_all_products_rating": 1}) == expected_rating([0, 0, 0, 1, 1])


async def _check_consistent(shop: ShopApi, ctx: AppContext, products: list[str]) -> None:
    rows = await aggregate_rows(ctx, shop.shop_id)
    counted = await recount(ctx, shop.shop_id)
    assert rows == counted
    zero = [0] * 5
    for pid in products:
        got = await rating(shop, {"product_id": pid})
        assert got == expected_rating(counted.get(("product", pid), zero)), pid
    assert await rating(shop, {"is_all_products_rating": 1}) == expected_rating(
        counted.get(("all_products", ""), zero)
    )
    assert await rating(shop, {"is_all_rating": 1}) == expected_rating(
        counted.get(("all", ""), zero)
    )


@pytest.mark.parametrize("seed", [7, 1234, 99991])
async def test_random_writes_keep_aggregates_equal_to_recount(
    shop: ShopApi, ctx: AppContext, seed: int
) -> None:
    rng = random.Random(seed)
    products = ["0", "111", "222", "333"]
    live: list[str] = []
    for step in range(60):
        action = rng.choice(["create", "create", "publish", "hide", "edit", "delete"])
        if action == "create" or not live:
            made = await create(
                shop,
                product_id=rng.choice(products),
                rating=rng.randint(1, 5),
                is_published=rng.choice([0, 1, 1]),
            )
            live.append(made["id"])
        elif action in ("publish", "hide"):
            await update(shop, rng.choice(live), is_published=int(action == "publish"))
        elif action == "edit":
            await update(shop, rng.choice(live), is_featured=rng.randint(0, 1), title=str(step))
        else:
            await delete(shop, live.pop(rng.randrange(len(live))))
        if step % 20 == 19:
            await _check_consistent(shop, ctx, products)
    await _check_consistent(shop, ctx, products)
