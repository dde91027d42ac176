"""The Google product reviews feed (docs/storefront.md): its XML structure (parsed, every
required element), product identifiers from the catalogue, what is left out, streaming in
keyset batches, and Last-Modified / If-Modified-Since / ETag."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest
from sqlalchemy import update

from shopreviews.kit.context import AppContext
from shopreviews.reviews import service as review_service
from shopreviews.reviews.models import Review
from tests.storefront.helpers import OTHER_PRODUCT, PRODUCT, create, set_shop
from tests.support.api import ShopApi, error, ok

T0 = 1780844412  # 2026-06-07T15:00:12Z


def feed_path(shop: ShopApi) -> str:
    return f"/feeds/shops/{shop.myshopify_domain}/google-product-reviews.xml"


async def test_feed_structure_and_identifiers(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await set_shop(ctx, shop.shop_id, name="Example & Co <Shop>")
    async with ctx.db.session(write=True) as session:
        await review_service.set_catalogue(
            session,
            shop.shop_id,
            PRODUCT,
            {
                "title": "Linen Shirt",
                "handle": "linen-shirt",
                "sku": "LS-1",
                "gtin": "04006381333931",
                "mpn": "LS-1-M",
                "brand": "Acme",
            },
        )
        await review_service.set_catalogue(
            session,
            shop.shop_id,
            OTHER_PRODUCT,
            {"title": "Socks", "url": "https://www.example-shop.com/socks", "mpn": "S-1"},
        )
    first = await create(
        shop,
        product_id=PRODUCT,
        rating=5,
        title="Great <fit>",
        author="Jane Doe",
        content="Soft & light \x01",
        is_verified=1,
        commented_at="2026-06-01 10:00:00",
        media=[
            {"url": "https://cdn.example.com/p.jpg"},
            {"url": "https://cdn.example.com/hidden.jpg", "is_published": 0},
        ],
    )
    second = await create(
        shop,
        product_id=OTHER_PRODUCT,
        rating=2,
        content="Too small",
        commented_at="2026-06-02 10:00:00",
    )
    await create(shop, product_id="0", content="a store review")  # not a product review
    await create(shop, product_id=PRODUCT, content="hidden", is_published=0)
    await create(shop, product_id=PRODUCT, content="")  # no text: Google requires some
    await create(shop, product_id="no-handle", content="unknown product")  # no product URL

    response = await client.get(feed_path(shop))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    root = ET.fromstring(response.content)
    assert root.tag == "feed"
    assert root.findtext("version") == "2.4"
    assert root.findtext("aggregator/name") == "Example & Co <Shop>"
    assert root.findtext("publisher/name") == "Example & Co <Shop>"
    reviews = root.findall("reviews/review")
    assert [r.findtext("review_id") for r in reviews] == [first["id"], second["id"]]
    for review in reviews:
        for required in (
            "review_id",
            "reviewer/name",
            "review_timestamp",
            "content",
            "review_url",
            "ratings/overall",
            "products/product/product_name",
            "products/product/product_url",
            "collection_method",
        ):
            assert (review.findtext(required) or "").strip(), required
        overall = review.find("ratings/overall")
        assert overall is not None and overall.attrib == {"min": "1", "max": "5"}
        assert review.find("review_url").attrib == {"type": "group"}  # type: ignore[union-attr]
        assert review.findtext("collection_method") == "unsolicited"
    one, two = reviews
    assert one.findtext("reviewer/name") == "Jane D."
    assert one.findtext("review_timestamp") == "2026-06-01T10:00:00Z"
    assert one.findtext("title") == "Great <fit>"
    assert one.findtext("content") == "Soft & light "  # a character XML cannot hold is dropped
    assert one.findtext("is_verified_purchase") == "true"
    assert [u.text for u in one.findall("reviewer_images/reviewer_image/url")] == [
        "https://cdn.example.com/p.jpg"
    ]
    ids = one.find("products/product/product_ids")
    assert ids is not None
    assert [child.tag for child in ids] == ["gtins", "mpns", "skus", "brands"]
    assert (
        ids.findtext("gtins/gtin"),
        ids.findtext("mpns/mpn"),
        ids.findtext("skus/sku"),
        ids.findtext("brands/brand"),
    ) == ("04006381333931", "LS-1-M", "LS-1", "Acme")
    url = f"https://{shop.myshopify_domain}/products/linen-shirt"
    assert one.findtext("products/product/product_url") == url
    assert one.findtext("review_url") == url
    assert one.findtext("products/product/product_name") == "Linen Shirt"
    # Without a brand an MPN is not an identifier Google takes; the catalogue URL wins.
    assert two.find("products/product/product_ids") is None
    assert two.findtext("products/product/product_url") == "https://www.example-shop.com/socks"
    assert two.findtext("is_verified_purchase") == "false"


async def test_email_request_reviews_are_post_fulfillment_and_anonymous_names(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    made = await create(shop, product_id=PRODUCT, product_handle="p", content="from the email")
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(Review).where(Review.id == int(made["id"])).values(collected_via="email_request")
        )
    await set_shop(ctx, shop.shop_id, author_display="anonymous")
    root = ET.fromstring((await client.get(feed_path(shop))).content)
    (review,) = root.findall("reviews/review")
    assert review.findtext("collection_method") == "post_fulfillment"
    name = review.find("reviewer/name")
    assert name is not None and name.text == "Anonymous" and name.attrib == {"is_anonymous": "true"}


async def test_the_feed_is_read_in_keyset_batches(
    client: httpx.AsyncClient, shop: ShopApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = []
    for i in range(7):
        review = await create(
            shop,
            product_id=PRODUCT,
            product_handle="p",
            content=f"c{i}",
            commented_at="2026-06-01 10:00:00" if i < 4 else f"2026-05-0{i} 10:00:00",
        )
        made.append(review)
    monkeypatch.setattr(review_service, "FEED_BATCH", 2)
    batches: list[int] = []
    original = review_service.feed_reviews

    async def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        async for batch in original(*args, **kwargs):
            batches.append(len(batch))
            yield batch

    monkeypatch.setattr(review_service, "feed_reviews", counting)
    root = ET.fromstring((await client.get(feed_path(shop))).content)
    got = [r.findtext("review_id") for r in root.findall("reviews/review")]
    # Oldest first, ties by id, each once.
    expected = [made[i]["id"] for i in (4, 5, 6, 0, 1, 2, 3)]
    assert got == expected
    assert batches == [2, 2, 2, 1]


async def set_updated(ctx: AppContext, review_id: str, ts: float) -> None:
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(Review)
            .where(Review.id == int(review_id))
            .values(updated_at=datetime.fromtimestamp(ts, UTC))
        )


async def test_last_modified_if_modified_since_and_etag(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    made = await create(shop, product_id=PRODUCT, product_handle="p", content="one")
    other = await create(shop, product_id=PRODUCT, content="two")
    for review in (made, other):
        await set_updated(ctx, review["id"], T0)
    await set_shop(ctx, shop.shop_id, updated_at=datetime.fromtimestamp(T0 - 60, UTC))
    first = await client.get(feed_path(shop))
    modified = first.headers["last-modified"]
    assert parsedate_to_datetime(modified).timestamp() == T0
    assert first.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=600"
    unchanged = await client.get(feed_path(shop), headers={"If-Modified-Since": modified})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["last-modified"] == modified
    by_tag = await client.get(feed_path(shop), headers={"If-None-Match": first.headers["etag"]})
    assert by_tag.status_code == 304
    # If-None-Match wins over If-Modified-Since.
    both = await client.get(
        feed_path(shop), headers={"If-None-Match": '"other"', "If-Modified-Since": modified}
    )
    assert both.status_code == 200
    # A deletion is a change (it sets updated_at, now).
    ok(await shop.post("delete_review", {"id": other["id"]}))
    later = await client.get(feed_path(shop), headers={"If-Modified-Since": modified})
    assert later.status_code == 200
    assert parsedate_to_datetime(later.headers["last-modified"]).timestamp() > T0 + 60
    assert (
        await client.get(feed_path(shop), headers={"If-Modified-Since": "garbage"})
    ).status_code == 200
    # A settings change is one too (the reviewer names may change).
    stamp = later.headers["last-modified"]
    assert (
        await client.get(feed_path(shop), headers={"If-Modified-Since": stamp})
    ).status_code == 304
    assert error(
        await client.get("/feeds/shops/nobody.myshopify.com/google-product-reviews.xml"), 5, 404
    )
