"""What update_review says when a body asks for what it cannot do: a field of the Review object
it never changes is refused naming the field and the reason, and length and type errors read
as the rest of the API's messages, not as Pydantic's."""

from __future__ import annotations

from typing import Any

import pytest

from shopreviews.kit.context import AppContext
from shopreviews.reviews.schemas import ReviewOut, ReviewUpdate
from tests.reviews.helpers import topics
from tests.support.api import ShopApi, error, ok
from tests.support.reviews import create

# Every field of the Review object update_review leaves alone, a value a client might send for
# it, and the reason the refusal gives.
FIXED = [
    ("product_id", "9200305176833", "a review stays on its product"),
    ("product_handle", "linen-shirt", "it comes from the shop's product catalogue"),
    ("product_title", "Linen Shirt", "it comes from the shop's product catalogue"),
    ("order_id", "5512345678901", "a review stays linked to its order"),
    ("rating", 1, "the rating is the customer's own"),
    ("author", "Someone else", "the author's details are the customer's own"),
    ("author_email", "x@example.com", "the author's details are the customer's own"),
    ("author_phone", "+1 555 0100", "the author's details are the customer's own"),
    ("author_country", "GB", "the author's details are the customer's own"),
    ("commented_at", "2026-01-01 00:00:00", "a review keeps the date it was written"),
    ("item_type", "Blue / M", "it names the item the customer reviewed"),
    ("source", "Amazon", "it records where the review came from"),
    ("tag", "vip", "it is set when the review is created"),
    ("media", [], "a review keeps the photos and videos it was written with"),
]


def test_every_review_field_is_either_changeable_the_servers_or_refused_with_a_reason() -> None:
    changeable = set(ReviewUpdate.model_fields)
    servers = {"id", "created_at", "updated_at"}
    refused = {name for name, _, _ in FIXED}
    assert set(ReviewOut.model_fields) == (changeable & set(ReviewOut.model_fields)) | servers | (
        refused
    )
    assert not refused & changeable


@pytest.mark.parametrize(("field", "value", "why"), FIXED)
async def test_a_field_that_cannot_change_is_named_with_its_reason(
    ctx: AppContext, shop: ShopApi, field: str, value: Any, why: str
) -> None:
    review = await create(shop, product_id="9200305176832", rating=4, author="Jane D.")
    # Beside a field that could change: the body is refused as a whole, nothing is written.
    body = {"id": review["id"], "is_featured": 1, field: value}
    refused = error(await shop.post("update_review", body), 3, 400)
    assert refused["message"] == f"invalid argument: {field} cannot be changed: {why}"
    assert refused["data"] is None
    assert ok(await shop.get("get_review", {"id": review["id"]})) == review
    assert await topics(ctx, shop.shop_id) == ["review/created"]


async def test_null_for_a_field_that_cannot_change_means_not_given(shop: ShopApi) -> None:
    review = await create(shop, rating=4)
    body = {"id": review["id"], "title": "Better title", "rating": None, "product_id": None}
    changed = ok(await shop.post("update_review", body))
    assert (changed["title"], changed["rating"]) == ("Better title", 4)


async def test_the_servers_own_fields_sent_back_are_ignored(shop: ShopApi) -> None:
    """A client may send back what it read: id, created_at and updated_at are the server's."""
    review = await create(shop)
    body = {
        "id": review["id"],
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-01T00:00:00Z",
        "is_top": 1,
    }
    changed = ok(await shop.post("update_review", body))
    assert changed["is_top"] == 1
    assert changed["created_at"] == review["created_at"]


async def test_only_fields_that_cannot_change_are_refused_before_an_empty_change(
    shop: ShopApi,
) -> None:
    review = await create(shop)
    refused = error(await shop.post("update_review", {"id": review["id"], "rating": 5}), 3, 400)
    assert refused["message"] == (
        "invalid argument: rating cannot be changed: the rating is the customer's own"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "x" * 301}, "title: must be at most 300 characters"),
        ({"content": "x" * 10001}, "content: must be at most 10000 characters"),
        ({"title": 5}, "title: must be a string"),
        ({"content": ["Soft"]}, "content: must be a string"),
        ({"reply": {"content": 5}}, "reply.content: must be a string"),
        ({"reply": {"content": ""}}, "reply.content: must not be empty"),
        ({"reply": {"content": "x" * 10001}}, "reply.content: must be at most 10000 characters"),
        ({"is_top": "yes"}, "is_top: must be 0 or 1"),
    ],
)
async def test_length_and_type_errors_use_the_apis_words(
    shop: ShopApi, change: dict[str, Any], message: str
) -> None:
    review = await create(shop)
    refused = error(await shop.post("update_review", {"id": review["id"], **change}), 3, 400)
    assert refused["message"] == f"invalid argument: {message}"
