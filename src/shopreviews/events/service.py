"""Recording domain events. Callers pass their own session, so an event commits with its
change or not at all, together with one pending delivery per matching webhook subscription."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.events.models import DomainEvent
from shopreviews.kit.point_reads import PointReader
from shopreviews.kit.timefmt import rfc3339
from shopreviews.kit.unit_of_work import jobs_queued
from shopreviews.shops.models import Shop


async def _next_sequence(session: AsyncSession, shop_id: str) -> tuple[int, str]:
    """Increment the shop's event counter. The row lock it takes is held until commit, so
    sequence order is commit order within a shop."""
    result = await session.execute(
        update(Shop)
        .where(Shop.shop_id == shop_id)
        .values(event_sequence=Shop.event_sequence + 1)
        .returning(Shop.event_sequence, Shop.myshopify_domain)
        .execution_options(synchronize_session=False)
    )
    sequence, domain = result.one()
    return int(sequence), str(domain)


async def _store(
    session: AsyncSession,
    shop_id: str,
    topic: str,
    item: dict[str, Any],
    *,
    now: datetime,
    reason: str | None,
    test: bool,
) -> DomainEvent:
    sequence, domain = await _next_sequence(session, shop_id)
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
    event = DomainEvent(
        shop_id=shop_id,
        event_id=event_id,
        sequence=sequence,
        topic=topic,
        occurred_at=now,
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
    )
    session.add(event)
    await session.flush()
    return event


async def record(
    session: AsyncSession,
    shop_id: str,
    topic: str,
    item: dict[str, Any],
    *,
    now: datetime,
    reason: str | None = None,
) -> DomainEvent:
    """Store an event about one record and queue it for every matching subscription."""
    from shopreviews.webhooks.repository import DeliveryRepository

    event = await _store(session, shop_id, topic, item, now=now, reason=reason, test=False)
    await DeliveryRepository(session, shop_id).fan_out(event, now)
    jobs_queued(session)
    return event


async def record_test(
    session: AsyncSession, shop_id: str, topic: str, *, now: datetime
) -> DomainEvent:
    """A sample event (marked `"test": true`) that is not fanned out; the caller targets it."""
    return await _store(
        session, shop_id, topic, sample_item(topic, now), now=now, reason=None, test=True
    )


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


# Asked by signature checks (auth/hmac_auth.py), so read on the driver directly like the shop's
# key (kit/point_reads.py); event_id is unique, so this is an index lookup.
_events = DomainEvent.__table__.c
_DELIVERY_BODY = select(_events.body).where(
    _events.shop_id == bindparam("shop_id"), _events.event_id == bindparam("event_id")
)


async def delivery_body(reader: PointReader, shop_id: str, event_id: str) -> str | None:
    """The body every delivery of the shop's event `event_id` sends; None for no such event."""
    row = await reader.one(_DELIVERY_BODY, {"shop_id": shop_id, "event_id": event_id})
    return None if row is None else str(row[0])
