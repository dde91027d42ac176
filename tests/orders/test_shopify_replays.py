"""Replayed Shopify order webhooks (docs/intake.md §2.1). The HMAC covers the body only, so a
captured body can be sent again under another X-Shopify-Topic or X-Shopify-Webhook-Id: a topic
the body contradicts is refused, and a delivery id already acted on is acknowledged without a
second effect (Shopify retries a delivery with the same id until it is acknowledged)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shopreviews.kit.context import AppContext
from shopreviews.orders.models import Order, ShopifyDelivery
from tests.orders.helpers import (
    NOW,
    ORDER_FIELDS,
    ORDER_ID,
    counts,
    deliver,
    order_row,
    request_rows,
    set_secret,
    shopify_order,
    signed_get,
)
from tests.support.api import Clock, ShopApi, error, ok

CREATED = shopify_order()  # as orders/create sends it: no fulfilment, not cancelled
FULFILLED = shopify_order(fulfilled_at=["2026-06-09T10:30:00Z"])


def webhook_id(n: int) -> dict[str, str]:
    return {"X-Shopify-Webhook-Id": f"0b5f3c1e-0000-4000-8000-{n:012d}"}


async def listed(shop: ShopApi) -> list[dict[str, Any]]:
    data = ok(await signed_get(shop, ts=NOW))
    assert all(set(item) == ORDER_FIELDS for item in data["list"]), data
    return list(data["list"])


def stored(order: Order) -> dict[str, Any]:
    """Every column of the order row, updated_at included."""
    return {c.key: getattr(order, c.key) for c in Order.__table__.columns}


async def seen_ids(ctx: AppContext, shop: ShopApi) -> list[str]:
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(ShopifyDelivery.webhook_id)
            .where(ShopifyDelivery.shop_id == shop.shop_id)
            .order_by(ShopifyDelivery.webhook_id)
        )
        return list(rows.scalars())


WAITING = {
    "order_id": str(ORDER_ID),
    "order_name": "#1001",
    "customer_id": "7712345678901",
    "customer_email": "jane.doe@example.com",
    "customer_name": "Jane Doe",
    "status": 1,
    "scheduled_at": "",
    "sent_at": "",
    "created_at": "2026-06-01T14:22:10Z",
}


# --- a topic the body contradicts --------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "named"),
    [
        ("orders/fulfilled", "orders/fulfilled contradicts the body: it has no fulfillments"),
        ("orders/cancelled", "orders/cancelled contradicts the body: cancelled_at is not set"),
    ],
)
async def test_a_create_body_replayed_under_another_topic_is_refused_and_changes_nothing(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi, topic: str, named: str
) -> None:
    raw = json.dumps(CREATED).encode()
    first = await deliver(client, shopify_shop, "orders/create", body=raw, headers=webhook_id(1))
    assert ok(first) == {"order_id": str(ORDER_ID), "status": 1}
    before = (await counts(ctx), await order_row(ctx, shopify_shop))

    # The same signed bytes, another topic, under a new delivery id and under the first one.
    for n in (2, 1):
        body = error(
            await deliver(client, shopify_shop, topic, body=raw, headers=webhook_id(n)), 3, 400
        )
        assert body["message"] == f"invalid argument: X-Shopify-Topic {named}", body

    assert await listed(shopify_shop) == [WAITING]
    after = (await counts(ctx), await order_row(ctx, shopify_shop))
    assert after[0] == before[0]
    assert stored(after[1]) == stored(before[1])
    assert await request_rows(ctx, shopify_shop) == []
    assert await seen_ids(ctx, shopify_shop) == [webhook_id(1)["X-Shopify-Webhook-Id"]]


@pytest.mark.parametrize(
    ("topic", "order", "named"),
    [
        ("orders/cancelled", shopify_order(cancelled_at=None), "cancelled_at is not set"),
        ("orders/cancelled", shopify_order(cancelled_at=""), "cancelled_at is not set"),
        ("orders/fulfilled", shopify_order(fulfilled_at=[]), "it has no fulfillments"),
        ("orders/fulfilled", shopify_order(fulfillments=None), "it has no fulfillments"),
        ("orders/fulfilled", shopify_order(fulfillments=[None, "x"]), "it has no fulfillments"),
    ],
)
async def test_a_topic_the_body_contradicts_stores_nothing(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shopify_shop: ShopApi,
    topic: str,
    order: dict[str, Any],
    named: str,
) -> None:
    before = await counts(ctx)
    body = error(await deliver(client, shopify_shop, topic, order), 3, 400)
    assert (
        body["message"]
        == f"invalid argument: X-Shopify-Topic {topic} contradicts the body: {named}"
    )
    assert await counts(ctx) == before
    assert await listed(shopify_shop) == []
    assert await seen_ids(ctx, shopify_shop) == []


async def test_bodies_that_agree_with_their_topic_are_not_refused(
    client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    """Only clear contradictions are refused: Shopify sends orders/create with the order as it
    is at creation, which may already be fulfilled (a point-of-sale order) or carry a time."""
    assert ok(await deliver(client, shopify_shop, "orders/create", FULFILLED))["status"] == 1
    # A fulfilment object without its own time: the order's updated_at is the fulfilment time.
    no_time = shopify_order(fulfillments=[{"id": 90, "status": "success"}])
    assert ok(await deliver(client, shopify_shop, "orders/fulfilled", no_time))["status"] == 2
    cancelled = shopify_order(cancelled_at="2026-06-10T07:00:00-04:00")
    assert ok(await deliver(client, shopify_shop, "orders/cancelled", cancelled))["status"] == 6


# --- a delivery id already acted on ------------------------------------------------------------


async def test_a_retried_delivery_is_acknowledged_without_a_second_effect(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi, clock: Clock
) -> None:
    ok(await deliver(client, shopify_shop, "orders/create", CREATED, headers=webhook_id(1)))
    # The fulfilment also brings a new name (descriptive fields follow the latest report).
    renamed = shopify_order(name="#1001-B", fulfilled_at=["2026-06-09T10:30:00Z"])
    fulfilled = await deliver(
        client, shopify_shop, "orders/fulfilled", renamed, headers=webhook_id(2)
    )
    assert ok(fulfilled) == {"order_id": str(ORDER_ID), "status": 2}
    before = (await counts(ctx), await order_row(ctx, shopify_shop), await listed(shopify_shop))
    assert before[2][0]["order_name"] == "#1001-B"

    # Hours later Shopify retries the first delivery (its answer was lost), and the second; a
    # replay of the second body under its own id and another topic is a duplicate as well.
    clock.set((NOW + timedelta(hours=3)).timestamp())
    for topic, sent, n in (
        ("orders/create", CREATED, 1),
        ("orders/fulfilled", renamed, 2),
        ("orders/create", renamed, 2),
    ):
        answer = await deliver(client, shopify_shop, topic, sent, headers=webhook_id(n))
        # Acknowledged with the order as it stands now.
        assert ok(answer) == {"order_id": str(ORDER_ID), "status": 2}

    order = await order_row(ctx, shopify_shop)
    assert stored(order) == stored(before[1])
    assert order.order_name == "#1001-B"  # not back to the first delivery's name
    assert await counts(ctx) == before[0]
    clock.set(NOW.timestamp())  # listed() signs at NOW
    assert await listed(shopify_shop) == before[2]
    assert len(await request_rows(ctx, shopify_shop)) == 1


async def test_delivery_ids_are_per_shop(
    client: httpx.AsyncClient, shopify_shop: ShopApi, ctx: AppContext, other_shop: ShopApi
) -> None:
    await set_secret(ctx, other_shop)
    ok(await deliver(client, shopify_shop, "orders/create", CREATED, headers=webhook_id(1)))
    other = await deliver(client, other_shop, "orders/fulfilled", FULFILLED, headers=webhook_id(1))
    assert ok(other) == {"order_id": str(ORDER_ID), "status": 2}
    assert [o["status"] for o in await listed(shopify_shop)] == [1]
    assert [o["status"] for o in await listed(other_shop)] == [2]


async def test_deliveries_without_an_id_are_each_acted_on(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    drop = ("X-Shopify-Webhook-Id",)
    ok(await deliver(client, shopify_shop, "orders/create", CREATED, drop=drop))
    ok(await deliver(client, shopify_shop, "orders/create", shopify_order(name="#B"), drop=drop))
    assert (await order_row(ctx, shopify_shop)).order_name == "#B"
    assert await seen_ids(ctx, shopify_shop) == []


@pytest.mark.parametrize("value", ["x" * 65, "id with spaces"])
async def test_an_unusable_delivery_id_is_refused(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi, value: str
) -> None:
    before = await counts(ctx)
    response = await deliver(
        client,
        shopify_shop,
        "orders/create",
        CREATED,
        headers={"X-Shopify-Webhook-Id": value},
    )
    body = error(response, 3, 400)
    assert body["message"] == (
        "invalid argument: X-Shopify-Webhook-Id must be 1 to 64 visible ASCII characters"
    )
    assert await counts(ctx) == before


async def test_delivery_ids_are_forgotten_after_seven_days(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi, clock: Clock
) -> None:
    ok(await deliver(client, shopify_shop, "orders/create", CREATED, headers=webhook_id(1)))
    clock.set((NOW + timedelta(days=7)).timestamp())
    ok(await deliver(client, shopify_shop, "orders/create", CREATED, headers=webhook_id(2)))
    assert len(await seen_ids(ctx, shopify_shop)) == 2  # exactly seven days: still kept

    clock.set((NOW + timedelta(days=7, seconds=1)).timestamp())
    ok(await deliver(client, shopify_shop, "orders/create", CREATED, headers=webhook_id(3)))
    # The first id is gone (purged by the next delivery); the second is younger.
    assert await seen_ids(ctx, shopify_shop) == [
        webhook_id(n)["X-Shopify-Webhook-Id"] for n in (2, 3)
    ]


async def test_the_same_delivery_twice_at_once_acts_once(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    """Both acknowledged, one recorded (on PostgreSQL the second insert of the id waits for
    the first transaction, then finds the id taken)."""
    sends = [
        deliver(client, shopify_shop, "orders/fulfilled", FULFILLED, headers=webhook_id(1))
        for _ in range(4)
    ]
    answers = [ok(response) for response in await asyncio.gather(*sends)]
    assert answers == [{"order_id": str(ORDER_ID), "status": 2}] * 4
    assert await seen_ids(ctx, shopify_shop) == [webhook_id(1)["X-Shopify-Webhook-Id"]]
    assert len(await request_rows(ctx, shopify_shop)) == 1
