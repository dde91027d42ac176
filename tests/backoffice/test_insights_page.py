"""The insights page in Chromium and over HTTP: the charts and their tables for a seeded shop,
the period form by keyboard, accessibility, bad periods, roles and tenant isolation."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from shopreviews.kit.context import AppContext
from tests.backoffice.helpers import (
    INSIGHTS_FROM,
    INSIGHTS_TO,
    Merchant,
    add_merchant,
    require_browser,
    seed_insights,
    sign_in,
    signed_in_client,
)
from tests.support.api import ShopApi, create_shop
from tests.support.browser import LiveServer, axe_violations

require_browser()

SEEDED = f"/backoffice/insights?period=custom&from={INSIGHTS_FROM}&to={INSIGHTS_TO}"


async def _seed(ctx: AppContext, api: httpx.AsyncClient, store: ShopApi) -> ShopApi:
    """The known rows in the owner's shop; returns the other shop, whose rows share the period.
    (Written through the test's context: the live server's engine is its own loop's.)"""
    other = await create_shop(ctx, api)
    await seed_insights(ctx, store.shop_id, other.shop_id)
    return other


async def _table(page: Page, table_id: str) -> list[list[str]]:
    rows = page.locator(f"#{table_id} tbody tr")
    return [
        [cell.strip() for cell in await rows.nth(i).locator("th, td").all_inner_texts()]
        for i in range(await rows.count())
    ]


async def test_the_charts_and_their_numbers_for_a_seeded_shop(
    page: Page,
    live: LiveServer,
    ctx: AppContext,
    api: httpx.AsyncClient,
    store: ShopApi,
    owner: Merchant,
) -> None:
    await _seed(ctx, api, store)
    await sign_in(page, live.base_url, owner, SEEDED.replace("&", "%26").replace("?", "%3F"))
    await expect(page.locator("h1")).to_have_text("Insights")
    await expect(page.locator("#period-count")).to_have_text("4")
    await expect(page.locator("#period-average")).to_have_text("4.3")
    await expect(page.locator("#current-average")).to_have_text("3.9")
    await expect(page.locator("#current-count")).to_have_text("10")
    charts = page.locator("svg[role=img]")
    await expect(charts).to_have_count(5)  # timeline, two histograms, funnel, events
    await expect(page.get_by_role("img", name="Review-request funnel")).to_be_visible()
    for summary in await page.locator("details.numbers summary").all():
        await summary.click()  # "Show the numbers", by its button role
    timeline = await _table(page, "timeline-numbers")
    assert len(timeline) == 10
    assert timeline[0] == ["2026-03-01", "2", "4.5"]
    assert timeline[1] == ["2026-03-02", "0", "–"]
    assert timeline[2] == ["2026-03-03", "1", "3.0"]
    assert timeline[9] == ["2026-03-10", "1", "5.0"]
    assert await _table(page, "stars-period-numbers") == [
        ["5 stars", "2", "50%"],
        ["4 stars", "1", "25%"],
        ["3 stars", "1", "25%"],
        ["2 stars", "0", "0%"],
        ["1 star", "0", "0%"],
    ]
    assert (await _table(page, "stars-now-numbers"))[0] == ["5 stars", "4", "40%"]
    assert await _table(page, "funnel-numbers") == [
        ["Sent", "4", "100%"],
        ["Opened", "3", "75%"],
        ["Clicked", "2", "50%"],
        ["Reviewed", "2", "50%"],
        ["Unsubscribed", "2", "–"],
    ]
    await expect(page.locator("#email-reviews")).to_contain_text("2 reviews were written")
    # An event type with markup is text in the table and in the chart, never an element.
    assert await _table(page, "events-numbers") == [
        ["CLICK_MEDIA", "3"],
        ["<script>alert(1)</script>", "1"],
    ]
    assert await page.locator("main script").count() == 0
    assert await axe_violations(page) == []


async def test_the_period_form_works_by_keyboard(
    page: Page,
    live: LiveServer,
    ctx: AppContext,
    api: httpx.AsyncClient,
    store: ShopApi,
    owner: Merchant,
) -> None:
    await _seed(ctx, api, store)
    await sign_in(page, live.base_url, owner, "/backoffice/insights")
    await expect(page.get_by_label("Period")).to_have_value("30")  # the default
    await page.locator("main").focus()
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Period")).to_be_focused()
    await page.get_by_label("Period").select_option("custom")  # what arrow keys do in a select
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("First day")).to_be_focused()
    await page.keyboard.type("03012026")  # mm dd yyyy, the segments of an en-US date field
    # Tab walks the date field's own segments (month, day, year) before the next field.
    for _ in range(4):
        if await page.evaluate("document.activeElement.id") == "to":
            break
        await page.keyboard.press("Tab")
    await expect(page.get_by_label("Last day")).to_be_focused()
    await page.keyboard.type("03102026")
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"period=custom&from=2026-03-01&to=2026-03-10"))
    await expect(page.locator("#summary-heading")).to_have_text("2026-03-01 to 2026-03-10")
    await expect(page.locator("#period-count")).to_have_text("4")
    await expect(page.get_by_label("First day")).to_have_value("2026-03-01")
    assert await axe_violations(page) == []


async def test_a_bad_period_is_a_message_on_the_page(
    page: Page, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    await sign_in(page, live.base_url, owner, "/backoffice/insights")
    answer = await page.goto(
        f"{live.base_url}/backoffice/insights?period=custom&from=2026-03-10&to=2026-03-01"
    )
    assert answer is not None and answer.status == 400
    await expect(page.locator("#error")).to_have_text(
        "The first day must not be after the last day."
    )
    await expect(page.get_by_label("First day")).to_have_value("2026-03-10")  # kept to correct
    await expect(page.locator("svg")).to_have_count(0)
    assert await axe_violations(page) == []


async def test_an_empty_period_says_so_instead_of_empty_charts(
    page: Page, live: LiveServer, store: ShopApi, staff: Merchant
) -> None:
    await sign_in(page, live.base_url, staff, "/backoffice/insights?period=7")  # staff may look
    await expect(page.get_by_label("Period")).to_have_value("7")
    await expect(page.locator("#timeline-heading + p")).to_have_text("No reviews in this period.")
    await expect(page.get_by_text("No review requests were sent in this period.")).to_be_visible()
    await expect(page.get_by_text("No storefront events in this period.")).to_be_visible()
    await expect(page.locator("svg")).to_have_count(0)
    assert await axe_violations(page) == []


async def test_bad_fields_over_http_are_400_pages_never_a_failure(
    live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    async with signed_in_client(live.base_url, owner) as client:
        for query, message in [
            ("period=14", "Choose one of the periods offered"),
            ("period=custom&from=2026-02-30&to=2026-03-01", "Enter the first date as YYYY-MM-DD"),
            ("period=custom&from=2026-03-01", "enter both the first and the last day"),
            ("period=custom&from=0001-01-01&to=9999-12-31", "between 2000-01-01"),
            ("period=custom&from=2026-03-01&to=" + "9" * 5000, "Enter the last date"),
        ]:
            answer = await client.get(f"/backoffice/insights?{query}")
            assert answer.status_code == 400, query
            assert answer.headers["content-type"].startswith("text/html")
            assert message in answer.text, query


async def test_each_shop_sees_its_own_numbers_and_the_page_needs_a_sign_in(
    live: LiveServer, ctx: AppContext, api: httpx.AsyncClient, store: ShopApi, owner: Merchant
) -> None:
    other = await _seed(ctx, api, store)
    other_owner = await add_merchant(ctx, other.shop_id, "owner")
    async with signed_in_client(live.base_url, other_owner) as client:
        answer = await client.get(SEEDED)
    assert answer.status_code == 200
    assert re.search(r'id="period-count">1<', answer.text)
    assert re.search(r'id="current-count">9<', answer.text)
    assert "CLICK_MEDIA" in answer.text and "&lt;script&gt;" not in answer.text
    assert "style=" not in answer.text  # the page policy refuses inline styles
    assert "style-src 'self'" in answer.headers["content-security-policy"]
    anonymous = await api.get(SEEDED)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/backoffice/sign-in?next=")
