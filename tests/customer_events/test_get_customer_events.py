"""get_customer_events (spec orders-events-customers.md): filters, time bounds, both sorts
with ties, paging, parameter errors, the legacy spelling and tenant isolation."""

from __future__ import annotations

from typing import Any

import pytest

from shopreviews.kit.context import AppContext
from tests.customer_events.helpers import EVENT_FIELDS, record
from tests.support.api import ShopApi, error, ok
from tests.support.customer_events import post_events

# name -> (created_at, event_type, event_source, os_type); e1 and e2 share a second.
EVENTS = {
    "e1": ("2026-06-01 10:00:00", "CLICK_MEDIA", "STOREFRONT", "IOS"),
    "e2": ("2026-06-01 10:00:00", "VIEW_REVIEW", "STOREFRONT", "ANDROID"),
    "e3": ("2026-06-02 12:00:00", "OPEN_EMAIL", "EMAIL", "WINDOWS"),
    "e4": ("2026-06-03 00:00:00", "CLICK_MEDIA", "STOREFRONT", "OTHER"),
    "e5": ("2026-06-03 23:59:59", "UNSUBSCRIBE_EMAIL", "EMAIL", "MACOS"),
    "e6": ("2026-06-04 00:00:00", "CLICK_MEDIA", "ADMIN", "LINUX"),
}
NEWEST_FIRST = ["e6", "e5", "e4", "e3", "e2", "e1"]


@pytest.fixture
async def seeded(ctx: AppContext, shop: ShopApi) -> dict[str, str]:
    """The events above stored for `shop`, in name order; name -> id."""
    ids = {}
    for name, (created_at, event_type, source, os_type) in EVENTS.items():
        ids[name] = await record(
            ctx,
            shop.shop_id,
            created_at,
            event_type,
            event_source=source,
            os_type=os_type,
            customer_id=f"c-{name}",
            page_url=f"https://example-shop.myshopify.com/{name}",
        )
    return ids


async def names(shop: ShopApi, ids: dict[str, str], **params: Any) -> list[str]:
    data = ok(await shop.get("get_customer_events", {"page_size": 100, **params}))
    by_id = {v: k for k, v in ids.items()}
    assert data["page"]["count"] == len(data["list"])
    return [by_id[item["id"]] for item in data["list"]]


async def test_items_have_the_contract_shape(shop: ShopApi, seeded: dict[str, str]) -> None:
    data = ok(await shop.get("get_customer_events", {"event_type": "OPEN_EMAIL"}))
    assert data == {
        "page": {"page": 1, "page_size": 20, "total_page": 1, "count": 1},
        "list": [
            {
                "id": seeded["e3"],
                "event_type": "OPEN_EMAIL",
                "event_source": "EMAIL",
                "os_type": "WINDOWS",
                "customer_id": "c-e3",
                "customer_email": "",
                "product_id": "",
                "review_id": "",
                "page_url": "https://example-shop.myshopify.com/e3",
                "created_at": "2026-06-02T12:00:00Z",
            }
        ],
    }
    assert set(data["list"][0]) == EVENT_FIELDS


async def test_both_sorts_break_ties_by_id_in_the_same_direction(
    shop: ShopApi, seeded: dict[str, str]
) -> None:
    assert await names(shop, seeded) == NEWEST_FIRST
    assert await names(shop, seeded, sort_by="created-descending") == NEWEST_FIRST
    assert await names(shop, seeded, sort_by="created-ascending") == NEWEST_FIRST[::-1]
    for value in ("", "undefined", "null"):  # empty means unset: the default order
        assert await names(shop, seeded, sort_by=value) == NEWEST_FIRST


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"event_type": "CLICK_MEDIA"}, ["e6", "e4", "e1"]),
        ({"event_type": "click_media"}, ["e6", "e4", "e1"]),
        ({"event_type": " Click_Media "}, ["e6", "e4", "e1"]),
        ({"event_type": "NEW_KIND_OF_EVENT"}, []),
        ({"event_type": "x" * 64}, []),
        ({"event_type": "CLICK"}, []),
        ({"os_type": "ios"}, ["e1"]),
        ({"os_type": "MACOS"}, ["e5"]),
        ({"os_type": "BLACKBERRY"}, []),
        ({"event_source": "email"}, ["e5", "e3"]),
        ({"event_source": "Admin"}, ["e6"]),
        ({"event_type": "CLICK_MEDIA", "event_source": "STOREFRONT"}, ["e4", "e1"]),
        ({"event_type": "CLICK_MEDIA", "os_type": "LINUX"}, ["e6"]),
        ({"event_type": "", "os_type": "undefined", "event_source": "null"}, NEWEST_FIRST),
    ],
)
async def test_code_filters(
    shop: ShopApi, seeded: dict[str, str], params: dict[str, str], expected: list[str]
) -> None:
    assert await names(shop, seeded, **params) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"start_time": "2026-06-02", "end_time": "2026-06-03"}, ["e5", "e4", "e3"]),
        ({"start_time": "2026-06-01 10:00:00"}, NEWEST_FIRST),
        ({"start_time": "2026-06-01 10:00:01"}, ["e6", "e5", "e4", "e3"]),
        ({"end_time": "2026-06-01 10:00:00"}, ["e2", "e1"]),
        ({"end_time": "2026-06-01"}, ["e2", "e1"]),  # a date alone: the end of that day
        ({"start_time": "1780401600"}, ["e6", "e5", "e4", "e3"]),  # 2026-06-02T12:00:00Z
        ({"end_time": "2026-06-03T01:59:59+02:00"}, ["e3", "e2", "e1"]),
        ({"start_time": "2026-06-03T23:59:59Z", "end_time": "2026-06-03T23:59:59Z"}, ["e5"]),
        ({"start_time": "2026-06-05"}, []),
        ({"end_time": "2026-05-31"}, []),
        ({"start_time": "2026-06-02", "event_type": "click_media"}, ["e6", "e4"]),
    ],
)
async def test_time_bounds_are_inclusive(
    shop: ShopApi, seeded: dict[str, str], params: dict[str, str], expected: list[str]
) -> None:
    assert await names(shop, seeded, **params) == expected
    ascending = await names(shop, seeded, sort_by="created-ascending", **params)
    assert ascending == expected[::-1]


async def test_paging(shop: ShopApi, seeded: dict[str, str]) -> None:
    by_id = {v: k for k, v in seeded.items()}
    pages = []
    for page in (1, 2, 3):
        data = ok(await shop.get("get_customer_events", {"page": page, "page_size": 4}))
        assert data["page"] == {"page": page, "page_size": 4, "total_page": 2, "count": 6}
        pages.append([by_id[e["id"]] for e in data["list"]])
    assert pages == [NEWEST_FIRST[:4], NEWEST_FIRST[4:], []]
    data = ok(await shop.get("get_customer_events", {"page_size": 500}))
    assert data["page"] == {"page": 1, "page_size": 100, "total_page": 1, "count": 6}
    data = ok(
        await shop.get(
            "get_customer_events",
            {
                "event_type": "CLICK_MEDIA",
                "sort_by": "created-ascending",
                "page": 2,
                "page_size": 2,
            },
        )
    )
    assert data["page"] == {"page": 2, "page_size": 2, "total_page": 2, "count": 3}
    assert [by_id[e["id"]] for e in data["list"]] == ["e6"]


async def test_empty_shop_lists_nothing(shop: ShopApi) -> None:
    data = ok(await shop.get("get_customer_events"))
    assert data == {"page": {"page": 1, "page_size": 20, "total_page": 0, "count": 0}, "list": []}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"event_type": "CLICK-MEDIA"}, "event_type"),
        ({"event_type": "CLICK MEDIA"}, "event_type"),
        ({"event_type": "x" * 65}, "event_type"),
        ({"event_type": "ÉVÉNEMENT"}, "event_type"),
        ({"event_type": "%"}, "event_type"),
        ({"os_type": "i.o.s"}, "os_type"),
        ({"event_source": "EMAIL,STOREFRONT"}, "event_source"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"start_time": "2026-02-30"}, "start_time"),
        ({"end_time": "12345678901"}, "end_time"),
        ({"start_time": "2026-06-03", "end_time": "2026-06-02"}, "start_time"),
        ({"start_time": "2026-06-02 00:00:01", "end_time": "1780358400"}, "start_time"),
        ({"sort_by": "rating-descending"}, "sort_by"),
        ({"sort_by": "newest"}, "sort_by"),
        ({"page": "0"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page": "two"}, "page"),
    ],
)
async def test_bad_parameters_are_code_3(shop: ShopApi, params: dict[str, str], field: str) -> None:
    body = error(await shop.get("get_customer_events", params), 3, 400)
    assert body["message"].startswith(f"invalid argument: {field}"), body["message"]
    assert body["data"] is None


async def test_legacy_spellings(shop: ShopApi, seeded: dict[str, str]) -> None:
    expected = ok(await shop.get("get_customer_events", {"event_type": "click_media"}))
    pairs = [("event_type", "click_media")]
    for path in (
        "/api/v1/open_api/customer_events",
        "/api/v1/openapi/customer_events",
        "/api/v1/open_api/get_customer_events",
        "/api/v1/openapi/get_customer_events/",
    ):
        response = await shop.client.get(
            f"{path}?event_type=click_media", headers=shop.headers(pairs)
        )
        assert ok(response) == expected, path


async def test_unsigned_request_is_code_16(shop: ShopApi) -> None:
    error(await shop.client.get("/api/v1/openapi/get_customer_events"), 16, 401)


async def test_tenant_isolation(
    ctx: AppContext, shop: ShopApi, other_shop: ShopApi, seeded: dict[str, str]
) -> None:
    # Shop A's events, stored and posted through the storefront, never show for shop B.
    body = {"events": [{"event_type": "CLICK_MEDIA", "customer_id": "c-a"}]}
    ok(await post_events(shop.client, shop.myshopify_domain, body))
    empty = {"page": {"page": 1, "page_size": 20, "total_page": 0, "count": 0}, "list": []}
    assert ok(await other_shop.get("get_customer_events")) == empty
    for params in (
        {"event_type": "CLICK_MEDIA"},
        {"event_source": "EMAIL"},
        {"start_time": "2026-01-01"},
        {"sort_by": "created-ascending"},
    ):
        assert ok(await other_shop.get("get_customer_events", params)) == empty
    # B's own storefront event is B's only.
    b_body = {"events": [{"event_type": "VIEW_REVIEW", "customer_id": "c-b"}]}
    ok(await post_events(other_shop.client, other_shop.myshopify_domain, b_body))
    b_list = ok(await other_shop.get("get_customer_events"))["list"]
    assert [e["customer_id"] for e in b_list] == ["c-b"]
    a_list = ok(await shop.get("get_customer_events", {"page_size": 100}))["list"]
    assert "c-b" not in {e["customer_id"] for e in a_list}
    assert len(a_list) == len(seeded) + 1
    # A's page cannot post into B: the origin of A's domain is not B's.
    refused = await post_events(
        other_shop.client,
        other_shop.myshopify_domain,
        body,
        origin=f"https://{shop.myshopify_domain}",
    )
    error(refused, 7, 403)
    assert len(ok(await other_shop.get("get_customer_events"))["list"]) == 1
