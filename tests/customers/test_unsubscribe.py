"""email_unsubscribe: validation, idempotency, origins and the suppression rules (spec
orders-events-customers.md: email_unsubscribe, Suppression rules)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from shopreviews.customers.rules import EMAIL_TYPES
from shopreviews.kit.context import AppContext
from tests.customers.helpers import (
    add_customer_unsubscribe,
    bearer_post,
    platform_token,
    rfc3339,
    unsubscribe_rows,
)
from tests.support.api import Clock, ShopApi, error, ok
from tests.support.oauth import PlatformCreds

LONGEST = "a" * 64 + "@" + "b" * 185 + ".com"  # 254 characters
assert len(LONGEST) == 254


async def unsubscribe(shop: ShopApi, email: str, email_type: str) -> dict[str, Any]:
    data = ok(await shop.post("email_unsubscribe", {"email": email, "email_type": email_type}))
    assert set(data) == {"email", "email_type", "created_at"}, data
    return dict(data)


INVALID_BODIES: list[tuple[str, Any, str]] = [
    ("missing-email", {"email_type": "all"}, "email is required"),
    ("empty-email", {"email": "", "email_type": "all"}, "email is required"),
    ("blank-email", {"email": "  \t ", "email_type": "all"}, "email is required"),
    ("null-email", {"email": None, "email_type": "all"}, "email is required"),
    ("no-at", {"email": "jane.example.com", "email_type": "all"}, "email: must be an email"),
    ("no-local", {"email": "@example.com", "email_type": "all"}, "email: must be an email"),
    ("no-domain", {"email": "jane@", "email_type": "all"}, "email: must be an email"),
    ("two-at", {"email": "jane@doe@example.com", "email_type": "all"}, "email: must be an email"),
    ("inner-space", {"email": "jane doe@example.com", "email_type": "all"}, "email: must be"),
    ("inner-tab", {"email": "jane@exa\tmple.com", "email_type": "all"}, "email: must be"),
    ("255-chars", {"email": "x" + LONGEST, "email_type": "all"}, "email: must be at most 254"),
    # 253 characters as sent, 263 lower-cased ("İ" lower-cases to two code points): the
    # stored form must fit too.
    ("grows-lowered", {"email": "İ" * 10 + LONGEST[11:], "email_type": "all"}, "at most 254"),
    ("integer-email", {"email": 12, "email_type": "all"}, "email: must be a string"),
    ("bool-email", {"email": True, "email_type": "all"}, "email: must be a string"),
    ("list-email", {"email": ["j@example.com"], "email_type": "all"}, "email: must be a string"),
    ("object-email", {"email": {"a": "j@example.com"}, "email_type": "all"}, "email: must be"),
    ("nul-email", {"email": "ja\x00ne@example.com", "email_type": "all"}, "U+0000"),
    ("missing-type", {"email": "jane@example.com"}, "email_type is required"),
    ("empty-type", {"email": "jane@example.com", "email_type": ""}, "email_type is required"),
    ("unknown-type", {"email": "jane@example.com", "email_type": "newsletter"}, "email_type: must"),
    ("upper-type", {"email": "jane@example.com", "email_type": "ALL"}, "email_type: must be one"),
    ("integer-type", {"email": "jane@example.com", "email_type": 1}, "email_type: must be a str"),
    ("list-type", {"email": "jane@example.com", "email_type": ["all"]}, "email_type: must be a"),
]


@pytest.mark.parametrize(
    ("body", "expected"),
    [(b, e) for _, b, e in INVALID_BODIES],
    ids=[i for i, _, _ in INVALID_BODIES],
)
async def test_invalid_bodies_are_code_3_naming_the_field(
    shop: ShopApi, ctx: AppContext, body: Any, expected: str
) -> None:
    response = await shop.post("email_unsubscribe", body)
    result = error(response, 3, 400)
    assert result["data"] is None
    assert expected in result["message"], result["message"]
    assert await unsubscribe_rows(ctx, shop) == []


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"email": "jane@example.com",}', b"[]", b'"jane@example.com"', b"null", b"", b"\xff"],
    ids=["truncated", "trailing-comma", "array", "string", "null", "empty", "not-utf8"],
)
async def test_malformed_json_is_code_3(shop: ShopApi, ctx: AppContext, raw: bytes) -> None:
    body = error(await shop.post("email_unsubscribe", raw=raw), 3, 400)
    assert body["message"].startswith("invalid argument"), body
    assert await unsubscribe_rows(ctx, shop) == []


async def test_every_email_type_is_accepted_and_stored_lower_cased(
    shop: ShopApi, ctx: AppContext, clock: Clock
) -> None:
    now = int(time.time())
    clock.set(now)
    for email_type in EMAIL_TYPES:
        data = await unsubscribe(shop, "  Jane@Example.COM ", f" {email_type} ")
        assert data == {
            "email": "jane@example.com",
            "email_type": email_type,
            "created_at": rfc3339(now),
        }
    assert len(EMAIL_TYPES) == 17
    assert await unsubscribe_rows(ctx, shop) == sorted(
        ("jane@example.com", t, "merchant") for t in EMAIL_TYPES
    )
    # The longest address (254 characters, counted after trimming) is accepted.
    data = await unsubscribe(shop, f" {LONGEST.upper()} ", "all")
    assert data["email"] == LONGEST


async def test_repeated_unsubscribe_returns_the_first_record(
    shop: ShopApi, ctx: AppContext, clock: Clock
) -> None:
    first_at = int(time.time()) - 300
    clock.set(first_at)
    first = await unsubscribe(shop, "jane@example.com", "review_request")
    assert first["created_at"] == rfc3339(first_at)
    clock.set(first_at + 120)
    for email in ("jane@example.com", "JANE@example.com", " jane@EXAMPLE.com"):
        assert await unsubscribe(shop, email, "review_request") == first
    # Another type is another record, with its own time.
    other = await unsubscribe(shop, "jane@example.com", "all")
    assert other["created_at"] == rfc3339(first_at + 120)
    assert await unsubscribe_rows(ctx, shop) == [
        ("jane@example.com", "all", "merchant"),
        ("jane@example.com", "review_request", "merchant"),
    ]


async def test_origin_is_merchant_for_hmac_and_platform_for_bearer(
    shop: ShopApi,
    ctx: AppContext,
    client: httpx.AsyncClient,
    platform: PlatformCreds,
) -> None:
    headers = await platform_token(client, platform, shop, "write_customers")
    await unsubscribe(shop, "merchant@example.com", "all")
    response = await bearer_post(
        client, headers, "email_unsubscribe", {"email": "Platform@example.com", "email_type": "all"}
    )
    assert ok(response)["email"] == "platform@example.com"
    # A repeat by the other kind of caller keeps the first origin.
    repeat = {"email": "merchant@example.com", "email_type": "all"}
    ok(await bearer_post(client, headers, "email_unsubscribe", repeat))
    await unsubscribe(shop, "platform@example.com", "all")
    assert await unsubscribe_rows(ctx, shop) == [
        ("merchant@example.com", "all", "merchant"),
        ("platform@example.com", "all", "platform"),
    ]


async def test_a_customers_own_unsubscribe_cannot_be_undone(
    shop: ShopApi,
    ctx: AppContext,
    client: httpx.AsyncClient,
    platform: PlatformCreds,
    clock: Clock,
) -> None:
    customer_at = int(time.time()) - 3600
    await add_customer_unsubscribe(ctx, shop, "jane@example.com", "all", customer_at)
    await add_customer_unsubscribe(ctx, shop, "jane@example.com", "review_request", customer_at)
    expected = {
        "email": "jane@example.com",
        "email_type": "all",
        "created_at": rfc3339(customer_at),
    }
    clock.set(int(time.time()))
    # The merchant (HMAC) and a platform (bearer) get the customer's record back, unchanged.
    assert await unsubscribe(shop, "Jane@Example.com", "all") == expected
    headers = await platform_token(client, platform, shop, "write_customers")
    body = {"email": "jane@example.com", "email_type": "all"}
    assert ok(await bearer_post(client, headers, "email_unsubscribe", body)) == expected
    # Exclusion calls never touch unsubscribes: excluding and un-excluding the address leaves
    # the customer's records as they were.
    ok(await shop.post("create_customer_exclude", {"email": "jane@example.com"}))
    ok(await shop.post("delete_customer_exclude", {"email": "JANE@example.com"}))
    ok(await bearer_post(client, headers, "create_customer_exclude", {"email": "jane@example.com"}))
    ok(await bearer_post(client, headers, "delete_customer_exclude", {"email": "jane@example.com"}))
    error(await shop.post("delete_customer_exclude", {"email": "jane@example.com"}), 5, 404)
    assert await unsubscribe_rows(ctx, shop) == [
        ("jane@example.com", "all", "customer"),
        ("jane@example.com", "review_request", "customer"),
    ]


async def test_no_api_route_removes_unsubscribes(client: httpx.AsyncClient, app: Any) -> None:
    doc = (await client.get("/openapi.json")).json()
    touching = {
        (method, path)
        for path, item in doc["paths"].items()
        for method in item
        if path.startswith("/api/") and ("subscri" in path or "suppress" in path)
    }
    assert touching == {("post", "/api/v1/openapi/email_unsubscribe")}
    # Undocumented routes too: nothing under /api names a removal of unsubscribes.
    for route in app.routes:
        path = getattr(route, "path", "")
        if path.startswith("/api/") and "subscri" in path:
            assert path == "/api/v1/openapi/email_unsubscribe", path
            assert set(getattr(route, "methods", set())) <= {"POST"}, route
    # The method table is fixed: a DELETE of the unsubscribe path is refused (405, code 3).
    response = await client.delete("/api/v1/openapi/email_unsubscribe")
    error(response, 3, 405)


async def test_scope_write_customers_is_required(
    shop: ShopApi, ctx: AppContext, client: httpx.AsyncClient, platform: PlatformCreds
) -> None:
    headers = await platform_token(client, platform, shop, "read_reviews,read_customers")
    body = {"email": "jane@example.com", "email_type": "all"}
    response = await bearer_post(client, headers, "email_unsubscribe", body)
    result = error(response, 7, 403)
    assert result["data"] is None
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="write_customers"'
    )
    assert await unsubscribe_rows(ctx, shop) == []


async def test_shops_are_independent(
    shop: ShopApi, other_shop: ShopApi, ctx: AppContext, clock: Clock
) -> None:
    start = int(time.time()) - 100
    clock.set(start)
    mine = await unsubscribe(shop, "jane@example.com", "all")
    await add_customer_unsubscribe(ctx, shop, "ann@example.com", "all", start - 50)
    clock.set(start + 60)
    # The other shop neither sees nor reuses shop's records: it gets a record of its own.
    theirs = await unsubscribe(other_shop, "jane@example.com", "all")
    assert theirs == {**mine, "created_at": rfc3339(start + 60)}
    also = await unsubscribe(other_shop, "ann@example.com", "all")
    assert also["created_at"] == rfc3339(start + 60)
    assert await unsubscribe_rows(ctx, other_shop) == [
        ("ann@example.com", "all", "merchant"),
        ("jane@example.com", "all", "merchant"),
    ]
    assert await unsubscribe_rows(ctx, shop) == [
        ("ann@example.com", "all", "customer"),
        ("jane@example.com", "all", "merchant"),
    ]


async def test_concurrent_unsubscribes_answer_one_record(
    shop: ShopApi, ctx: AppContext, client: httpx.AsyncClient, platform: PlatformCreds
) -> None:
    headers = await platform_token(client, platform, shop, "write_customers")
    body = {"email": "Jane@example.com", "email_type": "review_request"}
    responses = await asyncio.gather(
        *(shop.post("email_unsubscribe", body) for _ in range(12)),
        *(bearer_post(client, headers, "email_unsubscribe", body) for _ in range(12)),
    )
    answers = [ok(r) for r in responses]
    assert all(a == answers[0] for a in answers), answers
    rows = await unsubscribe_rows(ctx, shop)
    assert len(rows) == 1 and rows[0][:2] == ("jane@example.com", "review_request")
    assert rows[0][2] in ("merchant", "platform")
