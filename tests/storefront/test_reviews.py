"""GET /api/v1/storefront/shops/{domain}/reviews (docs/storefront.md): the public review
object, author display, filters, the featured order, paging by number and cursor, and the
rules every public answer follows (CORS, ETag and 304, cache headers, limits, refusals)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.settings import Settings
from tests.storefront.helpers import (
    PRODUCT,
    PUBLIC_REVIEW_FIELDS,
    api_path,
    create,
    set_shop,
)
from tests.support.api import ShopApi, error, ok
from tests.support.limited_app import LimitedApp

PUBLIC_CACHE = "public, max-age=60, stale-while-revalidate=600"


async def reviews(client: httpx.AsyncClient, shop: ShopApi, **params: Any) -> dict[str, Any]:
    response = await client.get(api_path(shop.myshopify_domain, "reviews"), params=params)
    data: dict[str, Any] = ok(response)
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == PUBLIC_CACHE
    assert response.headers["etag"].startswith('"') and response.headers["etag"].endswith('"')
    for item in data["list"]:
        assert set(item) == PUBLIC_REVIEW_FIELDS
    return data


async def test_the_public_review_object(client: httpx.AsyncClient, shop: ShopApi) -> None:
    made = await create(
        shop,
        product_id=PRODUCT,
        product_handle="linen-shirt",
        product_title="Linen Shirt",
        rating=4,
        author="Jane Doe",
        author_email="jane@example.com",
        author_country="DE",
        title="Great",
        content="Soft <b>linen</b>",
        item_type="M",
        is_verified=1,
        commented_at="2026-06-05 07:21:56",
        media=[
            {
                "url": "https://cdn.example.com/a.jpg",
                "thumbnail_url": "https://cdn.example.com/t.jpg",
            },
            {"url": "https://cdn.example.com/hidden.jpg", "is_published": 0},
        ],
        reply={"content": "Thank you!", "reply_at": "2026-06-06 10:02:11"},
    )
    data = await reviews(client, shop, product_id=PRODUCT)
    assert data["page"] == {
        "page": 1, "page_size": 10, "total_page": 1, "count": 1, "next_cursor": ""
    }  # fmt: skip
    assert data["list"] == [
        {
            "id": made["id"],
            "product_id": PRODUCT,
            "product_handle": "linen-shirt",
            "product_title": "Linen Shirt",
            "rating": 4,
            "title": "Great",
            "content": "Soft <b>linen</b>",
            "author": "Jane D.",
            "author_country": "DE",
            "item_type": "M",
            "is_verified": 1,
            "is_featured": 0,
            "is_top": 0,
            "commented_at": "2026-06-05 07:21:56",
            "media": [
                {
                    "url": "https://cdn.example.com/a.jpg",
                    "thumbnail_url": "https://cdn.example.com/t.jpg",
                    "type": 1,
                }
            ],
            "reply": {"content": "Thank you!", "reply_at": "2026-06-06 10:02:11"},
            "collected_via": "api",
        }
    ]


@pytest.mark.parametrize(
    ("mode", "names"),
    [
        ("first_last_initial", ["Jane D.", "Cher", "Mary S.", ""]),
        ("full", ["Jane Doe", "Cher", "Mary Ann Smith", ""]),
        ("initials", ["J. D.", "C.", "M. S.", ""]),
        ("anonymous", ["", "", "", ""]),
    ],
)
async def test_authors_are_shown_as_the_shop_says(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, mode: str, names: list[str]
) -> None:
    for i, author in enumerate(["Jane Doe", "Cher", " Mary  Ann Smith ", "   "]):
        if author.strip():
            await create(shop, author=author, commented_at=f"2026-06-0{9 - i} 10:00:00")
    await set_shop(ctx, shop.shop_id, author_display=mode)
    data = await reviews(client, shop, sort_by="created-descending")
    assert [item["author"] for item in data["list"]] == names[:3]


async def test_scopes_filters_and_page_size(client: httpx.AsyncClient, shop: ShopApi) -> None:
    ids = {}
    for i, (product, rating) in enumerate([(PRODUCT, 5), (PRODUCT, 3), ("0", 4), ("77", 5)]):
        media = [{"url": f"https://cdn.example.com/{i}.jpg"}] if i == 1 else []
        made = await create(
            shop, product_id=product, rating=rating, media=media,
            commented_at=f"2026-06-0{i + 1} 10:00:00",
        )  # fmt: skip
        ids[i] = made["id"]
    hidden_media = await create(
        shop,
        product_id=PRODUCT,
        media=[{"url": "https://cdn.example.com/h.jpg", "is_published": 0}],
    )

    async def listed(**params: Any) -> list[str]:
        data = await reviews(client, shop, sort_by="created-ascending", **params)
        assert data["page"]["count"] == len(data["list"])
        return [item["id"] for item in data["list"]]

    assert await listed() == [ids[0], ids[1], ids[2], ids[3], hidden_media["id"]]
    assert await listed(product_id=PRODUCT) == [ids[0], ids[1], hidden_media["id"]]
    assert await listed(product_id="0") == [ids[2]]
    assert await listed(is_store_review="1") == [ids[2]]
    assert await listed(rating="5") == [ids[0], ids[3], hidden_media["id"]]
    assert await listed(rating="4,3") == [ids[1], ids[2]]
    assert await listed(rating="3", product_id=PRODUCT) == [ids[1]]
    # Only published media count: the review whose one photo is hidden is not "with photos".
    assert await listed(with_media="1") == [ids[1]]
    assert (await reviews(client, shop, page_size=500))["page"]["page_size"] == 50
    assert (await reviews(client, shop, page_size=2, page=3))["page"] == {
        "page": 3, "page_size": 2, "total_page": 3, "count": 5, "next_cursor": ""
    }  # fmt: skip


async def test_featured_order_and_every_sort_by_cursor(
    client: httpx.AsyncClient, shop: ShopApi
) -> None:
    made = {}
    specs = {
        "old": {"rating": 2, "commented_at": "2026-01-01 00:00:00"},
        "new": {"rating": 3, "commented_at": "2026-06-01 00:00:00"},
        "media": {"rating": 1, "commented_at": "2026-02-01 00:00:00",
                  "media": [{"url": "https://cdn.example.com/m.jpg"}]},
        "featured": {"rating": 4, "commented_at": "2026-01-15 00:00:00", "is_featured": 1},
        "pinned": {"rating": 5, "commented_at": "2025-12-01 00:00:00", "is_top": 1},
        "both": {"rating": 5, "commented_at": "2025-11-01 00:00:00", "is_top": 1, "is_featured": 1},
    }  # fmt: skip
    for name, spec in specs.items():
        made[name] = (await create(shop, product_id=PRODUCT, **spec))["id"]
    expected = {
        "featured": ["both", "pinned", "featured", "media", "new", "old"],
        "created-descending": ["new", "media", "featured", "old", "pinned", "both"],
        "created-ascending": ["both", "pinned", "old", "featured", "media", "new"],
        "rating-descending": ["pinned", "both", "featured", "new", "old", "media"],
        "rating-ascending": ["media", "old", "new", "featured", "pinned", "both"],
    }
    for sort, names in expected.items():
        assert [i["id"] for i in (await reviews(client, shop, sort_by=sort))["list"]] == [
            made[n] for n in names
        ], sort
        # The same order two at a time by cursor.
        seen: list[str] = []
        cursor = ""
        while True:
            params: dict[str, Any] = {"sort_by": sort, "page_size": 2}
            if cursor:
                params["cursor"] = cursor
            data = await reviews(client, shop, **params)
            seen += [item["id"] for item in data["list"]]
            cursor = data["page"]["next_cursor"]
            if not cursor:
                break
        assert seen == [made[n] for n in names], sort
    assert [i["id"] for i in (await reviews(client, shop))["list"]] == [
        made[n] for n in expected["featured"]
    ]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"rating": "6"}, "rating"),
        ({"rating": "5,x"}, "rating"),
        ({"with_media": "maybe"}, "with_media"),
        ({"sort_by": "random"}, "sort_by"),
        ({"page": "0"}, "page"),
        ({"page_size": "-1"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"product_id": "a b"}, "product_id"),
        ({"is_store_review": "2"}, "is_store_review"),
    ],
)
async def test_bad_parameters_are_code_3_naming_them(
    client: httpx.AsyncClient, shop: ShopApi, params: dict[str, str], named: str
) -> None:
    response = await client.get(api_path(shop.myshopify_domain, "reviews"), params=params)
    body = error(response, 3, 400)
    assert named in body["message"] and body["data"] is None
    assert response.headers["cache-control"] == "no-store"


async def test_unknown_and_disabled_shops_are_code_5_readable_cross_origin(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    for domain in ("nobody.myshopify.com", "bad domain!", shop.myshopify_domain + "x"):
        response = await client.get(api_path(domain, "reviews"))
        assert error(response, 5, 404)["data"] is None
        assert response.headers["access-control-allow-origin"] == "*"
    await set_shop(ctx, shop.shop_id, status="disabled")
    for name in ("reviews", "rating", "ratings?product_ids=1"):
        assert error(await client.get(api_path(shop.myshopify_domain, name)), 5, 404)
    # The domain is case-insensitive.
    await set_shop(ctx, shop.shop_id, status="active")
    ok(await client.get(api_path(shop.myshopify_domain.upper(), "reviews")))


async def test_etag_304_and_what_changes_the_tag(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await create(shop, author="Jane Doe")
    path = api_path(shop.myshopify_domain, "reviews")
    first = await client.get(path, params={"page_size": 5})
    tag = first.headers["etag"]
    again = await client.get(path, params={"page_size": 5}, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    assert again.headers["cache-control"] == PUBLIC_CACHE
    assert again.headers["access-control-allow-origin"] == "*"
    for header in (f'W/{tag}, "other"', "*"):
        assert (
            await client.get(path, params={"page_size": 5}, headers={"If-None-Match": header})
        ).status_code == 304
    # Another query, a new review, or a display setting: another tag, and the full answer.
    other_query = await client.get(path, params={"page_size": 6}, headers={"If-None-Match": tag})
    assert ok(other_query) and other_query.headers["etag"] != tag
    await set_shop(ctx, shop.shop_id, author_display="full")
    changed = await client.get(path, params={"page_size": 5}, headers={"If-None-Match": tag})
    assert ok(changed)["list"][0]["author"] == "Jane Doe"
    tag2 = changed.headers["etag"]
    assert tag2 != tag
    await create(shop, author="Max Mustermann")
    grown = await client.get(path, params={"page_size": 5}, headers={"If-None-Match": tag2})
    assert len(ok(grown)["list"]) == 2 and grown.headers["etag"] not in (tag, tag2)
    await set_shop(ctx, shop.shop_id, reviews_disclosure="We ask every buyer.")
    rating = await client.get(api_path(shop.myshopify_domain, "rating"))
    assert ok(rating)["reviews_disclosure"] == "We ask every buyer."


async def test_reads_are_limited_per_shop_and_client_ip(
    settings: Settings, shop: ShopApi, other_shop: ShopApi
) -> None:
    limited = LimitedApp(settings, storefront_reads_per_minute=3)
    try:
        here, there = limited.at("203.0.113.7"), limited.at("203.0.113.8")
        path = api_path(shop.myshopify_domain, "reviews")
        for _ in range(3):
            ok(await here.get(path))
        refused = await here.get(api_path(shop.myshopify_domain, "rating"))
        body = error(refused, 8, 429)
        assert int(refused.headers["retry-after"]) >= 1 and body["data"] is None
        assert refused.headers["access-control-allow-origin"] == "*"
        # Another address, or another shop from the same address, has its own allowance.
        ok(await there.get(path))
        ok(await here.get(api_path(other_shop.myshopify_domain, "reviews")))
    finally:
        await limited.close()
