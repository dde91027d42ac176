"""Fixtures of the back-office tests: the app in uvicorn, headless Debian Chromium, a shop with
its owner and a staff user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from playwright.async_api import Browser, Page

from shopreviews.kit.context import AppContext
from shopreviews.settings import Settings
from tests.backoffice.helpers import Merchant, add_merchant
from tests.support.api import ShopApi, create_shop
from tests.support.browser import LiveServer, headless_chromium, live_server


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[LiveServer]:
    with live_server(settings) as server:
        yield server


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with headless_chromium() as chromium:
        yield chromium


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


# Rows are written through the test's own context (`ctx`), on the test's event loop: the live
# server's engine belongs to the server thread's loop, and an asyncpg connection used from
# another loop fails (on PostgreSQL; SQLite did not mind). Same database, either way.


@pytest.fixture
async def store(ctx: AppContext, api: httpx.AsyncClient) -> ShopApi:
    """A shop whose signed calls (from the tests) go to the live server."""
    return await create_shop(ctx, api)


@pytest.fixture
async def owner(ctx: AppContext, store: ShopApi) -> Merchant:
    return await add_merchant(ctx, store.shop_id, "owner")


@pytest.fixture
async def staff(ctx: AppContext, store: ShopApi) -> Merchant:
    return await add_merchant(ctx, store.shop_id, "staff")
