"""Bulk actions of the back office's reviews list: a page of reviews changed in one transaction
(the rating follows, as the signed API and the page show), the select-all checkbox with and
without JavaScript, and all or nothing when one id is not the shop's."""

from __future__ import annotations

import re
from html import unescape

from playwright.async_api import Page, expect

from shopreviews.kit.context import AppContext
from tests.backoffice.helpers import (
    Merchant,
    csrf_of,
    recorded_events,
    require_browser,
    sign_in,
    signed_in_client,
)
from tests.support.api import ShopApi, create_shop, ok
from tests.support.browser import LiveServer, axe_violations
from tests.support.reviews import create

require_browser()


async def test_bulk_hiding_five_reviews_changes_the_rating(
    ctx: AppContext, page: Page, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    low = [await create(store, rating=1, title=f"Bad {i}") for i in range(5)]
    for i in range(3):
        await create(store, rating=5, title=f"Good {i}")
    before = ok(await store.get("get_rating", {"is_all_rating": 1}))
    assert (before["review_count"], before["rating_value"]) == (8, "2.5")

    await sign_in(page, live.base_url, owner, "/backoffice/reviews?rating=1")
    await expect(page.locator("#shop-rating")).to_contain_text("2.5")
    for review in low:
        await page.locator(f"#select-{review['id']}").check()
    await page.get_by_label("Action", exact=True).select_option("hide")
    await page.get_by_role("button", name="Apply to reviews").click()
    await expect(page.locator("#done")).to_have_text("5 reviews hidden.")
    assert "rating=1" in page.url  # the same list, filters kept
    await expect(page.locator("#shop-rating")).to_contain_text("5.0")
    assert await axe_violations(page) == []

    after = ok(await store.get("get_rating", {"is_all_rating": 1}))
    assert (after["review_count"], after["rating_value"], after["star1_count"]) == (3, "5.0", 0)
    for review in low:
        assert ok(await store.get("get_review", {"id": review["id"]}))["is_published"] == 0
    events = [(t, b) for t, b in await recorded_events(ctx, store.shop_id)]
    hidden_ids = {str(b["list"][0]["id"]) for t, b in events if t == "review/deleted"}
    assert hidden_ids == {r["id"] for r in low}
    assert all(b["reason"] == "hidden" for t, b in events if t == "review/deleted")


async def test_select_all_checks_every_row_with_javascript(
    page: Page, live: LiveServer, store: ShopApi, staff: Merchant
) -> None:
    reviews = [await create(store, title=f"Row {i}", is_published=0) for i in range(3)]
    await sign_in(page, live.base_url, staff, "/backoffice/reviews?tab=pending")
    await page.get_by_label("Select every review on this page").check()
    for review in reviews:
        await expect(page.locator(f"#select-{review['id']}")).to_be_checked()
    await page.get_by_label("Action", exact=True).select_option("publish")
    await page.get_by_role("button", name="Apply to reviews").click()
    await expect(page.locator("#done")).to_have_text("3 reviews published.")
    await expect(page.locator("#empty")).to_be_visible()  # nothing pending any more
    listed = ok(await store.get("get_reviews", {"is_published": "1"}))
    assert sorted(r["id"] for r in listed["list"]) == sorted(r["id"] for r in reviews)


async def test_every_review_on_the_page_without_javascript(
    live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    reviews = [await create(store, title=f"Plain {i}") for i in range(3)]
    async with signed_in_client(live.base_url, owner) as client:
        html = (await client.get("/backoffice/reviews")).text
        page_ids = re.findall(r'name="page_review" value="(\d+)"', html)
        assert sorted(page_ids) == sorted(r["id"] for r in reviews)
        answer = await client.post(
            "/backoffice/reviews/bulk",
            data={
                "csrf_token": csrf_of(html),
                "back": "/backoffice/reviews",
                "scope": "page",
                "action": "tag",
                "tag": "summer",
                "page_review": page_ids,
            },
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/backoffice/reviews?done=bulk-tag&n=3"
        nothing = await client.post(
            "/backoffice/reviews/bulk",
            data={"csrf_token": csrf_of(html), "action": "pin", "scope": "selected"},
        )
        too_many = await client.post(
            "/backoffice/reviews/bulk",
            data={"csrf_token": csrf_of(html), "action": "pin", "review": list(range(1, 102))},
        )
    for review in reviews:
        assert ok(await store.get("get_review", {"id": review["id"]}))["tag"] == "summer"
    assert nothing.status_code == 400 and "Select at least one review" in unescape(nothing.text)
    assert too_many.status_code == 400 and "at most 100 reviews" in too_many.text


async def test_one_review_of_another_shop_refuses_the_whole_bulk(
    ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    mine = [await create(store, title=f"Mine {i}") for i in range(3)]
    other = await create_shop(ctx, store.client)
    theirs = await create(other, title="Theirs")
    gone = await create(store, title="Gone")
    ok(await store.post("delete_review", {"id": gone["id"]}))
    async with signed_in_client(live.base_url, owner) as client:
        token = csrf_of((await client.get("/backoffice/reviews")).text)
        for stranger in (theirs["id"], gone["id"], "x1"):
            answer = await client.post(
                "/backoffice/reviews/bulk",
                data={
                    "csrf_token": token,
                    "action": "hide",
                    "review": [*(r["id"] for r in mine), stranger],
                },
            )
            assert answer.status_code == 404, stranger
            assert "not one of your shop's reviews" in unescape(answer.text)
    for review in mine:
        assert ok(await store.get("get_review", {"id": review["id"]})) == review
    assert ok(await other.get("get_review", {"id": theirs["id"]})) == theirs
    topics = [t for t, _ in await recorded_events(ctx, store.shop_id)]
    assert "review/updated" not in topics
