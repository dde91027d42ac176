"""The webhooks pages in Chromium: the owner adds a subscription of the shop (the one its HMAC
integration manages), sees its secret once, sends a test event that reaches the local receiver
signed with that secret and shows in the delivery log, redelivers it, enables a disabled one,
pages through the log, and deletes it after confirming; by keyboard, axe-core clean."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import update

from shopreviews.kit.context import AppContext
from shopreviews.webhooks.models import WebhookSubscription
from tests.backoffice.helpers import Merchant, require_browser, sign_in
from tests.support.api import ShopApi, ok
from tests.support.browser import LiveServer, axe_violations
from tests.support.oauth import connect, create_platform
from tests.support.webhooks import (
    Receiver,
    cancel_pending_deliveries,
    run_until_idle,
    standard_signature,
)

require_browser()


@pytest.fixture(autouse=True)
async def _quiet_queue(ctx: AppContext) -> AsyncIterator[None]:
    """The page queues deliveries that the test's own worker passes send; none may be left for
    the next test's worker."""
    await cancel_pending_deliveries(ctx)
    yield
    await cancel_pending_deliveries(ctx)


async def _hmac_webhooks(store: ShopApi) -> list[dict[str, str]]:
    """The shop's subscriptions as its HMAC integration lists them."""
    data = ok(await store.get("get_shop_webhooks"))
    return list(data["list"] if isinstance(data, dict) else data)


async def _add_by_keyboard(page: Page, topic: str, url: str) -> None:
    await page.get_by_label("Topic", exact=True).focus()
    await page.get_by_label("Topic", exact=True).select_option(topic)
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "url"  # the next field in order
    await page.keyboard.type(url)
    await page.keyboard.press("Enter")


async def test_add_test_redeliver_and_delete_a_webhook(
    page: Page,
    live: LiveServer,
    ctx: AppContext,
    owner: Merchant,
    store: ShopApi,
    receiver: Receiver,
) -> None:
    path = receiver.new_path()
    await sign_in(page, live.base_url, owner, "/backoffice/webhooks")
    await expect(page.locator("h1")).to_have_text("Webhooks")
    await expect(page.locator("#no-webhooks")).to_be_visible()
    assert await axe_violations(page) == []

    await _add_by_keyboard(page, "review/updated", receiver.url(path))
    await expect(page.locator("h1")).to_have_text("Webhook added")
    secret = await page.get_by_label("Signing secret").input_value()
    assert secret.startswith("whsec_")
    assert await axe_violations(page) == []
    # The page manages the subscriptions of the shop's HMAC integration: the same one.
    [listed] = await _hmac_webhooks(store)
    assert (listed["topic"], listed["url"], listed["status"]) == (
        "review/updated",
        receiver.url(path),
        "enabled",
    )

    await page.get_by_role("link", name="Open its delivery log").click()
    await expect(page.locator("#webhook-url")).to_have_text(receiver.url(path))
    await expect(page.locator("#no-deliveries")).to_be_visible()
    await page.get_by_role("button", name="Send a test event").click()
    await expect(page.locator("[role=status]")).to_contain_text("A test event was queued")
    await expect(page.locator(".delivery-status")).to_have_text("pending")
    assert await axe_violations(page) == []

    assert await run_until_idle(ctx) >= 1
    [received] = await receiver.log(path)
    event = json.loads(received.body)
    headers = received.headers
    assert headers["webhook-signature"].split() == [
        standard_signature(
            secret, headers["webhook-id"], headers["webhook-timestamp"], received.body
        )
    ]
    await page.reload()
    row = page.locator("tr.delivery")
    await expect(row.locator(".delivery-status")).to_have_text("succeeded")
    await expect(row.locator(".event-id")).to_have_text(headers["webhook-id"])
    await expect(row.locator(".last-attempt")).to_contain_text("HTTP 200")
    assert event  # a sample of the topic's payload
    assert await axe_violations(page) == []

    await row.get_by_role("button", name="Redeliver").click()
    await expect(page.locator("[role=status]")).to_contain_text("The event was queued again")
    await expect(page.locator("tr.delivery")).to_have_count(2)
    await run_until_idle(ctx)
    again = await receiver.log(path)
    assert len(again) == 2
    assert again[1].body == received.body  # the same event, the same body
    assert again[1].headers["webhook-id"] == headers["webhook-id"]
    await page.reload()
    await expect(page.locator(".delivery-status")).to_have_text(["succeeded", "succeeded"])

    await page.get_by_role("link", name="Delete…").click()
    await expect(page.locator("h1")).to_have_text("Delete this webhook?")
    assert await axe_violations(page) == []
    await page.get_by_role("link", name="Keep it").click()  # nothing deleted
    assert len(await _hmac_webhooks(store)) == 1
    await page.get_by_role("link", name="Delete…").click()
    await page.get_by_role("button", name="Delete the webhook").click()
    await expect(page.locator("[role=status]")).to_contain_text("The webhook was deleted")
    await expect(page.locator("#no-webhooks")).to_be_visible()
    assert await _hmac_webhooks(store) == []


async def test_a_refused_url_is_said_on_the_page_and_nothing_is_added(
    page: Page, live: LiveServer, owner: Merchant, store: ShopApi
) -> None:
    await sign_in(page, live.base_url, owner, "/backoffice/webhooks")
    await _add_by_keyboard(page, "review/created", "http://93.184.216.34/hooks")
    await expect(page.locator("#error")).to_have_text(
        "The URL was refused: url must use https (http is allowed only for loopback hosts)."
    )
    # The form keeps what was typed, to correct it.
    await expect(page.get_by_label("URL", exact=True)).to_have_value("http://93.184.216.34/hooks")
    await expect(page.get_by_label("Topic", exact=True)).to_have_value("review/created")
    assert await axe_violations(page) == []
    assert await _hmac_webhooks(store) == []


async def test_a_disabled_webhook_is_enabled_again(
    page: Page, live: LiveServer, ctx: AppContext, owner: Merchant, store: ShopApi
) -> None:
    created = ok(
        await store.post(
            "create_shop_webhook",
            {"topic": "review/created", "url": "https://93.184.216.34/hooks/created"},
        )
    )
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == int(created["id"]))
            .values(status="disabled", disabled_reason="failing")
        )
    await sign_in(page, live.base_url, owner, "/backoffice/webhooks")
    await expect(page.locator(f"#webhook-{created['id']}")).to_contain_text("Disabled")
    await page.get_by_role("link", name="Deliveries and actions").click()
    await expect(page.locator("#webhook-status")).to_have_text("Disabled (failing)")
    await expect(page.get_by_role("button", name="Send a test event")).to_have_count(0)
    assert await axe_violations(page) == []
    await page.get_by_role("button", name="Enable again").click()
    await expect(page.locator("[role=status]")).to_have_text("The webhook is enabled again.")
    await expect(page.locator("#webhook-status")).to_have_text("Active")
    [listed] = await _hmac_webhooks(store)
    assert (listed["status"], listed["disabled_reason"]) == ("enabled", "")


async def test_the_delivery_log_is_paged_newest_first(
    page: Page, live: LiveServer, owner: Merchant, store: ShopApi
) -> None:
    created = ok(
        await store.post(
            "create_shop_webhook",
            {"topic": "review/deleted", "url": "https://93.184.216.34/hooks/deleted"},
        )
    )
    queued = [
        ok(await store.post("send_test_webhook", {"id": created["id"]}))["event_id"]
        for _ in range(23)
    ]
    await sign_in(page, live.base_url, owner, f"/backoffice/webhooks/{created['id']}")
    await expect(page.locator("tr.delivery")).to_have_count(20)
    newest = list(reversed(queued))
    await expect(page.locator(".event-id")).to_have_text(newest[:20])
    await expect(page.locator(".pages")).to_contain_text("Page 1 of 2")
    await page.get_by_role("link", name="Older").click()
    await expect(page.locator(".event-id")).to_have_text(newest[20:])
    await expect(page.get_by_role("link", name="Older")).to_have_count(0)
    assert await axe_violations(page) == []
    await page.get_by_role("link", name="Newer").click()
    await expect(page.locator("tr.delivery")).to_have_count(20)


async def test_the_platforms_webhooks_are_shown_read_only(
    page: Page,
    live: LiveServer,
    ctx: AppContext,
    api: httpx.AsyncClient,
    owner: Merchant,
    store: ShopApi,
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, api, store, platform)
    made = await api.post(
        "/api/v1/openapi/create_shop_webhook",
        json={"topic": "review/created", "url": "https://93.184.216.34/platform"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    ok(made)
    await sign_in(page, live.base_url, owner, "/backoffice/webhooks")
    await expect(page.locator("#no-webhooks")).to_be_visible()  # not the shop's own
    table = page.locator("#platform-webhooks")
    await expect(table.locator("tbody tr")).to_have_count(1)
    await expect(table).to_contain_text(f"Platform {platform.client_id}")
    await expect(table).to_contain_text("https://93.184.216.34/platform")
    await expect(table.get_by_role("button")).to_have_count(0)
    await expect(table.get_by_role("link")).to_have_count(0)
    assert await axe_violations(page) == []
