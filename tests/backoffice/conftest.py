"""Fixtures of the back-office tests: the app in uvicorn, headless Debian Chromium, a shop with
its owner and a staff user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from shopreviews.settings import Settings
from tests.backoffice.helpers import Merchant, add_merchant
from tests.support.api import ShopApi, create_shop
from tests.support.browser import LiveServer, chromium_path, live_server


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[LiveServer]:
    with live_server(settings) as server:
        yield server


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser profile per test, a desktop viewport."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture
async def api(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.base_url) as http:
        yield http


@pytest.fixture
async def store(live: LiveServer, api: httpx.AsyncClient) -> ShopApi:
    """A shop whose signed calls (from the tests) go to the live server."""
    return await create_shop(live.ctx, api)


@pytest.fixture
async def owner(live: LiveServer, store: ShopApi) -> Merchant:
    return await add_merchant(live.ctx, store.shop_id, "owner")


@pytest.fixture
async def staff(live: LiveServer, store: ShopApi) -> Merchant:
    return await add_merchant(live.ctx, store.shop_id, "staff")
