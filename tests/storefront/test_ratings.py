"""The public ratings (docs/storefront.md): /rating with the transparency notice's data, the
batch /ratings (one statement for 100 products) and Trustoo's get_products_rating."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update

from shopreviews.kit.context import AppContext
from shopreviews.reviews.models import Review
from tests.storefront.helpers import OTHER_PRODUCT, PRODUCT, api_path, create
from tests.support.api import ShopApi, error, ok

NO_RATING = {
    "rating_value": "0",
    "review_count": 0,
    "star1_count": 0,
    "star2_count": 0,
    "star3_count": 0,
    "star4_count": 0,
    "star5_count": 0,
}


@contextmanager
def statements(ctx: AppContext) -> Iterator[list[str]]:
    """The SQL statements the app runs meanwhile."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def _seed(shop: ShopApi, ctx: AppContext) -> None:
    for product, rating in [(PRODUCT, 5), (PRODUCT, 4), (PRODUCT, 4), (OTHER_PRODUCT, 1), ("0", 3)]:
        await create(
            shop,
            product_id=product,
            rating=rating,
            product_handle=None if product == "0" else f"h-{product}",
        )
    hidden = await create(shop, product_id=PRODUCT, rating=1, is_published=0)
    deleted = await create(shop, product_id=PRODUCT, rating=1)
    ok(await shop.post("delete_review", {"id": deleted["id"]}))
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(Review)
            .where(Review.shop_id == shop.shop_id, Review.rating == 4)
            .values(collected_via="email_request")
        )
        await session.execute(
            update(Review)
            .where(Review.shop_id == shop.shop_id, Review.product_id == "0")
            .values(collected_via="storefront")
        )
        await session.execute(
            update(Review).where(Review.id == int(hidden["id"])).values(collected_via="import")
        )


async def test_rating_of_a_product_the_store_and_the_shop(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await _seed(shop, ctx)
    path = api_path(shop.myshopify_domain, "rating")
    product = await client.get(path, params={"product_id": PRODUCT})
    assert product.headers["access-control-allow-origin"] == "*"
    assert ok(product) == {
        "rating_value": "4.3",
        "review_count": 3,
        "star1_count": 0,
        "star2_count": 0,
        "star3_count": 0,
        "star4_count": 2,
        "star5_count": 1,
        "reviews_disclosure": "",
        "collected_via": {"email_request": 2, "storefront": 0, "import": 0, "api": 1},
    }
    for params in ({"product_id": "0"}, {"is_store_review": "1"}):
        store = ok(await client.get(path, params=params))
        assert (store["review_count"], store["star3_count"]) == (1, 1)
        assert store["collected_via"] == {
            "email_request": 0,
            "storefront": 1,
            "import": 0,
            "api": 0,
        }
    whole = ok(await client.get(path))
    assert (whole["review_count"], whole["rating_value"]) == (5, "3.4")
    # Unpublished and deleted reviews count nowhere (the hidden "import" one included).
    assert whole["collected_via"] == {"email_request": 2, "storefront": 1, "import": 0, "api": 2}
    unknown = ok(await client.get(path, params={"product_id": "404"}))
    assert unknown == {
        **NO_RATING,
        "reviews_disclosure": "",
        "collected_via": {"email_request": 0, "storefront": 0, "import": 0, "api": 0},
    }


async def test_ratings_of_many_products_in_one_statement(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await _seed(shop, ctx)
    asked = [OTHER_PRODUCT, "nothing", PRODUCT, OTHER_PRODUCT, *(f"p{i}" for i in range(97))]
    path = api_path(shop.myshopify_domain, "ratings")
    with statements(ctx) as seen:
        response = await client.get(path, params={"product_ids": ",".join(asked)})
    data = ok(response)
    ids = [entry["product_id"] for entry in data["list"]]
    assert ids == list(dict.fromkeys(asked)) and len(ids) == 100
    assert data["list"][0] == {"product_id": OTHER_PRODUCT, **NO_RATING, "rating_value": "1.0",
                               "review_count": 1, "star1_count": 1}  # fmt: skip
    assert data["list"][1] == {"product_id": "nothing", **NO_RATING}
    assert data["list"][2]["review_count"] == 3
    aggregate_reads = [s for s in seen if "rating_aggregates" in s]
    assert len(aggregate_reads) == 1, seen
    assert len(seen) == 2, seen  # the shop by its domain, then the 100 ratings
    # Array forms of the contract, and the refusals.
    repeated = await client.get(path + f"?product_ids[]={PRODUCT}&product_ids[]=0")
    assert [e["product_id"] for e in ok(repeated)["list"]] == [PRODUCT, "0"]
    too_many = ",".join(f"q{i}" for i in range(101))
    assert (
        "product_ids"
        in error(await client.get(path, params={"product_ids": too_many}), 3, 400)["message"]
    )
    assert "product_ids" in error(await client.get(path), 3, 400)["message"]


async def test_get_products_rating_answers_as_trustoo_does(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    await _seed(shop, ctx)
    path = "/api/v1/reviews/get_products_rating"
    handles = f"h-{PRODUCT},unknown,H-{OTHER_PRODUCT},h-{PRODUCT}"
    with statements(ctx) as seen:
        response = await client.get(
            path, params={"shop": shop.myshopify_domain, "product_handle": handles}
        )
    body = response.json()
    assert body["code"] == 0 and response.headers["access-control-allow-origin"] == "*"
    assert body["data"] == [
        {"product_handle": f"h-{PRODUCT}", "rating": 4.3, "total_reviews": 3},
        {"product_handle": "unknown", "rating": 0, "total_reviews": 0},
        {"product_handle": f"H-{OTHER_PRODUCT}", "rating": 1.0, "total_reviews": 1},
        {"product_handle": f"h-{PRODUCT}", "rating": 4.3, "total_reviews": 3},
    ]
    assert len(seen) == 2, seen
    assert response.headers["etag"]
    assert (
        await client.get(
            path,
            params={"shop": shop.myshopify_domain, "product_handle": handles},
            headers={"If-None-Match": response.headers["etag"]},
        )
    ).status_code == 304
    too_many = ",".join(f"h{i}" for i in range(101))
    for params, code, status in (
        ({"shop": shop.myshopify_domain}, 3, 400),
        ({"shop": shop.myshopify_domain, "product_handle": too_many}, 3, 400),
        ({"product_handle": "a"}, 3, 400),
        ({"shop": "nobody.myshopify.com", "product_handle": "a"}, 5, 404),
    ):
        refused = await client.get(path, params=params)
        error(refused, code, status)
        assert refused.headers["access-control-allow-origin"] == "*" or code == 3


@pytest.mark.parametrize("name", ["rating", "ratings?product_ids=1"])
async def test_rating_answers_carry_the_public_headers(
    client: httpx.AsyncClient, shop: ShopApi, name: str
) -> None:
    response = await client.get(api_path(shop.myshopify_domain, name))
    ok(response)
    assert response.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=600"
    tag = response.headers["etag"]
    again = await client.get(api_path(shop.myshopify_domain, name), headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
