"""The merchant's list of reviews (reviews/merchant_list.py, the back office's source): the
pending, hidden, unanswered, author email and date filters, keyset pages in every order that
never skip or repeat a review, the capped pending count, and the shop boundary."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import InvalidArgument
from shopreviews.reviews import service as review_service
from shopreviews.reviews.service import ReviewFilter
from tests.support.api import ShopApi
from tests.support.reviews import create, update


def seconds(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


async def ids(ctx: AppContext, shop: ShopApi, flt: ReviewFilter, size: int = 50) -> list[str]:
    async with ctx.db.session(write=False) as session:
        page = await review_service.merchant_page(session, shop.shop_id, flt, None, size)
    return [item.review.id for item in page.reviews]


async def statuses(ctx: AppContext, shop: ShopApi) -> dict[str, str]:
    async with ctx.db.session(write=False) as session:
        page = await review_service.merchant_page(
            session, shop.shop_id, ReviewFilter(published=None), None, 50
        )
    return {item.review.id: item.status for item in page.reviews}


async def test_filters(ctx: AppContext, shop: ShopApi, other_shop: ShopApi) -> None:
    published = await create(
        shop, author_email="Ann@Example.com", commented_at="2026-01-01 09:00:00"
    )
    pending = await create(shop, is_published=0, commented_at="2026-01-02 09:00:00")
    hidden = await create(shop, reply={"content": "Hi"}, commented_at="2026-01-03 09:00:00")
    await update(shop, hidden["id"], is_published=0)
    await create(other_shop, is_published=0, author_email="ann@example.com")
    every = ReviewFilter(published=None)
    assert await ids(ctx, shop, every) == [hidden["id"], pending["id"], published["id"]]
    assert await statuses(ctx, shop) == {
        published["id"]: "published",
        pending["id"]: "pending",
        hidden["id"]: "hidden",
    }
    assert await ids(ctx, shop, ReviewFilter(published=False, decided=False)) == [pending["id"]]
    assert await ids(ctx, shop, ReviewFilter(published=False, decided=True)) == [hidden["id"]]
    assert await ids(ctx, shop, ReviewFilter(published=None, unanswered=True)) == [
        pending["id"],
        published["id"],
    ]
    by_email = ReviewFilter(published=None, author_email="ANN@example.COM")
    assert await ids(ctx, shop, by_email) == [published["id"]]
    day = ReviewFilter(
        published=None,
        commented_from=seconds("2026-01-02T00:00:00"),
        commented_before=seconds("2026-01-03T00:00:00"),
    )
    assert await ids(ctx, shop, day) == [pending["id"]]
    async with ctx.db.session(write=False) as session:
        assert await review_service.pending_count(session, shop.shop_id, 10) == 1


async def test_the_pending_count_stops_at_its_cap(ctx: AppContext, shop: ShopApi) -> None:
    for _ in range(4):
        await create(shop, is_published=0)
    async with ctx.db.session(write=False) as session:
        assert await review_service.pending_count(session, shop.shop_id, 3) == 3
        assert await review_service.pending_count(session, shop.shop_id, 10) == 4


@pytest.mark.parametrize("product_ids", [(), ("p1",)])
@pytest.mark.parametrize(
    "sort_by", ["created-descending", "created-ascending", "rating-descending", "rating-ascending"]
)
async def test_cursor_pages_cover_every_review_once(
    ctx: AppContext, shop: ShopApi, sort_by: str, product_ids: tuple[str, ...]
) -> None:
    """Every order, also read rating by rating and state by state (merged in the repository:
    page_by_rating, page_by_state), gives each review once, in the order one query gives."""
    made: list[dict[str, Any]] = []
    for i in range(11):
        # Ties on purpose: equal times and ratings are ordered by id.
        made.append(
            await create(
                shop,
                product_id="p1",
                rating=1 + i % 3,
                is_published=i % 2,
                commented_at=f"2026-02-0{1 + i % 4} 12:00:00",
            )
        )
    other = await create(shop, product_id="p2", commented_at="2026-02-02 12:00:00")
    listed = made if product_ids else [*made, other]  # p2 only without the product filter
    flt = ReviewFilter(published=None, sort_by=sort_by, product_ids=product_ids)
    expected = await ids(ctx, shop, flt)

    def key(r: dict[str, Any]) -> tuple[int, ...]:
        at, rid = seconds(r["commented_at"].replace(" ", "T")), int(r["id"])
        by_rating = {"rating-descending": -r["rating"], "rating-ascending": r["rating"]}
        if sort_by == "created-ascending":
            return (at, rid)
        return (by_rating.get(sort_by, 0), -at, -rid)

    # The order, computed here: whether one query or merged reads give the first page.
    assert expected == [r["id"] for r in sorted(listed, key=key)]
    seen: list[str] = []
    cursor: str | None = None
    async with ctx.db.session(write=False) as session:
        while True:
            page = await review_service.merchant_page(session, shop.shop_id, flt, cursor, 3)
            seen += [item.review.id for item in page.reviews]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
    assert seen == expected


async def test_a_cursor_of_another_order_is_refused(ctx: AppContext, shop: ShopApi) -> None:
    for _ in range(3):
        await create(shop)
    newest = ReviewFilter(published=None)
    async with ctx.db.session(write=False) as session:
        page = await review_service.merchant_page(session, shop.shop_id, newest, None, 2)
        oldest = ReviewFilter(published=None, sort_by="created-ascending")
        with pytest.raises(InvalidArgument):
            await review_service.merchant_page(session, shop.shop_id, oldest, page.next_cursor, 2)


async def test_products_named_by_handle_or_id(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    await create(shop, product_id="71", product_handle="Wool-Hat")
    await create(shop, product_id="72", product_handle="wool-hat")
    async with ctx.db.session(write=False) as session:
        assert sorted(await review_service.products_named(session, shop.shop_id, "WOOL-HAT")) == [
            "71",
            "72",
            "WOOL-HAT",
        ]
        assert await review_service.products_named(session, shop.shop_id, "71") == ("71",)
