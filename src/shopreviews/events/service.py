"""Recording domain events about a shop's records. Callers pass their own session, so an event
commits with its change or not at all; the outbox (kit/outbox.py) queues it for its receivers in
the same transaction. `sequence` comes from the shop's counter (shops.service), taken in that
transaction too."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit import outbox
from shopreviews.kit.outbox import DomainEvent
from shopreviews.kit.timefmt import rfc3339
from shopreviews.shops import service as shops

# What `record` returns: the stored event row of the outbox.
__all__ = ["DomainEvent", "record", "record_test", "sample_item"]


async def _new_event(
    session: AsyncSession,
    shop_id: str,
    topic: str,
    item: dict[str, Any],
    *,
    now: datetime,
    reason: str | None,
    test: bool,
) -> DomainEvent:
    """The event row, its body rendered once with the next sequence of the shop."""
    sequence, domain = await shops.next_event_sequence(session, shop_id)
    event_id = uuid.uuid4().hex
    body: dict[str, Any] = {
        "topic": topic,
        "event_id": event_id,
        "sequence": sequence,
        "occurred_at": rfc3339(now),
    }
    if reason is not None:
        body["reason"] = reason
    if test:
        body["test"] = True
    body["list"] = [{**item, "my_shopify_domain": domain, "shopify_shop_id": shop_id}]
    return DomainEvent(
        shop_id=shop_id,
        event_id=event_id,
        sequence=sequence,
        topic=topic,
        occurred_at=now,
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
    )


async def record(
    session: AsyncSession,
    shop_id: str,
    topic: str,
    item: dict[str, Any],
    *,
    now: datetime,
    reason: str | None = None,
) -> DomainEvent:
    """Store an event about one record and queue it for every receiver."""
    event = await _new_event(session, shop_id, topic, item, now=now, reason=reason, test=False)
    return await outbox.append(session, event, now=now)


async def record_test(
    session: AsyncSession, shop_id: str, topic: str, *, now: datetime
) -> DomainEvent:
    """A sample event (marked `"test": true`) that is not fanned out; the caller targets it."""
    event = await _new_event(
        session, shop_id, topic, sample_item(topic, now), now=now, reason=None, test=True
    )
    return await outbox.store(session, event)


def sample_item(topic: str, now: datetime) -> dict[str, Any]:
    stamp = rfc3339(now)
    if topic.startswith("customer_event/"):
        return {
            "id": "0",
            "event_type": "CLICK_MEDIA",
            "event_source": "STOREFRONT",
            "os_type": "IOS",
            "customer_id": "",
            "customer_email": "",
            "product_id": "0",
            "review_id": "0",
            "page_url": "",
            "created_at": stamp,
        }
    display = stamp.replace("T", " ").rstrip("Z")
    return {
        "id": "0",
        "product_id": "0",
        "product_handle": "",
        "product_title": "",
        "order_id": "",
        "rating": 5,
        "author": "Test Customer",
        "author_email": "",
        "author_phone": "",
        "author_country": "",
        "title": "Test review",
        "content": "A test delivery from ShopReviews.",
        "commented_at": display,
        "item_type": "",
        "source": "Open API",
        "tag": "",
        "is_verified": 0,
        "is_featured": 0,
        "is_published": 1,
        "is_top": 0,
        "media": [],
        "reply": None,
        "created_at": stamp,
        "updated_at": stamp,
    }
