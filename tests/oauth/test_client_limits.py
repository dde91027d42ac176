"""Rate limits of the OAuth client endpoints: wrong secrets are counted per client_id and client
address and per address, authenticated calls per client_id (docs/operations.md "Rate limits").

Tokens are obtained through the shared app (limits off); the limited calls go to a second app on
the same database with limits on, whose clients each carry their own client address.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.settings import Settings
from tests.oauth.helpers import assert_oauth_error
from tests.support.api import ShopApi, error, ok
from tests.support.limited_app import LimitedApp
from tests.support.oauth import API, TOKEN_PATH, PlatformCreds, connect, create_platform

INTROSPECT = f"{API}/oauth/introspect"
AUTH_INFO = f"{API}/get_shop_authorization_info"
ATTACKER = "203.0.113.9"
PLATFORM_SERVER = "198.51.100.30"


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[LimitedApp]:
    app = LimitedApp(settings)
    yield app
    await app.close()


def assert_wrong_client(response: httpx.Response) -> None:
    body = error(response, 16, 401)
    description = assert_oauth_error(body, "invalid_client")
    assert description == "unknown client_id or wrong client_secret"


def assert_rate_limited(response: httpx.Response, *, oauth_error: bool = True) -> None:
    """Code 8 with Retry-After; the token, introspect and revoke endpoints also carry the
    OAuth error object."""
    body = error(response, 8, 429)
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 61
    description = f"rate limit exceeded; retry after {retry_after} s"
    if oauth_error:
        assert assert_oauth_error(body, "temporarily_unavailable") == description
    else:
        assert body["message"] == description and body["data"] is None


def wrong_secret(platform: PlatformCreds, token: str) -> dict[str, str]:
    return {"client_id": platform.client_id, "client_secret": "cs_guess", "token": token}


async def test_wrong_secrets_do_not_lock_out_the_real_client(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, limited: LimitedApp
) -> None:
    """125 wrong-secret introspections by someone who knows the client_id: the attacker's
    address is refused after the limit, the real platform refreshes and introspects as usual."""
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform)
    attacker = limited.at(ATTACKER)
    limit = limited.settings.client_auth_failures_per_minute
    responses = [
        await attacker.post(INTROSPECT, data=wrong_secret(platform, tokens["access_token"]))
        for _ in range(125)
    ]
    for response in responses[:limit]:
        assert_wrong_client(response)
    for response in responses[limit:]:
        assert_rate_limited(response)
    # From the attacker's address even the right secret waits; it is never compared there.
    assert_rate_limited(
        await attacker.post(INTROSPECT, data=platform.client(token=tokens["access_token"]))
    )

    server = limited.at(PLATFORM_SERVER)
    body = platform.client(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    rotated = ok(await server.post(TOKEN_PATH, data=body))
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["shop_id"] == shop.shop_id
    answer = ok(await server.post(INTROSPECT, data=platform.client(token=rotated["access_token"])))
    assert answer["active"] is True and answer["client_id"] == platform.client_id


async def test_unknown_client_ids_are_counted_per_address(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, limited: LimitedApp
) -> None:
    """Made-up client_ids are counted per address: a stream of them is bounded there, and
    every one of them meets the same count (none gets a fresh allowance of its own)."""
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform)
    attacker = limited.at(ATTACKER)
    limit = limited.settings.client_auth_failures_per_address_per_minute
    for _ in range(limit):
        made_up = {"client_id": f"guess-{uuid.uuid4().hex}", "client_secret": "cs_guess"}
        assert_wrong_client(await attacker.post(INTROSPECT, data={**made_up, "token": "x"}))
    for _ in range(3):
        made_up = {"client_id": f"guess-{uuid.uuid4().hex}", "client_secret": "cs_guess"}
        assert_rate_limited(await attacker.post(INTROSPECT, data={**made_up, "token": "x"}))
    # The GET endpoints authenticate the same way and meet the same count.
    query = platform.client(shop_id=shop.shop_id)
    assert_rate_limited(await attacker.get(AUTH_INFO, params=query), oauth_error=False)
    info = ok(await limited.at(PLATFORM_SERVER).get(AUTH_INFO, params=query))
    assert info["is_authorized"] is True and info["shop_id"] == shop.shop_id
    answer = ok(
        await limited.at(PLATFORM_SERVER).post(
            INTROSPECT, data=platform.client(token=tokens["access_token"])
        )
    )
    assert answer["active"] is True


async def test_authenticated_calls_are_limited_per_client_id(
    settings: Settings, ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    """Authenticated calls still count per client_id, from every address together; wrong
    secrets do not eat into that allowance."""
    app = LimitedApp(settings, client_rate_limit_per_minute=3)
    try:
        platform = await create_platform(ctx)
        tokens = await connect(ctx, client, shop, platform)
        for _ in range(5):
            wrong = wrong_secret(platform, tokens["access_token"])
            assert_wrong_client(await app.at(ATTACKER).post(INTROSPECT, data=wrong))
        right = platform.client(token=tokens["access_token"])
        for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
            assert ok(await app.at(address).post(INTROSPECT, data=right))["active"] is True
        assert_rate_limited(await app.at("198.51.100.4").post(INTROSPECT, data=right))
    finally:
        await app.close()
