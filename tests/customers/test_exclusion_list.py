"""get_customer_excludes: filters, sorting with ties, pagination (spec README §3.8-3.10)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.customers.helpers import exclude, excludes
from tests.support.api import Clock, ShopApi, error, ok

EMPTY_PAGE = {"page": {"page": 1, "page_size": 20, "total_page": 0, "count": 0}, "list": []}


async def five(shop: ShopApi, clock: Clock) -> list[dict[str, Any]]:
    """Five exclusions at three times: a; b, c (same second); d, e (same second)."""
    start = int(time.time()) - 300
    made = []
    for offset, body in (
        (0, {"email": "a@example.com"}),
        (10, {"customer_id": "b"}),
        (10, {"email": "c@example.com"}),
        (20, {"customer_id": "d", "email": "D@example.com"}),
        (20, {"customer_id": "e"}),
    ):
        clock.set(start + offset)
        made.append(await exclude(shop, **body))
    return made


def keys(page: dict[str, Any]) -> list[str]:
    return [e["customer_id"] or e["email"] for e in page["list"]]


async def test_empty_list(shop: ShopApi) -> None:
    assert await excludes(shop) == EMPTY_PAGE
    assert ok(await shop.get("get_customer_exclude_list")) == EMPTY_PAGE


async def test_sort_orders_break_ties_by_creation(shop: ShopApi, clock: Clock) -> None:
    made = await five(shop, clock)
    newest_first = ["e", "d", "c@example.com", "b", "a@example.com"]
    assert keys(await excludes(shop)) == newest_first
    assert keys(await excludes(shop, {"sort_by": "created-descending"})) == newest_first
    ascending = await excludes(shop, {"sort_by": "created-ascending"})
    assert keys(ascending) == newest_first[::-1]
    assert ascending["list"] == made
    assert ascending["page"] == {"page": 1, "page_size": 20, "total_page": 1, "count": 5}
    # The legacy name answers the same.
    legacy = ok(await shop.get("get_customer_exclude_list", {"sort_by": "created-ascending"}))
    assert legacy == ascending


async def test_pagination(shop: ShopApi, clock: Clock) -> None:
    await five(shop, clock)
    pages = [await excludes(shop, {"page_size": 2, "page": n}) for n in (1, 2, 3, 4)]
    assert [keys(p) for p in pages] == [["e", "d"], ["c@example.com", "b"], ["a@example.com"], []]
    for number, page in enumerate(pages, start=1):
        assert page["page"] == {"page": number, "page_size": 2, "total_page": 3, "count": 5}
    capped = await excludes(shop, {"page_size": 1000, "sort_by": "created-ascending"})
    assert capped["page"] == {"page": 1, "page_size": 100, "total_page": 1, "count": 5}
    # Empty values mean unset.
    unset = ok(await shop.get("get_customer_excludes", [("page", ""), ("email", "null")]))
    assert unset["page"]["count"] == 5


async def test_filters(shop: ShopApi, clock: Clock) -> None:
    made = await five(shop, clock)
    by_email = await excludes(shop, {"email": " D@EXAMPLE.com "})
    assert by_email["list"] == [made[3]]
    assert by_email["page"] == {"page": 1, "page_size": 20, "total_page": 1, "count": 1}
    assert (await excludes(shop, {"customer_id": "b"}))["list"] == [made[1]]
    assert (await excludes(shop, {"customer_id": "d", "email": "d@example.com"}))["list"] == [
        made[3]
    ]
    # Exact matches only: no prefixes, no other field, no case folding of ids.
    for params in (
        {"email": "d@example.co"},
        {"email": "b@example.com"},
        {"customer_id": "B"},
        {"customer_id": "d", "email": "a@example.com"},
    ):
        assert await excludes(shop, params) == EMPTY_PAGE, params


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort_by": "rating-descending"}, "sort_by"),
        ({"sort_by": "newest"}, "sort_by"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": "1.5"}, "page_size"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@b@c"}, "email"),
        ({"customer_id": "a b"}, "customer_id"),
        ({"customer_id": "1,2"}, "customer_id"),
    ],
)
async def test_invalid_query_is_code_3(shop: ShopApi, params: dict[str, str], field: str) -> None:
    body = error(await shop.get("get_customer_excludes", params), 3, 400)
    assert field in body["message"], body["message"]
