"""The reference page in headless Debian Chromium with every request to another origin blocked:
it renders from this server alone; the signing panel signs "Try it out" calls in the page (a
GET with a non-ASCII query and a POST with a JSON body, answered code 0 by the live server) while
the private token appears in no request; merchant calls authorize through Swagger UI's dialog;
the panel works by keyboard; a page that is not a secure context says it cannot sign; and
axe-core finds no WCAG 2.1 AA violation in any of these states."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from shopreviews.kit.context import AppContext
from tests.api_reference.helpers import (
    INSECURE_HOST,
    Traffic,
    csp_violations,
    execute,
    open_reference,
    operation,
    set_parameter,
    try_it_out,
    use_tokens,
)
from tests.support.api import ShopApi, ok
from tests.support.browser import LiveServer, axe_violations, chromium_path
from tests.support.merchants import PASSWORD, create_user, login, new_email

if chromium_path() is None:
    reason = "no chromium executable: install Debian's chromium package (apt-get install chromium)"
    # CI installs the browser: there a missing one is a failure, never a silent skip.
    if os.environ.get("SHOPREVIEWS_TEST_REQUIRE_BROWSER") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)

HANDLE = "chemise-été"  # percent-encoded on the wire, decoded before the server signs


def get_reviews(page: Page) -> Any:
    return operation(page, "reviews", "get_reviews", "/api/v1/openapi/get_reviews", "get")


def create_review(page: Page) -> Any:
    return operation(page, "reviews", "create_review", "/api/v1/openapi/create_review", "post")


async def seed(store: ShopApi, count: int) -> list[str]:
    """Published reviews of the product HANDLE, one a day back from now; their ids, oldest
    first."""
    now = datetime.now(UTC).replace(microsecond=0)
    ids = []
    for i in range(count):
        review = {
            "product_id": "9200305176832",
            "product_handle": HANDLE,
            "rating": 5 - i % 3,
            "author": f"Author {i}",
            "author_email": f"author{i}@example.net",
            "content": f"Review {i}",
            "commented_at": (now - timedelta(days=i + 1)).strftime("%Y-%m-%d %H:%M:%S"),
            "is_published": 1,
        }
        ids.append(ok(await store.post("create_review", review))["id"])
    return ids[::-1]


async def test_the_reference_renders_from_this_server_alone(
    page: Page, live: LiveServer, traffic: Traffic, client: httpx.AsyncClient
) -> None:
    await open_reference(page, live.base_url)
    summary = (await client.get("/openapi.json")).json()["paths"]["/api/v1/openapi/get_reviews"]
    block = get_reviews(page)
    await expect(block.locator(".opblock-summary-path")).to_have_text("/api/v1/openapi/get_reviews")
    await expect(block.locator(".opblock-summary-description")).to_have_text(
        summary["get"]["summary"]
    )
    # Signed operations show the lock of their security requirement.
    await expect(block.locator(".authorization__btn")).to_be_visible()
    assert traffic.blocked == []
    assert {sent.path.rsplit("/", 1)[-1] for sent in traffic.sent} == {
        "docs",
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "api-reference.js",
        "api-reference.css",
        "signing.js",
        "openapi.json",
    }
    assert await csp_violations(page) == []
    assert await axe_violations(page) == []


async def test_try_it_out_is_signed_in_the_page_and_the_private_token_stays_there(
    page: Page, live: LiveServer, traffic: Traffic, store: ShopApi
) -> None:
    oldest_first = await seed(store, 3)
    await open_reference(page, live.base_url)
    await use_tokens(page, store.public_token, store.private_token)
    # Read once, then out of the page: the field is emptied.
    await expect(page.get_by_label("Private token")).to_have_value("")

    block = get_reviews(page)
    await try_it_out(block)
    await set_parameter(block, "product_handle", HANDLE)
    await set_parameter(block, "sort_by", "created-ascending")
    shown = await execute(block)
    assert shown["code"] == 0 and shown["message"] == "success", shown
    assert [review["id"] for review in shown["data"]["list"]] == oldest_first
    assert {review["product_handle"] for review in shown["data"]["list"]} == {HANDLE}
    [sent] = traffic.to("/api/v1/openapi/get_reviews")
    assert quote(HANDLE) in sent.url
    assert sent.headers["public-token"] == store.public_token
    assert sent.headers["timestamp"].isdigit() and len(sent.headers["sign"]) == 64

    # A POST: the JSON body as typed, non-ASCII and all, is what was signed.
    block = create_review(page)
    await try_it_out(block)
    body = (
        '{"product_id": "9200305176832", "rating": 4, "author": "Zoë 👍", '
        '"author_email": "zoe@example.net", "content": "Très bien", "is_published": 1}'
    )
    await block.get_by_label("Request body").fill(body)
    created = await execute(block)
    assert created["code"] == 0, created
    stored = ok(await store.get("get_review", {"id": created["data"]["id"]}))
    assert stored["author"] == "Zoë 👍" and stored["content"] == "Très bien"
    [sent] = traffic.to("/api/v1/openapi/create_review")
    assert sent.body == body and len(sent.headers["sign"]) == 64
    # Both operations open, tried out and answered.
    assert await axe_violations(page) == []

    # The private token went nowhere: not in a URL, a header or a body, in any spelling.
    assert len(traffic.sent) > 8
    for spelling in {store.private_token, quote(store.private_token, safe="")}:
        assert all(spelling not in sent.text() for sent in traffic.sent)
    assert traffic.blocked == []
    assert await csp_violations(page) == []


async def test_merchant_calls_authorize_through_swagger_ui(
    page: Page,
    live: LiveServer,
    traffic: Traffic,
    store: ShopApi,
    ctx: AppContext,
    api: httpx.AsyncClient,
) -> None:
    email = new_email()
    await create_user(ctx, store.shop_id, email)
    token = ok(await login(api, email=email, password=PASSWORD))["token"]
    await open_reference(page, live.base_url)
    # With the shop tokens in use too: they sign only the operations that ask for a signature.
    await use_tokens(page, store.public_token, store.private_token)

    await page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    await expect(dialog).to_be_visible()
    assert await axe_violations(page) == []
    merchant = dialog.locator(".auth-container").filter(has_text="MerchantSession")
    await merchant.get_by_label("MerchantSession value").fill(token)
    await merchant.get_by_role("button", name="Apply credentials").click()
    await dialog.get_by_role("button", name="Close", exact=True).first.click()

    block = operation(
        page,
        "merchant",
        "get_open_api_information",
        "/api/v1/openapi/get_open_api_information",
        "get",
    )
    await try_it_out(block)
    shown = await execute(block)
    assert shown["code"] == 0, shown
    assert shown["data"]["public_token"] == store.public_token
    [sent] = traffic.to("/api/v1/openapi/get_open_api_information")
    assert sent.headers["authorization"] == f"Bearer {token}"
    assert not {"public-token", "timestamp", "sign"} & set(sent.headers)


async def test_the_panel_by_keyboard(page: Page, live: LiveServer, store: ShopApi) -> None:
    await open_reference(page, live.base_url)

    async def focused() -> str:
        found: str = await page.evaluate("document.activeElement.id")
        return found

    await page.keyboard.press("Tab")
    assert await focused() == "public-token"
    await page.keyboard.type(store.public_token)
    await page.keyboard.press("Tab")
    assert await focused() == "private-token"
    await page.keyboard.type(store.private_token)
    await page.keyboard.press("Enter")
    status = page.get_by_role("status")
    await expect(status).to_have_text(
        f"Signing shop requests with public token {store.public_token}."
    )
    await page.keyboard.press("Tab")
    assert await focused() == "signing-use"
    await page.keyboard.press("Tab")
    assert await focused() == "signing-forget"
    await page.keyboard.press("Enter")
    await expect(status).to_have_text("Tokens forgotten: shop requests are sent unsigned.")
    assert await focused() == "public-token"

    # Forgotten means unsigned: the server refuses the call (code 16).
    block = get_reviews(page)
    await try_it_out(block)
    shown = await execute(block)
    assert shown["code"] == 16
    assert shown["message"] == (
        "unauthenticated: Public-Token, Timestamp and Sign headers are required"
    )


async def test_a_page_that_is_not_a_secure_context_says_it_cannot_sign(
    browser: Browser, live: LiveServer
) -> None:
    origin = live.base_url.replace("127.0.0.1", INSECURE_HOST)
    traffic = Traffic(origin)
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    await traffic.attach(context)
    try:
        page = await context.new_page()
        await open_reference(page, origin)
        assert await page.evaluate("isSecureContext") is False
        await expect(page.get_by_role("status")).to_have_text(
            "This browser only signs on a secure page: open the reference over HTTPS (or on "
            "localhost). Signed operations can still be read here."
        )
        await expect(page.get_by_label("Private token")).to_be_disabled()
        await expect(page.get_by_role("button", name="Sign requests")).to_be_disabled()
        await expect(get_reviews(page)).to_be_visible()
        assert traffic.blocked == []
        assert await axe_violations(page) == []
    finally:
        await context.close()
