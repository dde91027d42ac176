"""The widget in headless Debian Chromium (Playwright) on a local storefront page, another origin
than the app, over reviews seeded through the partner API and read through the real public API:
rendering, the star filter, sorting, "load more" by cursor, the lightbox by keyboard, the empty
state, the star badges in one request, the customer events it stores, and axe-core (WCAG 2.1 AA)
in every state."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, Route, expect

from shopreviews.kit.context import AppContext
from shopreviews.shops import service as shop_service
from tests.support.api import ShopApi, ok
from tests.support.browser import LiveServer, chromium_path
from tests.widget.helpers import (
    STOREFRONT,
    Storefront,
    api_requests,
    axe_violations,
    png,
    product_page,
    seed_reviews,
)

if chromium_path() is None:
    reason = "no chromium executable: install Debian's chromium package (apt-get install chromium)"
    # CI installs the browser: there a missing one is a failure, never a silent skip.
    if os.environ.get("SHOPREVIEWS_TEST_REQUIRE_BROWSER") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)

RATINGS = [5, 4, 5, 3, 5, 2, 4, 5, 1, 5, 4, 5]
PRODUCT = "9200305176832"
REVIEWS = "shopreviews-reviews"


def module_url(live: LiveServer) -> str:
    return f"{live.base_url}/widget/v1/shopreviews.js"


def recorded(page: Page) -> list[str]:
    """Every URL the page requests from now on."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


async def shown_ids(page: Page) -> list[str]:
    """The reviews the widget shows, in order (its own shadow root: not a fragment's)."""
    ids: list[str] = await page.evaluate(
        f"[...document.querySelector('{REVIEWS}').shadowRoot?.querySelectorAll('li.rv') ?? []]"
        ".map(e => e.dataset.id)"
    )
    return ids


async def expect_ids(page: Page, ids: list[str]) -> None:
    for _ in range(100):
        if await shown_ids(page) == ids:
            return
        await asyncio.sleep(0.05)
    assert await shown_ids(page) == ids


async def public(api: httpx.AsyncClient, shop: ShopApi, endpoint: str, **params: Any) -> Any:
    return ok(await api.get(f"{STOREFRONT}{shop.myshopify_domain}/{endpoint}", params=params))


async def stored_event_types(shop: ShopApi, expected: set[str]) -> dict[str, int]:
    """The shop's customer events by type, through the partner API, once `expected` are in."""
    counts: dict[str, int] = {}
    for _ in range(100):
        data = ok(await shop.get("get_customer_events", {"page_size": 100}))
        counts = {}
        for event in data["list"]:
            counts[event["event_type"]] = counts.get(event["event_type"], 0) + 1
        if expected <= set(counts):
            return counts
        await asyncio.sleep(0.1)
    return counts


async def test_a_shopper_browses_filters_sorts_pages_and_zooms(
    page: Page, live: LiveServer, storefront: Storefront, api: httpx.AsyncClient, store: ShopApi
) -> None:
    seeded = await seed_reviews(store, PRODUCT, RATINGS, photos_from=storefront.origin)
    domain = store.myshopify_domain
    storefront.page = product_page(
        f'<{REVIEWS} shop="{domain}" product-id="{PRODUCT}" page-size="5"></{REVIEWS}>',
        module_url(live),
    )
    urls = recorded(page)
    await page.goto(storefront.url)

    # The seeded reviews, in the API's order, with the summary of the rating endpoint.
    first = await public(api, store, "reviews", product_id=PRODUCT, page_size=5)
    await expect(page.locator(f"{REVIEWS} li.rv")).to_have_count(5)
    assert await shown_ids(page) == [r["id"] for r in first["list"]]
    rating = await public(api, store, "rating", product_id=PRODUCT)
    assert rating["review_count"] == len(RATINGS) and rating["rating_value"] == "4.0"
    await expect(page.locator(f"{REVIEWS} .num")).to_have_text("4.0")
    await expect(page.locator(f"{REVIEWS} .avg .stars")).to_have_attribute(
        "aria-label", "Rated 4 out of 5"
    )
    await expect(page.locator(f"{REVIEWS} .avg .cnt")).to_have_text("12 reviews")
    review = first["list"][0]
    card = page.locator(f'{REVIEWS} li.rv[data-id="{review["id"]}"]')
    await expect(card.locator(".au")).to_have_text(review["author"])
    await expect(card.locator(".tt")).to_have_text(review["title"])
    await expect(card.locator(".stars")).to_have_attribute(
        "aria-label", f"Rated {review['rating']} out of 5"
    )
    assert await axe_violations(page) == []

    # "Read more" past 400 characters.
    long = seeded.reviews[1]
    assert len(long["content"]) > 400
    text = page.locator(f'{REVIEWS} li.rv[data-id="{long["id"]}"] .tx')
    assert (await text.inner_text()).endswith("…")
    await page.locator(f'{REVIEWS} li.rv[data-id="{long["id"]}"] [data-act="expand"]').click()
    await expect(text).to_have_text(long["content"].strip())

    # A histogram row filters by star.
    five = page.locator(f'{REVIEWS} .row[data-star="5"]')
    await five.click()
    await expect(five).to_have_attribute("aria-pressed", "true")
    only_five = await public(api, store, "reviews", product_id=PRODUCT, page_size=5, rating="5")
    await expect_ids(page, [r["id"] for r in only_five["list"]])
    assert {r["rating"] for r in only_five["list"]} == {5}

    # Sorting, after clearing the filter; then "load more" follows the cursor.
    await page.locator(f'{REVIEWS} [data-act="all"]').click()
    await page.locator(f"{REVIEWS} select").select_option("rating-ascending")
    lowest = await public(
        api, store, "reviews", product_id=PRODUCT, page_size=5, sort_by="rating-ascending"
    )
    await expect_ids(page, [r["id"] for r in lowest["list"]])
    assert lowest["page"]["next_cursor"]
    await page.locator(f'{REVIEWS} [data-act="more"]').click()
    second = await public(
        api,
        store,
        "reviews",
        product_id=PRODUCT,
        page_size=5,
        sort_by="rating-ascending",
        cursor=lowest["page"]["next_cursor"],
    )
    await expect_ids(page, [r["id"] for r in lowest["list"] + second["list"]])
    assert any(f"cursor={lowest['page']['next_cursor']}" in u for u in urls)
    assert await axe_violations(page) == []

    # The lightbox, by keyboard alone: Enter on a thumbnail, arrows, Escape.
    with_photos = next(r for r in seeded.reviews if r["media"])
    await page.locator(f"{REVIEWS} input[data-act='photos']").check()
    photos = await public(
        api,
        store,
        "reviews",
        product_id=PRODUCT,
        page_size=5,
        sort_by="rating-ascending",
        with_media=1,
    )
    await expect_ids(page, [r["id"] for r in photos["list"]])
    assert with_photos["id"] in await shown_ids(page)
    thumb = page.locator(f'{REVIEWS} li.rv[data-id="{with_photos["id"]}"] button.th').first
    await thumb.focus()
    await page.keyboard.press("Enter")
    dialog = page.locator(f"{REVIEWS} dialog")
    await expect(dialog).to_be_visible()
    photo = dialog.locator("img")
    await expect(photo).to_have_attribute("src", with_photos["media"][0]["url"])
    await page.keyboard.press("ArrowRight")
    await expect(photo).to_have_attribute("src", with_photos["media"][1]["url"])
    assert await axe_violations(page) == []
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(thumb).to_be_focused()

    # Its customer events, batched with sendBeacon, are stored for the shop.
    await page.evaluate("dispatchEvent(new Event('pagehide'))")
    kinds = {"VIEW_REVIEW", "EXPAND_CONTENT", "FILTER_REVIEW", "SORT_REVIEW", "PAGINATION"}
    counts = await stored_event_types(store, kinds | {"CLICK_MEDIA"})
    assert kinds | {"CLICK_MEDIA"} <= set(counts), counts
    assert counts["VIEW_REVIEW"] == 1
    events = ok(await store.get("get_customer_events", {"page_size": 100}))["list"]
    click = next(e for e in events if e["event_type"] == "CLICK_MEDIA")
    assert click["review_id"] == with_photos["id"] and click["product_id"] == PRODUCT
    assert click["event_source"] == "STOREFRONT" and click["page_url"] == storefront.url
    # No third-party request: the page, the module, the API and the seeded photos only.
    assert {u.split("/")[2] for u in urls} <= {
        storefront.origin.split("/")[2],
        live.base_url.split("/")[2],
    }


async def test_a_product_without_reviews_shows_the_empty_state(
    page: Page, live: LiveServer, storefront: Storefront, store: ShopApi
) -> None:
    domain = store.myshopify_domain
    storefront.page = product_page(
        f'<{REVIEWS} shop="{domain}" product-id="555" lang="de"></{REVIEWS}>', module_url(live)
    )
    await page.goto(storefront.url)
    empty = page.locator(f"{REVIEWS} .empty")
    await expect(empty).to_contain_text("Noch keine Bewertungen")
    await expect(page.locator(f"{REVIEWS} li.rv")).to_have_count(0)
    await expect(page.locator(f"{REVIEWS} select")).to_have_count(0)
    assert await axe_violations(page) == []


async def test_every_badge_of_a_page_comes_from_one_ratings_request(
    page: Page, live: LiveServer, storefront: Storefront, api: httpx.AsyncClient, store: ShopApi
) -> None:
    await seed_reviews(store, "101", [5, 4])
    await seed_reviews(store, "102", [3])
    domain = store.myshopify_domain
    badges = "".join(
        f'<li><shopreviews-stars shop="{domain}" product-id="{pid}"{extra}></shopreviews-stars>'
        f"</li>"
        for pid, extra in [
            ("101", ""),
            ("102", ""),
            ("103", ""),
            ("103", " show-empty"),
            ("101", ' lang="fr"'),
        ]
    )
    storefront.page = product_page(f"<ul>{badges}</ul>", module_url(live))
    urls = recorded(page)
    await page.goto(storefront.url)
    stars = page.locator("shopreviews-stars .stars")
    await expect(stars).to_have_count(4)  # 103 without show-empty shows nothing
    ratings = api_requests(urls, "ratings")
    assert len(ratings) == 1, ratings
    assert "product_ids=101%2C102%2C103" in ratings[0]
    labels = await stars.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    assert labels == [
        "Rated 4.5 out of 5, 2 reviews",
        "Rated 3 out of 5, 1 review",
        "Rated 0 out of 5, 0 reviews",
        "Noté 4,5 sur 5, 2 avis",
    ]
    hidden = page.locator('shopreviews-stars[product-id="103"]:not([show-empty])')
    assert await hidden.evaluate("e => e.shadowRoot.innerHTML") == ""
    data = await public(api, store, "ratings", product_ids="101,102,103")
    assert [(r["product_id"], r["review_count"]) for r in data["list"]] == [
        ("101", 2),
        ("102", 1),
        ("103", 0),
    ]
    assert await axe_violations(page) == []


async def set_auto_publish(ctx: AppContext, shop: ShopApi, min_rating: int) -> None:
    async with ctx.db.session(write=True) as session:
        await shop_service.update_intake_settings(
            ctx,
            session,
            shop.shop_id,
            storefront=shop_service.StorefrontSettings(auto_publish_min_rating=min_rating),
            now=ctx.now_datetime(),
        )


async def test_a_shopper_writes_a_review_with_a_photo_published_then_one_held_back(
    page: Page,
    live: LiveServer,
    storefront: Storefront,
    store: ShopApi,
    ctx: AppContext,
    tmp_path: Path,
) -> None:
    await seed_reviews(store, PRODUCT, [5, 4])
    domain = store.myshopify_domain
    storefront.page = product_page(
        f'<{REVIEWS} shop="{domain}" product-id="{PRODUCT}"></{REVIEWS}>', module_url(live)
    )
    await page.goto(storefront.url)
    await expect(page.locator(f"{REVIEWS} li.rv")).to_have_count(2)

    # The form opens on its star input; nothing sent yet when it is empty.
    await page.locator(f"{REVIEWS} [data-act='write']").click()
    form = page.locator(f"{REVIEWS} form")
    await expect(form).to_be_visible()
    await expect(page.locator(f"{REVIEWS} #r5")).to_be_focused()
    assert await axe_violations(page) == []
    await form.locator("[type=submit]").click()
    await expect(form.locator("#e-rating")).to_have_text("Choose a rating from 1 to 5 stars.")
    await expect(form.locator("#e-content")).to_have_text("This field is required.")
    await expect(form.locator("#f-author")).to_have_attribute("aria-invalid", "true")
    await expect(form.locator("[role=alert]")).to_have_text("Please correct the marked fields.")
    assert await axe_violations(page) == []

    # The stars by keyboard: the first, then three steps right (4 stars).
    await form.locator("#r1").focus()
    await page.keyboard.press("Space")
    for _ in range(3):
        await page.keyboard.press("ArrowRight")
    await expect(form.locator("#r4")).to_be_checked()
    await expect(form.locator(".rate")).to_have_attribute("data-v", "4")
    await form.locator("#f-content").fill("Soft <b>linen</b>, true to size.")
    await form.locator("#f-author").fill("Jane Doe")
    await form.locator("#f-author_email").fill("jane@example.net")
    # A title over the limit (pasted past maxlength): the server's code 3 names the field.
    await form.locator("#f-title").evaluate("e => e.value = 'x'.repeat(151)")
    await form.locator("[type=submit]").click()
    title_error = form.locator("#e-title")
    await expect(title_error).to_be_visible()
    assert "title" in await title_error.inner_text()
    await expect(form.locator("#f-title")).to_have_attribute("aria-invalid", "true")
    await expect(form.locator("#f-title")).to_be_focused()
    await form.locator("#f-title").fill("Great shirt")

    # A photo: preview, then progress to 100 % through the storefront upload policy.
    photo = tmp_path / "shirt photo.png"
    photo.write_bytes(png("darkseagreen", (640, 480)))
    await form.locator("#f-photos").set_input_files(str(photo))
    await expect(form.locator(".pics img")).to_have_count(1)
    await expect(form.locator(".pics progress")).to_have_attribute("value", "100")
    await form.locator("[type=submit]").click()
    done = page.locator(f"{REVIEWS} [part=result]")
    await expect(done).to_have_attribute("data-status", "published")
    await expect(done).to_have_text("Thank you! Your review is published.")

    stored = ok(await store.get("get_reviews", {"product_id": PRODUCT, "page_size": 10}))["list"]
    mine = next(r for r in stored if r["author_email"] == "jane@example.net")
    assert (mine["rating"], mine["title"], mine["content"]) == (
        4,
        "Great shirt",
        "Soft <b>linen</b>, true to size.",
    )
    assert mine["is_published"] == 1 and mine["source"] == "Store front"
    assert len(mine["media"]) == 1
    assert mine["media"][0]["url"].startswith(f"{live.base_url}/media/")
    # The list and summary now include it, its text escaped.
    card = page.locator(f'{REVIEWS} li.rv[data-id="{mine["id"]}"]')
    await expect(card.locator(".tx")).to_have_text("Soft <b>linen</b>, true to size.")
    await expect(page.locator(f"{REVIEWS} .avg .cnt")).to_have_text("3 reviews")

    # With a moderation threshold above its rating, the next review is held back.
    await set_auto_publish(ctx, store, 5)
    await page.reload()
    await page.locator(f"{REVIEWS} [data-act='write']").click()
    await form.locator('label[for="r3"]').click()  # a click on the third star
    await form.locator("#f-content").fill("Fine, a bit thin.")
    await form.locator("#f-author").fill("Sam")
    await form.locator("#f-author_email").fill("sam@example.net")
    await form.locator("[type=submit]").click()
    await expect(done).to_have_attribute("data-status", "pending")
    await expect(done).to_have_text(
        "Thank you! Your review will appear once the shop has checked it."
    )
    await expect(page.locator(f"{REVIEWS} li.rv")).to_have_count(3)
    every = {"product_id": PRODUCT, "page_size": 10, "is_published": "all"}
    stored = ok(await store.get("get_reviews", every))["list"]
    held = next(r for r in stored if r["author_email"] == "sam@example.net")
    assert held["is_published"] == 0 and held["rating"] == 3


# Every layout shift of the page, from its first paint on.
SHIFTS = """window.__shifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__shifts.push({value: e.value});
}).observe({type: "layout-shift", buffered: true});"""


async def test_the_widget_takes_the_fragment_over_without_a_request_or_a_shift(
    page: Page, live: LiveServer, storefront: Storefront, api: httpx.AsyncClient, store: ShopApi
) -> None:
    await seed_reviews(store, PRODUCT, RATINGS, photos_from=storefront.origin)
    domain = store.myshopify_domain
    answer = await api.get(f"/storefront/shops/{domain}/products/{PRODUCT}/reviews.html")
    assert answer.status_code == 200
    fragment = answer.text
    assert fragment.startswith('<div class="shopreviews-ssr" data-shopreviews-ssr>')
    assert '<template shadowrootmode="open">' in fragment
    storefront.page = product_page(
        f'<{REVIEWS} shop="{domain}" product-id="{PRODUCT}">{fragment}</{REVIEWS}>',
        module_url(live),
    )
    await page.add_init_script(SHIFTS)
    urls = recorded(page)

    # The module arrives late, as it may on a slow network: the page is drawn without it.
    held: asyncio.Queue[Route] = asyncio.Queue()
    await page.route("**/widget/v1/shopreviews.js", held.put)
    loading = asyncio.ensure_future(page.goto(storefront.url))
    module = await asyncio.wait_for(held.get(), 30)
    await page.wait_for_timeout(300)  # painted meanwhile
    drawn = await page.evaluate(
        "document.querySelector('[data-shopreviews-ssr]').shadowRoot.querySelectorAll('li.rv')"
        ".length"
    )
    assert drawn == 10
    assert await page.evaluate(f"!customElements.get('{REVIEWS}')")
    await module.continue_()
    await loading
    await page.wait_for_function(
        "document.querySelector('shopreviews-reviews').shadowRoot?.querySelector('li.rv')"
    )
    await page.wait_for_timeout(300)  # a frame or two after the takeover

    # No read request at all: the fragment's initial data was enough.
    assert api_requests(urls, "reviews") == [] and api_requests(urls, "rating") == []
    assert await page.evaluate("window.__shifts") == []
    # The widget drew exactly what the fragment had drawn.
    before = await page.evaluate(
        "document.querySelector('[data-shopreviews-ssr]').shadowRoot.innerHTML"
    )
    after = await page.evaluate(f"document.querySelector('{REVIEWS}').shadowRoot.innerHTML")
    assert before.split("</style>", 1)[1] == after
    first = await public(api, store, "reviews", product_id=PRODUCT)
    assert await shown_ids(page) == [r["id"] for r in first["list"]]
    assert await axe_violations(page) == []
