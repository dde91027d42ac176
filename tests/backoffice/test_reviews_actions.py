"""Each review's actions in the back office, end to end: a held web review published and seen by
the storefront, a reply seen by the partner API with its event, a photo hidden, tags, the
keyboard alone, another shop's review refused, and the page after an action clean for axe."""

from __future__ import annotations

from html import unescape
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from shopreviews.kit.context import AppContext
from tests.backoffice.helpers import (
    Merchant,
    csrf_of,
    recorded_events,
    require_browser,
    review_columns,
    set_shop_columns,
    sign_in,
    signed_in_client,
)
from tests.support.api import ShopApi, create_shop, ok
from tests.support.browser import LiveServer, axe_violations
from tests.support.reviews import create

require_browser()

PRODUCT = "9200305176832"
PHOTOS = ["https://photos.example.net/a.jpg", "https://photos.example.net/b.jpg"]


async def web_review(api: httpx.AsyncClient, store: ShopApi, **fields: Any) -> str:
    """A review sent by the shop's storefront form, as its page sends it; its id."""
    body = {
        "product_id": PRODUCT,
        "rating": 3,
        "title": "Decent linen",
        "content": "A little thin.",
        "author": "Dee Park",
        "author_email": "dee@example.com",
        **fields,
    }
    answer = await api.post(
        f"/api/v1/storefront/shops/{store.myshopify_domain}/reviews",
        json=body,
        headers={"Origin": f"https://{store.myshopify_domain}"},
    )
    data = ok(answer)
    assert data["status"] == "pending", data
    return str(data["id"])


async def storefront(api: httpx.AsyncClient, store: ShopApi, name: str) -> Any:
    return ok(
        await api.get(
            f"/api/v1/storefront/shops/{store.myshopify_domain}/{name}",
            params={"product_id": PRODUCT},
        )
    )


async def test_publishing_a_held_web_review_shows_it_on_the_storefront(
    ctx: AppContext,
    page: Page,
    live: LiveServer,
    api: httpx.AsyncClient,
    store: ShopApi,
    staff: Merchant,
) -> None:
    await set_shop_columns(ctx, store.shop_id, auto_publish_min_rating=4)
    review_id = await web_review(api, store)
    assert (await storefront(api, store, "reviews"))["list"] == []
    assert (await storefront(api, store, "rating"))["review_count"] == 0

    await sign_in(page, live.base_url, staff, "/backoffice/reviews?tab=pending")
    row = page.locator(f"#review-{review_id}")
    await expect(row.get_by_role("heading")).to_have_text("Decent linen")
    await row.get_by_role("button", name="Publish").click()
    await expect(page.locator("#done")).to_have_text("The review is published.")
    assert "tab=pending" in page.url  # back on the same list
    await expect(page.locator(f"#review-{review_id}")).to_have_count(0)  # no longer pending
    assert await axe_violations(page) == []

    listed = await storefront(api, store, "reviews")
    assert [r["id"] for r in listed["list"]] == [review_id]
    rating = await storefront(api, store, "rating")
    assert (rating["review_count"], rating["star3_count"]) == (1, 1)
    stored = await review_columns(ctx, store.shop_id, review_id)
    assert stored["is_published"] is True and stored["moderated_at"] is not None
    events = await recorded_events(ctx, store.shop_id)
    topics = [topic for topic, _ in events if topic.startswith("review/")]
    assert topics == ["review/created", "review/updated"]


async def test_hiding_a_pending_review_moves_it_to_hidden_without_an_event(
    ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    review = await create(store, title="Held", is_published=0)
    async with signed_in_client(live.base_url, owner) as client:
        listing = await client.get("/backoffice/reviews?tab=pending")
        answer = await client.post(
            f"/backoffice/reviews/{review['id']}/moderate",
            data={
                "csrf_token": csrf_of(listing.text),
                "action": "hide",
                "back": "/backoffice/reviews?tab=pending&done=publish",
            },
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == (
            f"/backoffice/reviews?tab=pending&done=hide#review-{review['id']}"
        )
        hidden = await client.get("/backoffice/reviews?tab=hidden")
    assert "Held" in hidden.text
    topics = [topic for topic, _ in await recorded_events(ctx, store.shop_id)]
    assert topics == ["review/created"]  # nothing the API shows changed


async def test_a_reply_reaches_the_partner_api_with_an_event(
    ctx: AppContext, page: Page, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    review = await create(store, title="Great fit", author="Eve")
    await sign_in(page, live.base_url, owner, "/backoffice/reviews")
    row = page.locator(f"#review-{review['id']}")
    await row.get_by_text("Reply", exact=True).click()
    await row.get_by_label("Public reply to Eve").fill("Thank you, Eve!")
    await row.get_by_role("button", name="Save reply").click()
    await expect(page.locator("#done")).to_have_text("The reply is saved.")
    await expect(page.locator(f"#review-{review['id']} .reply")).to_contain_text("Thank you, Eve!")

    got = ok(await store.get("get_review", {"id": review["id"]}))
    assert got["reply"]["content"] == "Thank you, Eve!"
    topic, body = (await recorded_events(ctx, store.shop_id))[-1]
    assert topic == "review/updated"
    assert body["list"][0]["reply"]["content"] == "Thank you, Eve!"

    # Edited, then removed.
    row = page.locator(f"#review-{review['id']}")
    await row.get_by_text("Edit the reply").click()
    await row.get_by_label("Public reply to Eve").fill("Thanks again!")
    await row.get_by_role("button", name="Save reply").click()
    await expect(page.locator("#done")).to_have_text("The reply is saved.")
    assert ok(await store.get("get_review", {"id": review["id"]}))["reply"]["content"] == (
        "Thanks again!"
    )
    page.on("dialog", lambda dialog: dialog.accept())
    row = page.locator(f"#review-{review['id']}")
    await row.get_by_text("Edit the reply").click()
    await row.get_by_role("button", name="Remove reply").click()
    await expect(page.locator("#done")).to_have_text("The reply is removed.")
    assert ok(await store.get("get_review", {"id": review["id"]}))["reply"] is None


async def test_hiding_the_last_photo_leaves_the_with_media_tab(
    ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    review = await create(store, title="Photos", media=[{"url": u} for u in PHOTOS])
    async with signed_in_client(live.base_url, owner) as client:
        token = csrf_of((await client.get("/backoffice/reviews")).text)
        for index in (1, 0):
            answer = await client.post(
                f"/backoffice/reviews/{review['id']}/moderate",
                data={"csrf_token": token, "action": "hide_media", "media": str(index)},
            )
            assert answer.status_code == 303
            assert "done=hide_media" in answer.headers["location"]
            got = ok(await store.get("get_review", {"id": review["id"]}))
            shown = [m["is_published"] for m in got["media"]]
            assert shown == ([1, 0] if index == 1 else [0, 0])
        media_tab = await client.get("/backoffice/reviews?tab=media")
        beyond = await client.post(
            f"/backoffice/reviews/{review['id']}/moderate",
            data={"csrf_token": token, "action": "hide_media", "media": "2"},
        )
    assert "Photos" not in media_tab.text
    assert (await review_columns(ctx, store.shop_id, review["id"]))["has_media"] is False
    assert beyond.status_code == 400
    assert "hide_media must be the index of one of the review's 2 media items" in unescape(
        beyond.text
    )
    topics = [topic for topic, _ in await recorded_events(ctx, store.shop_id)]
    assert topics == ["review/created", "review/updated", "review/updated"]


async def test_tag_feature_and_pin(live: LiveServer, store: ShopApi, owner: Merchant) -> None:
    review = await create(store, title="Tag me")
    async with signed_in_client(live.base_url, owner) as client:
        token = csrf_of((await client.get("/backoffice/reviews")).text)
        path = f"/backoffice/reviews/{review['id']}/moderate"
        for action, extra, done in [
            ("tag", {"tag": "  gift  "}, "tag"),
            ("feature", {}, "feature"),
            ("pin", {}, "pin"),
        ]:
            answer = await client.post(path, data={"csrf_token": token, "action": action, **extra})
            assert f"done={done}" in answer.headers["location"]
        got = ok(await store.get("get_review", {"id": review["id"]}))
        assert (got["tag"], got["is_featured"], got["is_top"]) == ("gift", 1, 1)
        answer = await client.post(path, data={"csrf_token": token, "action": "tag", "tag": ""})
        assert "done=untag" in answer.headers["location"]
        page = await client.get(answer.headers["location"])
        too_long = await client.post(
            path, data={"csrf_token": token, "action": "tag", "tag": "x" * 256}
        )
        unknown = await client.post(path, data={"csrf_token": token, "action": "delete"})
    assert ok(await store.get("get_review", {"id": review["id"]}))["tag"] == ""
    assert '<p class="notice" role="status" id="done">The tag is removed.</p>' in page.text
    assert too_long.status_code == 400 and "at most 255 characters" in too_long.text
    assert unknown.status_code == 400 and "not one of the review actions" in unknown.text


@pytest.mark.parametrize("action", ["publish", "hide", "reply", "hide_media"])
async def test_another_shops_review_is_unknown_and_unchanged(
    ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant, action: str
) -> None:
    other = await create_shop(ctx, store.client)
    theirs = await create(
        other, title="Theirs", is_published=0, media=[{"url": PHOTOS[0]}], author="Flo"
    )
    mine = await create(store, title="Mine")
    deleted = (await create(store, title="Gone"))["id"]
    ok(await store.post("delete_review", {"id": deleted}))
    fields = {"action": action, "reply": "Hello", "media": "0"}
    async with signed_in_client(live.base_url, owner) as client:
        token = csrf_of((await client.get("/backoffice/reviews")).text)
        for target in (theirs["id"], deleted, "12x", "99999999999"):
            answer = await client.post(
                f"/backoffice/reviews/{target}/moderate", data={"csrf_token": token, **fields}
            )
            assert answer.status_code == 404, target
            assert "not one of your shop's reviews" in unescape(answer.text)
    after = ok(await other.get("get_review", {"id": theirs["id"]}))
    assert after == theirs
    assert [t for t, _ in await recorded_events(ctx, other.shop_id)] == ["review/created"]
    assert ok(await store.get("get_review", {"id": mine["id"]})) == mine


async def test_a_forged_form_changes_nothing(
    live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    review = await create(store, is_published=0)
    async with signed_in_client(live.base_url, owner) as client:
        answer = await client.post(
            f"/backoffice/reviews/{review['id']}/moderate",
            data={"csrf_token": "0" * 64, "action": "publish"},
        )
    assert answer.status_code == 403
    assert ok(await store.get("get_review", {"id": review["id"]}))["is_published"] == 0


async def test_a_row_action_by_keyboard_alone(
    page: Page, live: LiveServer, store: ShopApi, staff: Merchant
) -> None:
    review = await create(store, title="Keyboard", is_published=0)
    await sign_in(page, live.base_url, staff, "/backoffice/reviews?tab=pending")
    publish = page.locator(f"#review-{review['id']}").get_by_role("button", name="Publish")
    for _ in range(60):  # Tab through the page in its order until the row's button
        await page.keyboard.press("Tab")
        if await publish.evaluate("button => button === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the row's Publish button")
    await page.keyboard.press("Enter")
    await expect(page.locator("#done")).to_have_text("The review is published.")
    assert ok(await store.get("get_review", {"id": review["id"]}))["is_published"] == 1
