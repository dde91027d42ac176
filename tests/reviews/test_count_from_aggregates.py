"""get_reviews' `page.count` comes from the rating aggregates whenever the filters allow; it
must always equal the number of rows the same filters select."""

from __future__ import annotations

import itertools
import random

from sqlalchemy import func, select

from shopreviews.kit.context import AppContext
from shopreviews.reviews.models import Review
from shopreviews.reviews.repository import ReviewFilter, ReviewRepository
from tests.support.api import ShopApi
from tests.support.reviews import create, delete, update


async def _counts(ctx: AppContext, shop_id: str, flt: ReviewFilter) -> tuple[int, int, bool]:
    """(count as get_reviews gives it, rows really matching, whether aggregates answered)."""
    async with ctx.db.session(write=False) as session:
        repo = ReviewRepository(session, shop_id)
        answered = await repo._count_from_aggregates(flt)
        given = await repo.count(flt)
        rows = await session.execute(repo._filtered(select(func.count(Review.id)), flt))
        return given, int(rows.scalar_one()), answered is not None


async def test_count_matches_the_rows_for_every_filter_combination(
    ctx: AppContext, shop: ShopApi, other_shop: ShopApi
) -> None:
    rng = random.Random(7)
    products = ["p-1", "p-2", "p-3", "0"]
    created = []
    for i in range(48):
        product = rng.choice(products)
        fields = {"rating": rng.randint(1, 5), "is_published": int(rng.random() < 0.8)}
        if product != "0":
            fields |= {"product_id": product, "product_handle": f"h-{product[-1]}"}
        created.append(await create(shop, title=f"review {i}", **fields))
    # Deleted and re-hidden reviews must leave the aggregates and the rows in step.
    for review in created[:4]:
        await delete(shop, review["id"])
    for review in created[4:8]:
        await update(shop, review["id"], is_published=1 - review["is_published"])
    await create(other_shop, product_id="p-1", rating=5)  # another shop's review never counts

    checked = answered_by_aggregates = 0
    product_sets: list[list[str]] = [[], ["p-1"], ["p-1", "0"], ["p-2", "p-3"], ["nope"]]
    for product_ids, handle, store, ratings in itertools.product(
        product_sets, [None, "H-1", "h-none"], [None, True, False], [[], [5], [1, 2, 4]]
    ):
        for published in (True, None, False):
            flt = ReviewFilter(
                product_ids=product_ids,
                product_handle=handle,
                is_store_review=store,
                ratings=ratings,
                published=published,
            )
            given, rows, answered = await _counts(ctx, shop.shop_id, flt)
            assert given == rows, flt
            checked += 1
            answered_by_aggregates += answered
            assert answered == (published is True), flt
    assert checked == 5 * 3 * 3 * 3 * 3
    assert answered_by_aggregates == checked // 3

    # A keyword or sources filter is always counted over the rows.
    for flt in (ReviewFilter(keyword="review 1"), ReviewFilter(sources=["open api"])):
        given, rows, answered = await _counts(ctx, shop.shop_id, flt)
        assert (given, answered) == (rows, False) and rows > 0
