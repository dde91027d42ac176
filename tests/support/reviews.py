"""Reviews as the tests make and read them (the review tests and the tests of what reviews set
off: webhooks, platform webhooks, request limits, parameter aliases), and the Review object's
shape checked against the contract."""

from __future__ import annotations

import re
from typing import Any

from tests.support.api import ShopApi, ok

REVIEW_FIELDS = {
    "id",
    "product_id",
    "product_handle",
    "product_title",
    "order_id",
    "rating",
    "author",
    "author_email",
    "author_phone",
    "author_country",
    "title",
    "content",
    "commented_at",
    "item_type",
    "source",
    "tag",
    "is_verified",
    "is_featured",
    "is_published",
    "is_top",
    "media",
    "reply",
    "created_at",
    "updated_at",
}
STRING_FIELDS = REVIEW_FIELDS - {
    "rating",
    "is_verified",
    "is_featured",
    "is_published",
    "is_top",
    "media",
    "reply",
}
FLAG_FIELDS = ("is_verified", "is_featured", "is_published", "is_top")
DISPLAY_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def assert_review_shape(review: dict[str, Any]) -> None:
    """Every Review field with its contract type and format (reviews.md, Review object)."""
    assert set(review) == REVIEW_FIELDS, sorted(set(review) ^ REVIEW_FIELDS)
    for name in STRING_FIELDS:
        assert isinstance(review[name], str), (name, review[name])
    assert review["id"].isdigit() and int(review["id"]) > 0
    assert type(review["rating"]) is int and 1 <= review["rating"] <= 5
    for name in FLAG_FIELDS:
        assert type(review[name]) is int and review[name] in (0, 1), (name, review[name])
    assert DISPLAY_TIME.match(review["commented_at"]), review["commented_at"]
    assert RFC3339_Z.match(review["created_at"]), review["created_at"]
    assert RFC3339_Z.match(review["updated_at"]), review["updated_at"]
    assert isinstance(review["media"], list)
    for item in review["media"]:
        assert set(item) == {"url", "thumbnail_url", "type", "is_published"}, item
        assert isinstance(item["url"], str) and isinstance(item["thumbnail_url"], str)
        assert type(item["type"]) is int and item["type"] in (1, 2)
        assert type(item["is_published"]) is int and item["is_published"] in (0, 1)
    reply = review["reply"]
    assert reply is None or (
        set(reply) == {"content", "reply_at"}
        and isinstance(reply["content"], str)
        and reply["content"] != ""
        and DISPLAY_TIME.match(reply["reply_at"])
    ), reply
    if review["product_id"] == "0":
        assert review["product_handle"] == "" and review["product_title"] == ""


async def create(shop: ShopApi, **fields: Any) -> dict[str, Any]:
    """Create a review (rating 5 by "Jane" unless given) and return its data."""
    body: dict[str, Any] = {"rating": 5, "author": "Jane", **fields}
    review: dict[str, Any] = ok(await shop.post("create_review", body))
    return review


async def update(shop: ShopApi, review_id: str, **fields: Any) -> dict[str, Any]:
    review: dict[str, Any] = ok(await shop.post("update_review", {"id": review_id, **fields}))
    return review


async def delete(shop: ShopApi, review_id: str) -> None:
    assert ok(await shop.post("delete_review", {"id": review_id})) == {}


async def list_data(shop: ShopApi, params: Any = None) -> dict[str, Any]:
    data: dict[str, Any] = ok(await shop.get("get_reviews", params))
    return data


async def list_ids(shop: ShopApi, params: Any = None) -> list[str]:
    """Ids of the first page (page_size 100 unless the caller sets it)."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
    if not any(k == "page_size" for k, _ in pairs):
        pairs.append(("page_size", "100"))
    data = await list_data(shop, pairs)
    return [r["id"] for r in data["list"]]
