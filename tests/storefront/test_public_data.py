"""No public answer shows anything but published data: every endpoint, every sort and filter,
over a shop seeded with emails, phones, order ids, tags, sources, unpublished and deleted
reviews and unpublished media. And one shop's domain never shows another's reviews."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx

from shopreviews.kit.context import AppContext
from tests.storefront.helpers import (
    OTHER_PRODUCT,
    PRODUCT,
    PUBLIC_REVIEW_FIELDS,
    Seeded,
    api_path,
    seed,
    set_shop,
)
from tests.support.api import ShopApi, ok

MERCHANT_ONLY = ("author_email", "author_phone", "order_id", "tag", "source", "is_published")
SORTS = (
    "featured",
    "created-descending",
    "created-ascending",
    "rating-descending",
    "rating-ascending",
)


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value)) if value else set()
    return set()


def _check_text(text: str, seeded: Seeded, where: str) -> None:
    for secret in seeded.secrets:
        assert secret not in text, (where, secret)
    assert "secret-mail.example" not in text, where


async def _walk(client: httpx.AsyncClient, shop: ShopApi, seeded: Seeded) -> int:
    """Every public answer of the shop; returns how many were checked."""
    domain = shop.myshopify_domain
    checked = 0
    scopes: list[dict[str, str]] = [
        {},
        {"product_id": PRODUCT},
        {"product_id": "0"},
        {"is_store_review": "1"},
        {"product_id": OTHER_PRODUCT},
    ]
    filters: list[dict[str, str]] = [{}, {"rating": "5,4"}, {"rating": "1"}, {"with_media": "1"}]
    for scope, flt, sort in itertools.product(scopes, filters, SORTS):
        params = {**scope, **flt, "sort_by": sort, "page_size": "3"}
        cursor = ""
        while True:
            response = await client.get(
                api_path(domain, "reviews"),
                params={**params, **({"cursor": cursor} if cursor else {})},
            )
            data = ok(response)
            _check_text(response.text, seeded, str(params))
            assert not set(MERCHANT_ONLY) & _keys(data), params
            for item in data["list"]:
                assert set(item) == PUBLIC_REVIEW_FIELDS
                assert item["id"] in seeded.public_ids, (params, item["id"])
                assert item["id"] not in seeded.hidden_ids
                for media in item["media"]:
                    assert set(media) == {"url", "thumbnail_url", "type"}
            checked += 1
            cursor = data["page"]["next_cursor"]
            if not cursor:
                break
    for scope in scopes:
        response = await client.get(api_path(domain, "rating"), params=scope)
        _check_text(response.text, seeded, f"rating {scope}")
        assert not set(MERCHANT_ONLY) - {"source"} & _keys(ok(response))
        checked += 1
    answers = [
        await client.get(
            api_path(domain, "ratings"), params={"product_ids": f"{PRODUCT},{OTHER_PRODUCT},0"}
        ),
        await client.get(
            "/api/v1/reviews/get_products_rating",
            params={"shop": domain, "product_handle": f"handle-{PRODUCT},nope"},
        ),
    ]
    for product in (PRODUCT, OTHER_PRODUCT, "0"):
        base = f"/storefront/shops/{domain}/products/{product}"
        answers.append(await client.get(base + "/reviews.html"))
        if product != "0":
            answers.append(await client.get(base + "/reviews.jsonld"))
    answers.append(await client.get(f"/feeds/shops/{domain}/google-product-reviews.xml"))
    for response in answers:
        assert response.status_code == 200, response.text
        _check_text(response.text, seeded, str(response.url))
        for name in MERCHANT_ONLY:
            assert f'"{name}"' not in response.text, (response.url, name)
        checked += 1
    return checked


async def test_no_public_answer_shows_private_or_unpublished_data(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    seeded = await seed(shop)
    checked = await _walk(client, shop, seeded)
    assert checked > 100
    # The same with every author display: names change, nothing private appears.
    for mode in ("full", "initials", "anonymous"):
        await set_shop(ctx, shop.shop_id, author_display=mode)
        await _walk(client, shop, seeded)


async def test_a_shop_domain_never_shows_another_shops_reviews(
    client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi
) -> None:
    mine = await seed(shop, tag="a")
    theirs = await seed(other_shop, tag="b")
    for who, other in ((shop, theirs), (other_shop, mine)):
        data = ok(
            await client.get(api_path(who.myshopify_domain, "reviews"), params={"page_size": 50})
        )
        ids = {item["id"] for item in data["list"]}
        assert ids and not ids & (other.public_ids | other.hidden_ids)
        html = await client.get(
            f"/storefront/shops/{who.myshopify_domain}/products/{PRODUCT}/reviews.html"
        )
        feed = await client.get(f"/feeds/shops/{who.myshopify_domain}/google-product-reviews.xml")
        for response in (html, feed):
            assert response.status_code == 200
            for other_id in other.public_ids:
                assert f"<review_id>{other_id}</review_id>" not in response.text
                assert f'data-review-id="{other_id}"' not in response.text
    rating = ok(await client.get(api_path(shop.myshopify_domain, "rating")))
    assert rating["review_count"] == len(mine.public_ids)
    assert json.dumps(rating).count("review_count") == 1
