"""The `cursor` extension of get_reviews: walking a list by `page.next_cursor` gives exactly
the rows of walking it by page number, in every sort order, with ties and filters."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support.api import ShopApi, error
from tests.support.reviews import create, delete, list_data

SORTS = ["created-descending", "created-ascending", "rating-descending", "rating-ascending"]


async def _walk_pages(shop: ShopApi, query: dict[str, Any], size: int) -> list[str]:
    ids: list[str] = []
    page = 1
    while True:
        data = await list_data(shop, {**query, "page": page, "page_size": size})
        ids += [r["id"] for r in data["list"]]
        if page >= data["page"]["total_page"]:
            assert data["page"]["next_cursor"] == ""
            return ids
        page += 1


async def _walk_cursor(shop: ShopApi, query: dict[str, Any], size: int) -> list[str]:
    ids: list[str] = []
    data = await list_data(shop, {**query, "page_size": size})
    while True:
        ids += [r["id"] for r in data["list"]]
        cursor = data["page"]["next_cursor"]
        if not cursor:
            return ids
        assert len(data["list"]) == size  # only full pages name a next one
        # `page` is ignored once a cursor is given.
        data = await list_data(shop, {**query, "page_size": size, "page": 7, "cursor": cursor})


@pytest.fixture
async def ties(shop: ShopApi) -> list[dict[str, Any]]:
    """17 reviews with repeated ratings and repeated commented_at (ties are broken by id)."""
    made = []
    for i in range(17):
        made.append(
            await create(
                shop,
                rating=1 + i % 3 * 2,  # 1, 3, 5
                commented_at=f"2026-03-0{1 + i % 4} 10:00:00",
                product_id="p-1" if i % 2 else "0",
            )
        )
    return made


@pytest.mark.parametrize("sort_by", SORTS)
@pytest.mark.parametrize("size", [1, 4, 17, 20])
async def test_cursor_walk_equals_page_walk(
    shop: ShopApi, ties: list[dict[str, Any]], sort_by: str, size: int
) -> None:
    query = {"sort_by": sort_by}
    by_page = await _walk_pages(shop, query, size)
    assert sorted(by_page) == sorted(r["id"] for r in ties)
    assert await _walk_cursor(shop, query, size) == by_page


@pytest.mark.parametrize(
    "query",
    [{"product_id": "p-1"}, {"ratings": "1,5"}, {"is_store_review": "1"}, {"is_published": "all"}],
)
async def test_cursor_with_filters(
    shop: ShopApi, ties: list[dict[str, Any]], query: dict[str, Any]
) -> None:
    by_page = await _walk_pages(shop, {**query, "sort_by": "rating-ascending"}, 3)
    assert by_page  # the filter matches something
    assert await _walk_cursor(shop, {**query, "sort_by": "rating-ascending"}, 3) == by_page


async def test_a_cursor_survives_deletions_without_repeats(
    shop: ShopApi, ties: list[dict[str, Any]]
) -> None:
    first = await list_data(shop, {"page_size": 5})
    # The rows of the first page go away: offset paging would now skip five rows.
    for review in first["list"]:
        await delete(shop, review["id"])
    rest = await list_data(shop, {"page_size": 20, "cursor": first["page"]["next_cursor"]})
    expected = await _walk_pages(shop, {}, 20)
    assert [r["id"] for r in rest["list"]] == expected


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "e30",  # {}
        base64.urlsafe_b64encode(b'{"v":2,"s":"created-descending","r":1,"t":1,"i":1}').decode(),
        base64.urlsafe_b64encode(b'{"v":1,"s":"created-descending","r":"1","t":1,"i":1}').decode(),
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        "A" * 300,
    ],
)
async def test_a_malformed_cursor_is_code_3(shop: ShopApi, cursor: str) -> None:
    body = error(await shop.get("get_reviews", [("cursor", cursor)]), 3, 400)
    assert "cursor" in body["message"]


async def test_a_cursor_of_another_sort_order_is_code_3(
    shop: ShopApi, ties: list[dict[str, Any]]
) -> None:
    data = await list_data(shop, {"page_size": 2, "sort_by": "rating-descending"})
    cursor = data["page"]["next_cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert decoded["s"] == "rating-descending" and decoded["i"] == int(data["list"][-1]["id"])
    body = error(
        await shop.get("get_reviews", [("cursor", cursor), ("sort_by", "created-ascending")]),
        3,
        400,
    )
    assert "rating-descending" in body["message"]


async def test_another_shops_cursor_reads_only_this_shops_reviews(
    shop: ShopApi, other_shop: ShopApi, ties: list[dict[str, Any]]
) -> None:
    mine = await list_data(shop, {"page_size": 2})
    theirs = await list_data(other_shop, {"cursor": mine["page"]["next_cursor"]})
    assert theirs["list"] == [] and theirs["page"]["next_cursor"] == ""
