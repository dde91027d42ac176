"""Fixtures of the widget's browser tests: the app in uvicorn, a storefront on another origin,
headless Debian Chromium, and a shop whose storefront origin is that storefront's."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from playwright.async_api import Browser, Page

from shopreviews.kit.context import AppContext
from shopreviews.settings import Settings
from shopreviews.shops import service as shop_service
from tests.support.api import ShopApi, create_shop
from tests.support.browser import LiveServer, headless_chromium, live_server
from tests.widget.helpers import Storefront


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[LiveServer]:
    with live_server(settings) as server:
        yield server


@pytest.fixture(scope="module")
def storefront() -> Iterator[Storefront]:
    with Storefront() as running:
        yield running


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with headless_chromium() as chromium:
        yield chromium


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser profile per test, a desktop viewport."""
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture
async def api(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.base_url) as http:
        yield http


@pytest.fixture
async def store(ctx: AppContext, api: httpx.AsyncClient, storefront: Storefront) -> ShopApi:
    """A shop (signed calls go to the live server) whose pages are the local storefront."""
    shop = await create_shop(ctx, api)
    async with ctx.db.session(write=True) as session:
        await shop_service.update_intake_settings(
            ctx, session, shop.shop_id, origins=[storefront.origin], now=ctx.now_datetime()
        )
    return shop
