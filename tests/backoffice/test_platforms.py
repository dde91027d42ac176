"""The connected platforms page: the owner sees each platform connected through the OAuth flow
with the scopes it was granted in plain words, and disconnects it after confirming, after which
its access token is refused by the API and its webhooks are gone. Staff users, posts without
this session's CSRF token and another shop's platform change nothing."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from shopreviews.kit.context import AppContext
from tests.backoffice.helpers import Merchant, csrf_of, require_browser, sign_in, signed_in_client
from tests.support.api import ShopApi, bearer, create_shop, error, ok
from tests.support.browser import LiveServer, axe_violations
from tests.support.oauth import connect, create_platform

require_browser()

OWNER_ONLY = "Only the shop&#39;s owner can open this page"
NOT_THIS_PAGE = "This form has expired or did not come from this page. Reload it."
NOT_CONNECTED = "This platform is not connected to this shop."
REVIEWS = "/api/v1/openapi/get_reviews"


async def _works(api: httpx.AsyncClient, access_token: str) -> None:
    ok(await api.get(REVIEWS, headers=bearer(access_token)))


async def test_the_owner_sees_and_disconnects_a_platform(
    page: Page,
    live: LiveServer,
    ctx: AppContext,
    api: httpx.AsyncClient,
    owner: Merchant,
    store: ShopApi,
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, api, store, platform, scope="read_reviews,read_orders")
    hook = await api.post(
        "/api/v1/openapi/create_shop_webhook",
        json={"topic": "review/created", "url": "https://93.184.216.34/platform"},
        headers=bearer(tokens["access_token"]),
    )
    ok(hook)
    await _works(api, tokens["access_token"])

    await sign_in(page, live.base_url, owner, "/backoffice/platforms")
    card = page.locator(".platform")
    await expect(card).to_have_count(1)
    await expect(card.locator("h2")).to_have_text(f"Platform {platform.client_id}")
    await expect(card.locator(".client-id")).to_have_text(platform.client_id)
    await expect(card.locator(".scopes li")).to_have_text(
        [
            "Read your reviews and ratings (read_reviews)",
            "Read your orders and their review-request status (read_orders)",
        ]
    )
    since = card.locator("time").first
    await expect(since).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT.*Z$"))
    assert await axe_violations(page) == []

    await card.get_by_role("link", name="Disconnect").click()
    await expect(page.locator("h1")).to_have_text(f"Disconnect Platform {platform.client_id}?")
    assert await axe_violations(page) == []
    await page.get_by_role("link", name="Keep it connected").click()
    await expect(page.locator(".platform")).to_have_count(1)
    await _works(api, tokens["access_token"])

    await page.locator(".platform").get_by_role("link", name="Disconnect").press("Enter")
    await page.get_by_role("button", name="Disconnect").press("Enter")
    await expect(page.locator("[role=status]")).to_have_text(
        "The platform was disconnected. Its access tokens no longer work."
    )
    await expect(page.locator("#no-platforms")).to_be_visible()
    assert await axe_violations(page) == []

    error(await api.get(REVIEWS, headers=bearer(tokens["access_token"])), 16, 401)
    # Its webhook subscriptions for the shop ended with the grant.
    await page.goto(f"{live.base_url}/backoffice/webhooks")
    await expect(page.locator("#platform-webhooks")).to_have_count(0)


async def test_staff_and_forged_posts_change_nothing(
    live: LiveServer,
    ctx: AppContext,
    api: httpx.AsyncClient,
    store: ShopApi,
    owner: Merchant,
    staff: Merchant,
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, api, store, platform)
    path = f"/backoffice/platforms/{platform.client_id}/disconnect"
    async with signed_in_client(live.base_url, staff) as client:
        for page in ("/backoffice/platforms", path):
            answer = await client.get(page)
            assert answer.status_code == 403, page
            assert OWNER_ONLY in answer.text
        token = csrf_of((await client.get("/backoffice/account")).text)
        answer = await client.post(path, data={"csrf_token": token})
        assert answer.status_code == 403
        assert OWNER_ONLY in answer.text
    async with signed_in_client(live.base_url, owner) as client:
        for sent in ({}, {"csrf_token": ""}, {"csrf_token": "f" * 64}):
            answer = await client.post(path, data=sent)
            assert answer.status_code == 403
            assert NOT_THIS_PAGE in answer.text
    await _works(api, tokens["access_token"])


async def test_another_shops_platform_is_unknown_and_keeps_its_access(
    live: LiveServer, ctx: AppContext, api: httpx.AsyncClient, store: ShopApi, owner: Merchant
) -> None:
    other_shop = await create_shop(ctx, api)
    platform = await create_platform(ctx)
    tokens = await connect(ctx, api, other_shop, platform)
    async with signed_in_client(live.base_url, owner) as client:
        listed = await client.get("/backoffice/platforms")
        assert platform.client_id not in listed.text
        token = csrf_of((await client.get("/backoffice/account")).text)
        for client_id in (platform.client_id, "no-such-platform", "%2E%2E"):
            path = f"/backoffice/platforms/{client_id}/disconnect"
            answer = await client.get(path)
            assert answer.status_code == 404, client_id
            assert NOT_CONNECTED in answer.text
            answer = await client.post(path, data={"csrf_token": token})
            assert answer.status_code == 404, client_id
            assert NOT_CONNECTED in answer.text
    await _works(api, tokens["access_token"])
