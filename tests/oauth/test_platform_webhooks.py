"""Platform-owned webhook subscriptions with the real receiver (spec webhooks.md "Ownership",
"Topics and scopes", "Signatures", "Disabling", "Guarantees"; oauth.md "Operator
administration" effects and oauth/disconnect, oauth/cancel, merchant disconnect): signing with
the platform's client secret, rotation, the fan-out scope check, a disabled platform, the end of
a grant, and the webhook/disabled system webhook."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from shopreviews.kit.context import AppContext
from shopreviews.webhooks.models import WebhookSubscription
from tests.support.admin import AdminApi
from tests.support.api import Clock, ShopApi, bearer, create_shop, error, ok
from tests.support.oauth import (
    PlatformCreds,
    authorize_code,
    connect,
    create_platform,
    exchange,
    refresh,
    sign_in,
)
from tests.support.reviews import create as create_review
from tests.support.webhooks import (
    HEADERS,
    ClockedShop,
    Received,
    Receiver,
    check_headers,
    deliveries,
    run_once,
    run_until_idle,
    standard_signature,
    subscribe,
    subscription_state,
    trustoo_signature,
)

HEX32 = re.compile(r"^[0-9a-f]{32}$")
RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DAY = 86400
API = "/api/v1/openapi/"


@pytest.fixture
async def shop(ctx: AppContext, client: httpx.AsyncClient) -> ClockedShop:
    """A shop whose HMAC calls are signed at the app clock (tests here move it)."""
    return ClockedShop.of(await create_shop(ctx, client), ctx)


@pytest.fixture
async def other_shop(ctx: AppContext, client: httpx.AsyncClient) -> ClockedShop:
    return ClockedShop.of(await create_shop(ctx, client), ctx)


async def bearer_subscribe(
    client: httpx.AsyncClient,
    access_token: str,
    receiver: Receiver,
    topic: str = "review/created",
) -> dict[str, Any]:
    """create_shop_webhook with a bearer token (a platform-owned subscription)."""
    path = receiver.new_path()
    data: dict[str, Any] = ok(
        await client.post(
            API + "create_shop_webhook",
            json={"topic": topic, "url": receiver.url(path)},
            headers=bearer(access_token),
        )
    )
    return {**data, "path": path}


def check_platform_delivery(
    got: Received, shop: ShopApi, client_secret: str, subscription_secret: str
) -> None:
    """Every header of the spec; Open-Trustoo-Webhook-Sign keyed by the platform's client
    secret (never the shop's private token), webhook-signature by the subscription secret."""
    headers, body = got.headers, got.body
    assert not HEADERS - set(headers), sorted(HEADERS - set(headers))
    payload = got.payload
    stamp = headers["open-trustoo-webhook-timestamp"]
    assert stamp.isdigit() and headers["webhook-timestamp"] == stamp
    assert headers["content-type"] == "application/json"
    assert headers["open-trustoo-webhook-public-token"] == shop.public_token
    assert headers["open-trustoo-webhook-topic"] == payload["topic"]
    assert headers["open-trustoo-webhook-requestid"] == payload["event_id"]
    assert headers["webhook-id"] == payload["event_id"]
    sign = headers["open-trustoo-webhook-sign"]
    assert re.fullmatch(r"[0-9a-f]{64}", sign)
    assert sign == trustoo_signature(client_secret, stamp, body)
    assert sign != trustoo_signature(shop.private_token, stamp, body)
    assert headers["webhook-signature"] == standard_signature(
        subscription_secret, payload["event_id"], stamp, body
    )


async def subscriptions_of(ctx: AppContext, shop_id: str) -> list[tuple[int, str, str]]:
    """(id, owner_client_id, topic) of every subscription of the shop, read directly."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(
                WebhookSubscription.id,
                WebhookSubscription.owner_client_id,
                WebhookSubscription.topic,
            )
            .where(WebhookSubscription.shop_id == shop_id)
            .order_by(WebhookSubscription.id)
        )
        return [(i, o, t) for i, o, t in rows.all()]


async def delivered_to(ctx: AppContext, shop_id: str) -> list[int]:
    """The subscriptions the shop's delivery rows are for, sorted (one per delivery row; system
    webhook rows, which have no subscription, are left out)."""
    rows = await deliveries(ctx, shop_id)
    return sorted(row.subscription_id for row in rows if row.subscription_id is not None)


# --- signatures ------------------------------------------------------------------------------


async def test_platform_subscription_is_signed_with_the_client_secret(
    ctx: AppContext, client: httpx.AsyncClient, shop: ClockedShop, receiver: Receiver
) -> None:
    # Real time: the standardwebhooks library checks the timestamp against it.
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    hook = await bearer_subscribe(client, tokens["access_token"], receiver)
    assert hook["secret"].startswith("whsec_")
    own = await subscribe(shop, receiver)
    review = await create_review(shop)
    await run_until_idle(ctx)

    (got,) = await receiver.log(hook["path"])
    check_platform_delivery(got, shop, platform.client_secret, hook["secret"])
    Webhook(hook["secret"]).verify(got.body, got.headers)
    assert got.payload["topic"] == "review/created"
    assert got.payload["list"][0]["id"] == review["id"]
    assert got.payload["list"][0]["shopify_shop_id"] == shop.shop_id

    # The shop's own subscription gets the same event, signed with the private token.
    (mine,) = await receiver.log(own["path"])
    assert mine.body == got.body
    check_headers(mine, shop, own["secret"])
    assert mine.headers["open-trustoo-webhook-sign"] != got.headers["open-trustoo-webhook-sign"]


async def test_rotated_client_secret_signs_the_next_attempt(
    ctx: AppContext,
    client: httpx.AsyncClient,
    admin: AdminApi,
    shop: ClockedShop,
    receiver: Receiver,
    clock: Clock,
) -> None:
    start = int(time.time())
    clock.set(start)
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform)
    hook = await bearer_subscribe(client, tokens["access_token"], receiver)
    await receiver.script(hook["path"], [[500, {}]])
    await create_review(shop)
    await run_once(ctx)  # attempt 1 fails, signed with the old secret

    rotated = ok(
        await admin.post(
            "rotate_platform_secret", {"client_id": platform.client_id, "which": "client_secret"}
        )
    )
    new_secret = rotated["client_secret"]
    clock.set(start + 180)
    await run_once(ctx)  # attempt 2, after the rotation

    first, second = await receiver.log(hook["path"])
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    check_platform_delivery(first, shop, platform.client_secret, hook["secret"])
    check_platform_delivery(second, shop, new_secret, hook["secret"])
    assert second.headers["open-trustoo-webhook-timestamp"] == str(start + 180)
    stamp = second.headers["open-trustoo-webhook-timestamp"]
    old_sign = trustoo_signature(platform.client_secret, stamp, second.body)
    assert second.headers["open-trustoo-webhook-sign"] != old_sign
    (row,) = await deliveries(ctx, shop.shop_id)
    assert (row.status, row.attempts) == ("succeeded", 2)


async def test_private_token_reset_does_not_touch_platform_signatures(
    ctx: AppContext, client: httpx.AsyncClient, shop: ClockedShop, receiver: Receiver
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform)
    hook = await bearer_subscribe(client, tokens["access_token"], receiver)
    own = await subscribe(shop, receiver)
    merchant = await sign_in(ctx, client, shop)
    reset = ok(
        await client.post(API + "reset_private_token", json={}, headers=bearer(merchant.token))
    )
    shop.private_token = reset["private_token"]
    await create_review(shop)
    await run_until_idle(ctx)
    (got,) = await receiver.log(hook["path"])
    check_platform_delivery(got, shop, platform.client_secret, hook["secret"])
    (mine,) = await receiver.log(own["path"])
    check_headers(mine, shop, own["secret"])  # the new private token


# --- fan-out: scopes and platform status -----------------------------------------------------


async def test_reapproval_without_a_fitting_scope_stops_deliveries(
    ctx: AppContext, client: httpx.AsyncClient, shop: ClockedShop, receiver: Receiver
) -> None:
    platform = await create_platform(ctx)
    merchant = await sign_in(ctx, client, shop)
    code = await authorize_code(client, merchant, platform, scope="read_reviews,read_orders")
    tokens = ok(await exchange(client, platform, code))
    hook = await bearer_subscribe(client, tokens["access_token"], receiver)
    own = await subscribe(shop, receiver)

    # The merchant re-approves with read_orders only: the grant's scopes are replaced.
    await authorize_code(client, merchant, platform, scope="read_orders")
    await create_review(shop)
    assert await delivered_to(ctx, shop.shop_id) == [int(own["id"])]  # no row for the platform
    await run_until_idle(ctx)
    assert await receiver.log(hook["path"]) == []
    assert len(await receiver.log(own["path"])) == 1
    # Not an error and not a failure: the subscription stays as it was.
    listed = ok(await client.get(API + "get_shop_webhooks", headers=bearer(tokens["access_token"])))
    assert [(h["id"], h["status"], h["disabled_reason"]) for h in listed] == [
        (hook["id"], "enabled", "")
    ]
    assert await subscription_state(ctx, int(hook["id"])) == ("enabled", "")

    # Approved again with a fitting scope: the next event reaches the platform.
    await authorize_code(client, merchant, platform, scope="write_reviews")
    review = await create_review(shop)
    assert await delivered_to(ctx, shop.shop_id) == sorted(
        [int(own["id"]), int(own["id"]), int(hook["id"])]
    )
    await run_until_idle(ctx)
    (got,) = await receiver.log(hook["path"])
    assert got.payload["list"][0]["id"] == review["id"]
    check_platform_delivery(got, shop, platform.client_secret, hook["secret"])


async def test_narrowed_allowed_scopes_stop_deliveries(
    ctx: AppContext,
    client: httpx.AsyncClient,
    admin: AdminApi,
    shop: ClockedShop,
    receiver: Receiver,
) -> None:
    platform = await create_platform(ctx, allowed_scopes="read_reviews,read_orders")
    tokens = await connect(ctx, client, shop, platform)
    assert tokens["scope"] == "read_reviews,read_orders"
    hook = await bearer_subscribe(client, tokens["access_token"], receiver)
    own = await subscribe(shop, receiver)

    narrowed = {"client_id": platform.client_id, "allowed_scopes": "read_orders"}
    assert ok(await admin.post("update_platform", narrowed))["allowed_scopes"] == "read_orders"
    await create_review(shop)
    assert await delivered_to(ctx, shop.shop_id) == [int(own["id"])]

    widened = {"client_id": platform.client_id, "allowed_scopes": "read_reviews,read_orders"}
    ok(await admin.post("update_platform", widened))
    review = await create_review(shop)
    assert await delivered_to(ctx, shop.shop_id) == sorted(
        [int(own["id"]), int(own["id"]), int(hook["id"])]
    )
    await run_until_idle(ctx)
    (got,) = await receiver.log(hook["path"])
    assert got.payload["list"][0]["id"] == review["id"]


async def test_disabled_platform_receives_nothing(
    ctx: AppContext,
    client: httpx.AsyncClient,
    admin: AdminApi,
    shop: ClockedShop,
    receiver: Receiver,
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform)
    hook = await bearer_subscribe(client, tokens["access_token"], receiver)
    own = await subscribe(shop, receiver)
    await create_review(shop)  # queued for both before the platform is disabled
    assert await delivered_to(ctx, shop.shop_id) == sorted([int(own["id"]), int(hook["id"])])

    status = {"client_id": platform.client_id, "status": "disabled"}
    ok(await admin.post("update_platform", status))
    await create_review(shop)  # while disabled: no delivery row for the platform
    await run_until_idle(ctx)
    assert await receiver.log(hook["path"]) == []
    assert len(await receiver.log(own["path"])) == 2
    rows = await deliveries(ctx, shop.shop_id)
    assert sorted((r.subscription_id, r.status) for r in rows) == sorted(
        [
            (int(own["id"]), "succeeded"),
            (int(hook["id"]), "cancelled"),
            (int(own["id"]), "succeeded"),
        ]
    )
    assert await subscription_state(ctx, int(hook["id"])) == ("enabled", "")

    ok(await admin.post("update_platform", {**status, "status": "active"}))
    review = await create_review(shop)
    await run_until_idle(ctx)
    (got,) = await receiver.log(hook["path"])  # only the event after re-enabling
    assert got.payload["list"][0]["id"] == review["id"]
    check_platform_delivery(got, shop, platform.client_secret, hook["secret"])


# --- the end of a grant ----------------------------------------------------------------------


async def end_grant(
    how: str, client: httpx.AsyncClient, platform: PlatformCreds, shop: ShopApi, tokens: Any
) -> None:
    if how == "disconnect":
        response = await client.post(
            API + "oauth/disconnect", headers=bearer(tokens["access_token"])
        )
    elif how == "cancel":
        response = await client.post(
            API + "oauth/cancel", json=platform.client(myshopify_domain=shop.myshopify_domain)
        )
    else:
        response = await client.post(
            "/api/v1/merchant/disconnect_platform",
            json={"client_id": platform.client_id},
            headers=bearer(tokens["merchant"]),
        )
    assert ok(response) == {}


@pytest.mark.parametrize("how", ["disconnect", "cancel", "merchant"])
async def test_grant_end_deletes_the_platforms_subscriptions_of_that_shop(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ClockedShop,
    other_shop: ClockedShop,
    receiver: Receiver,
    how: str,
) -> None:
    platform = await create_platform(ctx)
    merchant = await sign_in(ctx, client, shop)
    tokens = ok(await exchange(client, platform, await authorize_code(client, merchant, platform)))
    tokens["merchant"] = merchant.token
    other_tokens = await connect(ctx, client, other_shop, platform)
    created = await bearer_subscribe(client, tokens["access_token"], receiver)
    updated = await bearer_subscribe(client, tokens["access_token"], receiver, "review/updated")
    own = await subscribe(shop, receiver)
    other_hook = await bearer_subscribe(client, other_tokens["access_token"], receiver)
    other_own = await subscribe(other_shop, receiver)

    await create_review(shop)  # pending for `created` and `own`
    await create_review(other_shop)
    assert await delivered_to(ctx, shop.shop_id) == sorted([int(created["id"]), int(own["id"])])

    await end_grant(how, client, platform, shop, tokens)

    # The platform's subscriptions for this shop are gone, with their pending deliveries.
    assert await subscriptions_of(ctx, shop.shop_id) == [(int(own["id"]), "", "review/created")]
    rows = await deliveries(ctx, shop.shop_id)
    assert [(r.subscription_id, r.status) for r in rows] == [(int(own["id"]), "pending")]
    # Other shops' subscriptions of the platform, and the shop's own, are untouched.
    assert await subscriptions_of(ctx, other_shop.shop_id) == [
        (int(other_hook["id"]), platform.client_id, "review/created"),
        (int(other_own["id"]), "", "review/created"),
    ]
    await run_until_idle(ctx)
    for gone in (created, updated):
        assert await receiver.log(gone["path"]) == []
    assert len(await receiver.log(own["path"])) == 1
    assert len(await receiver.log(other_own["path"])) == 1
    (got,) = await receiver.log(other_hook["path"])
    check_platform_delivery(got, other_shop, platform.client_secret, other_hook["secret"])

    # Its tokens are revoked; a new authorization starts without subscriptions.
    error(
        await client.get(API + "get_shop_webhooks", headers=bearer(tokens["access_token"])), 16, 401
    )
    again = await connect(ctx, client, shop, platform)
    assert (
        ok(await client.get(API + "get_shop_webhooks", headers=bearer(again["access_token"]))) == []
    )
    # The other shop's platform subscription carries on.
    listed = ok(
        await client.get(API + "get_shop_webhooks", headers=bearer(other_tokens["access_token"]))
    )
    assert [h["id"] for h in listed] == [other_hook["id"]]


# --- webhook/disabled ------------------------------------------------------------------------


def check_disabled_event(
    got: Received,
    shop: ShopApi,
    platform: PlatformCreds,
    hook: dict[str, Any],
    reason: str,
    disabled_at: str | None = None,
) -> None:
    payload = got.payload
    assert set(payload) == {"topic", "event_id", "occurred_at", "list"}  # no sequence
    assert payload["topic"] == "webhook/disabled"
    assert HEX32.match(payload["event_id"]) and RFC3339_Z.match(payload["occurred_at"])
    (item,) = payload["list"]
    assert item == {
        "client_id": platform.client_id,
        "shop_id": shop.shop_id,
        "myshopify_domain": shop.myshopify_domain,
        "webhook": {"id": hook["id"], "topic": hook["topic"], "url": hook["url"]},
        "disabled_at": disabled_at or payload["occurred_at"],
        "reason": reason,
    }
    assert RFC3339_Z.match(item["disabled_at"])
    headers = got.headers
    stamp = headers["open-trustoo-webhook-timestamp"]
    assert headers["open-trustoo-webhook-public-token"] == shop.public_token
    assert headers["open-trustoo-webhook-topic"] == "webhook/disabled"
    assert headers["open-trustoo-webhook-requestid"] == payload["event_id"]
    assert headers["webhook-id"] == payload["event_id"]
    assert headers["open-trustoo-webhook-sign"] == trustoo_signature(
        platform.client_secret, stamp, got.body
    )
    assert headers["webhook-signature"] == standard_signature(
        platform.system_webhook_secret, payload["event_id"], stamp, got.body
    )


async def system_events(receiver: Receiver, path: str, topic: str) -> list[Received]:
    return [r for r in await receiver.log(path) if r.payload["topic"] == topic]


async def test_a_410_tells_the_platform_by_webhook_disabled(
    ctx: AppContext, client: httpx.AsyncClient, shop: ClockedShop, receiver: Receiver
) -> None:
    system_path = receiver.new_path()
    platform = await create_platform(ctx, webhook_url=receiver.url(system_path))
    tokens = await connect(ctx, client, shop, platform)
    hook = await bearer_subscribe(client, tokens["access_token"], receiver)
    await receiver.script(hook["path"], [[410, {}]])
    await create_review(shop)
    await run_until_idle(ctx)

    assert await subscription_state(ctx, int(hook["id"])) == ("disabled", "gone")
    (listed,) = ok(
        await client.get(API + "get_shop_webhooks", headers=bearer(tokens["access_token"]))
    )
    assert (listed["status"], listed["disabled_reason"]) == ("disabled", "gone")
    (got,) = await system_events(receiver, system_path, "webhook/disabled")
    check_disabled_event(got, shop, platform, hook, "gone", listed["updated_at"])
    Webhook(platform.system_webhook_secret).verify(got.body, got.headers)

    # Disabled: nothing more is queued for it.
    await create_review(shop)
    assert await delivered_to(ctx, shop.shop_id) == [int(hook["id"])]


async def test_a_shop_owned_subscription_disabled_sends_no_system_webhook(
    ctx: AppContext, client: httpx.AsyncClient, shop: ClockedShop, receiver: Receiver
) -> None:
    system_path = receiver.new_path()
    platform = await create_platform(ctx, webhook_url=receiver.url(system_path))
    await connect(ctx, client, shop, platform)
    own = await subscribe(shop, receiver)
    await receiver.script(own["path"], [[410, {}]])
    await create_review(shop)
    await run_until_idle(ctx)
    assert await subscription_state(ctx, int(own["id"])) == ("disabled", "gone")
    assert [r.payload["topic"] for r in await receiver.log(system_path)] == ["app/authorized"]


async def test_five_days_of_failures_tell_the_platform(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ClockedShop,
    receiver: Receiver,
    clock: Clock,
) -> None:
    start = int(time.time())
    clock.set(start)
    system_path = receiver.new_path()
    platform = await create_platform(ctx, webhook_url=receiver.url(system_path))
    tokens = await connect(ctx, client, shop, platform)
    hook = await bearer_subscribe(client, tokens["access_token"], receiver)
    await receiver.script(hook["path"], [[500, {}]] * 20)
    await create_review(shop)
    await run_once(ctx)  # the streak begins
    clock.set(start + 5 * DAY)
    await create_review(shop)
    await run_until_idle(ctx)

    assert await subscription_state(ctx, int(hook["id"])) == ("disabled", "failing")
    (got,) = await system_events(receiver, system_path, "webhook/disabled")
    check_disabled_event(got, shop, platform, hook, "failing")
    assert got.payload["occurred_at"] == time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 5 * DAY)
    )


async def test_refresh_token_reuse_keeps_the_subscriptions(
    ctx: AppContext, client: httpx.AsyncClient, shop: ClockedShop, receiver: Receiver
) -> None:
    """Reuse revokes every token of the grant, but the grant and its subscriptions stay."""
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform)
    hook = await bearer_subscribe(client, tokens["access_token"], receiver)
    ok(await refresh(client, platform, tokens["refresh_token"]))
    reused = error(await refresh(client, platform, tokens["refresh_token"]), 3, 400)
    assert reused["data"]["error"] == "invalid_grant"
    error(
        await client.get(API + "get_shop_webhooks", headers=bearer(tokens["access_token"])), 16, 401
    )
    review = await create_review(shop)
    await run_until_idle(ctx)
    (got,) = await receiver.log(hook["path"])
    assert got.payload["list"][0]["id"] == review["id"]
    check_platform_delivery(got, shop, platform.client_secret, hook["secret"])
