"""Helpers of the storefront tests: public requests (no credentials), a seeded shop full of
merchant-only data, and the shop's storefront settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import update

from shopreviews.kit.context import AppContext
from shopreviews.shops.models import Shop
from tests.support.api import ShopApi, ok

PUBLIC_REVIEW_FIELDS = {
    "id",
    "product_id",
    "product_handle",
    "product_title",
    "rating",
    "title",
    "content",
    "author",
    "author_country",
    "item_type",
    "is_verified",
    "is_featured",
    "is_top",
    "commented_at",
    "media",
    "reply",
    "collected_via",
}
PRODUCT = "9200305176832"
OTHER_PRODUCT = "9200305176833"


def api_path(domain: str, name: str) -> str:
    return f"/api/v1/storefront/shops/{domain}/{name}"


async def public_get(
    client: httpx.AsyncClient, path: str, params: Any = None, **headers: str
) -> httpx.Response:
    return await client.get(path, params=params, headers=headers)


async def set_shop(ctx: AppContext, shop_id: str, **values: Any) -> None:
    """Change shop columns directly (settings, status)."""
    async with ctx.db.session(write=True) as session:
        await session.execute(update(Shop).where(Shop.shop_id == shop_id).values(**values))


async def create(shop: ShopApi, **body: Any) -> dict[str, Any]:
    data: dict[str, Any] = ok(
        await shop.post("create_review", {"rating": 5, "author": "Jane Doe", **body})
    )
    return data


@dataclass
class Seeded:
    """What seed() made: the ids that may appear and the private values that never may."""

    public_ids: set[str] = field(default_factory=set)
    hidden_ids: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)


async def seed(shop: ShopApi, tag: str = "") -> Seeded:
    """Published and unpublished, deleted and live reviews of two products and the store, each
    with an email, a phone, an order id, a tag and a source, and media published or not."""
    seeded = Seeded()

    def private(kind: str, i: int) -> str:
        value = f"{kind}{tag}{i}x"
        seeded.secrets.add(value)
        return value

    for i in range(12):
        product = (PRODUCT, OTHER_PRODUCT, "0")[i % 3]
        body: dict[str, Any] = {
            "product_id": product,
            "product_handle": None if product == "0" else f"handle-{product}",
            "product_title": None if product == "0" else f"Title {product}",
            "rating": 1 + i % 5,
            "author": f"Jane{i} Doe{i}",
            "author_email": private("mail", i) + "@secret-mail.example",
            "author_phone": "+1555" + str(1000000 + i),
            "order_id": private("order", i),
            "tag": private("tag", i),
            "source": private("source", i),
            "title": f"title {i}",
            "content": private("hiddencontent", i) if i in (2, 9, 10) else f"content {i}",
            "commented_at": f"2026-05-{10 + i:02d} 10:00:00",
            "is_featured": int(i == 4),
            "is_top": int(i == 7),
            "media": [
                {"url": f"https://cdn.example.com/public-{i}.jpg", "type": 1},
                {
                    "url": "https://cdn.example.com/" + private("hiddenmedia", i) + ".jpg",
                    "type": 1,
                    "is_published": 0,
                },
            ]
            if i % 4 == 0
            else [],
        }
        seeded.secrets.add(body["author_phone"])
        if i == 5:
            body["reply"] = {"content": f"reply {i}"}
        if i in (2, 9):
            body["is_published"] = 0
        review = await create(shop, **body)
        if i in (2, 9):
            seeded.hidden_ids.add(review["id"])
        elif i == 10:
            ok(await shop.post("delete_review", {"id": review["id"]}))
            seeded.hidden_ids.add(review["id"])
        else:
            seeded.public_ids.add(review["id"])
    return seeded
