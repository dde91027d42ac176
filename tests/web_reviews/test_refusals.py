"""Every refusal of a web review's body: code 3 naming the field, nothing stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from tests.support.api import ShopApi, error
from tests.web_reviews.helpers import body, page_of, post_review, stored_events, stored_reviews


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rating": None}, "rating is required"),
        ({"rating": 0}, "rating: must be an integer from 1 to 5"),
        ({"rating": 6}, "rating: must be an integer from 1 to 5"),
        ({"rating": 4.5}, "rating: must be an integer from 1 to 5"),
        ({"rating": True}, "rating: must be an integer from 1 to 5"),
        ({"rating": "five"}, "rating: must be an integer from 1 to 5"),
        ({"content": None}, "content is required"),
        ({"content": ""}, "content: must not be empty"),
        ({"content": "   \n "}, "content: must not be empty"),
        ({"content": "x" * 5001}, "content: must be at most 5000 characters"),
        ({"title": "x" * 151}, "title: must be at most 150 characters"),
        ({"author": None}, "author is required"),
        ({"author": "  "}, "author: must be 1 to 100 characters"),
        ({"author": "x" * 101}, "author: must be 1 to 100 characters"),
        ({"author_email": None}, "author_email is required"),
        (
            {"author_email": "jane at example.com"},
            "author_email: must be an email address such as jane@example.com",
        ),
        ({"author_email": 42}, "author_email: must be a string"),
        ({"product_id": None}, "product_id is required (or is_store_review 1 for the store)"),
        (
            {"product_id": "a b"},
            "product_id: must be 1 to 64 visible ASCII characters without whitespace or commas",
        ),
        ({"is_store_review": 1}, "give product_id or is_store_review 1, not both"),
        ({"is_store_review": "yes"}, "is_store_review: must be 0 or 1"),
        ({"media": "https://x.example/a.jpg"}, "media: must be an array of at most 5 photo URLs"),
        ({"media": ["https://x.example/a.jpg"] * 6}, "media: must have at most 5 photos"),
        (
            {"media": ["https://x.example/a.jpg", "javascript:alert(1)"]},
            "media[1] must be the URL of a photo uploaded for this review",
        ),
        ({"content": "a\u0000b"}, "text must not contain the U+0000 character"),
    ],
)
async def test_bad_fields_are_code_3_naming_the_field(
    client: httpx.AsyncClient,
    shop: ShopApi,
    ctx: AppContext,
    changes: dict[str, Any],
    message: str,
) -> None:
    response = await post_review(client, shop.myshopify_domain, body(**changes))
    assert error(response, 3, 400)["message"] == f"invalid argument: {message}"
    assert await stored_reviews(ctx, shop.shop_id) == []
    assert await stored_events(ctx, shop.shop_id) == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{bad", "body is not valid JSON"),
        (b"[]", "body must be a JSON object"),
        (b'"text"', "body must be a JSON object"),
        (b"", "body is not valid JSON"),
    ],
)
async def test_malformed_bodies_are_code_3(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, raw: bytes, message: str
) -> None:
    origin = page_of(shop.myshopify_domain)
    response = await post_review(client, shop.myshopify_domain, raw=raw, origin=origin)
    assert error(response, 3, 400)["message"] == f"invalid argument: {message}"
    # The shop's page can read why.
    assert response.headers["access-control-allow-origin"] == origin
    assert await stored_reviews(ctx, shop.shop_id) == []


async def test_null_fields_are_not_given(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    sent = {**body(), "title": None, "media": None, "website": None, "is_store_review": None}
    response = await post_review(client, shop.myshopify_domain, sent)
    assert response.json()["code"] == 0, response.json()
    (row,) = await stored_reviews(ctx, shop.shop_id)
    assert (row.title, row.media) == ("", [])
