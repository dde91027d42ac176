"""The reviews list of the back office: tabs with the pending badge, filters, keyset pages,
every row's facts and markers, bad addresses answered on the page, another shop's reviews
never shown, and axe-core clean with rows and photos."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, Route, expect

from shopreviews.kit.context import AppContext
from tests.backoffice.helpers import Merchant, require_browser, sign_in, signed_in_client
from tests.support.api import ShopApi, create_shop
from tests.support.browser import LiveServer, axe_violations
from tests.support.reviews import create, update

require_browser()

PHOTO = "https://photos.example.net/p/1.jpg"
# A 1x1 PNG: the page's thumbnails load without the network.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


async def serve_photos(route: Route) -> None:
    await route.fulfill(status=200, content_type="image/png", body=PIXEL)


async def seed(store: ShopApi) -> dict[str, dict[str, Any]]:
    """One review of each state and kind, by name."""
    return {
        "photo": await create(
            store,
            product_id="501",
            product_handle="linen-shirt",
            product_title="Linen Shirt",
            rating=4,
            title="Lovely shirt",
            content="Soft and true to size.",
            author="Ann Lee",
            author_email="ann@example.com",
            is_verified=1,
            is_featured=1,
            tag="vip",
            media=[{"url": PHOTO, "thumbnail_url": PHOTO}],
            reply={"content": "Thank you, Ann!"},
            commented_at="2026-03-01 10:00:00",
        ),
        "pending": await create(
            store,
            rating=2,
            title="Late parcel",
            author="Bo Chen",
            author_email="Bo@Example.com",
            is_published=0,
            source="Store front",
            commented_at="2026-03-02 10:00:00",
        ),
        "hidden": await create(
            store,
            product_id="502",
            rating=1,
            title="Spam",
            author="Cy",
            is_published=1,
            is_top=1,
            commented_at="2026-03-03 10:00:00",
        ),
    }


async def titles(client: httpx.AsyncClient, query: str = "") -> list[str]:
    page = await client.get(f"/backoffice/reviews{query}")
    assert page.status_code == 200, page.text
    return re.findall(r'<h2 id="review-\d+-title">([^<]*)</h2>', page.text)


async def test_tabs_filters_and_rows(
    ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    reviews = await seed(store)
    await update(store, reviews["hidden"]["id"], is_published=0)  # hidden: a decision
    other = await create_shop(ctx, store.client)
    await create(other, title="Not ours", is_published=0)
    async with signed_in_client(live.base_url, owner) as client:
        assert await titles(client) == ["Spam", "Late parcel", "Lovely shirt"]
        assert await titles(client, "?tab=pending") == ["Late parcel"]
        assert await titles(client, "?tab=hidden") == ["Spam"]
        assert await titles(client, "?tab=published") == ["Lovely shirt"]
        assert await titles(client, "?tab=unanswered") == ["Spam", "Late parcel"]
        assert await titles(client, "?tab=media") == ["Lovely shirt"]
        assert await titles(client, "?sort=oldest") == ["Lovely shirt", "Late parcel", "Spam"]
        assert await titles(client, "?sort=highest") == ["Lovely shirt", "Late parcel", "Spam"]
        assert await titles(client, "?sort=lowest") == ["Spam", "Late parcel", "Lovely shirt"]
        assert await titles(client, "?rating=1&rating=2") == ["Spam", "Late parcel"]
        assert await titles(client, "?q=bo%40example.COM") == ["Late parcel"]  # exact address
        assert await titles(client, "?q=example.com") == []  # no "@": words, not addresses
        assert await titles(client, "?q=true+to+size") == ["Lovely shirt"]
        assert await titles(client, "?product=LINEN-SHIRT") == ["Lovely shirt"]  # handle
        assert await titles(client, "?product=502") == ["Spam"]  # id
        assert await titles(client, "?product=0") == ["Late parcel"]  # the store
        assert await titles(client, "?source=store+front") == ["Late parcel"]
        assert await titles(client, "?from=2026-03-02&to=2026-03-02") == ["Late parcel"]
        assert await titles(client, "?from=2026-03-03") == ["Spam"]
        assert await titles(client, "?tab=published&to=2026-02-28") == []
        html = (await client.get("/backoffice/reviews")).text
    assert '<span class="badge warn" id="pending-count">1<' in html
    assert "Not ours" not in html
    photo = html[html.index(f'id="review-{reviews["photo"]["id"]}"') :]
    photo = photo[: photo.index("</article>")]
    for fact in (
        'aria-label="4 out of 5 stars"',
        "Soft and true to size.",
        "Ann Lee &lt;ann@example.com&gt;",
        "2026-03-01 10:00:00 UTC",
        "Linen Shirt",
        "(linen-shirt)",
        "Verified buyer",
        "Featured",
        "Tag: vip",
        "Published",
        "Thank you, Ann!",
        f'src="{PHOTO}" alt="Photo 1 of the review by Ann Lee"',
        "Hide this photo",
    ):
        assert fact in photo, fact
    pending = html[html.index(f'id="review-{reviews["pending"]["id"]}"') :]
    assert '"badge status-pending">Pending<' in pending[: pending.index("</article>")]
    assert "Shop rating: <strong>4.0</strong> out of 5, from 1 published review." in html


async def test_keyset_pages_of_25_follow_each_other(
    live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    for day in range(1, 31):
        await create(store, title=f"Review {day:02d}", commented_at=f"2026-04-{day:02d} 08:00:00")
    seen: list[str] = []
    async with signed_in_client(live.base_url, owner) as client:
        first = await client.get("/backoffice/reviews?rating=5")
        seen += re.findall(r'<h2 id="review-\d+-title">([^<]*)</h2>', first.text)
        assert 'id="first-page"' not in first.text
        link = re.search(r'href="([^"]+)" id="next-page"', first.text)
        assert link is not None
        target = link.group(1).replace("&amp;", "&")
        assert "rating=5" in target and "after=" in target  # filters kept with the cursor
        second = await client.get(target)
        seen += re.findall(r'<h2 id="review-\d+-title">([^<]*)</h2>', second.text)
        assert 'id="next-page"' not in second.text
        assert 'id="first-page"' in second.text
    assert seen == [f"Review {day:02d}" for day in range(30, 0, -1)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?tab=spam", "Choose one of the tabs"),
        ("?rating=6", "A rating must be a whole number of stars from 1 to 5."),
        ("?from=2026-13-01", "The “from” date must be a date such as 2026-06-30."),
        ("?from=2026-05-02&to=2026-05-01", "The “from” date must not be after the “to” date."),
        ("?sort=random", "Choose one of the orders"),
        ("?product=a%20b", "The product must be a product id or handle"),
        ("?after=not-a-cursor", "This page link is no longer valid."),
        ("?q=" + "x" * 201, "The search text must be at most 200 characters."),
    ],
)
async def test_a_bad_address_is_a_message_on_the_page(
    live: LiveServer, owner: Merchant, query: str, message: str
) -> None:
    async with signed_in_client(live.base_url, owner) as client:
        page = await client.get(f"/backoffice/reviews{query}")
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="problems"' in page.text and message in page.text
    assert 'id="q"' in page.text  # the filter form is still there to fix it


async def test_a_cursor_of_another_order_is_refused_on_the_page(
    live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    for day in range(1, 28):
        await create(store, commented_at=f"2026-05-{day:02d} 08:00:00")
    async with signed_in_client(live.base_url, owner) as client:
        first = await client.get("/backoffice/reviews")
        cursor = re.search(r"after=([A-Za-z0-9_-]+)", first.text)
        assert cursor is not None
        page = await client.get(f"/backoffice/reviews?sort=oldest&after={cursor.group(1)}")
    assert page.status_code == 400
    assert "This page link is no longer valid." in page.text


async def test_the_list_in_chromium_is_clean_for_axe(
    page: Page, live: LiveServer, store: ShopApi, staff: Merchant
) -> None:
    await seed(store)
    await page.route("https://photos.example.net/**", serve_photos)
    await sign_in(page, live.base_url, staff, "/backoffice/reviews")
    await expect(page.get_by_role("heading", name="Lovely shirt")).to_be_visible()
    await expect(page.get_by_role("img", name="Photo 1 of the review by Ann Lee")).to_be_visible()
    await expect(page.locator("#tab-all")).to_have_attribute("aria-current", "page")
    assert await axe_violations(page) == []
    # The filter form works as a plain GET form.
    await page.get_by_label("Search").fill("late parcel")
    await page.get_by_role("button", name="Show reviews").click()
    await expect(page.locator("h2")).to_have_text(["Late parcel"])
    assert "q=late+parcel" in page.url
    assert await axe_violations(page) == []
    await page.goto(f"{live.base_url}/backoffice/reviews?rating=9")
    await expect(page.locator("#problems")).to_contain_text("A rating must be")
    assert await axe_violations(page) == []


async def test_signed_out_visitors_are_sent_to_sign_in(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.base_url) as client:
        answer = await client.get("/backoffice/reviews?tab=pending")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/backoffice/sign-in?next=")
