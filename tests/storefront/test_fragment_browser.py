"""The server-rendered fragment in a real browser (Debian's Chromium through Playwright): a
review whose text tries to close the script (`</script><script>alert(1)</script>`), quotes and
`<!--` executes nothing, and the JSON-LD and the initial data still parse to the same text."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import async_playwright

from shopreviews.settings import Settings
from tests.storefront.helpers import PRODUCT, create
from tests.support.api import ShopApi
from tests.support.browser import LiveServer, PageServer, chromium_path, live_server

CHROMIUM = chromium_path()
if CHROMIUM is None:
    reason = "no chromium executable: install Debian's chromium package (apt-get install chromium)"
    if os.environ.get("SHOPREVIEWS_TEST_REQUIRE_BROWSER") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)

EVIL = [
    "</script><script>window.pwned = 1; alert(1)</script>",
    '" onmouseover="window.pwned = 2" x="',
    "<!-- <script>window.pwned = 3</script> -->",
    '</SCRIPT ><img src=x onerror="window.pwned = 4">',
    "\u2028\u2029 <\\/script> ]]> &amp; &lt;",
]


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[LiveServer]:
    with live_server(settings) as server:
        yield server


async def test_a_malicious_review_executes_nothing_and_the_json_ld_parses(
    live: LiveServer, shop: ShopApi
) -> None:
    for i, text in enumerate(EVIL):
        await create(
            shop,
            product_id=PRODUCT,
            title=text,
            content=text,
            author=f"{text} Doe",
            commented_at=f"2026-06-0{i + 1} 10:00:00",
        )
    async with httpx.AsyncClient(base_url=live.base_url) as http:
        fragment = (
            await http.get(
                f"/storefront/shops/{shop.myshopify_domain}/products/{PRODUCT}/reviews.html"
            )
        ).text
    page_html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Product</title>"
        "<script>window.alert = () => { window.pwned = 'alert'; };</script></head>"
        f"<body><main>{fragment}</main></body></html>"
    )
    with PageServer(page_html) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = await browser.new_page()
                dialogs: list[str] = []
                page.on("dialog", lambda d: dialogs.append(d.message))
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                await page.goto(server.url)
                await page.hover("main")
                await page.wait_for_timeout(200)
                assert dialogs == []
                assert await page.evaluate("window.pwned") is None
                assert errors == []
                # Exactly the fragment's two scripts in the body, each parsing to the texts.
                kinds = await page.evaluate(
                    "[...document.querySelectorAll('main script')].map(s => s.type)"
                )
                assert kinds == ["application/json", "application/ld+json"]
                ld = json.loads(
                    await page.evaluate(
                        "document.querySelector('script[type=\"application/ld+json\"]').textContent"
                    )
                )
                assert ld["@type"] == "Product"
                assert {item["reviewBody"] for item in ld["review"]} == set(EVIL)
                assert {item["name"] for item in ld["review"]} == set(EVIL)
                initial = json.loads(
                    await page.evaluate(
                        "document.querySelector('script[data-shopreviews-initial]').textContent"
                    )
                )
                assert {r["content"] for r in initial["reviews"]["list"]} == set(EVIL)
                # The static markup (a declarative shadow root) shows the texts as text.
                shown = await page.evaluate(
                    "document.querySelector('[data-shopreviews-ssr]').shadowRoot.textContent"
                )
                for text in EVIL:
                    assert text.replace("\u2028", "").replace("\u2029", "")[:12] in shown.replace(
                        "\u2028", ""
                    ).replace("\u2029", "")
                count = await page.evaluate(
                    "document.querySelector('[data-shopreviews-ssr]').shadowRoot"
                    ".querySelectorAll('script, img[onerror]').length"
                )
                assert count == 0
            finally:
                await browser.close()
