"""Web reviews at the edge: CORS and preflights, the per-IP limit, two submissions at once, and
the review/created webhook delivered to a receiver."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from tests.support.api import ShopApi, error, ok
from tests.support.webhooks import ClockedShop, Receiver, run_until_idle, subscribe
from tests.web_reviews.helpers import (
    EMAIL,
    LIMIT,
    PRODUCT,
    body,
    client_at,
    get_policy,
    page_of,
    policy_path,
    post_review,
    reviews_path,
    set_shop,
    stored_events,
    stored_reviews,
)

SITE = "https://www.example-shop.com"
CORS_GRANT = {
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "access-control-allow-origin",
}


# --- CORS -----------------------------------------------------------------------------------


async def test_storefront_origins_and_the_shops_own_domain_are_allowed(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await set_shop(ctx, shop.shop_id, storefront_origins=[SITE])
    for i, origin in enumerate((SITE, SITE.upper() + ":443", page_of(shop.myshopify_domain))):
        response = await post_review(
            client, shop.myshopify_domain, body(product_id=f"p{i}"), origin=origin
        )
        ok(response)
        assert response.headers["access-control-allow-origin"] == origin
        assert response.headers["vary"] == "Origin"


async def test_another_origin_is_code_7_and_nothing_is_stored(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    response = await post_review(
        client, shop.myshopify_domain, body(), origin="https://evil.example"
    )
    assert error(response, 7, 403)["message"] == (
        "permission denied: this Origin may not post reviews to this shop"
    )
    assert "access-control-allow-origin" not in response.headers
    assert await stored_reviews(ctx, shop.shop_id) == []


async def test_a_server_without_origin_gets_no_cors_headers(
    client: httpx.AsyncClient, shop: ShopApi
) -> None:
    response = await post_review(client, shop.myshopify_domain, body())
    ok(response)
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(("path", "method"), [(reviews_path, "POST"), (policy_path, "GET")])
async def test_preflights(client: httpx.AsyncClient, shop: ShopApi, path: Any, method: str) -> None:
    origin = page_of(shop.myshopify_domain)
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type",
    }
    granted = await client.options(path(shop.myshopify_domain), headers=headers)
    assert granted.status_code == 204 and granted.content == b""
    assert set(granted.headers) >= CORS_GRANT
    assert granted.headers["access-control-allow-origin"] == origin
    assert granted.headers["access-control-allow-methods"] == method
    assert granted.headers["access-control-allow-headers"] == "Content-Type"
    denied = await client.options(
        path(shop.myshopify_domain), headers={**headers, "Origin": "https://evil.example"}
    )
    assert denied.status_code == 204 and denied.content == b""
    assert not CORS_GRANT & set(denied.headers)
    unknown = await client.options(path("nobody.myshopify.com"), headers=headers)
    assert error(unknown, 5, 404)["message"] == "not found: no active shop with this domain"


# --- the per-IP limit -----------------------------------------------------------------------


async def test_limit_per_shop_and_ip_counts_reviews_and_policies(
    limited: tuple[AppContext, Any], shop: ShopApi, other_shop: ShopApi
) -> None:
    limited_ctx, app = limited
    origin = page_of(shop.myshopify_domain)
    async with client_at(app, "203.0.113.7") as visitor, client_at(app, "203.0.113.8") as other:
        ok(await get_policy(visitor, shop.myshopify_domain, origin=origin))
        for i in range(LIMIT - 1):
            ok(await post_review(visitor, shop.myshopify_domain, body(product_id=f"p{i}")))
        refused = await post_review(
            visitor, shop.myshopify_domain, body(product_id="late"), origin=origin
        )
        message = error(refused, 8, 429)["message"]
        assert message.startswith("rate limit exceeded; retry after ")
        assert 1 <= int(refused.headers["retry-after"]) <= 3601
        assert refused.headers["access-control-allow-origin"] == origin
        policy = await get_policy(visitor, shop.myshopify_domain, origin=origin)
        error(policy, 8, 429)
        # Another visitor, or the same visitor on another shop, has an allowance of its own.
        ok(await post_review(other, shop.myshopify_domain, body(product_id="late")))
        ok(await post_review(visitor, other_shop.myshopify_domain, body(product_id="late")))
    assert len(await stored_reviews(limited_ctx, shop.shop_id)) == LIMIT


# --- two at once ----------------------------------------------------------------------------


async def test_two_concurrent_submissions_store_exactly_one(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    for round_ in range(3):
        product = f"race-{round_}"
        answers = await asyncio.gather(
            *(
                post_review(client, shop.myshopify_domain, body(product_id=product, rating=r))
                for r in (5, 4)
            )
        )
        codes = sorted(a.json()["code"] for a in answers)
        assert codes == [0, 6], [a.json() for a in answers]
        rows = [r for r in await stored_reviews(ctx, shop.shop_id) if r.product_id == product]
        assert len(rows) == 1
        winner = next(a.json()["data"] for a in answers if a.json()["code"] == 0)
        assert str(rows[0].id) == winner["id"]
    rating = ok(await shop.get("get_rating", {"is_all_rating": 1}))
    assert rating["review_count"] == 3
    assert [e.event_type for e in await stored_events(ctx, shop.shop_id)] == ["SUBMIT_REVIEW"] * 3


async def test_many_concurrent_submissions_of_one_address(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    answers = await asyncio.gather(
        *(post_review(client, shop.myshopify_domain, body(rating=1 + i % 5)) for i in range(8))
    )
    assert sorted(a.json()["code"] for a in answers) == [0] + [6] * 7
    assert len(await stored_reviews(ctx, shop.shop_id)) == 1


# --- events ---------------------------------------------------------------------------------


async def test_review_created_is_delivered_as_a_webhook(
    shop: ClockedShop, client: httpx.AsyncClient, ctx: AppContext, receiver: Receiver
) -> None:
    hook = await subscribe(shop, receiver, "review/created")
    events_hook = await subscribe(shop, receiver, "customer_event/created")
    answer = ok(await post_review(client, shop.myshopify_domain, body()))
    await run_until_idle(ctx)
    (got,) = await receiver.log(hook["path"])
    payload = got.payload
    assert payload["topic"] == "review/created"
    (item,) = payload["list"]
    assert (item["id"], item["product_id"], item["rating"]) == (answer["id"], PRODUCT, 5)
    assert (item["source"], item["author_email"], item["is_published"]) == (
        "Store front",
        EMAIL,
        1,
    )
    (event,) = await receiver.log(events_hook["path"])
    (submitted,) = event.payload["list"]
    assert (submitted["event_type"], submitted["review_id"]) == ("SUBMIT_REVIEW", answer["id"])
