"""System webhooks: a platform's lifecycle events, sent to its `webhook_url` through the same
outbox as shop webhooks (spec oauth.md "System webhooks")."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.events.models import DomainEvent
from shopreviews.kit.timefmt import rfc3339
from shopreviews.kit.unit_of_work import jobs_queued
from shopreviews.platforms.models import Platform
from shopreviews.shops.models import Shop
from shopreviews.webhooks.repository import DeliveryRepository

TOPICS = (
    "app/authorized",
    "app/disconnected",
    "app/cancelled",
    "app/tokens_revoked",
    "webhook/disabled",
)


async def record(
    session: AsyncSession,
    *,
    platform: Platform,
    shop: Shop,
    topic: str,
    extra: dict[str, Any],
    now: datetime,
) -> DomainEvent | None:
    """Queue `topic` for the platform in the caller's transaction; nothing when the platform
    has no webhook_url or is disabled (it receives nothing while disabled)."""
    assert topic in TOPICS
    if not platform.webhook_url or not platform.is_active:
        return None
    event_id = uuid.uuid4().hex
    item = {
        "client_id": platform.client_id,
        "shop_id": shop.shop_id,
        "myshopify_domain": shop.myshopify_domain,
        **extra,
    }
    body = {"topic": topic, "event_id": event_id, "occurred_at": rfc3339(now), "list": [item]}
    event = DomainEvent(
        shop_id=shop.shop_id,
        event_id=event_id,
        sequence=None,  # system events carry no sequence
        topic=topic,
        occurred_at=now,
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
    )
    session.add(event)
    await session.flush()
    await DeliveryRepository(session, shop.shop_id).add(
        event.id, None, now, system_client_id=platform.client_id
    )
    jobs_queued(session)
    return event
