"""Storefront events reach a real receiver as customer_event/created deliveries (spec
webhooks.md): the CustomerEvent as listed, plus the shop fields, in sequence, both signatures."""

from __future__ import annotations

import json

from standardwebhooks import Webhook

from shopreviews.kit.context import AppContext
from tests.customer_events.helpers import IPHONE, stored
from tests.support.api import error, ok
from tests.support.customer_events import post_events
from tests.support.webhooks import (
    ClockedShop,
    Receiver,
    check_headers,
    deliveries,
    run_until_idle,
    stored_events,
    subscribe,
)

EVENTS = [
    {
        "event_type": "CLICK_MEDIA",
        "product_id": "9200305176832",
        "review_id": "1024",
        "page_url": "https://example-shop.myshopify.com/products/linen-shirt",
        "customer_id": "7712345678901",
        "customer_email": "jane@example.com",
    },
    {"event_type": "CLOSE_VIDEO_POPUP", "os_type": "ANDROID", "event_source": "EMAIL"},
]


async def test_storefront_events_are_delivered(
    ctx: AppContext,
    shop: ClockedShop,
    other_shop: ClockedShop,
    receiver: Receiver,
) -> None:
    # Real time throughout: the standardwebhooks library checks the timestamp against it.
    hook = await subscribe(shop, receiver, "customer_event/created")
    reviews_only = await subscribe(shop, receiver, "review/created")
    foreign = await subscribe(other_shop, receiver, "customer_event/created")
    response = await post_events(
        shop.client, shop.myshopify_domain, {"events": EVENTS}, user_agent=IPHONE
    )
    assert ok(response) == {"accepted": 2}
    # A refused body queues nothing.
    error(await post_events(shop.client, shop.myshopify_domain, {"events": [{}]}), 3, 400)
    listed = ok(await shop.get("get_customer_events", {"sort_by": "created-ascending"}))["list"]
    assert [e["event_type"] for e in listed] == ["CLICK_MEDIA", "CLOSE_VIDEO_POPUP"]

    await run_until_idle(ctx)

    events = await stored_events(ctx, shop.shop_id)
    assert [e.topic for e in events] == ["customer_event/created"] * 2
    assert events[1].sequence == events[0].sequence + 1
    received = await receiver.log(hook["path"])
    assert len(received) == 2
    by_id = {r.headers["webhook-id"]: r for r in received}
    assert set(by_id) == {e.event_id for e in events}
    for event, item in zip(events, listed, strict=True):
        got = by_id[event.event_id]
        assert got.body == event.body.encode()
        check_headers(got, shop, hook["secret"])
        Webhook(hook["secret"]).verify(got.body, got.headers)
        payload = json.loads(got.body)
        assert set(payload) == {"topic", "event_id", "sequence", "occurred_at", "list"}
        assert payload["topic"] == "customer_event/created"
        assert payload["sequence"] == event.sequence
        assert payload["occurred_at"] == item["created_at"]
        assert payload["list"] == [
            {
                **item,
                "my_shopify_domain": shop.myshopify_domain,
                "shopify_shop_id": shop.shop_id,
            }
        ]
    first, second = (json.loads(by_id[e.event_id].body)["list"][0] for e in events)
    assert first["os_type"] == "IOS" and first["review_id"] == "1024"
    assert second["os_type"] == "ANDROID" and second["event_source"] == "STOREFRONT"

    # Nothing for the review subscription, nothing for the other shop's subscriber.
    assert await receiver.log(reviews_only["path"]) == []
    assert await receiver.log(foreign["path"]) == []
    assert [(d.topic, d.status) for d in await deliveries(ctx, shop.shop_id)] == [
        ("customer_event/created", "succeeded")
    ] * 2
    assert await deliveries(ctx, other_shop.shop_id) == []
    assert len(await stored(ctx, shop.shop_id)) == 2
