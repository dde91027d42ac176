"""The storefront rate limit: SHOPREVIEWS_STOREFRONT_EVENTS_PER_MINUTE requests per shop and
client IP, then code 8 with Retry-After (docs/intake.md §4). Runs on a second app whose limit
is 3 a minute; the session app runs with rate limits off."""

from __future__ import annotations

from typing import Any

from shopreviews.kit.context import AppContext
from tests.customer_events.helpers import STOREFRONT_LIMIT, client_at, set_shop, stored
from tests.support.api import ShopApi, error, ok
from tests.support.customer_events import post_events

BODY = {"events": [{"event_type": "VIEW_REVIEW"}]}


async def test_over_the_limit_is_code_8_with_retry_after(
    limited: tuple[AppContext, Any], shop: ShopApi, other_shop: ShopApi
) -> None:
    ctx, app = limited
    site = "https://www.example-shop.com"
    await set_shop(ctx, shop.shop_id, storefront_origins=[site])
    async with client_at(app, "203.0.113.7") as client, client_at(app, "203.0.113.8") as second:
        # Every request counts, refused ones too, and every spelling of the domain is one shop.
        ok(await post_events(client, shop.myshopify_domain, BODY))
        error(await post_events(client, shop.myshopify_domain, {"events": []}), 3, 400)
        ok(await post_events(client, shop.myshopify_domain.upper(), BODY, origin=site))
        assert STOREFRONT_LIMIT == 3

        refused = await post_events(client, shop.myshopify_domain, BODY, origin=site)
        body = error(refused, 8, 429)
        assert body["data"] is None
        retry_after = refused.headers["retry-after"]
        assert retry_after.isdigit() and 1 <= int(retry_after) <= 61
        # The page of an allowed origin can read the refusal.
        assert refused.headers["access-control-allow-origin"] == site
        assert refused.headers["vary"] == "Origin"

        # Per shop and per client IP: the other shop and another address are not held back.
        ok(await post_events(client, other_shop.myshopify_domain, BODY))
        ok(await post_events(second, shop.myshopify_domain, BODY))
    assert len(await stored(ctx, shop.shop_id)) == 3
    assert len(await stored(ctx, other_shop.shop_id)) == 1
