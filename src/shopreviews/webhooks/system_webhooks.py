"""System webhooks: a platform's lifecycle events, sent to its `webhook_url` through the same
outbox as shop webhooks (docs/oauth.md, "System
webhooks"). The grant lifecycle announces itself
by signals (oauth.service); the receivers here, connected by wiring.py, turn them into system
webhooks in the sender's transaction."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit import outbox
from shopreviews.kit.outbox import DomainEvent
from shopreviews.kit.timefmt import rfc3339
from shopreviews.kit.unit_of_work import jobs_queued
from shopreviews.oauth import service as oauth
from shopreviews.platforms import service as platforms
from shopreviews.platforms.service import Platform
from shopreviews.shops import service as shops
from shopreviews.shops.service import Shop
from shopreviews.webhooks.repository import DeliveryRepository, SubscriptionRepository

TOPICS = (
    "app/authorized",
    "app/disconnected",
    "app/cancelled",
    "app/tokens_revoked",
    "webhook/disabled",
)
END_TOPICS = {"disconnected": "app/disconnected", "cancelled": "app/cancelled"}


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
    await outbox.store(session, event)  # one target, chosen here: no fan-out
    await DeliveryRepository(session, shop.shop_id).add(
        event.id, None, now, system_client_id=platform.client_id
    )
    jobs_queued(session)
    return event


async def _parties(session: AsyncSession, shop_id: str, client_id: str) -> tuple[Shop, Platform]:
    shop = await shops.find(session, shop_id)
    platform = await platforms.find(session, client_id)
    assert shop is not None and platform is not None  # both cascade-delete their grants
    return shop, platform


async def on_grant_approved(session: AsyncSession, approved: oauth.GrantApproved) -> None:
    shop, platform = await _parties(session, approved.shop_id, approved.client_id)
    await record(
        session,
        platform=platform,
        shop=shop,
        topic="app/authorized",
        extra={
            "granted_scopes": approved.granted_scopes,
            "installed_at": rfc3339(approved.installed_at),
            "authorized_at": rfc3339(approved.authorized_at),
            "grant_type": approved.grant_type,
            "reauthorized": int(approved.reauthorized),
        },
        now=approved.now,
    )


async def on_grant_ended(session: AsyncSession, ended: oauth.GrantEnded) -> None:
    """The platform's subscriptions for the shop go (their pending deliveries with them), then
    the platform is told."""
    shop, platform = await _parties(session, ended.shop_id, ended.client_id)
    await SubscriptionRepository(session, shop.shop_id, platform.client_id).delete_all()
    await record(
        session,
        platform=platform,
        shop=shop,
        topic=END_TOPICS[ended.reason],
        extra={"ended_at": rfc3339(ended.ended_at), "initiated_by": ended.initiated_by},
        now=ended.ended_at,
    )


async def on_tokens_revoked(session: AsyncSession, revoked: oauth.TokensRevoked) -> None:
    shop, platform = await _parties(session, revoked.shop_id, revoked.client_id)
    await record(
        session,
        platform=platform,
        shop=shop,
        topic="app/tokens_revoked",
        extra={"revoked_at": rfc3339(revoked.revoked_at), "reason": revoked.reason},
        now=revoked.revoked_at,
    )
