"""The settings page in Chromium: each form changes what it says (the storefront shows it),
problems appear next to their field, the page is usable by keyboard and passes axe-core."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from shopreviews.kit.context import AppContext
from tests.backoffice.helpers import Merchant, require_browser, shop_settings, sign_in
from tests.support.api import ShopApi, ok
from tests.support.browser import LiveServer, axe_violations

require_browser()
SETTINGS = "/backoffice/settings"
SECRET = "shpss_" + "5a" * 16


async def test_web_review_settings_change_what_the_storefront_shows(
    page: Page,
    ctx: AppContext,
    live: LiveServer,
    api: httpx.AsyncClient,
    store: ShopApi,
    owner: Merchant,
) -> None:
    ok(await store.post("create_review", {"rating": 5, "author": "Jane Doe", "product_id": "7"}))
    public = f"/api/v1/storefront/shops/{store.myshopify_domain}/reviews"
    assert [r["author"] for r in ok(await api.get(public))["list"]] == ["Jane D."]
    await sign_in(page, live.base_url, owner, SETTINGS)
    assert await axe_violations(page) == []
    form = page.locator("#web-reviews")
    await form.get_by_label("Only customers whose email address has an order").check()
    await form.get_by_label("Publish web reviews without moderation").select_option(
        label="Never: every web review waits for moderation"
    )
    await form.get_by_label("Full name (Jane Doe)").check()
    await form.get_by_label("“How reviews are collected” notice").fill("Every buyer is asked.")
    await form.get_by_role("button", name="Save the web review settings").click()
    await expect(page.get_by_role("status")).to_have_text("The web review settings are saved.")
    await expect(form.get_by_label("Full name (Jane Doe)")).to_be_checked()
    assert [r["author"] for r in ok(await api.get(public))["list"]] == ["Jane Doe"]
    stored = await shop_settings(ctx, store.shop_id)
    assert (
        stored["web_reviews"],
        stored["auto_publish_min_rating"],
        stored["author_display"],
        stored["reviews_disclosure"],
    ) == ("verified_buyers_only", 0, "full", "Every buyer is asked.")
    assert await axe_violations(page) == []


async def test_a_wording_problem_is_shown_next_to_its_field_with_the_values_kept(
    page: Page, ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    await sign_in(page, live.base_url, owner, SETTINGS)
    form = page.locator("#review-requests")
    await form.get_by_label("Days after fulfilment before the email is sent").fill("2")
    await form.get_by_label("Email subject").fill("Hi {firstname}, how is {order_name}?")
    await form.get_by_label("Email text").fill("Thanks for shopping at {shop_name}.")
    async with page.expect_response(f"{live.base_url}{SETTINGS}/review-requests") as posted:
        await form.get_by_role("button", name="Save the review request settings").click()
    assert (await posted.value).status == 400
    subject = page.get_by_label("Email subject")
    await expect(subject).to_have_value("Hi {firstname}, how is {order_name}?")
    await expect(subject).to_have_attribute("aria-invalid", "true")
    message = page.locator("#review_request_subject-error")
    await expect(message).to_contain_text("Unknown placeholder {firstname}")
    assert "review_request_subject-error" in (await subject.get_attribute("aria-describedby") or "")
    await expect(page.get_by_label("Email text")).to_have_value(
        "Thanks for shopping at {shop_name}."
    )
    await expect(page.get_by_label("Days after fulfilment before the email is sent")).to_have_value(
        "2"
    )
    assert await axe_violations(page) == []  # with the message shown
    assert (await shop_settings(ctx, store.shop_id))["review_request_delay_days"] == 7

    await subject.fill("Hi {customer_name}, how is {order_name}?")
    await page.get_by_role("button", name="Save the review request settings").click()
    await expect(page.get_by_role("status")).to_have_text("The review request settings are saved.")
    stored = await shop_settings(ctx, store.shop_id)
    assert (
        stored["review_request_delay_days"],
        stored["review_request_subject"],
        stored["review_request_text"],
    ) == (2, "Hi {customer_name}, how is {order_name}?", "Thanks for shopping at {shop_name}.")


async def test_origins_and_the_secret_which_is_never_shown_again(
    page: Page, ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    await sign_in(page, live.base_url, owner, SETTINGS)
    origins = page.get_by_label("Origins allowed to send storefront events, one per line")
    await origins.fill("https://WWW.Example-Shop.com/\n\nhttp://localhost:8080")
    await page.get_by_role("button", name="Save the origins").click()
    await expect(page.get_by_role("status")).to_have_text("The storefront origins are saved.")
    await expect(origins).to_have_value("https://www.example-shop.com\nhttp://localhost:8080")

    await expect(page.locator("#secret-status")).to_have_text("not set")
    await page.get_by_label("Secret", exact=True).fill(SECRET)
    await page.get_by_role("button", name="Save the secret").click()
    await expect(page.get_by_role("status")).to_have_text("The Shopify app secret is saved.")
    await expect(page.locator("#secret-status")).to_have_text("set")
    assert SECRET not in await page.content()
    await expect(page.get_by_label("New secret")).to_have_value("")
    assert await axe_violations(page) == []
    # Without its box ticked the browser does not send the removal (the box is required).
    await page.get_by_role("button", name="Remove the secret").click()
    await expect(page.locator("#secret-status")).to_have_text("set")
    await page.get_by_label("Yes, remove it").check()
    await page.get_by_role("button", name="Remove the secret").click()
    await expect(page.locator("#secret-status")).to_have_text("not set")
    stored = await shop_settings(ctx, store.shop_id)
    assert stored["storefront_origins"] == ["https://www.example-shop.com", "http://localhost:8080"]
    assert stored["shopify_app_secret_set"] is False


async def test_a_form_is_filled_and_saved_by_keyboard_alone(
    page: Page, ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    await sign_in(page, live.base_url, owner, SETTINGS)
    first = page.get_by_label("First name and last initial (Jane D.)")
    await first.focus()
    await expect(first).to_be_focused()
    await page.keyboard.press("ArrowDown")  # the radio group moves to "Full name"
    await expect(page.get_by_label("Full name (Jane Doe)")).to_be_checked()
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("“How reviews are collected” notice")).to_be_focused()
    await page.keyboard.type("Asked after delivery.")
    await page.keyboard.press("Tab")
    save = page.get_by_role("button", name="Save the web review settings")
    await expect(save).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("The web review settings are saved.")
    stored = await shop_settings(ctx, store.shop_id)
    assert (stored["author_display"], stored["reviews_disclosure"]) == (
        "full",
        "Asked after delivery.",
    )
    # Focus is visible: the outline of :focus-visible is drawn on the focused control.
    await page.keyboard.press("Tab")
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
