"""Fixtures of the reference page's browser tests: the app in uvicorn, headless Debian Chromium,
and a page whose every request is recorded, with any to another origin blocked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from playwright.async_api import Browser, Page

from shopreviews.kit.context import AppContext
from shopreviews.settings import Settings
from tests.api_reference.helpers import INSECURE_HOST, Traffic
from tests.support.api import ShopApi, create_shop
from tests.support.browser import LiveServer, headless_chromium, live_server


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[LiveServer]:
    with live_server(settings) as server:
        yield server


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    # INSECURE_HOST is the live server under a name that is not localhost: a page there is not
    # a secure context, where browsers offer no WebCrypto.
    resolve = f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1"
    async with headless_chromium(resolve) as chromium:
        yield chromium


@pytest.fixture
def traffic(live: LiveServer) -> Traffic:
    return Traffic(live.base_url)


@pytest.fixture
async def page(browser: Browser, traffic: Traffic) -> AsyncIterator[Page]:
    """A fresh profile per test whose requests `traffic` records (and blocks off its origin)."""
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    await traffic.attach(context)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture
async def api(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.base_url) as http:
        yield http


@pytest.fixture
async def store(ctx: AppContext, api: httpx.AsyncClient) -> ShopApi:
    """A shop whose signed calls (from the tests) go to the live server."""
    return await create_shop(ctx, api)
