"""The public storefront collection endpoint (docs/intake.md §4): body rules, what is stored,
os_type from the User-Agent, CORS, unknown and disabled shops."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from tests.customer_events.helpers import (
    ANDROID,
    EVENT_FIELDS,
    IPHONE,
    LINUX,
    MAC,
    STOREFRONT_TYPES,
    WINDOWS,
    preflight,
    set_shop,
    stored,
)
from tests.support.api import Clock, ShopApi, error, ok
from tests.support.customer_events import OTHER_UA, events_path, post_events

T0 = 1780844412  # 2026-06-07T15:00:12Z
T0_TEXT = "2026-06-07T15:00:12Z"
VALID: dict[str, Any] = {"event_type": "CLICK_MEDIA"}
CORS_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "vary",
)
SITE = "https://www.example-shop.com"


def listed(data: dict[str, Any]) -> list[dict[str, Any]]:
    for item in data["list"]:
        assert set(item) == EVENT_FIELDS
        assert all(isinstance(v, str) for v in item.values())
    return list(data["list"])


async def events_of(shop: ShopApi, **params: Any) -> list[dict[str, Any]]:
    return listed(ok(await shop.get("get_customer_events", {"page_size": 100, **params})))


# --- what is accepted and stored -----------------------------------------------------------


async def test_full_event_is_stored_listed_and_normalised(
    client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    clock.set(T0)
    event = {
        "event_type": " CLICK_MEDIA ",
        "product_id": 9200305176832,
        "review_id": " 1024 ",
        "page_url": "https://example-shop.myshopify.com/products/linen-shirt?variant=1#reviews",
        "customer_id": "7712345678901",
        "customer_email": " Jane@Example.COM ",
        "os_type": "IOS",
    }
    data = ok(await post_events(client, shop.myshopify_domain, {"events": [event]}))
    assert data == {"accepted": 1}
    (item,) = await events_of(shop)
    assert item == {
        "id": item["id"],
        "event_type": "CLICK_MEDIA",
        "event_source": "STOREFRONT",
        "os_type": "IOS",
        "customer_id": "7712345678901",
        "customer_email": "jane@example.com",
        "product_id": "9200305176832",
        "review_id": "1024",
        "page_url": "https://example-shop.myshopify.com/products/linen-shirt?variant=1#reviews",
        "created_at": T0_TEXT,
    }
    assert item["id"].isdigit()


async def test_every_storefront_type_and_twenty_events_in_one_body(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    types = [STOREFRONT_TYPES[i % len(STOREFRONT_TYPES)] for i in range(20)]
    body = {"events": [{"event_type": t, "product_id": f"p-{i}"} for i, t in enumerate(types)]}
    assert ok(await post_events(client, shop.myshopify_domain, body)) == {"accepted": 20}
    rows = await stored(ctx, shop.shop_id)
    assert [(r.event_type, r.product_id) for r in rows] == [
        (t, f"p-{i}") for i, t in enumerate(types)
    ]
    assert {r.event_source for r in rows} == {"STOREFRONT"}
    # One body, one time; ids keep the order of the body.
    assert len({r.created_at for r in rows}) == 1
    assert [r.id for r in rows] == sorted(r.id for r in rows)


async def test_source_is_always_storefront(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    body = {
        "events": [
            {**VALID, "event_source": "EMAIL"},
            {**VALID, "event_source": "ADMIN"},
            {"event_type": "SUBMIT_REVIEW", "event_source": "EMAIL"},
        ]
    }
    assert ok(await post_events(client, shop.myshopify_domain, body)) == {"accepted": 3}
    assert [e["event_source"] for e in await events_of(shop)] == ["STOREFRONT"] * 3
    assert await events_of(shop, event_source="EMAIL") == []


async def test_unknown_fields_are_ignored(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, clock: Clock
) -> None:
    clock.set(T0)
    event = {
        **VALID,
        "id": "999999",
        "created_at": "2000-01-01T00:00:00Z",
        "shop_id": "someone-else",
        "extra": {"deep": [1, {"x": None}], "nul": "a\u0000b"},
    }
    body = {"events": [event], "batch": "b-1", "sent_at": 1}
    assert ok(await post_events(client, shop.myshopify_domain, body)) == {"accepted": 1}
    (item,) = await events_of(shop)
    assert item["id"] != "999999" and item["created_at"] == T0_TEXT
    assert [r.shop_id for r in await stored(ctx, shop.shop_id)] == [shop.shop_id]


async def test_null_and_empty_optional_fields_mean_not_given(
    client: httpx.AsyncClient, shop: ShopApi
) -> None:
    event = {
        "event_type": "VIEW_REVIEW",
        "os_type": None,
        "product_id": "",
        "customer_id": None,
        "review_id": " ",
        "customer_email": "",
        "page_url": None,
    }
    response = await post_events(client, shop.myshopify_domain, {"events": [event]}, user_agent=MAC)
    assert ok(response) == {"accepted": 1}
    (item,) = await events_of(shop)
    assert item["os_type"] == "MACOS"  # not given: from the User-Agent
    for name in ("customer_id", "customer_email", "product_id", "review_id", "page_url"):
        assert item[name] == "", name


@pytest.mark.parametrize(
    ("user_agent", "os_type"),
    [
        (IPHONE, "IOS"),
        (ANDROID, "ANDROID"),
        (WINDOWS, "WINDOWS"),
        (MAC, "MACOS"),
        (LINUX, "LINUX"),
        (OTHER_UA, "OTHER"),
        ("", "OTHER"),
    ],
)
async def test_os_type_from_user_agent(
    client: httpx.AsyncClient, shop: ShopApi, user_agent: str, os_type: str
) -> None:
    headers = {"User-Agent": user_agent}
    response = await client.post(
        events_path(shop.myshopify_domain), content=json.dumps({"events": [VALID]}), headers=headers
    )
    assert ok(response) == {"accepted": 1}
    assert [e["os_type"] for e in await events_of(shop)] == [os_type]


async def test_os_type_in_the_body_wins_over_the_user_agent(
    client: httpx.AsyncClient, shop: ShopApi
) -> None:
    body = {"events": [{**VALID, "os_type": "WINDOWS"}, VALID, {**VALID, "os_type": "OTHER"}]}
    ok(await post_events(client, shop.myshopify_domain, body, user_agent=IPHONE))
    assert [e["os_type"] for e in await events_of(shop, sort_by="created-ascending")] == [
        "WINDOWS",
        "IOS",
        "OTHER",
    ]


@pytest.mark.parametrize(
    "content_type", ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded", None]
)
async def test_any_content_type_is_read_as_json(
    client: httpx.AsyncClient, shop: ShopApi, content_type: str | None
) -> None:
    # navigator.sendBeacon sends a string body as text/plain.
    response = await post_events(
        client, shop.myshopify_domain, {"events": [VALID]}, content_type=content_type
    )
    assert ok(response) == {"accepted": 1}
    assert len(await events_of(shop)) == 1


async def test_page_url_of_2048_characters_is_accepted(
    client: httpx.AsyncClient, shop: ShopApi
) -> None:
    url = "http://example-shop.myshopify.com/" + "a" * (2048 - 34)
    assert len(url) == 2048
    ok(await post_events(client, shop.myshopify_domain, {"events": [{**VALID, "page_url": url}]}))
    assert [e["page_url"] for e in await events_of(shop)] == [url]


# --- refusals: one bad event refuses the whole body ----------------------------------------

BAD_EVENTS: list[tuple[Any, str]] = [
    ({}, "events[0].event_type is required"),
    ({"event_type": None}, "events[0].event_type is required"),
    ({"event_type": ""}, "events[0].event_type is required"),
    ({"event_type": "OPEN_EMAIL"}, "events[0].event_type must be one of"),
    ({"event_type": "UNSUBSCRIBE_EMAIL"}, "events[0].event_type must be one of"),
    ({"event_type": "click_media"}, "events[0].event_type must be one of"),
    ({"event_type": 7}, "events[0].event_type must be one of"),
    ({"event_type": ["CLICK_MEDIA"]}, "events[0].event_type must be one of"),
    ({**VALID, "os_type": "BEOS"}, "events[0].os_type must be one of"),
    ({**VALID, "os_type": "ios"}, "events[0].os_type must be one of"),
    ({**VALID, "os_type": 1}, "events[0].os_type must be one of"),
    ({**VALID, "product_id": "a b"}, "events[0].product_id"),
    ({**VALID, "product_id": "1,2"}, "events[0].product_id"),
    ({**VALID, "product_id": "x" * 65}, "events[0].product_id"),
    ({**VALID, "product_id": True}, "events[0].product_id"),
    ({**VALID, "product_id": 1.5}, "events[0].product_id"),
    ({**VALID, "customer_id": "é"}, "events[0].customer_id"),
    ({**VALID, "customer_id": {"id": 1}}, "events[0].customer_id"),
    ({**VALID, "review_id": "abc"}, "events[0].review_id"),
    ({**VALID, "review_id": "-1"}, "events[0].review_id"),
    ({**VALID, "review_id": 0}, "events[0].review_id"),
    ({**VALID, "review_id": 2**63}, "events[0].review_id"),
    ({**VALID, "review_id": "1.5"}, "events[0].review_id"),
    ({**VALID, "customer_email": "nope"}, "events[0].customer_email"),
    ({**VALID, "customer_email": "a@b@c.com"}, "events[0].customer_email"),
    ({**VALID, "customer_email": "a b@c.com"}, "events[0].customer_email"),
    ({**VALID, "customer_email": "x" * 250 + "@e.com"}, "events[0].customer_email"),
    ({**VALID, "customer_email": 7}, "events[0].customer_email"),
    ({**VALID, "customer_email": "a\u0000@b.com"}, "events[0].customer_email"),
    ({**VALID, "customer_email": "\ud800@b.com"}, "events[0].customer_email"),
    ({**VALID, "page_url": "ftp://example.com/a"}, "events[0].page_url"),
    ({**VALID, "page_url": "javascript:alert(1)"}, "events[0].page_url"),
    ({**VALID, "page_url": "/products/linen-shirt"}, "events[0].page_url"),
    ({**VALID, "page_url": "https://"}, "events[0].page_url"),
    ({**VALID, "page_url": "https://[::1/x"}, "events[0].page_url"),
    ({**VALID, "page_url": "https://example.com:99999/"}, "events[0].page_url"),
    ({**VALID, "page_url": "https://example.com/a b"}, "events[0].page_url"),
    ({**VALID, "page_url": "https://example.com/\u0000"}, "events[0].page_url"),
    ({**VALID, "page_url": "https://example.com/" + "a" * 2029}, "events[0].page_url"),
    ({**VALID, "page_url": 5}, "events[0].page_url"),
    ("CLICK_MEDIA", "events[0] must be an object"),
    (None, "events[0] must be an object"),
    ([VALID], "events[0] must be an object"),
]


@pytest.mark.parametrize(("event", "message"), BAD_EVENTS)
async def test_bad_event_refuses_the_body(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, event: Any, message: str
) -> None:
    body = error(await post_events(client, shop.myshopify_domain, {"events": [event]}), 3, 400)
    assert body["message"].startswith("invalid argument: " + message), body["message"]
    assert body["data"] is None
    assert await stored(ctx, shop.shop_id) == []


async def test_the_bad_event_is_named_by_its_index_and_nothing_is_stored(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    events = [VALID, {"event_type": "VIEW_REVIEW"}, {**VALID, "review_id": "x"}, VALID]
    body = error(await post_events(client, shop.myshopify_domain, {"events": events}), 3, 400)
    assert body["message"].startswith("invalid argument: events[2].review_id"), body
    assert await stored(ctx, shop.shop_id) == []


BAD_BODIES: list[tuple[bytes, str]] = [
    (b"", "body is not valid JSON"),
    (b"{", "body is not valid JSON"),
    (b'{"events": [}', "body is not valid JSON"),
    (b"\xff\xfe{}", "the body must be UTF-8, not UTF-16 or UTF-32"),
    (b"[" * 50000 + b"]" * 50000, "body is not valid JSON"),
    (b"[]", "body must be a JSON object"),
    (b"null", "body must be a JSON object"),
    (b'"events"', "body must be a JSON object"),
    (b"12", "body must be a JSON object"),
    (b"{}", "events is required"),
    (b'{"events": null}', "events is required"),
    (b'{"events": []}', "events must be an array of 1 to 20 events"),
    (b'{"events": {"event_type": "CLICK_MEDIA"}}', "events must be an array of 1 to 20 events"),
    (b'{"events": "CLICK_MEDIA"}', "events must be an array of 1 to 20 events"),
    (
        json.dumps({"events": [VALID] * 21}).encode(),
        "events must be an array of 1 to 20 events",
    ),
]


@pytest.mark.parametrize(("raw", "message"), BAD_BODIES)
async def test_malformed_body_is_code_3(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, raw: bytes, message: str
) -> None:
    response = await post_events(client, shop.myshopify_domain, raw=raw, content_type="text/plain")
    body = error(response, 3, 400)
    assert body["message"] == f"invalid argument: {message}"
    assert await stored(ctx, shop.shop_id) == []


# --- shops ---------------------------------------------------------------------------------


async def test_domain_is_case_insensitive(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    ok(await post_events(client, shop.myshopify_domain.upper(), {"events": [VALID]}))
    assert len(await stored(ctx, shop.shop_id)) == 1


@pytest.mark.parametrize(
    "domain",
    ["unknown-shop.myshopify.com", "x", "%00", "a%2Fb", "é.myshopify.com", "a" * 300],
)
async def test_unknown_shop_is_code_5(client: httpx.AsyncClient, domain: str) -> None:
    body = error(await post_events(client, domain, {"events": [VALID]}), 5, 404)
    assert body["data"] is None
    error(await preflight(client, domain, "https://unknown-shop.myshopify.com"), 5, 404)


async def test_disabled_shop_is_code_5(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await set_shop(ctx, shop.shop_id, status="disabled")
    origin = f"https://{shop.myshopify_domain}"
    unknown = error(
        await post_events(client, "nobody.myshopify.com", {"events": [VALID]}, origin=origin),
        5,
        404,
    )
    disabled = error(
        await post_events(client, shop.myshopify_domain, {"events": [VALID]}, origin=origin),
        5,
        404,
    )
    assert disabled["message"] == unknown["message"]  # a disabled shop looks like no shop
    error(await preflight(client, shop.myshopify_domain, origin), 5, 404)
    assert await stored(ctx, shop.shop_id) == []


# --- CORS ----------------------------------------------------------------------------------


def assert_no_cors(response: httpx.Response) -> None:
    present = [h for h in CORS_HEADERS if h in response.headers]
    assert not present, present


def assert_preflight_grant(response: httpx.Response, origin: str) -> None:
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-methods"] == "POST"
    assert response.headers["access-control-allow-headers"] == "Content-Type"
    assert response.headers["access-control-max-age"] == "600"
    assert response.headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in response.headers


async def test_preflight_allows_the_shop_domain_and_configured_origins(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    own = f"https://{shop.myshopify_domain}"
    assert_preflight_grant(await preflight(client, shop.myshopify_domain, own), own)
    # Not configured yet.
    response = await preflight(client, shop.myshopify_domain, SITE)
    assert response.status_code == 204 and response.content == b""
    assert_no_cors(response)

    await set_shop(
        ctx,
        shop.shop_id,
        storefront_origins=[SITE, "http://localhost:3000", "https://shop.example.net:443"],
    )
    for origin in (SITE, "http://localhost:3000", "https://shop.example.net"):
        assert_preflight_grant(await preflight(client, shop.myshopify_domain, origin), origin)
    # The myshopify domain stays allowed on top of the list.
    assert_preflight_grant(await preflight(client, shop.myshopify_domain, own), own)


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://SHOP",  # http version of the shop domain (filled in below)
        "https://SHOP.evil.example",
        "https://www.example-shop.com.evil.example",
        "http://localhost:3001",
        "null",
    ],
)
async def test_preflight_of_a_disallowed_origin_has_no_cors_headers(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, origin: str
) -> None:
    await set_shop(ctx, shop.shop_id, storefront_origins=[SITE, "http://localhost:3000"])
    origin = origin.replace("SHOP", shop.myshopify_domain)
    response = await preflight(client, shop.myshopify_domain, origin)
    assert response.status_code == 204 and response.content == b""
    assert_no_cors(response)


async def test_preflight_without_origin_has_no_cors_headers(
    client: httpx.AsyncClient, shop: ShopApi
) -> None:
    response = await preflight(client, shop.myshopify_domain, None)
    assert response.status_code == 204
    assert_no_cors(response)


async def test_post_from_an_allowed_origin_carries_allow_origin_and_vary(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await set_shop(ctx, shop.shop_id, storefront_origins=[SITE])
    for origin in (SITE, f"https://{shop.myshopify_domain}"):
        response = await post_events(
            client, shop.myshopify_domain, {"events": [VALID]}, origin=origin
        )
        assert ok(response) == {"accepted": 1}
        assert response.headers["access-control-allow-origin"] == origin
        assert response.headers["vary"] == "Origin"
        assert "access-control-allow-methods" not in response.headers
    # Refusals after the origin check carry them too, so the page can read the reason.
    refused = await post_events(client, shop.myshopify_domain, {"events": []}, origin=SITE)
    error(refused, 3, 400)
    assert refused.headers["access-control-allow-origin"] == SITE
    assert refused.headers["vary"] == "Origin"
    assert len(await stored(ctx, shop.shop_id)) == 2


async def test_post_without_origin_is_accepted_without_cors_headers(
    client: httpx.AsyncClient, shop: ShopApi
) -> None:
    response = await post_events(client, shop.myshopify_domain, {"events": [VALID]})
    assert ok(response) == {"accepted": 1}
    assert_no_cors(response)


@pytest.mark.parametrize("origin", ["https://evil.example", "http://SHOP", "null", "https://OTHER"])
async def test_post_from_a_disallowed_origin_is_code_7_and_stores_nothing(
    client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi, ctx: AppContext, origin: str
) -> None:
    origin = origin.replace("OTHER", other_shop.myshopify_domain)
    origin = origin.replace("SHOP", shop.myshopify_domain)
    response = await post_events(client, shop.myshopify_domain, {"events": [VALID]}, origin=origin)
    body = error(response, 7, 403)
    assert body["data"] is None
    assert_no_cors(response)
    # Refused before the body is read: a bad body from there is code 7 too.
    bad = await post_events(client, shop.myshopify_domain, raw=b"{", origin=origin)
    error(bad, 7, 403)
    assert await stored(ctx, shop.shop_id) == []
    assert await stored(ctx, other_shop.shop_id) == []
