"""Every back-office page at once, as the issue asks of each: it answers 200 for the owner,
has no WCAG 2.1 AA violation (axe-core), starts with the skip link and the navigation for a
keyboard, and runs no script or style of its own (the page policy allows only our files).
A staff user meets the "not allowed" page, itself accessible, on every owner page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from shopreviews.kit.context import AppContext
from tests.backoffice.helpers import Merchant, require_browser, sign_in
from tests.support.api import ShopApi, ok
from tests.support.browser import LiveServer, axe_violations
from tests.support.oauth import connect, create_platform
from tests.support.reviews import create
from tests.support.webhooks import cancel_pending_deliveries

require_browser()

# A public address (the SSRF guard refuses private ones) that is never delivered to: the queue
# is emptied after each test.
HOOK = "https://93.184.216.34/hooks/reviews"
EVERYONE = ("/backoffice/reviews", "/backoffice/insights", "/backoffice/account")


@pytest.fixture(autouse=True)
async def _quiet_queue(ctx: AppContext) -> AsyncIterator[None]:
    yield
    await cancel_pending_deliveries(ctx)


async def _owner_pages(ctx: AppContext, api: httpx.AsyncClient, store: ShopApi) -> list[str]:
    """The owner's pages, with a review, a subscription and a connected platform to show."""
    await create(store, rating=4, content="Soft and warm.", product_id="7001")
    webhook: dict[str, Any] = ok(
        await store.post("create_shop_webhook", {"topic": "review/created", "url": HOOK})
    )
    platform = await create_platform(ctx)
    await connect(ctx, api, store, platform)
    return [
        *EVERYONE,
        "/backoffice/reviews?tab=pending",
        "/backoffice/reviews?tab=hidden&sort=highest",
        "/backoffice/insights?period=365",
        "/backoffice/settings",
        "/backoffice/settings/review-requests/preview",
        "/backoffice/tokens",
        "/backoffice/webhooks",
        f"/backoffice/webhooks/{webhook['id']}",
        f"/backoffice/webhooks/{webhook['id']}/delete",
        "/backoffice/platforms",
        f"/backoffice/platforms/{platform.client_id}/disconnect",
    ]


async def _check_page(page: Page, url: str) -> None:
    answer = await page.goto(url)
    assert answer is not None and answer.status == 200, url
    assert await axe_violations(page) == [], url
    html = await page.content()
    assert "<script>" not in html and " style=" not in html.split("<svg")[0], url
    # A keyboard user meets the skip link first, and it leads to the page's content.
    await page.keyboard.press("Tab")
    await expect(page.locator(".skip")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()


async def test_every_owner_page_is_accessible_by_keyboard_and_axe(
    page: Page,
    ctx: AppContext,
    live: LiveServer,
    api: httpx.AsyncClient,
    store: ShopApi,
    owner: Merchant,
) -> None:
    pages = await _owner_pages(ctx, api, store)
    await sign_in(page, live.base_url, owner, "/backoffice/account")
    for path in pages:
        await _check_page(page, live.base_url + path)


async def test_staff_reach_their_pages_and_are_refused_the_owners(
    page: Page,
    ctx: AppContext,
    live: LiveServer,
    api: httpx.AsyncClient,
    store: ShopApi,
    staff: Merchant,
) -> None:
    pages = await _owner_pages(ctx, api, store)
    await sign_in(page, live.base_url, staff, "/backoffice/account")
    nav = page.get_by_role("navigation", name="Back office")
    await expect(nav.get_by_role("link")).to_have_text(["Reviews", "Insights", "Account"])
    for path in pages:
        url = live.base_url + path
        if path.split("?")[0] in EVERYONE:
            await _check_page(page, url)
            continue
        answer = await page.goto(url)
        assert answer is not None and answer.status == 403, path
        await expect(page.locator("#error")).to_contain_text("Only the shop's owner")
        assert await axe_violations(page) == [], path
