"""Concurrent writes keep the rating aggregates exact (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import random

from shopreviews.kit.context import AppContext
from tests.reviews.helpers import aggregate_rows, expected_rating, rating, recount
from tests.support.api import ShopApi, ok
from tests.support.reviews import create, list_data


async def test_concurrent_creates_on_one_product(shop: ShopApi, ctx: AppContext) -> None:
    # The handle is set once beforehand: with it on every request, each create would lock the
    # catalogue row first and so run one after another, hiding lost aggregate updates.
    await create(shop, product_id="9200305176832", product_handle="linen-shirt", rating=5)
    ratings = [1 + i % 5 for i in range(50)]  # ten of each star value
    responses = await asyncio.gather(
        *(
            shop.post(
                "create_review",
                {"product_id": "9200305176832", "rating": stars, "author": f"Buyer {i}"},
            )
            for i, stars in enumerate(ratings)
        )
    )
    created = [ok(resp) for resp in responses]
    assert len({r["id"] for r in created}) == 50
    assert {r["product_handle"] for r in created} == {"linen-shirt"}
    expected = expected_rating([10, 10, 10, 10, 11])
    assert expected["review_count"] == 51 and expected["rating_value"] == "3.0"
    for params in (
        {"product_id": "9200305176832"},
        {"product_handle": "linen-shirt"},
        {"is_all_products_rating": 1},
        {"is_all_rating": 1},
    ):
        assert await rating(shop, params) == expected, params
    assert (await rating(shop, {"is_store_rating": 1}))["review_count"] == 0
    assert await aggregate_rows(ctx, shop.shop_id) == await recount(ctx, shop.shop_id)
    assert (await list_data(shop, {"page_size": 100}))["page"]["count"] == 51


async def test_concurrent_creates_across_scopes(shop: ShopApi, ctx: AppContext) -> None:
    rng = random.Random(2024)
    specs = [(rng.choice(["0", "111", "222"]), rng.randint(1, 5)) for _ in range(50)]
    await asyncio.gather(*(create(shop, product_id=pid, rating=r) for pid, r in specs))
    counted = await recount(ctx, shop.shop_id)
    assert await aggregate_rows(ctx, shop.shop_id) == counted
    stars = [sum(1 for _, r in specs if r == n) for n in range(1, 6)]
    assert await rating(shop, {"is_all_rating": 1}) == expected_rating(stars)
    product_stars = [sum(1 for p, r in specs if r == n and p != "0") for n in range(1, 6)]
    assert await rating(shop, {"is_all_products_rating": 1}) == expected_rating(product_stars)
    store_stars = [sum(1 for p, r in specs if r == n and p == "0") for n in range(1, 6)]
    assert await rating(shop, {"is_store_rating": 1}) == expected_rating(store_stars)


async def test_concurrent_publish_and_hide(shop: ShopApi, ctx: AppContext) -> None:
    reviews = [
        await create(shop, product_id="111" if i % 3 else "0", rating=1 + i % 5) for i in range(10)
    ]
    rng = random.Random(77)
    # Several requests race on each review, in both directions.
    bodies = [
        {"id": rng.choice(reviews)["id"], "is_published": rng.randint(0, 1)} for _ in range(60)
    ]
    responses = await asyncio.gather(*(shop.post("update_review", b) for b in bodies))
    for resp in responses:
        ok(resp)
    counted = await recount(ctx, shop.shop_id)
    assert await aggregate_rows(ctx, shop.shop_id) == counted
    zero = [0] * 5
    assert await rating(shop, {"product_id": "111"}) == expected_rating(
        counted.get(("product", "111"), zero)
    )
    assert await rating(shop, {"is_all_rating": 1}) == expected_rating(
        counted.get(("all", ""), zero)
    )
    # Then every review is published at once: all ten count.
    await asyncio.gather(
        *(shop.post("update_review", {"id": r["id"], "is_published": 1}) for r in reviews)
    )
    assert (await rating(shop, {"is_all_rating": 1}))["review_count"] == 10
    assert await aggregate_rows(ctx, shop.shop_id) == await recount(ctx, shop.shop_id)


async def test_concurrent_mixed_writes(shop: ShopApi, ctx: AppContext) -> None:
    reviews = [await create(shop, product_id="111", rating=1 + i % 5) for i in range(20)]
    rng = random.Random(5)
    calls = []
    for review in reviews:
        choice = rng.choice(["hide", "delete", "edit", "both"])
        if choice in ("hide", "both"):
            calls.append(shop.post("update_review", {"id": review["id"], "is_published": 0}))
        if choice in ("delete", "both"):
            calls.append(shop.post("delete_review", {"id": review["id"]}))
        if choice == "edit":
            calls.append(shop.post("update_review", {"id": review["id"], "is_top": 1}))
    calls += [
        shop.post("create_review", {"product_id": "111", "rating": r, "author": "New"})
        for r in (1, 2, 3, 4, 5)
    ]
    responses = await asyncio.gather(*calls)
    # Each request succeeds, or (a hide racing a delete of the same review) finds it gone.
    assert all(resp.json()["code"] in (0, 5) for resp in responses)
    assert await aggregate_rows(ctx, shop.shop_id) == await recount(ctx, shop.shop_id)
