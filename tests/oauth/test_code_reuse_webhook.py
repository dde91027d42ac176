"""Authorization code reuse (RFC 6749 §4.1.2): the tokens the code issued are revoked and the
platform hears of it through `app/tokens_revoked`, as for refresh token reuse; delivered by the
worker to the real receiver."""

from __future__ import annotations

import time

import httpx
import pytest

from shopreviews.context import AppContext
from tests.conftest import Clock, create_shop, error, ok
from tests.oauth.helpers import authorize_code, bearer, exchange, sign_in
from tests.oauth.test_system_webhooks import by_topic, check_system, hooked_platform, rfc3339
from tests.oauth.test_system_webhooks import system_rows as system_topics
from tests.webhooks.helpers import ClockedShop, Receiver, run_until_idle


@pytest.fixture
async def shop(ctx: AppContext, client: httpx.AsyncClient) -> ClockedShop:
    return ClockedShop.of(await create_shop(ctx, client), ctx)


async def test_app_tokens_revoked_on_authorization_code_reuse(
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
    assert [t for t, _, _ in await system_topics(ctx, platform.client_id)] == [
        "app/authorized",
        "app/tokens_revoked",
    ]
