"""`shopreviews demo` serves a demo product page with the widget and badges (README's Quick
start): the real console script, its printed URL opened in headless Chromium."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Route, expect

from tests.support.browser import chromium_path
from tests.support.cli import ConsoleScript
from tests.support.programs import free_port
from tests.widget.helpers import axe_violations, png

if chromium_path() is None:
    reason = "no chromium executable: install Debian's chromium package (apt-get install chromium)"
    if os.environ.get("SHOPREVIEWS_TEST_REQUIRE_BROWSER") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


async def offline_photo(route: Route) -> None:
    """The demo reviews' photos name an outside host: answered here, the test runs offline."""
    await route.fulfill(status=200, content_type="image/png", body=png())


@pytest.fixture
def demo(console: ConsoleScript, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`shopreviews demo` running; yields the demo page's URL and what the command printed."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/demo/storefront"
    log, out = tmp_path / "demo.log", tmp_path / "demo.out"
    with log.open("wb") as err, out.open("wb") as stdout:
        process = subprocess.Popen(
            [console.script, "demo", "--port", str(port)],
            cwd=console.cwd,
            env=console.process_env(SHOPREVIEWS_SECRET_KEY="demo-test-key-" + "d" * 32),
            stdout=stdout,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield url, out.read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_the_demo_serves_its_storefront_page_with_the_widget(
    demo: tuple[str, str], browser: Browser
) -> None:
    url, printed = demo
    assert f"storefront page with the review widget: {url}" in printed
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.route("**://picsum.photos/**", offline_photo)
        await page.goto(url)
        await expect(page.locator("shopreviews-reviews li.rv")).to_have_count(10)
        await expect(page.locator("shopreviews-stars .stars")).to_have_count(5)
        await expect(page.locator("shopreviews-reviews .h")).to_have_text("Customer reviews")
        assert await axe_violations(page) == []
    finally:
        await context.close()
