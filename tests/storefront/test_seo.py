"""Server-rendered reviews and JSON-LD (docs/storefront.md): the fragment's structure, its
initial data (the same as the API's answers), the JSON-LD parsed with every required property,
escaping inside scripts, and the public rules (ETag and 304, CORS)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from shopreviews.kit.context import AppContext
from shopreviews.reviews import service as review_service
from tests.storefront.helpers import PRODUCT, api_path, create, set_shop
from tests.support.api import ShopApi, error, ok

EVIL = "</script><script>alert(1)</script> \"quoted\" 'single' <!-- comment & more"
SCRIPT = re.compile(r'<script type="([^"]+)"( data-shopreviews-initial)?>(.*?)</script>', re.S)


def scripts(html: str) -> dict[str, str]:
    return {kind: body for kind, _, body in SCRIPT.findall(html)}


def check_product_ld(ld: dict[str, Any], reviews: list[dict[str, Any]]) -> None:
    assert ld["@context"] == "https://schema.org" and ld["@type"] == "Product"
    assert isinstance(ld["name"], str) and ld["name"]
    rating = ld["aggregateRating"]
    assert rating["@type"] == "AggregateRating"
    assert isinstance(rating["ratingValue"], float) and isinstance(rating["reviewCount"], int)
    assert (rating["bestRating"], rating["worstRating"]) == (5, 1)
    assert 1 <= len(ld["review"]) <= 10
    for item, review in zip(ld["review"], reviews, strict=False):
        assert item["@type"] == "Review"
        assert item["author"]["@type"] == "Person" and item["author"]["name"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", item["datePublished"])
        assert item["reviewBody"] == review["content"]
        if review["title"]:
            assert item["name"] == review["title"]
        assert item["reviewRating"] == {
            "@type": "Rating",
            "ratingValue": review["rating"],
            "bestRating": 5,
            "worstRating": 1,
        }


async def test_fragment_structure_initial_data_and_json_ld(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
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
                "brand": "Acme",
                "image_url": "https://cdn.example.com/l.jpg",
            },
        )
    for i in range(12):
        await create(
            shop,
            product_id=PRODUCT,
            rating=1 + i % 5,
            author=f"Jane{i} Doe",
            title="" if i == 3 else f"t{i}",
            content=EVIL if i == 11 else f"c{i}",
            commented_at=f"2026-05-{10 + i:02d} 10:00:00",
        )
    response = await client.get(
        f"/storefront/shops/{shop.myshopify_domain}/products/{PRODUCT}/reviews.html"
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    html = response.text
    assert html.startswith('<div class="shopreviews-ssr" data-shopreviews-ssr>')
    assert html.endswith("</div>") and "<html" not in html and "<body" not in html
    # The order the widget relies on: initial data, JSON-LD, static markup.
    initial_at = html.index("data-shopreviews-initial")
    ld_at = html.index('type="application/ld+json"')
    static_at = html.index('<template shadowrootmode="open">')
    assert initial_at < ld_at < static_at
    # Nothing of the evil text is live markup anywhere: it appears only escaped.
    assert "<script>alert(1)</script>" not in html and "<!-- comment" not in html
    found = scripts(html)
    initial = json.loads(found["application/json"])
    api_reviews = ok(
        await client.get(api_path(shop.myshopify_domain, "reviews"), params={"product_id": PRODUCT})
    )
    api_rating = ok(
        await client.get(api_path(shop.myshopify_domain, "rating"), params={"product_id": PRODUCT})
    )
    assert initial == {
        "shop": shop.myshopify_domain,
        "product_id": PRODUCT,
        "reviews": api_reviews,
        "rating": api_rating,
    }
    assert initial["reviews"]["list"][0]["content"] == EVIL  # the text survives, escaped
    ld = json.loads(found["application/ld+json"])
    check_product_ld(ld, api_reviews["list"])
    assert len(ld["review"]) == 10
    assert ld["name"] == "Linen Shirt"
    assert ld["url"] == f"https://{shop.myshopify_domain}/products/linen-shirt"
    assert (ld["sku"], ld["gtin"], ld["brand"], ld["image"]) == (
        "LS-1",
        "04006381333931",
        {"@type": "Brand", "name": "Acme"},
        "https://cdn.example.com/l.jpg",
    )
    assert ld["aggregateRating"]["reviewCount"] == 12
    assert any(item["reviewBody"] == EVIL for item in ld["review"])
    assert "\\u003c/script" in found["application/ld+json"]
    # The static markup shows the reviews (escaped).
    assert "Jane11 D." in html and "&lt;/script&gt;" in html

    # The .jsonld endpoint answers the same JSON-LD alone.
    alone = await client.get(
        f"/storefront/shops/{shop.myshopify_domain}/products/{PRODUCT}/reviews.jsonld"
    )
    assert alone.headers["content-type"].startswith("application/ld+json")
    assert json.loads(alone.text) == ld and "<" not in alone.text
    tag = alone.headers["etag"]
    again = await client.get(alone.request.url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""


async def test_store_reviews_and_products_without_reviews(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await create(shop, product_id="0", rating=4, content="store")
    base = f"/storefront/shops/{shop.myshopify_domain}/products"
    store = await client.get(f"{base}/0/reviews.html")
    found = scripts(store.text)
    assert "application/ld+json" not in found
    assert json.loads(found["application/json"])["rating"]["review_count"] == 1
    assert "product_id" in error(await client.get(f"{base}/0/reviews.jsonld"), 3, 400)["message"]
    empty = await client.get(f"{base}/404/reviews.jsonld")
    ld = json.loads(empty.text)
    assert ld == {"@context": "https://schema.org", "@type": "Product", "name": "Product 404"}
    assert error(
        await client.get("/storefront/shops/nobody.myshopify.com/products/1/reviews.html"), 5, 404
    )
    # A display setting changes the fragment and its tag.
    first = await client.get(f"{base}/0/reviews.html")
    await set_shop(ctx, shop.shop_id, author_display="anonymous")
    second = await client.get(
        f"{base}/0/reviews.html", headers={"If-None-Match": first.headers["etag"]}
    )
    assert second.status_code == 200 and second.headers["etag"] != first.headers["etag"]
    assert (
        json.loads(scripts(second.text)["application/json"])["reviews"]["list"][0]["author"] == ""
    )
    german = await client.get(f"{base}/0/reviews.html", params={"lang": "de"})
    assert german.status_code == 200 and german.text != second.text
    assert (
        "lang"
        in error(await client.get(f"{base}/0/reviews.html", params={"lang": "<x>"}), 3, 400)[
            "message"
        ]
    )
