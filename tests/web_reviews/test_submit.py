"""POST /api/v1/storefront/shops/{domain}/reviews: what is stored, the answer, the honeypot, the
shop's settings, the moderation threshold and duplicates (docs/storefront.md "Web reviews")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from tests.support.api import Clock, ShopApi, error, ok
from tests.support.reviews import list_data
from tests.web_reviews.helpers import (
    EMAIL,
    PRODUCT,
    add_order,
    body,
    page_of,
    post_review,
    set_shop,
    stored_events,
    stored_reviews,
)

T0 = 1780844412  # 2026-06-07T15:00:12Z


async def test_review_is_stored_as_sent_published_and_answered(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, clock: Clock
) -> None:
    clock.set(T0)
    text = '  Soft <b>linen</b> & "true" to size.\n\n</script><!--  '
    sent = body(
        title=" <i>Great</i> ", content=text, author=" Jane Doe ", author_email=" Jane@Example.COM "
    )
    answer = ok(await post_review(client, shop.myshopify_domain, sent))
    assert answer == {"id": answer["id"], "status": "published", "confirmation_sent": False}
    (row,) = await stored_reviews(ctx, shop.shop_id)
    assert str(row.id) == answer["id"]
    assert (row.product_id, row.rating, row.title, row.content, row.author) == (
        PRODUCT,
        5,
        " <i>Great</i> ",
        text,
        " Jane Doe ",
    )
    assert row.author_email == "jane@example.com"
    assert (row.source, row.collected_via) == ("Store front", "storefront")
    assert (row.is_published, row.is_verified, row.order_id, row.media) == (True, False, "", [])
    # Through the review service: the partner API lists it and the aggregates count it.
    listed = await list_data(shop, {"product_id": PRODUCT})
    assert [r["id"] for r in listed["list"]] == [answer["id"]]
    assert listed["list"][0]["source"] == "Store front"
    rating = ok(await shop.get("get_rating", {"product_id": PRODUCT}))
    assert (rating["review_count"], rating["star5_count"]) == (1, 1)


async def test_store_review(client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext) -> None:
    answer = ok(
        await post_review(
            client, shop.myshopify_domain, body(product_id=None, is_store_review=1, rating=4)
        )
    )
    assert answer["status"] == "published"
    (row,) = await stored_reviews(ctx, shop.shop_id)
    assert (row.product_id, row.rating) == ("0", 4)
    rating = ok(await shop.get("get_rating", {"is_store_rating": 1}))
    assert rating["review_count"] == 1


async def test_submit_review_event_is_stored(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, clock: Clock
) -> None:
    clock.set(T0)
    answer = ok(await post_review(client, shop.myshopify_domain, body()))
    (event,) = await stored_events(ctx, shop.shop_id)
    assert (event.event_type, event.event_source, event.os_type) == (
        "SUBMIT_REVIEW",
        "STOREFRONT",
        "IOS",
    )
    assert (event.review_id, event.product_id, event.customer_email) == (
        answer["id"],
        PRODUCT,
        EMAIL,
    )
    listed = ok(await shop.get("get_customer_events", {"event_type": "SUBMIT_REVIEW"}))
    assert [e["review_id"] for e in listed["list"]] == [answer["id"]]
    assert listed["list"][0]["created_at"] == "2026-06-07T15:00:12Z"


# --- the honeypot ---------------------------------------------------------------------------


@pytest.mark.parametrize("website", ["http://spam.example", "x", 1])
async def test_honeypot_is_a_normal_success_and_nothing_happens(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, website: Any
) -> None:
    response = await post_review(client, shop.myshopify_domain, body(website=website))
    answer = ok(response)
    assert set(answer) == {"id", "status", "confirmation_sent"}
    assert answer["id"].isdigit() and answer["status"] == "published"
    assert answer["confirmation_sent"] is False
    assert await stored_reviews(ctx, shop.shop_id) == []
    assert await stored_events(ctx, shop.shop_id) == []
    assert (await list_data(shop, {"is_published": "all"}))["list"] == []


@pytest.mark.parametrize("website", ["", "   "])
async def test_an_empty_honeypot_is_a_person(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, website: str
) -> None:
    ok(await post_review(client, shop.myshopify_domain, body(website=website)))
    assert len(await stored_reviews(ctx, shop.shop_id)) == 1


# --- moderation threshold -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "rating", "status"),
    [
        (1, 1, "published"),
        (4, 3, "pending"),
        (4, 4, "published"),
        (5, 4, "pending"),
        (5, 5, "published"),
        (0, 5, "pending"),
    ],
)
async def test_published_only_from_the_shops_threshold(
    client: httpx.AsyncClient,
    shop: ShopApi,
    ctx: AppContext,
    threshold: int,
    rating: int,
    status: str,
) -> None:
    await set_shop(ctx, shop.shop_id, auto_publish_min_rating=threshold)
    answer = ok(await post_review(client, shop.myshopify_domain, body(rating=rating)))
    assert answer["status"] == status
    (row,) = await stored_reviews(ctx, shop.shop_id)
    assert row.is_published is (status == "published")
    # A held review is stored for the merchant's decision, not dropped.
    listed = await list_data(shop, {"is_published": "all"})
    assert [(r["id"], r["is_published"]) for r in listed["list"]] == [
        (answer["id"], int(status == "published"))
    ]
    count = ok(await shop.get("get_rating", {"product_id": PRODUCT}))["review_count"]
    assert count == (1 if status == "published" else 0)


# --- settings -------------------------------------------------------------------------------


async def test_disabled_shop_refuses_with_code_7(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await set_shop(ctx, shop.shop_id, web_reviews="disabled")
    response = await post_review(client, shop.myshopify_domain, body())
    assert error(response, 7, 403)["message"] == (
        "permission denied: this shop does not take reviews on its pages"
    )
    assert await stored_reviews(ctx, shop.shop_id) == []


async def test_verified_buyers_only(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await set_shop(ctx, shop.shop_id, web_reviews="verified_buyers_only")
    refused = await post_review(client, shop.myshopify_domain, body())
    assert error(refused, 7, 403)["message"] == (
        "permission denied: only customers with an order of this product may review it here"
    )
    # An order of another product, or a cancelled one, is not enough.
    await add_order(ctx, shop.shop_id, EMAIL, "other-product", order_id="1")
    await add_order(ctx, shop.shop_id, EMAIL, PRODUCT, order_id="2", cancelled=True)
    error(await post_review(client, shop.myshopify_domain, body()), 7, 403)
    await add_order(ctx, shop.shop_id, "JANE@example.com", PRODUCT, order_id="3")
    answer = ok(await post_review(client, shop.myshopify_domain, body()))
    assert answer["status"] == "published"
    assert [str(r.id) for r in await stored_reviews(ctx, shop.shop_id)] == [answer["id"]]


async def test_verified_buyers_only_store_review_needs_any_order(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await set_shop(ctx, shop.shop_id, web_reviews="verified_buyers_only")
    store = body(product_id=None, is_store_review=1)
    response = await post_review(client, shop.myshopify_domain, store)
    assert error(response, 7, 403)["message"] == (
        "permission denied: only customers with an order of the shop may review it here"
    )
    await add_order(ctx, shop.shop_id, EMAIL, "anything")
    ok(await post_review(client, shop.myshopify_domain, store))


async def test_another_shops_order_does_not_count(
    client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi, ctx: AppContext
) -> None:
    await set_shop(ctx, shop.shop_id, web_reviews="verified_buyers_only")
    await add_order(ctx, other_shop.shop_id, EMAIL, PRODUCT)
    error(await post_review(client, shop.myshopify_domain, body()), 7, 403)


async def test_unknown_and_disabled_shops_are_code_5(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    for domain in ("nobody.myshopify.com", "bad domain!", "x" * 300):
        response = await post_review(client, domain, body())
        assert error(response, 5, 404)["message"] == "not found: no active shop with this domain"
    await set_shop(ctx, shop.shop_id, status="disabled")
    error(await post_review(client, shop.myshopify_domain, body()), 5, 404)


async def test_domain_is_case_insensitive(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    ok(await post_review(client, shop.myshopify_domain.upper(), body()))
    assert len(await stored_reviews(ctx, shop.shop_id)) == 1


# --- duplicates -----------------------------------------------------------------------------


async def test_same_email_twice_on_a_product_is_code_6(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    first = ok(await post_review(client, shop.myshopify_domain, body()))
    again = await post_review(
        client, shop.myshopify_domain, body(author_email="JANE@EXAMPLE.com", rating=1)
    )
    assert error(again, 6, 409)["message"] == "this email address has already reviewed this product"
    assert [str(r.id) for r in await stored_reviews(ctx, shop.shop_id)] == [first["id"]]
    # Another product, or the store, is a review of its own.
    ok(await post_review(client, shop.myshopify_domain, body(product_id="other")))
    ok(await post_review(client, shop.myshopify_domain, body(product_id=None, is_store_review=1)))
    store_again = await post_review(client, shop.myshopify_domain, body(product_id="0"))
    assert error(store_again, 6, 409)["message"] == (
        "this email address has already reviewed the store"
    )


async def test_a_held_or_api_review_also_counts_as_already_reviewed(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await set_shop(ctx, shop.shop_id, auto_publish_min_rating=0)
    ok(await post_review(client, shop.myshopify_domain, body()))
    error(await post_review(client, shop.myshopify_domain, body()), 6, 409)
    ok(
        await shop.post(
            "create_review",
            {"product_id": "p2", "rating": 5, "author": "Jo", "author_email": "jo@example.com"},
        )
    )
    again = await post_review(
        client, shop.myshopify_domain, body(product_id="p2", author_email="Jo@Example.com")
    )
    error(again, 6, 409)


async def test_a_deleted_review_no_longer_counts(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    first = ok(await post_review(client, shop.myshopify_domain, body()))
    ok(await shop.post("delete_review", {"id": first["id"]}))
    ok(await post_review(client, shop.myshopify_domain, body()))


async def test_the_same_email_in_another_shop_is_not_a_duplicate(
    client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi, ctx: AppContext
) -> None:
    ok(await post_review(client, shop.myshopify_domain, body()))
    ok(await post_review(client, other_shop.myshopify_domain, body()))
    assert len(await stored_reviews(ctx, shop.shop_id)) == 1
    assert len(await stored_reviews(ctx, other_shop.shop_id)) == 1


async def test_tenant_isolation(
    client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi, ctx: AppContext
) -> None:
    answer = ok(await post_review(client, shop.myshopify_domain, body()))
    assert [str(r.id) for r in await stored_reviews(ctx, shop.shop_id)] == [answer["id"]]
    assert await stored_reviews(ctx, other_shop.shop_id) == []
    assert await stored_events(ctx, other_shop.shop_id) == []
    assert (await list_data(other_shop, {"is_published": "all"}))["list"] == []
    fetched = await other_shop.get("get_review", {"id": answer["id"]})
    error(fetched, 5, 404)


async def test_origin_of_the_shop_gets_cors_headers(
    client: httpx.AsyncClient, shop: ShopApi
) -> None:
    response = await post_review(
        client, shop.myshopify_domain, body(), origin=page_of(shop.myshopify_domain)
    )
    ok(response)
    assert response.headers["access-control-allow-origin"] == page_of(shop.myshopify_domain)
    assert response.headers["vary"] == "Origin"


async def test_no_confirmation_email_from_a_server_without_smtp(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    """A buyer's review asks for a confirmation only when the server can send email
    (tests/emails/test_confirmation.py sends them through a real SMTP server)."""
    assert ctx.settings.smtp_host is None
    await add_order(ctx, shop.shop_id, EMAIL, PRODUCT)
    answer = ok(await post_review(client, shop.myshopify_domain, body()))
    assert answer == {"id": answer["id"], "status": "published", "confirmation_sent": False}
    [review] = await stored_reviews(ctx, shop.shop_id)
    assert (str(review.id), review.is_verified) == (answer["id"], False)
