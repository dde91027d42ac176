"""get_orders (spec orders-events-customers.md): filters, times, sorting, pages, the legacy
paths, scopes and tenancy. Orders are inserted directly; intake has its own tests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from tests.orders.helpers import ORDER_FIELDS, add_orders, at, signed_get
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.oauth import API, PlatformCreds, client_credentials, create_platform


async def ids(shop: ShopApi, params: Any = None) -> list[str]:
    """order_id of every listed order (one page of up to 100), in the order given."""
    data = ok(await shop.get("get_orders", {"page_size": 100, **(params or {})}))
    assert data["page"]["count"] == len(data["list"]), data["page"]
    return [item["order_id"] for item in data["list"]]


# One order per status; "o5" and "o6" share created_at (ties are broken by id).
STATUS_ORDERS = [
    {"order_id": "o1", "status": 1, "created_at": "2026-06-01T08:00:00Z"},
    {
        "order_id": "o2",
        "status": 2,
        "created_at": "2026-06-02T08:00:00Z",
        "scheduled_at": "2026-06-09T08:00:00Z",
    },
    {
        "order_id": "o3",
        "status": 3,
        "created_at": "2026-06-03T08:00:00Z",
        "scheduled_at": "2026-06-05T00:00:00Z",
        "sent_at": "2026-06-05T00:00:00Z",
    },
    {
        "order_id": "o4",
        "status": 4,
        "created_at": "2026-06-04T08:00:00Z",
        "scheduled_at": "2026-06-05T23:59:59Z",
        "sent_at": "2026-06-05T23:59:59Z",
    },
    {
        "order_id": "o5",
        "status": 5,
        "created_at": "2026-06-05T08:00:00Z",
        "scheduled_at": "2026-06-06T00:00:00Z",
        "sent_at": "2026-06-06T00:00:00Z",
    },
    {"order_id": "o6", "status": 6, "created_at": "2026-06-05T08:00:00Z"},
]


@pytest.fixture
async def orders(ctx: AppContext, shop: ShopApi) -> ShopApi:
    """`shop` with STATUS_ORDERS."""
    await add_orders(ctx, shop, *STATUS_ORDERS)
    return shop


async def test_body_is_exactly_the_order_object(ctx: AppContext, shop: ShopApi) -> None:
    await add_orders(
        ctx,
        shop,
        {
            "order_id": "5512345678901",
            "order_name": "#1001",
            "customer_id": "7712345678901",
            "customer_email": "jane@example.com",
            "customer_name": "Jane Doe",
            "status": 5,
            "cancel_reason": "",
            "products": [{"product_id": "1", "title": "Shirt", "handle": ""}],
            "created_at": "2026-06-01T14:22:10Z",
            "fulfilled_at": at("2026-05-28T09:00:00Z"),
            "scheduled_at": "2026-06-04T09:00:00Z",
            "sent_at": "2026-06-04T09:00:04Z",
            "evaluated_at": at("2026-06-05T10:00:00Z"),
        },
        {"order_id": "guest-1", "created_at": "2026-06-02T00:00:00Z"},
    )
    data = ok(await shop.get("get_orders", {"sort_by": "created-ascending"}))
    assert data == {
        "page": {"page": 1, "page_size": 20, "total_page": 1, "count": 2},
        "list": [
            {
                "order_id": "5512345678901",
                "order_name": "#1001",
                "customer_id": "7712345678901",
                "customer_email": "jane@example.com",
                "customer_name": "Jane Doe",
                "status": 5,
                "scheduled_at": "2026-06-04T09:00:00Z",
                "sent_at": "2026-06-04T09:00:04Z",
                "created_at": "2026-06-01T14:22:10Z",
            },
            {
                "order_id": "guest-1",
                "order_name": "",
                "customer_id": "",
                "customer_email": "",
                "customer_name": "",
                "status": 1,
                "scheduled_at": "",
                "sent_at": "",
                "created_at": "2026-06-02T00:00:00Z",
            },
        ],
    }
    assert all(set(item) == ORDER_FIELDS for item in data["list"])


async def test_empty_shop_and_empty_values_mean_unset(shop: ShopApi) -> None:
    # The README's worked example B: every parameter present, most of them empty.
    params = [
        ("type", "0"),
        ("start_sent_at", ""),
        ("end_sent_at", ""),
        ("start_time", ""),
        ("end_time", "undefined"),
        ("sort_by", "null"),
        ("page_size", "10"),
        ("page", "1"),
    ]
    data = ok(await shop.get("get_orders", params))
    assert data == {"page": {"page": 1, "page_size": 10, "total_page": 0, "count": 0}, "list": []}


# --- type ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", range(7))
async def test_type_filters_on_status(orders: ShopApi, status: int) -> None:
    expected = ["o6", "o5", "o4", "o3", "o2", "o1"] if status == 0 else [f"o{status}"]
    assert await ids(orders, {"type": status}) == expected


async def test_type_defaults_to_every_status(orders: ShopApi) -> None:
    assert len(await ids(orders)) == 6


@pytest.mark.parametrize("value", ["7", "-1", "abc", "1.0", "01", "0x1", "１"])
async def test_bad_type_is_code_3(shop: ShopApi, value: str) -> None:
    body = error(await shop.get("get_orders", {"type": value}), 3, 400)
    assert "type" in body["message"]


# --- sent_at bounds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # Either bound leaves out the orders never sent (o1, o2, o6).
        ({"start_sent_at": "1970-01-01"}, ["o5", "o4", "o3"]),
        ({"end_sent_at": "2099-12-31"}, ["o5", "o4", "o3"]),
        # A date alone as the end is the end of that day (o4 was sent at 23:59:59).
        ({"end_sent_at": "2026-06-05"}, ["o4", "o3"]),
        ({"start_sent_at": "2026-06-05", "end_sent_at": "2026-06-05"}, ["o4", "o3"]),
        # Inclusive on both ends.
        (
            {"start_sent_at": "2026-06-05 23:59:59", "end_sent_at": "2026-06-06 00:00:00"},
            ["o5", "o4"],
        ),
        ({"start_sent_at": "2026-06-06T00:00:01Z"}, []),
    ],
)
async def test_sent_bounds(orders: ShopApi, params: dict[str, str], expected: list[str]) -> None:
    assert await ids(orders, params) == expected


# --- created_at bounds -----------------------------------------------------------------------


# 2026-06-02T08:00:00Z and 2026-06-04T08:00:00Z in each input form (README §3.5).
START_FORMS = [
    "2026-06-02 08:00:00",
    "1780387200",
    "2026-06-02T10:00:00+02:00",
    "2026-06-02t08:00:00.999z",
]
END_FORMS = ["2026-06-04 08:00:00", "1780560000", "2026-06-04T04:00:00-04:00"]


@pytest.mark.parametrize("start", START_FORMS)
@pytest.mark.parametrize("end", END_FORMS)
async def test_created_bounds_in_every_time_form(orders: ShopApi, start: str, end: str) -> None:
    assert await ids(orders, {"start_time": start, "end_time": end}) == ["o4", "o3", "o2"]


async def test_a_date_alone_is_the_start_or_the_end_of_that_day(orders: ShopApi) -> None:
    assert await ids(orders, {"start_time": "2026-06-05"}) == ["o6", "o5"]
    assert await ids(orders, {"end_time": "2026-06-02"}) == ["o2", "o1"]
    assert await ids(orders, {"start_time": "2026-06-03", "end_time": "2026-06-03"}) == ["o3"]


async def test_time_and_sent_bounds_and_type_combine(orders: ShopApi) -> None:
    params = {"start_time": "2026-06-04", "start_sent_at": "2026-06-01", "type": "4"}
    assert await ids(orders, params) == ["o4"]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"start_time": "2026-06-05", "end_time": "2026-06-04"}, "start_time"),
        ({"start_sent_at": "2026-06-05 00:00:01", "end_sent_at": "1780617600"}, "start_sent_at"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"end_time": "2026-13-01"}, "end_time"),
        ({"start_sent_at": "12345678901"}, "start_sent_at"),
        ({"end_sent_at": "2026-06-05T10:00:00"}, "end_sent_at"),  # RFC 3339 needs a zone
    ],
)
async def test_bad_or_inverted_bounds_are_code_3(
    shop: ShopApi, params: dict[str, str], named: str
) -> None:
    body = error(await shop.get("get_orders", params), 3, 400)
    assert named in body["message"], body


async def test_start_equal_to_end_is_allowed(orders: ShopApi) -> None:
    same = "2026-06-03T08:00:00Z"
    assert await ids(orders, {"start_time": same, "end_time": same}) == ["o3"]


# --- sorting ---------------------------------------------------------------------------------


async def test_sort_both_directions_with_ties_broken_by_id(orders: ShopApi) -> None:
    # o5 and o6 have the same created_at; o5 was inserted first (lower id).
    assert await ids(orders) == ["o6", "o5", "o4", "o3", "o2", "o1"]
    assert await ids(orders, {"sort_by": "created-descending"}) == [
        "o6",
        "o5",
        "o4",
        "o3",
        "o2",
        "o1",
    ]
    assert await ids(orders, {"sort_by": "created-ascending"}) == [
        "o1",
        "o2",
        "o3",
        "o4",
        "o5",
        "o6",
    ]


@pytest.mark.parametrize("value", ["rating-descending", "created", "CREATED-ASCENDING"])
async def test_unknown_sort_is_code_3(shop: ShopApi, value: str) -> None:
    body = error(await shop.get("get_orders", {"sort_by": value}), 3, 400)
    assert "sort_by" in body["message"]


# --- pages -----------------------------------------------------------------------------------


async def test_pages(orders: ShopApi) -> None:
    second = ok(await orders.get("get_orders", {"page": 2, "page_size": 4}))
    assert second["page"] == {"page": 2, "page_size": 4, "total_page": 2, "count": 6}
    assert [o["order_id"] for o in second["list"]] == ["o2", "o1"]
    past = ok(await orders.get("get_orders", {"page": 3, "page_size": 4}))
    assert past == {"page": {"page": 3, "page_size": 4, "total_page": 2, "count": 6}, "list": []}


async def test_page_size_above_100_counts_as_100(ctx: AppContext, shop: ShopApi) -> None:
    await add_orders(
        ctx,
        shop,
        *(
            {
                "order_id": f"bulk-{i:03d}",
                "created_at": f"2026-05-01T00:{i // 60:02d}:{i % 60:02d}Z",
            }
            for i in range(105)
        ),
    )
    data = ok(await shop.get("get_orders", {"page_size": 500, "sort_by": "created-ascending"}))
    assert data["page"] == {"page": 1, "page_size": 100, "total_page": 2, "count": 105}
    assert [o["order_id"] for o in data["list"]] == [f"bulk-{i:03d}" for i in range(100)]
    rest = ok(await shop.get("get_orders", {"page_size": 101, "page": 2}))
    assert [o["order_id"] for o in rest["list"]] == [f"bulk-{i:03d}" for i in range(4, -1, -1)]


@pytest.mark.parametrize(("name", "value"), [("page", "0"), ("page_size", "0"), ("page", "-1")])
async def test_bad_page_is_code_3(shop: ShopApi, name: str, value: str) -> None:
    body = error(await shop.get("get_orders", {name: value}), 3, 400)
    assert name in body["message"]


# --- paths, scopes, tenancy ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/open_api/orders",
        "/api/v1/openapi/orders",
        "/api/v1/open_api/get_orders",
        "/api/v1/openapi/get_orders/",
    ],
)
async def test_legacy_paths_answer_the_same(orders: ShopApi, path: str) -> None:
    params = {"type": "0", "sort_by": "created-ascending", "page_size": "3"}
    canonical = ok(await signed_get(orders, params=params))
    assert ok(await signed_get(orders, path, params)) == canonical
    assert [o["order_id"] for o in canonical["list"]] == ["o1", "o2", "o3"]


async def test_tenant_isolation(orders: ShopApi, other_shop: ShopApi, ctx: AppContext) -> None:
    await add_orders(ctx, other_shop, {"order_id": "o1", "created_at": "2026-06-01T08:00:00Z"})
    theirs = ok(await other_shop.get("get_orders"))
    assert theirs["page"]["count"] == 1
    assert [o["status"] for o in theirs["list"]] == [1]
    assert len(await ids(orders)) == 6  # the same order_id in another shop is another order


async def test_unsigned_request_is_code_16(client: httpx.AsyncClient) -> None:
    error(await client.get(f"{API}/get_orders"), 16, 401)


@pytest.fixture(scope="module")
async def platform(ctx: AppContext) -> PlatformCreds:
    """A platform that may act for any shop (client_credentials: no merchant sign-in)."""
    return await create_platform(ctx, allowed_scopes="read_reviews,read_orders", skip_shop_oauth=1)


async def test_bearer_needs_read_orders(
    client: httpx.AsyncClient,
    platform: PlatformCreds,
    orders: ShopApi,
    other_shop: ShopApi,
) -> None:
    without = ok(
        await client_credentials(client, platform, shop_id=other_shop.shop_id, scope="read_reviews")
    )
    response = await client.get(f"{API}/get_orders", headers=bearer(without["access_token"]))
    error(response, 7, 403)
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="read_orders"' in challenge

    granted = ok(
        await client_credentials(client, platform, shop_id=orders.shop_id, scope="read_orders")
    )
    data = ok(
        await client.get(
            f"{API}/get_orders",
            params={"type": "3"},
            headers=bearer(granted["access_token"]),
        )
    )
    assert [o["order_id"] for o in data["list"]] == ["o3"]  # this shop's orders only
