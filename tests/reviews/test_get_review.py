"""get_review (reviews.md#get_review) and the authentication failures of every review endpoint."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.reviews.helpers import raw_get
from tests.support import signer
from tests.support.api import Clock, ShopApi, error, ok
from tests.support.reviews import assert_review_shape, create, delete, update

# The spec's create_review example, plus a reply and catalogue fields.
FULL_BODY: dict[str, Any] = {
    "product_id": "9200305176832",
    "product_handle": "linen-shirt",
    "product_title": "Linen Shirt",
    "rating": 5,
    "author": "Jane D.",
    "author_email": "jane@example.com",
    "author_phone": "+1 555 0100",
    "author_country": "US",
    "title": "Great fit",
    "content": "Soft fabric and true to size.",
    "item_type": "Blue / M",
    "order_id": "5512345678901",
    "tag": "summer",
    "is_verified": 1,
    "commented_at": "2026-06-05 07:21:56",
    "media": [{"url": "https://cdn.example.net/shirt.jpg", "type": 1}],
    "reply": {"content": "Thank you, Jane!", "reply_at": "2026-06-06 10:02:11"},
}


async def test_get_review_returns_every_field(shop: ShopApi, clock: Clock) -> None:
    now = int(time.time())
    clock.set(now)
    created = await create(shop, **FULL_BODY)
    review = ok(await shop.get("get_review", {"id": created["id"]}))
    assert_review_shape(review)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    assert review == {
        "id": created["id"],
        "product_id": "9200305176832",
        "product_handle": "linen-shirt",
        "product_title": "Linen Shirt",
        "order_id": "5512345678901",
        "rating": 5,
        "author": "Jane D.",
        "author_email": "jane@example.com",
        "author_phone": "+1 555 0100",
        "author_country": "US",
        "title": "Great fit",
        "content": "Soft fabric and true to size.",
        "commented_at": "2026-06-05 07:21:56",
        "item_type": "Blue / M",
        "source": "Open API",
        "tag": "summer",
        "is_verified": 1,
        "is_featured": 0,
        "is_published": 1,
        "is_top": 0,
        "media": [
            {
                "url": "https://cdn.example.net/shirt.jpg",
                "thumbnail_url": "https://cdn.example.net/shirt.jpg",
                "type": 1,
                "is_published": 1,
            }
        ],
        "reply": {"content": "Thank you, Jane!", "reply_at": "2026-06-06 10:02:11"},
        "created_at": stamp,
        "updated_at": stamp,
    }


async def test_minimal_store_review_has_empty_defaults(shop: ShopApi) -> None:
    created = await create(shop, rating=3, author="Sam")
    review = ok(await shop.get("get_review", {"id": created["id"]}))
    assert_review_shape(review)
    assert review["product_id"] == "0"
    for name in (
        "product_handle",
        "product_title",
        "order_id",
        "author_email",
        "author_phone",
        "author_country",
        "title",
        "content",
        "item_type",
        "tag",
    ):
        assert review[name] == "", name
    assert review["media"] == [] and review["reply"] is None
    assert (review["is_verified"], review["is_featured"], review["is_top"]) == (0, 0, 0)


async def test_unpublished_review_is_returned(shop: ShopApi) -> None:
    created = await create(shop, is_published=0)
    review = ok(await shop.get("get_review", {"id": created["id"]}))
    assert review["is_published"] == 0 and review["id"] == created["id"]


async def test_id_alias_review_id_and_integer_forms(shop: ShopApi) -> None:
    created = await create(shop)
    rid = created["id"]
    assert ok(await shop.get("get_review", {"review_id": rid}))["id"] == rid
    assert ok(await shop.get("get_review", [("id", rid), ("review_id", rid)]))["id"] == rid
    assert ok(await shop.get("get_review", {"id": f" {rid} "}))["id"] == rid
    # Empty, 'undefined' and 'null' mean unset, so the other spelling decides.
    assert ok(await shop.get("get_review", [("id", ""), ("review_id", rid)]))["id"] == rid
    assert ok(await shop.get("get_review", [("id", "undefined"), ("review_id", rid)]))["id"] == rid
    # Scalars: the last non-empty occurrence wins.
    last = [("id", "999999999"), ("id", rid), ("id", "")]
    assert ok(await shop.get("get_review", last))["id"] == rid


async def test_legacy_prefix_serves_get_review(shop: ShopApi) -> None:
    created = await create(shop)
    resp = await raw_get(shop, "/api/v1/open_api/get_review", f"id={created['id']}")
    assert ok(resp)["id"] == created["id"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"id": ""},
        {"id": "null"},
        {"id": "abc"},
        {"id": "0"},
        {"id": "-1"},
        {"id": "1.5"},
        {"id": "1e3"},
        {"id": str(2**63)},
        {"review_id": "x1"},
    ],
)
async def test_missing_or_malformed_id_is_code_3(shop: ShopApi, params: dict[str, str]) -> None:
    body = error(await shop.get("get_review", params), 3, 400)
    assert "id" in body["message"]
    assert body["data"] is None


async def test_id_and_review_id_differ_is_code_3(shop: ShopApi) -> None:
    a, b = await create(shop), await create(shop)
    body = error(await shop.get("get_review", {"id": a["id"], "review_id": b["id"]}), 3, 400)
    assert "review_id" in body["message"]


async def test_unknown_and_deleted_review_is_code_5(shop: ShopApi) -> None:
    body = error(await shop.get("get_review", {"id": str(2**63 - 1)}), 5, 404)
    assert body["data"] is None
    created = await create(shop)
    await delete(shop, created["id"])
    error(await shop.get("get_review", {"id": created["id"]}), 5, 404)


async def test_reply_at_and_commented_at_keep_four_digit_years(shop: ShopApi) -> None:
    """Display and RFC 3339 formats are fixed width, also for years below 1000."""
    created = await create(
        shop,
        commented_at="0999-01-02 03:04:05",
        reply={"content": "ok", "reply_at": "0050-06-07"},
    )
    review = ok(await shop.get("get_review", {"id": created["id"]}))
    assert review["commented_at"] == "0999-01-02 03:04:05"
    assert review["reply"] == {"content": "ok", "reply_at": "0050-06-07 00:00:00"}


# Authentication failures (code 16, HTTP 401) on every review endpoint ----------------------

ENDPOINTS: list[tuple[str, str, Any]] = [
    ("GET", "get_review", [("id", "1")]),
    ("GET", "get_reviews", []),
    ("GET", "get_rating", [("is_all_rating", "1")]),
    ("POST", "create_review", {"rating": 5, "author": "A"}),
    ("POST", "update_review", {"id": "1", "is_top": 1}),
    ("POST", "delete_review", {"id": "1"}),
]


async def _send(
    shop: ShopApi, method: str, name: str, payload: Any, headers: dict[str, str]
) -> Any:
    url = f"/api/v1/openapi/{name}"
    if method == "GET":
        query = signer.encode_query(payload)
        return await shop.client.get(url + (f"?{query}" if query else ""), headers=headers)
    return await shop.client.post(url, content=json.dumps(payload).encode(), headers=headers)


def _signed_headers(shop: ShopApi, method: str, payload: Any) -> dict[str, str]:
    if method == "GET":
        return shop.headers(payload)
    return shop.headers([], json.dumps(payload).encode())


@pytest.mark.parametrize(("method", "name", "payload"), ENDPOINTS)
async def test_unsigned_request_is_code_16(
    shop: ShopApi, method: str, name: str, payload: Any
) -> None:
    error(await _send(shop, method, name, payload, {}), 16, 401)
    only_token = {"Public-Token": shop.public_token}
    error(await _send(shop, method, name, payload, only_token), 16, 401)


@pytest.mark.parametrize(("method", "name", "payload"), ENDPOINTS)
async def test_wrong_signature_is_code_16(
    shop: ShopApi, other_shop: ShopApi, method: str, name: str, payload: Any
) -> None:
    headers = _signed_headers(shop, method, payload)
    tampered = dict(
        headers, Sign=headers["Sign"][:-1] + ("0" if headers["Sign"][-1] != "0" else "1")
    )
    error(await _send(shop, method, name, payload, tampered), 16, 401)
    # Signed with another shop's private token: the public token decides the shop.
    mixed = dict(
        _signed_headers(other_shop, method, payload), **{"Public-Token": shop.public_token}
    )
    error(await _send(shop, method, name, payload, mixed), 16, 401)
    stale = dict(headers, Timestamp=str(int(time.time()) - 3600))
    error(await _send(shop, method, name, payload, stale), 16, 401)


async def test_failed_authentication_changes_nothing(shop: ShopApi) -> None:
    created = await create(shop)
    body = {"id": created["id"], "is_top": 1}
    headers = dict(shop.headers([], json.dumps(body).encode()), Sign="0" * 64)
    error(await _send(shop, "POST", "update_review", body, headers), 16, 401)
    assert ok(await shop.get("get_review", {"id": created["id"]}))["is_top"] == 0
    await update(shop, created["id"], is_top=1)
    assert ok(await shop.get("get_review", {"id": created["id"]}))["is_top"] == 1
