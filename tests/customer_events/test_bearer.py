"""get_customer_events with OAuth bearer tokens: the read_customer_events scope (README §5).
One connected platform for the module (merchant sign-in hashes with argon2)."""

from __future__ import annotations

import httpx

from shopreviews.kit.context import AppContext
from tests.customer_events.helpers import record
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.oauth import API, connect, create_platform, update_platform


async def test_scope_read_customer_events(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi
) -> None:
    event_id = await record(ctx, shop.shop_id, "2026-06-07 17:00:12", "CLICK_MEDIA")
    await record(ctx, other_shop.shop_id, "2026-06-07 17:00:12", "VIEW_REVIEW")
    platform = await create_platform(ctx, allowed_scopes="read_reviews,read_customer_events")
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews,read_customer_events")
    headers = bearer(tokens["access_token"])

    # With the scope: the token's shop's events only.
    for path in ("get_customer_events", "customer_events"):
        data = ok(await client.get(f"{API}/{path}", headers=headers))
        assert [e["id"] for e in data["list"]] == [event_id]
        assert data["list"][0]["event_type"] == "CLICK_MEDIA"

    # The operator narrows the platform: the token no longer carries the scope.
    await update_platform(ctx, platform.client_id, allowed_scopes="read_reviews")
    response = await client.get(f"{API}/get_customer_events", headers=headers)
    body = error(response, 7, 403)
    assert body["data"] is None
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="read_customer_events"'
    )
    ok(await client.get(f"{API}/get_reviews", headers=headers))  # the token itself still works
