"""Helpers of the review tests: ratings, raw requests, the recorded events and the rating
aggregates (creating and listing reviews is in tests/support/reviews.py)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx
from sqlalchemy import select

from shopreviews.kit.context import AppContext
from shopreviews.kit.outbox import DomainEvent
from shopreviews.reviews.models import RatingAggregate, Review
from tests.support import signer
from tests.support.api import ShopApi, ok

RATING_FIELDS = {
    "rating_value",
    "review_count",
    "star1_count",
    "star2_count",
    "star3_count",
    "star4_count",
    "star5_count",
}
NO_RATING = {
    "rating_value": "0",
    "review_count": 0,
    "star1_count": 0,
    "star2_count": 0,
    "star3_count": 0,
    "star4_count": 0,
    "star5_count": 0,
}


async def rating(shop: ShopApi, params: Any) -> dict[str, Any]:
    data: dict[str, Any] = ok(await shop.get("get_rating", params))
    assert set(data) == RATING_FIELDS
    return data


async def raw_get(shop: ShopApi, path: str, raw_query: str = "") -> httpx.Response:
    """GET with the query string exactly as written (literal brackets, '+', bare keys), signed
    over the decoded pairs as the contract says."""
    pairs = signer.decode_query(raw_query)
    url = path + (f"?{raw_query}" if raw_query else "")
    return await shop.client.get(url, headers=shop.headers(pairs))


async def raw_post(shop: ShopApi, path: str, body: bytes) -> httpx.Response:
    headers = {"Content-Type": "application/json", **shop.headers([], body)}
    return await shop.client.post(path, content=body, headers=headers)


async def events(ctx: AppContext, shop_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(topic, {"review": item[, "reason": ...]}) of the shop's recorded events, oldest first.

    Also checks the envelope every delivery body shares: topic, 32-hex event_id, increasing
    sequence, exactly one item carrying the shop fields.
    """
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(DomainEvent).where(DomainEvent.shop_id == shop_id).order_by(DomainEvent.id)
        )
        recorded = list(rows.scalars())
    out: list[tuple[str, dict[str, Any]]] = []
    last_sequence = 0
    for event in recorded:
        body = event.payload
        assert body["topic"] == event.topic
        assert body["event_id"] == event.event_id and len(event.event_id) == 32
        assert body["sequence"] > last_sequence
        last_sequence = body["sequence"]
        (item,) = body["list"]
        assert item.pop("shopify_shop_id") == shop_id
        assert item.pop("my_shopify_domain").endswith(".myshopify.com")
        entry: dict[str, Any] = {"review": item}
        if "reason" in body:
            entry["reason"] = body["reason"]
        out.append((event.topic, entry))
    return out


async def topics(ctx: AppContext, shop_id: str) -> list[str]:
    return [topic for topic, _ in await events(ctx, shop_id)]


Counts = dict[tuple[str, str], list[int]]


async def aggregate_rows(ctx: AppContext, shop_id: str) -> Counts:
    """The shop's rating_aggregates rows as {(scope, product_id): [star1..star5]}, zero rows
    left out (a row may stay at zero after its last review leaves)."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(RatingAggregate).where(RatingAggregate.shop_id == shop_id)
        )
        out: Counts = {}
        for row in rows.scalars():
            counts = [
                row.star1_count,
                row.star2_count,
                row.star3_count,
                row.star4_count,
                row.star5_count,
            ]
            assert min(counts) >= 0, (row.scope, row.product_id, counts)
            if any(counts):
                out[(row.scope, row.product_id)] = counts
        return out


async def recount(ctx: AppContext, shop_id: str) -> Counts:
    """What the aggregate rows must hold, counted from the reviews table."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(Review.product_id, Review.rating).where(
                Review.shop_id == shop_id,
                Review.is_published.is_(True),
                Review.deleted_at.is_(None),
            )
        )
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 5)
        for product_id, stars in rows.all():
            counts[("product", product_id)][stars - 1] += 1
            if product_id != "0":
                counts[("all_products", "")][stars - 1] += 1
            counts[("all", "")][stars - 1] += 1
        return dict(counts)


def expected_rating(stars: list[int]) -> dict[str, Any]:
    """The Rating object for star counts, with the contract's integer rounding."""
    count = sum(stars)
    total = sum((i + 1) * n for i, n in enumerate(stars))
    if count:
        tenths = (20 * total + count) // (2 * count)
        value = f"{tenths // 10}.{tenths % 10}"
    else:
        value = "0"
    return {
        "rating_value": value,
        "review_count": count,
        **{f"star{i + 1}_count": n for i, n in enumerate(stars)},
    }
