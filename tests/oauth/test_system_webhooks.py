"""System webhooks to a platform's webhook_url (spec oauth.md "System webhooks"): each lifecycle
event delivered by the worker to the real receiver with the exact body and headers, both
signatures (client secret; system webhook secret), nothing for a platform without webhook_url or
a disabled one, and failed deliveries retried on the schedule without ever being disabled."""

from __future__ import annotations

import json
import logging
import math
import re
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from shopreviews.kit.context import AppContext
from shopreviews.kit.outbox import DomainEvent
from shopreviews.platforms.models import Platform
from shopreviews.webhooks.models import WebhookDelivery
from tests.support.admin import AdminApi
from tests.support.api import Clock, ShopApi, bearer, create_shop, error, ok
from tests.support.oauth import (
    TOKEN_PATH,
    PlatformCreds,
    authorize_code,
    create_platform,
    exchange,
    refresh,
    sign_in,
)
from tests.support.webhooks import (
    HEADERS,
    ClockedShop,
    Received,
    Receiver,
    attempt_rows,
    deliveries,
    run_once,
    run_until_idle,
    standard_signature,
    trustoo_signature,
)

HEX32 = re.compile(r"^[0-9a-f]{32}$")
MINUTE, HOUR, DAY = 60, 3600, 86400
API = "/api/v1/openapi/"
SHOP_KEYS = {"client_id", "shop_id", "myshopify_domain"}


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
async def shop(ctx: AppContext, client: httpx.AsyncClient) -> ClockedShop:
    """A shop whose HMAC calls are signed at the app clock (tests here move it)."""
    return ClockedShop.of(await create_shop(ctx, client), ctx)


async def hooked_platform(
    ctx: AppContext, receiver: Receiver, **kw: Any
) -> tuple[PlatformCreds, str]:
    """A platform whose webhook_url is a fresh receiver path; returns it and the path."""
    path = receiver.new_path()
    return await create_platform(ctx, webhook_url=receiver.url(path), **kw), path


def check_system(
    got: Received,
    shop: ShopApi,
    platform: PlatformCreds,
    topic: str,
    *,
    library: bool = True,
) -> dict[str, Any]:
    """Body and headers of one system webhook; returns the item without the shared keys."""
    payload = got.payload
    assert set(payload) == {"topic", "event_id", "occurred_at", "list"}  # no sequence
    assert payload["topic"] == topic
    assert HEX32.match(payload["event_id"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", payload["occurred_at"])
    assert got.body == json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    (item,) = payload["list"]
    assert {k: item[k] for k in SHOP_KEYS} == {
        "client_id": platform.client_id,
        "shop_id": shop.shop_id,
        "myshopify_domain": shop.myshopify_domain,
    }

    headers, body = got.headers, got.body
    assert not HEADERS - set(headers), sorted(HEADERS - set(headers))
    stamp = headers["open-trustoo-webhook-timestamp"]
    assert stamp.isdigit() and headers["webhook-timestamp"] == stamp
    assert headers["content-type"] == "application/json"
    assert headers["open-trustoo-webhook-public-token"] == shop.public_token
    assert headers["open-trustoo-webhook-topic"] == topic
    assert headers["open-trustoo-webhook-requestid"] == payload["event_id"]
    assert headers["webhook-id"] == payload["event_id"]
    # Trustoo-style: keyed by the client secret (not the shop's private token).
    assert headers["open-trustoo-webhook-sign"] == trustoo_signature(
        platform.client_secret, stamp, body
    )
    assert headers["open-trustoo-webhook-sign"] != trustoo_signature(
        shop.private_token, stamp, body
    )
    # Standard Webhooks: keyed by the system webhook secret.
    assert headers["webhook-signature"] == standard_signature(
        platform.system_webhook_secret, payload["event_id"], stamp, body
    )
    if library:  # the reference library agrees (it checks the timestamp against real time)
        Webhook(platform.system_webhook_secret).verify(body, headers)
    return {k: v for k, v in item.items() if k not in SHOP_KEYS}


async def by_topic(receiver: Receiver, path: str) -> dict[str, Received]:
    """What the receiver got at `path`, by topic (each topic at most once)."""
    got = await receiver.log(path)
    found = {r.payload["topic"]: r for r in got}
    assert len(found) == len(got), [r.payload["topic"] for r in got]
    return found


async def system_rows(ctx: AppContext, client_id: str) -> list[tuple[str, str, int]]:
    """(topic, status, attempts) of every system delivery queued for the platform."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(DomainEvent.topic, WebhookDelivery.status, WebhookDelivery.attempts)
            .join(DomainEvent, DomainEvent.id == WebhookDelivery.event_pk)
            .where(
                WebhookDelivery.system_client_id == client_id,
                WebhookDelivery.subscription_id.is_(None),
            )
            .order_by(WebhookDelivery.id)
        )
        return [(t, s, a) for t, s, a in rows.all()]


async def app_events(ctx: AppContext, shop_id: str) -> int:
    async with ctx.db.session(write=False) as session:
        result = await session.execute(
            select(func.count(DomainEvent.id)).where(
                DomainEvent.shop_id == shop_id,
                DomainEvent.topic.in_(
                    ["app/authorized", "app/disconnected", "app/cancelled", "app/tokens_revoked"]
                ),
            )
        )
        return int(result.scalar_one())


# --- app/authorized --------------------------------------------------------------------------


async def test_app_authorized_then_reauthorized(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ClockedShop,
    receiver: Receiver,
    clock: Clock,
) -> None:
    start = int(time.time())
    clock.set(start)
    platform, path = await hooked_platform(ctx, receiver)
    merchant = await sign_in(ctx, client, shop)
    await authorize_code(client, merchant, platform, scope="read_reviews")
    await run_until_idle(ctx)
    (first,) = await receiver.log(path)
    assert check_system(first, shop, platform, "app/authorized") == {
        "granted_scopes": "read_reviews",
        "installed_at": rfc3339(start),
        "authorized_at": rfc3339(start),
        "grant_type": "authorization_code",
        "reauthorized": 0,
    }
    assert first.payload["occurred_at"] == rfc3339(start)
    assert first.headers["webhook-timestamp"] == str(start)

    clock.set(start + 30)
    await authorize_code(client, merchant, platform, scope="write_reviews read_reviews")
    await run_until_idle(ctx)
    again, second = await receiver.log(path)
    assert again.body == first.body  # delivered once, not again
    assert check_system(second, shop, platform, "app/authorized") == {
        "granted_scopes": "read_reviews,write_reviews",
        "installed_at": rfc3339(start),
        "authorized_at": rfc3339(start + 30),
        "grant_type": "authorization_code",
        "reauthorized": 1,
    }
    assert second.payload["occurred_at"] == rfc3339(start + 30)
    assert second.payload["event_id"] != first.payload["event_id"]
    assert await system_rows(ctx, platform.client_id) == [
        ("app/authorized", "succeeded", 1),
        ("app/authorized", "succeeded", 1),
    ]
    # The token exchange itself sends nothing.
    code = await authorize_code(client, merchant, platform, scope="read_reviews")
    ok(await exchange(client, platform, code))
    assert len(await system_rows(ctx, platform.client_id)) == 3


async def test_app_authorized_on_the_first_client_credentials_issue(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ClockedShop,
    receiver: Receiver,
    clock: Clock,
) -> None:
    start = int(time.time())
    clock.set(start)
    platform, path = await hooked_platform(
        ctx,
        receiver,
        skip_shop_oauth=1,
        allowed_scopes="read_reviews,read_orders,read_shop_install_status",
    )
    body = platform.client(grant_type="client_credentials", shop_id=shop.shop_id)
    issued = ok(await client.post(TOKEN_PATH, data=body))
    assert issued["scope"] == "read_reviews,read_orders" and issued["refresh_token"] == ""
    clock.set(start + 20)
    # Later issues for the same active grant send nothing.
    ok(await client.post(TOKEN_PATH, data={**body, "scope": "read_reviews"}))
    ok(await client.post(TOKEN_PATH, json=body))
    await run_until_idle(ctx)
    (got,) = await receiver.log(path)
    assert check_system(got, shop, platform, "app/authorized") == {
        "granted_scopes": "read_reviews,read_orders",
        "installed_at": rfc3339(start),
        "authorized_at": rfc3339(start),
        "grant_type": "client_credentials",
        "reauthorized": 0,
    }
    assert await system_rows(ctx, platform.client_id) == [("app/authorized", "succeeded", 1)]


# --- the end of a grant ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "topic", "initiated_by"),
    [
        ("oauth/disconnect", "app/disconnected", "platform"),
        ("disconnect_platform", "app/disconnected", "merchant"),
        ("oauth/cancel", "app/cancelled", "platform"),
    ],
)
async def test_grant_end_events(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ClockedShop,
    receiver: Receiver,
    clock: Clock,
    how: str,
    topic: str,
    initiated_by: str,
) -> None:
    start = int(time.time())
    clock.set(start)
    platform, path = await hooked_platform(ctx, receiver)
    merchant = await sign_in(ctx, client, shop)
    tokens = ok(await exchange(client, platform, await authorize_code(client, merchant, platform)))
    clock.set(start + 40)
    if how == "oauth/disconnect":
        response = await client.post(API + how, headers=bearer(tokens["access_token"]))
    elif how == "oauth/cancel":
        response = await client.post(API + how, json=platform.client(shop_id=shop.shop_id))
    else:
        response = await client.post(
            "/api/v1/merchant/disconnect_platform",
            json={"client_id": platform.client_id},
            headers=bearer(merchant.token),
        )
    assert ok(response) == {}
    await run_until_idle(ctx)

    # No ordering guarantee between deliveries: look them up by topic.
    received = await by_topic(receiver, path)
    assert sorted(received) == sorted(["app/authorized", topic])
    ended = received[topic]
    assert check_system(ended, shop, platform, topic) == {
        "ended_at": rfc3339(start + 40),
        "initiated_by": initiated_by,
    }
    assert ended.payload["occurred_at"] == rfc3339(start + 40)

    # Ending again finds no active grant: nothing more is sent.
    if how == "oauth/cancel":
        assert ok(await client.post(API + how, json=platform.client(shop_id=shop.shop_id))) == {}
    elif how == "disconnect_platform":
        again = await client.post(
            "/api/v1/merchant/disconnect_platform",
            json={"client_id": platform.client_id},
            headers=bearer(merchant.token),
        )
        error(again, 5, 404)
    else:
        error(await client.post(API + how, headers=bearer(tokens["access_token"])), 16, 401)
    await run_until_idle(ctx)
    assert len(await receiver.log(path)) == 2
    assert [t for t, _, _ in await system_rows(ctx, platform.client_id)] == [
        "app/authorized",
        topic,
    ]


async def test_app_tokens_revoked_on_refresh_token_reuse(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ClockedShop,
    receiver: Receiver,
    clock: Clock,
) -> None:
    start = int(time.time())
    clock.set(start)
    platform, path = await hooked_platform(ctx, receiver)
    merchant = await sign_in(ctx, client, shop)
    tokens = ok(await exchange(client, platform, await authorize_code(client, merchant, platform)))
    ok(await refresh(client, platform, tokens["refresh_token"]))
    clock.set(start + 50)
    reused = error(await refresh(client, platform, tokens["refresh_token"]), 3, 400)
    assert reused["data"]["error"] == "invalid_grant"
    await run_until_idle(ctx)

    received = await by_topic(receiver, path)
    assert sorted(received) == ["app/authorized", "app/tokens_revoked"]
    revoked = received["app/tokens_revoked"]
    assert check_system(revoked, shop, platform, "app/tokens_revoked") == {
        "revoked_at": rfc3339(start + 50),
        "reason": "refresh_token_reuse",
    }
    # The grant itself stays: no end event, and the shop is still authorized.
    info = ok(
        await client.get(
            API + "get_shop_authorization_info",
            params=platform.client(shop_id=shop.shop_id),
        )
    )
    assert info["is_authorized"] is True
    assert [t for t, _, _ in await system_rows(ctx, platform.client_id)] == [
        "app/authorized",
        "app/tokens_revoked",
    ]


# --- platforms that get nothing --------------------------------------------------------------


async def test_app_tokens_revoked_on_authorization_code_reuse(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ClockedShop,
    receiver: Receiver,
    clock: Clock,
) -> None:
    """RFC 6749 §4.1.2: a reused code revokes the tokens it issued, and the platform hears of it
    as for refresh token reuse, once."""
    start = int(time.time())
    clock.set(start)
    platform, path = await hooked_platform(ctx, receiver)
    merchant = await sign_in(ctx, client, shop)
    code = await authorize_code(client, merchant, platform)
    tokens = ok(await exchange(client, platform, code))
    ok(await client.get("/api/v1/openapi/get_reviews", headers=bearer(tokens["access_token"])))

    clock.set(start + 40)
    reused = error(await exchange(client, platform, code), 3, 400)
    assert reused["data"]["error"] == "invalid_grant"
    error(
        await client.get("/api/v1/openapi/get_reviews", headers=bearer(tokens["access_token"])),
        16,
        401,
    )
    # A third presentation revokes nothing more: no second event.
    clock.set(start + 45)
    error(await exchange(client, platform, code), 3, 400)
    await run_until_idle(ctx)

    received = await by_topic(receiver, path)
    assert sorted(received) == ["app/authorized", "app/tokens_revoked"]
    assert check_system(received["app/tokens_revoked"], shop, platform, "app/tokens_revoked") == {
        "revoked_at": rfc3339(start + 40),
        "reason": "authorization_code_reuse",
    }
    assert [t for t, _, _ in await system_rows(ctx, platform.client_id)] == [
        "app/authorized",
        "app/tokens_revoked",
    ]


async def test_a_platform_without_webhook_url_gets_nothing_queued(
    ctx: AppContext, client: httpx.AsyncClient, shop: ClockedShop, receiver: Receiver
) -> None:
    platform = await create_platform(ctx, webhook_url="")
    merchant = await sign_in(ctx, client, shop)
    tokens = ok(await exchange(client, platform, await authorize_code(client, merchant, platform)))
    await authorize_code(client, merchant, platform, scope="read_reviews")  # re-approval
    ok(await refresh(client, platform, tokens["refresh_token"]))
    error(await refresh(client, platform, tokens["refresh_token"]), 3, 400)  # reuse
    ok(await client.post(API + "oauth/cancel", json=platform.client(shop_id=shop.shop_id)))
    assert await system_rows(ctx, platform.client_id) == []
    assert await app_events(ctx, shop.shop_id) == 0
    assert [d for d in await deliveries(ctx, shop.shop_id) if d.subscription_id is None] == []


async def test_a_disabled_platform_gets_nothing(
    ctx: AppContext,
    client: httpx.AsyncClient,
    admin: AdminApi,
    shop: ClockedShop,
    receiver: Receiver,
) -> None:
    platform, path = await hooked_platform(ctx, receiver)
    merchant = await sign_in(ctx, client, shop)
    await authorize_code(client, merchant, platform)  # app/authorized queued, not yet sent
    status = {"client_id": platform.client_id, "status": "disabled"}
    ok(await admin.post("update_platform", status))

    await run_until_idle(ctx)  # the queued event is not sent while disabled
    assert await receiver.log(path) == []
    assert await system_rows(ctx, platform.client_id) == [("app/authorized", "cancelled", 0)]
    # An event while disabled is not even queued.
    disconnect = await client.post(
        "/api/v1/merchant/disconnect_platform",
        json={"client_id": platform.client_id},
        headers=bearer(merchant.token),
    )
    assert ok(disconnect) == {}
    assert await system_rows(ctx, platform.client_id) == [("app/authorized", "cancelled", 0)]

    # Re-enabled: nothing late arrives, and new events do.
    ok(await admin.post("update_platform", {**status, "status": "active"}))
    await run_until_idle(ctx)
    assert await receiver.log(path) == []
    await authorize_code(client, merchant, platform)
    await run_until_idle(ctx)
    (got,) = await receiver.log(path)
    item = check_system(got, shop, platform, "app/authorized")
    assert item["reauthorized"] == 0 and item["grant_type"] == "authorization_code"


# --- failures --------------------------------------------------------------------------------


async def test_failed_system_deliveries_retry_on_schedule_and_never_disable(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ClockedShop,
    receiver: Receiver,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    start = int(time.time())
    clock.set(start)
    platform, path = await hooked_platform(ctx, receiver)
    # 410 first: for a system webhook it is just a failure (nothing to disable).
    await receiver.script(path, [[410, {}]] + [[500, {}]] * 17)
    merchant = await sign_in(ctx, client, shop)
    await authorize_code(client, merchant, platform)
    await run_once(ctx)
    (row,) = [d for d in await deliveries(ctx, shop.shop_id) if d.subscription_id is None]
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.run_at == datetime.fromtimestamp(start + 3 * MINUTE, UTC)

    previous_end = start
    for attempt in range(2, 19):
        (row,) = [d for d in await deliveries(ctx, shop.shop_id) if d.subscription_id is None]
        assert (row.status, row.attempts) == ("pending", attempt - 1), attempt
        run_at = row.run_at.timestamp()
        if attempt <= 10:
            assert run_at - previous_end == 3 * MINUTE * (attempt - 1), attempt
        elif attempt == 18:
            assert run_at == start + 72 * HOUR
        clock.set(math.ceil(run_at) - 1)
        await run_once(ctx)
        assert len(await receiver.log(path)) == attempt - 1, attempt
        clock.set(math.ceil(run_at))
        await run_once(ctx)
        assert len(await receiver.log(path)) == attempt, attempt
        previous_end = math.ceil(run_at)

    (row,) = [d for d in await deliveries(ctx, shop.shop_id) if d.subscription_id is None]
    assert (row.status, row.attempts) == ("dead", 18)
    codes = [code for _, code, _ in await attempt_rows(ctx, row.id)]
    assert codes == [410] + [500] * 17
    got = await receiver.log(path)
    assert len({r.body for r in got}) == 1  # the same event every time
    for request in got:
        check_system(request, shop, platform, "app/authorized", library=False)
    assert any(
        "system webhook" in r.getMessage() and platform.client_id in r.getMessage()
        for r in caplog.records
    )

    # Never disabled: the platform and its webhook_url stay, later events are delivered.
    async with ctx.db.session(write=False) as session:
        stored = await session.get(Platform, platform.client_id)
        assert stored is not None
        assert (stored.status, stored.webhook_url) == ("active", receiver.url(path))
    clock.set(start + 6 * DAY)  # more than 5 days of failures
    cancel = await client.post(API + "oauth/cancel", json=platform.client(shop_id=shop.shop_id))
    assert ok(cancel) == {}
    await run_until_idle(ctx)
    last = (await receiver.log(path))[-1]
    assert check_system(last, shop, platform, "app/cancelled", library=False) == {
        "ended_at": rfc3339(start + 6 * DAY),
        "initiated_by": "platform",
    }
    assert [(t, s) for t, s, _ in await system_rows(ctx, platform.client_id)] == [
        ("app/authorized", "dead"),
        ("app/cancelled", "succeeded"),
    ]


@pytest.fixture(autouse=True)
def _log_webhooks(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="shopreviews.webhooks")


@pytest.mark.parametrize("which", ["client_secret", "system_webhook_secret"])
async def test_a_rotated_secret_signs_the_next_attempt(
    ctx: AppContext,
    client: httpx.AsyncClient,
    admin: AdminApi,
    shop: ClockedShop,
    receiver: Receiver,
    clock: Clock,
    which: str,
) -> None:
    start = int(time.time())
    clock.set(start)
    platform, path = await hooked_platform(ctx, receiver)
    await receiver.script(path, [[500, {}]])
    merchant = await sign_in(ctx, client, shop)
    await authorize_code(client, merchant, platform)
    await run_once(ctx)  # attempt 1 fails, signed with the old secrets
    rotated = ok(
        await admin.post(
            "rotate_platform_secret", {"client_id": platform.client_id, "which": which}
        )
    )
    assert set(rotated) == {which}
    clock.set(start + 3 * MINUTE)
    await run_once(ctx)

    first, second = await receiver.log(path)
    check_system(first, shop, platform, "app/authorized")
    old = (platform.client_secret, platform.system_webhook_secret)
    setattr(platform, which, rotated[which])
    # Only the new secret signs (no overlap for platform secrets: the old one stops at once).
    check_system(second, shop, platform, "app/authorized")
    stamp, event_id = second.headers["webhook-timestamp"], second.headers["webhook-id"]
    assert " " not in second.headers["webhook-signature"]  # one signature
    if which == "client_secret":
        old_sign = trustoo_signature(old[0], stamp, second.body)
        assert second.headers["open-trustoo-webhook-sign"] != old_sign
    else:
        old_signature = standard_signature(old[1], event_id, stamp, second.body)
        assert second.headers["webhook-signature"] != old_signature
