"""Bearer callers on API endpoints: the selection rule (README §4.2), scopes per endpoint
(README §5), platform-owned webhook subscriptions, and disabled shops and platforms (§4.6)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from shopreviews.kit.context import AppContext
from shopreviews.shops.models import Shop
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.oauth import (
    API,
    PlatformCreds,
    connect,
    create_platform,
    sign_in,
    update_platform,
)

INVALID_TOKEN = 'Bearer error="invalid_token"'
HOOK = "https://93.184.216.34/platform-hook"  # a public address; never called here


def insufficient(scope: str) -> str:
    return f'Bearer error="insufficient_scope", scope="{scope}"'


def assert_16(response: httpx.Response) -> None:
    body = error(response, 16, 401)
    assert body["data"] is None
    assert body["message"].startswith("unauthenticated")
    assert response.headers["www-authenticate"] == INVALID_TOKEN


def assert_7(response: httpx.Response, scope: str | None) -> None:
    body = error(response, 7, 403)
    assert body["data"] is None
    if scope is not None:
        assert response.headers["www-authenticate"] == insufficient(scope)


async def get_reviews(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.get(f"{API}/get_reviews", headers=headers)


# --- the selection rule ---------------------------------------------------------------------


async def test_authorization_header_wins_over_valid_hmac_headers(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    body = b'{"rating": 5, "author": "Ann"}'
    hmac_headers = {"Content-Type": "application/json", **shop.headers([], body)}
    # HMAC alone may create; with a read-only bearer token as well the request is a bearer
    # request: code 7, nothing created.
    response = await client.post(
        f"{API}/create_review",
        content=body,
        headers={**hmac_headers, **bearer(tokens["access_token"])},
    )
    assert_7(response, "write_reviews")
    # An unusable Authorization header does not fall back to the valid HMAC headers.
    for value in ("Bearer at_unknown", "Basic eDp5", "Bearer"):
        response = await client.post(
            f"{API}/create_review",
            content=body,
            headers={**hmac_headers, "Authorization": value},
        )
        assert_16(response)
    assert ok(await shop.get("get_reviews"))["list"] == []
    # An empty or blank Authorization header is no bearer request: HMAC applies.
    for value in ("", "   "):
        response = await client.post(
            f"{API}/create_review",
            content=body,
            headers={
                **shop.headers([], body),
                "Content-Type": "application/json",
                "Authorization": value,
            },
        )
        assert ok(response)["author"] == "Ann"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
async def test_scheme_name_is_case_insensitive(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, scheme: str
) -> None:
    ok(await shop.post("create_review", {"rating": 4, "author": "Ann"}))
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    page = ok(await get_reviews(client, {"Authorization": f"{scheme} {tokens['access_token']}"}))
    assert [r["author"] for r in page["list"]] == ["Ann"]
    # Leading and trailing whitespace of the header value is ignored.
    padded = {"Authorization": f"  {scheme} {tokens['access_token']}  "}
    assert [r["author"] for r in ok(await get_reviews(client, padded))["list"]] == ["Ann"]


@pytest.mark.parametrize(
    "value",
    [
        "Bearer  {token}",
        "Bearer\t{token}",
        "Basic {token}",
        "Token {token}",
        "{token}",
        "Bearer",
        "Bearer {token} extra",
        "Bearer {token}x",
        "Bearer {refresh}",
        "Bearer {session}",
    ],
    ids=[
        "two-spaces",
        "tab",
        "basic",
        "other-scheme",
        "bare-token",
        "scheme-alone",
        "trailing-word",
        "altered-token",
        "refresh-token",
        "merchant-session",
    ],
)
async def test_malformed_or_wrong_bearer_is_16(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, value: str
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    merchant = await sign_in(ctx, client, shop)
    header = value.format(
        token=tokens["access_token"], refresh=tokens["refresh_token"], session=merchant.token
    )
    assert_16(await get_reviews(client, {"Authorization": header}))
    assert_16(await client.post(f"{API}/oauth/disconnect", headers={"Authorization": header}))
    # None of these harmed the token.
    ok(await get_reviews(client, bearer(tokens["access_token"])))


async def test_disconnect_needs_a_bearer_token(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    # HMAC credentials are no bearer token.
    assert_16(await shop.post("oauth/disconnect", {}))
    assert_16(await client.post(f"{API}/oauth/disconnect"))
    ok(await get_reviews(client, bearer(tokens["access_token"])))
    # A token of any scope may disconnect; afterwards every token of the grant answers 16.
    other = await connect(ctx, client, shop, platform, scope="read_orders")
    assert (
        ok(await client.post(f"{API}/oauth/disconnect", headers=bearer(other["access_token"])))
        == {}
    )
    for token in (tokens["access_token"], other["access_token"]):
        assert_16(await get_reviews(client, bearer(token)))
        assert_16(await client.post(f"{API}/oauth/disconnect", headers=bearer(token)))


# --- scopes per endpoint --------------------------------------------------------------------


async def test_every_review_endpoint_in_scope(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi
) -> None:
    ok(await other_shop.post("create_review", {"rating": 1, "author": "Elsewhere"}))
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews,write_reviews")
    headers = bearer(tokens["access_token"])

    created = await client.post(
        f"{API}/create_review",
        json={"rating": 4, "author": "Ann", "content": "Good", "product_id": "42"},
        headers=headers,
    )
    review = ok(created)
    assert created.json()["id"] == review["id"]
    assert (review["author"], review["rating"], review["product_id"]) == ("Ann", 4, "42")
    # The shop sees the platform's review.
    assert ok(await shop.get("get_review", {"id": review["id"]}))["author"] == "Ann"

    got = ok(await client.get(f"{API}/get_review", params={"id": review["id"]}, headers=headers))
    assert got == review
    page = ok(await client.get(f"{API}/get_reviews", headers=headers))
    assert [r["id"] for r in page["list"]] == [review["id"]]
    rating = ok(await client.get(f"{API}/get_rating", params={"product_id": "42"}, headers=headers))
    assert (rating["rating_value"], rating["review_count"], rating["star4_count"]) == ("4.0", 1, 1)

    updated = ok(
        await client.post(
            f"{API}/update_review",
            json={"id": review["id"], "title": "Changed", "reply": {"content": "Thanks"}},
            headers=headers,
        )
    )
    assert updated["title"] == "Changed" and updated["reply"]["content"] == "Thanks"
    assert ok(await shop.get("get_review", {"id": review["id"]}))["title"] == "Changed"

    deleted = await client.post(f"{API}/delete_review", json={"id": review["id"]}, headers=headers)
    assert ok(deleted) == {}
    error(await shop.get("get_review", {"id": review["id"]}), 5, 404)
    assert ok(await client.get(f"{API}/get_reviews", headers=headers))["list"] == []


REVIEW_CALLS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("GET", "get_review", "read_reviews", {"id": "REVIEW"}),
    ("GET", "get_reviews", "read_reviews", {}),
    ("GET", "get_rating", "read_reviews", {"is_all_rating": "1"}),
    ("POST", "create_review", "write_reviews", {"rating": 5, "author": "Bo"}),
    ("POST", "update_review", "write_reviews", {"id": "REVIEW", "title": "Changed"}),
    ("POST", "delete_review", "write_reviews", {"id": "REVIEW"}),
]


@pytest.mark.parametrize("granted", ["read_orders", "read_reviews", "write_reviews"])
async def test_review_endpoints_out_of_scope_are_7(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, granted: str
) -> None:
    review = ok(await shop.post("create_review", {"rating": 3, "author": "Ann"}))
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope=granted)
    headers = bearer(tokens["access_token"])
    for method, name, scope, params in REVIEW_CALLS:
        if scope == granted:
            continue
        values = {k: review["id"] if v == "REVIEW" else v for k, v in params.items()}
        if method == "GET":
            response = await client.get(f"{API}/{name}", params=values, headers=headers)
        else:
            response = await client.post(f"{API}/{name}", json=values, headers=headers)
        assert_7(response, scope)
    # Nothing changed.
    after = ok(await shop.get("get_review", {"id": review["id"]}))
    assert after == review
    assert ok(await shop.get("get_reviews"))["page"]["count"] == 1


# --- platform-owned webhook subscriptions ---------------------------------------------------


async def create_hook(
    client: httpx.AsyncClient, token: str, topic: str = "review/created", url: str = HOOK
) -> httpx.Response:
    return await client.post(
        f"{API}/create_shop_webhook", json={"topic": topic, "url": url}, headers=bearer(token)
    )


@pytest.mark.parametrize(
    ("granted", "topic", "allowed"),
    [
        ("read_reviews", "review/created", True),
        ("write_reviews", "review/updated", True),
        ("write_reviews", "review/deleted", True),
        ("read_orders", "review/created", False),
        ("read_customer_events", "review/deleted", False),
        ("read_customer_events", "customer_event/created", True),
        ("read_reviews,write_reviews", "customer_event/created", False),
    ],
)
async def test_subscription_scope_by_topic(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ShopApi,
    granted: str,
    topic: str,
    allowed: bool,
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope=granted)
    response = await create_hook(client, tokens["access_token"], topic)
    if allowed:
        hook = ok(response)
        assert (hook["topic"], hook["url"], hook["status"]) == (topic, HOOK, "enabled")
        listed = ok(
            await client.get(f"{API}/get_shop_webhooks", headers=bearer(tokens["access_token"]))
        )
        assert [h["id"] for h in listed] == [hook["id"]]
    else:
        needed = "read_customer_events" if topic.startswith("customer_event") else "read_reviews"
        assert_7(response, needed)
        listed = ok(
            await client.get(f"{API}/get_shop_webhooks", headers=bearer(tokens["access_token"]))
        )
        assert listed == []


async def test_update_to_a_topic_out_of_scope_is_7(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    hook = ok(await create_hook(client, tokens["access_token"]))
    response = await client.post(
        f"{API}/update_shop_webhook",
        json={"id": hook["id"], "topic": "customer_event/created", "url": HOOK},
        headers=bearer(tokens["access_token"]),
    )
    assert_7(response, "read_customer_events")
    listed = ok(
        await client.get(f"{API}/get_shop_webhooks", headers=bearer(tokens["access_token"]))
    )
    assert [(h["id"], h["topic"]) for h in listed] == [(hook["id"], "review/created")]


async def test_subscriptions_are_owned_by_the_platform(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    stranger = await create_platform(ctx)
    mine = await connect(ctx, client, shop, platform, scope="read_reviews")
    theirs = await connect(ctx, client, shop, stranger, scope="read_reviews")
    platform_hook = ok(await create_hook(client, mine["access_token"]))
    # The same topic and URL is no duplicate across owners.
    shop_hook = ok(await shop.post("create_shop_webhook", {"topic": "review/created", "url": HOOK}))
    stranger_hook = ok(await create_hook(client, theirs["access_token"]))

    def listing(token: str | None) -> Any:
        if token is None:
            return shop.get("get_shop_webhooks")
        return client.get(f"{API}/get_shop_webhooks", headers=bearer(token))

    assert [h["id"] for h in ok(await listing(None))] == [shop_hook["id"]]
    assert [h["id"] for h in ok(await listing(mine["access_token"]))] == [platform_hook["id"]]
    assert [h["id"] for h in ok(await listing(theirs["access_token"]))] == [stranger_hook["id"]]

    # Nobody reaches another owner's subscription: code 5.
    for token, foreign in (
        (mine["access_token"], shop_hook["id"]),
        (mine["access_token"], stranger_hook["id"]),
        (theirs["access_token"], platform_hook["id"]),
    ):
        body = error(
            await client.post(
                f"{API}/delete_shop_webhook", json={"id": foreign}, headers=bearer(token)
            ),
            5,
            404,
        )
        assert body["data"] is None
        body = error(
            await client.post(
                f"{API}/update_shop_webhook",
                json={"id": foreign, "topic": "review/updated", "url": HOOK},
                headers=bearer(token),
            ),
            5,
            404,
        )
        assert body["data"] is None
    assert (
        error(await shop.post("delete_shop_webhook", {"id": platform_hook["id"]}), 5, 404)["data"]
        is None
    )

    # All three are still there; each owner deletes its own.
    assert [h["id"] for h in ok(await listing(theirs["access_token"]))] == [stranger_hook["id"]]
    ok(
        await client.post(
            f"{API}/delete_shop_webhook",
            json={"id": platform_hook["id"]},
            headers=bearer(mine["access_token"]),
        )
    )
    assert ok(await listing(mine["access_token"])) == []
    assert [h["id"] for h in ok(await listing(None))] == [shop_hook["id"]]
    assert [h["id"] for h in ok(await listing(theirs["access_token"]))] == [stranger_hook["id"]]


async def test_a_platforms_subscriptions_are_per_shop(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    here = await connect(ctx, client, shop, platform, scope="read_reviews")
    there = await connect(ctx, client, other_shop, platform, scope="read_reviews")
    hook = ok(await create_hook(client, here["access_token"]))
    listed = ok(await client.get(f"{API}/get_shop_webhooks", headers=bearer(there["access_token"])))
    assert listed == []
    body = error(
        await client.post(
            f"{API}/delete_shop_webhook",
            json={"id": hook["id"]},
            headers=bearer(there["access_token"]),
        ),
        5,
        404,
    )
    assert body["data"] is None


# --- disabled shops and platforms -----------------------------------------------------------


async def set_shop_status(ctx: AppContext, shop: ShopApi, status: str) -> None:
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(Shop).where(Shop.shop_id == shop.shop_id).values(status=status)
        )


async def test_tokens_of_a_disabled_shop_are_16(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    await set_shop_status(ctx, shop, "disabled")
    assert_16(await get_reviews(client, bearer(tokens["access_token"])))
    assert_16(await client.get(f"{API}/get_shop_webhooks", headers=bearer(tokens["access_token"])))


async def test_disabled_platform_is_7_and_re_enabling_restores_it(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    ok(await shop.post("create_review", {"rating": 5, "author": "Ann"}))
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    hook = ok(await create_hook(client, tokens["access_token"]))
    await update_platform(ctx, platform.client_id, status="disabled")
    for response in (
        await get_reviews(client, bearer(tokens["access_token"])),
        await client.get(f"{API}/get_shop_webhooks", headers=bearer(tokens["access_token"])),
        await client.post(f"{API}/oauth/disconnect", headers=bearer(tokens["access_token"])),
    ):
        body = error(response, 7, 403)
        assert body["data"] is None
        assert "disabled" in body["message"]
    # The grant and its subscriptions are kept: re-enabling restores the same token.
    await update_platform(ctx, platform.client_id, status="active")
    page = ok(await get_reviews(client, bearer(tokens["access_token"])))
    assert [r["author"] for r in page["list"]] == ["Ann"]
    listed = ok(
        await client.get(f"{API}/get_shop_webhooks", headers=bearer(tokens["access_token"]))
    )
    assert [h["id"] for h in listed] == [hook["id"]]
    await _refresh_still_works(client, platform, tokens)


async def _refresh_still_works(
    client: httpx.AsyncClient, platform: PlatformCreds, tokens: dict[str, Any]
) -> None:
    rotated = ok(
        await client.post(
            f"{API}/oauth/token",
            json=platform.client(grant_type="refresh_token", refresh_token=tokens["refresh_token"]),
        )
    )
    ok(await get_reviews(client, bearer(rotated["access_token"])))
