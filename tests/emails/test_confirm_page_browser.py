"""The web review confirmation page in Debian's Chromium (Playwright), checked with axe-core:
no violation at WCAG 2.1 AA, for the confirmed page and for the dead-link page of a tampered
token. The link comes from a real confirmation email; the page is served by the app in
uvicorn."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

from shopreviews.kit.context import AppContext
from shopreviews.settings import Settings
from tests.emails.helpers import (
    DAY,
    Clock,
    Customer,
    EmailShop,
    SmtpServer,
    address,
    confirm_link_of,
    fulfilled_order,
    path_of,
    run_worker,
    web_review,
)
from tests.support.browser import LiveServer, chromium_path, live_server

CHROMIUM = chromium_path()
if CHROMIUM is None:
    reason = "no chromium executable: install Debian's chromium package (apt-get install chromium)"
    # CI installs the browser: there a missing one is a failure, never a silent skip.
    if os.environ.get("SHOPREVIEWS_TEST_REQUIRE_BROWSER") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveServer]:
    with live_server(settings) as server:
        yield server


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def _violations(page: Page) -> list[dict[str, Any]]:
    results = await Axe().run(page, options=WCAG_21_AA)
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


async def test_the_confirmation_page_passes_axe_core(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
    live: LiveServer,
    browser: Browser,
) -> None:
    customer = Customer(address())
    await fulfilled_order(shop, customer, created=clock.now - 2 * DAY, fulfilled=clock.now - 3600)
    answer = await web_review(email_client, shop, customer.email)
    assert answer["confirmation_sent"] is True
    await run_worker(email_ctx)
    [message] = smtp.messages(customer.email)
    path = path_of(confirm_link_of(message))

    page = await (await browser.new_context()).new_page()
    response = await page.goto(live.base_url + path)
    assert response is not None and response.status == 200
    assert await page.title() == "Review confirmed"
    heading = page.get_by_role("heading", level=1)
    assert await heading.inner_text() == "Thank you, your review is confirmed"
    assert await _violations(page) == []
    review = (await shop.get("get_review", {"id": answer["id"]})).json()["data"]
    assert review["is_verified"] == 1

    tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    response = await page.goto(live.base_url + tampered)
    assert response is not None and response.status == 404
    assert await page.title() == "Link not valid"
    assert "This link is not valid" in await page.locator("main").inner_text()
    assert await _violations(page) == []
