"""The merchant's moderation endpoints (spec reviews.md "Merchant moderation"): the shop's list
with the merchant session, the same answer get_reviews gives, and moderate_review with
update_review's effects and events; tenant isolation and session checks."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from tests.reviews.helpers import events, expected_rating, rating
from tests.support.api import Clock, ShopApi, bearer, error, ok
from tests.support.oauth import sign_in
from tests.support.reviews import assert_review_shape, create

LIST = "/api/v1/merchant/get_reviews"
MODERATE = "/api/v1/merchant/moderate_review"
SESSION_SECONDS = 43200
PRODUCT = "9200305176832"
# The only parts of two envelopes of the same data that may differ.
ENVELOPE_HEAD = re.compile(
    rb'^\{"code":0,"message":"success","time":\d+,"request_id":"[0-9a-f]{32}"'
)


def rfc(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def shown(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


async def moderate(client: httpx.AsyncClient, token: str, body: Any) -> httpx.Response:
    return await client.post(MODERATE, json=body, headers=bearer(token))


async def hmac_review(shop: ShopApi, review_id: str) -> dict[str, Any]:
    review: dict[str, Any] = ok(await shop.get("get_review", {"id": review_id}))
    return review


async def seed(shop: ShopApi) -> list[dict[str, Any]]:
    """Reviews of every kind: products and store, published or not, replies and media."""
    return [
        await create(shop, product_id=PRODUCT, product_handle="linen-shirt", rating=5),
        await create(shop, product_id=PRODUCT, rating=2, content="Too small", is_published=0),
        await create(shop, rating=4, author="Sam", reply={"content": "Thanks, Sam!"}),
        await create(
            shop,
            product_id="77",
            rating=3,
            title="Fine",
            media=[{"url": "https://cdn.example.net/a.jpg"}],
            commented_at="2026-01-02 03:04:05",
        ),
    ]


QUERIES: list[list[tuple[str, str]]] = [
    [],
    [("is_published", "all"), ("sort_by", "rating-descending"), ("page_size", "2")],
    [("is_published", "all"), ("page", "2"), ("page_size", "3")],
    [("product_ids", PRODUCT), ("product_ids", "0"), ("ratings", "4,5")],
    [("product_handle", "LINEN-SHIRT"), ("is_published", "all")],
    [("keyword", "small"), ("is_published", "0")],
    [("is_store_review", "1")],
]


@pytest.mark.parametrize("params", QUERIES)
async def test_list_is_get_reviews_of_the_session_shop(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ShopApi,
    other_shop: ShopApi,
    params: list[tuple[str, str]],
) -> None:
    await seed(shop)
    await seed(other_shop)
    merchant = await sign_in(ctx, client, shop)
    # The other shop's answer to the same query is read (and kept in the read cache) first.
    other = await other_shop.get("get_reviews", params)
    signed = await shop.get("get_reviews", params)
    mine = await client.get(LIST, params=params, headers=bearer(merchant.token))

    assert (
        mine.status_code == 200 and mine.headers["content-type"] == signed.headers["content-type"]
    )
    assert ENVELOPE_HEAD.sub(b"", mine.content) == ENVELOPE_HEAD.sub(b"", signed.content)
    assert ENVELOPE_HEAD.sub(b"", mine.content) != ENVELOPE_HEAD.sub(b"", other.content)
    data = ok(mine)
    assert data == ok(signed)
    for review in data["list"]:
        assert_review_shape(review)
    # The other shop still gets its own answer after the merchant's read.
    assert ok(await other_shop.get("get_reviews", params)) == ok(other)


async def test_list_pages_by_cursor_like_get_reviews(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    await seed(shop)
    merchant = await sign_in(ctx, client, shop)
    params = {"is_published": "all", "page_size": "3"}
    first = ok(await client.get(LIST, params=params, headers=bearer(merchant.token)))
    cursor = first["page"]["next_cursor"]
    assert cursor and len(first["list"]) == 3
    following = {**params, "cursor": cursor}
    second = ok(await client.get(LIST, params=following, headers=bearer(merchant.token)))
    assert second == ok(await shop.get("get_reviews", following))
    assert [r["id"] for r in second["list"]] not in ([], [r["id"] for r in first["list"]])


async def test_list_parameters_are_checked_as_in_get_reviews(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    merchant = await sign_in(ctx, client, shop)
    for params in ({"ratings": "6"}, {"sort_by": "best"}, {"keyword": "k" * 201}):
        mine = error(await client.get(LIST, params=params, headers=bearer(merchant.token)), 3, 400)
        signed = error(await shop.get("get_reviews", params), 3, 400)
        assert mine["message"] == signed["message"] and mine["message"].startswith(
            "invalid argument: "
        )


async def test_hide_then_publish_adjust_rating_and_queue_events(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    start = int(time.time()) - 100
    clock.set(start)
    review = await create(shop, product_id=PRODUCT, rating=4)
    await create(shop, product_id=PRODUCT, rating=2)
    merchant = await sign_in(ctx, client, shop)
    product = {"product_id": PRODUCT}
    assert await rating(shop, product) == expected_rating([0, 1, 0, 1, 0])

    clock.set(start + 10)
    hidden = ok(await moderate(client, merchant.token, {"id": review["id"], "is_published": 0}))
    assert hidden == {**review, "is_published": 0, "updated_at": rfc(start + 10)}
    assert hidden == await hmac_review(shop, review["id"])
    # Read through the cached path: the answer follows the write at once.
    assert await rating(shop, product) == expected_rating([0, 1, 0, 0, 0])
    assert await rating(shop, {"is_all_rating": "1"}) == expected_rating([0, 1, 0, 0, 0])
    assert (await events(ctx, shop.shop_id))[2:] == [
        ("review/updated", {"review": hidden}),
        ("review/deleted", {"review": hidden, "reason": "hidden"}),
    ]

    clock.set(start + 20)
    published = ok(await moderate(client, merchant.token, {"id": review["id"], "is_published": 1}))
    assert published == {**review, "updated_at": rfc(start + 20)}
    assert await rating(shop, product) == expected_rating([0, 1, 0, 1, 0])
    assert (await events(ctx, shop.shop_id))[4:] == [("review/updated", {"review": published})]

    # Publishing a published review changes nothing and queues nothing.
    again = ok(await moderate(client, merchant.token, {"id": review["id"], "is_published": 1}))
    assert again == published
    assert len(await events(ctx, shop.shop_id)) == 5


async def test_feature_pin_and_reply(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    start = int(time.time()) - 100
    clock.set(start)
    review = await create(shop, rating=5, title="Great", content="Soft fabric.")
    merchant = await sign_in(ctx, client, shop)

    clock.set(start + 1)
    body = {"id": review["id"], "is_featured": 1, "is_top": "1"}
    featured = ok(await moderate(client, merchant.token, body))
    assert featured == {**review, "is_featured": 1, "is_top": 1, "updated_at": rfc(start + 1)}

    clock.set(start + 2)
    replied = ok(
        await moderate(
            client, merchant.token, {"id": review["id"], "reply": {"content": "Thank you!"}}
        )
    )
    assert replied["reply"] == {"content": "Thank you!", "reply_at": shown(start + 2)}

    clock.set(start + 3)
    replaced = ok(
        await moderate(
            client,
            merchant.token,
            {"id": int(review["id"]), "reply": {"content": "Thanks again", "reply_at": start}},
        )
    )
    assert replaced["reply"] == {"content": "Thanks again", "reply_at": shown(start)}

    clock.set(start + 4)
    removed = ok(await moderate(client, merchant.token, {"id": review["id"], "reply": None}))
    assert removed == {
        **review,
        "is_featured": 1,
        "is_top": 1,
        "reply": None,
        "updated_at": rfc(start + 4),
    }
    assert removed == await hmac_review(shop, review["id"])
    # The customer's words are as they wrote them; every change queued review/updated.
    assert (removed["title"], removed["content"]) == ("Great", "Soft fabric.")
    assert [t for t, _ in await events(ctx, shop.shop_id)] == ["review/created"] + [
        "review/updated"
    ] * 4


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("content", "Edited by the shop", "the customer's words stay as written"),
        ("title", "", "the customer's words stay as written"),
        ("rating", 5, "the rating is the customer's own"),
        ("author", "Someone else", "the author's details are the customer's own"),
        ("is_verified", 1, "only the shop's integration marks a purchase verified"),
        ("media", [], "a review keeps the photos and videos it was written with"),
        ("commented_at", "2026-01-01 00:00:00", "a review keeps the date it was written"),
    ],
)
async def test_customer_fields_are_refused(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, field: str, value: Any, why: str
) -> None:
    review = await create(shop, rating=2, content="Too small")
    merchant = await sign_in(ctx, client, shop)
    body = {"id": review["id"], "is_published": 0, field: value}
    refused = error(await moderate(client, merchant.token, body), 3, 400)
    assert refused["message"] == (
        f"invalid argument: {field} cannot be changed by moderation: {why}"
    )
    assert refused["data"] is None
    assert await hmac_review(shop, review["id"]) == review
    assert [t for t, _ in await events(ctx, shop.shop_id)] == ["review/created"]


async def test_null_customer_fields_mean_not_given(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    review = await create(shop, rating=2, content="Too small")
    merchant = await sign_in(ctx, client, shop)
    body = {"id": review["id"], "is_featured": 1, "content": None, "rating": None, "x": "y"}
    moderated = ok(await moderate(client, merchant.token, body))
    assert (moderated["is_featured"], moderated["content"], moderated["rating"]) == (
        1,
        "Too small",
        2,
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "give at least one of is_published, is_featured, is_top, reply, tag or hide_media"),
        (
            {"is_top": None},
            "give at least one of is_published, is_featured, is_top, reply, tag or hide_media",
        ),
        ({"is_top": 2}, "is_top: must be 0 or 1"),
        ({"reply": {"content": " "}}, "reply.content: must not be empty"),
        ({"reply": "Thanks"}, "reply: must be an object {content, reply_at}"),
    ],
)
async def test_invalid_bodies_are_code_3(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ShopApi,
    extra: dict[str, Any],
    message: str,
) -> None:
    review = await create(shop)
    merchant = await sign_in(ctx, client, shop)
    refused = error(await moderate(client, merchant.token, {"id": review["id"], **extra}), 3, 400)
    assert refused["message"] == f"invalid argument: {message}"
    no_id = error(await moderate(client, merchant.token, {"is_top": 1}), 3, 400)
    assert no_id["message"] == "invalid argument: id is required"
    assert await hmac_review(shop, review["id"]) == review


async def test_unknown_deleted_or_other_shops_review_is_code_5(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi
) -> None:
    merchant = await sign_in(ctx, client, shop)
    deleted = await create(shop)
    ok(await shop.post("delete_review", {"id": deleted["id"]}))
    foreign = await create(other_shop, rating=5)
    for review_id in ("999999999", deleted["id"], foreign["id"]):
        body = {"id": review_id, "is_published": 0, "reply": {"content": "Ours now"}}
        missing = error(await moderate(client, merchant.token, body), 5, 404)
        assert missing["message"] == f"review {review_id} not found"
    # The other shop's review, its rating and its events are untouched.
    assert await hmac_review(other_shop, foreign["id"]) == foreign
    assert await rating(other_shop, {"is_all_rating": "1"}) == expected_rating([0, 0, 0, 0, 1])
    assert [t for t, _ in await events(ctx, other_shop.shop_id)] == ["review/created"]
    # The merchant's list never shows it either.
    listed = ok(
        await client.get(LIST, params={"is_published": "all"}, headers=bearer(merchant.token))
    )
    assert listed["list"] == []


async def test_a_session_is_required(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    review = await create(shop)
    start = int(time.time())
    clock.set(start)
    merchant = await sign_in(ctx, client, shop)
    body = {"id": review["id"], "is_published": 0}
    signed_body = {"Content-Type": "application/json"}

    async def both(headers: dict[str, str]) -> list[dict[str, Any]]:
        return [
            error(await client.get(LIST, headers=headers), 16, 401),
            error(
                await client.post(MODERATE, json=body, headers={**signed_body, **headers}), 16, 401
            ),
        ]

    # No session; the shop's HMAC signature is not a merchant session either.
    for answer in await both({}) + await both(shop.headers([])):
        assert answer["message"] == "unauthenticated: merchant session required"
    for answer in await both(bearer("not-a-jwt")):
        assert answer["message"] == "unauthenticated: invalid or expired merchant session"
    # Expired, then ended by logout.
    clock.set(start + SESSION_SECONDS + 1)
    for answer in await both(bearer(merchant.token)):
        assert answer["message"] == "unauthenticated: invalid or expired merchant session"
    clock.set(start)
    ok(await client.post("/api/v1/merchant/logout", headers=bearer(merchant.token)))
    for answer in await both(bearer(merchant.token)):
        assert answer["message"] == "unauthenticated: invalid or expired merchant session"
    assert await hmac_review(shop, review["id"]) == review


async def test_openapi_documents_both_endpoints(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    paths = doc["paths"]
    listing, moderation = paths[LIST]["get"], paths[MODERATE]["post"]
    for operation in (listing, moderation):
        assert operation["security"] == [{"MerchantSession": []}]
        assert operation["tags"] == ["merchant"]
    assert listing["parameters"] == paths["/api/v1/openapi/get_reviews"]["get"]["parameters"]
    assert (
        listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        == "#/components/schemas/Envelope_ReviewPage_"
    )
    body = moderation["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"] == "#/components/schemas/ReviewModeration"
    fields = doc["components"]["schemas"]["ReviewModeration"]["properties"]
    assert set(fields) == {
        "id",
        "review_id",
        "is_published",
        "is_featured",
        "is_top",
        "reply",
        "tag",
        "hide_media",
    }
