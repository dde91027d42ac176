"""The outbox's fan-out (kit/outbox.py, connected by wiring.py): a stored event becomes one
pending delivery per subscription that may receive it, in the transaction that stored it, so
deliveries exist iff the event commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.outbox import DomainEvent
from shopreviews.oauth import service as oauth
from shopreviews.webhooks.repository import DeliveryRepository
from shopreviews.webhooks.schemas import TOPIC_SCOPES


async def fan_out(session: AsyncSession, event: DomainEvent, now: datetime) -> None:
    deliveries = DeliveryRepository(session, event.shop_id)
    await deliveries.fan_out_to_shop(event, now)
    for subscription_id in await _platform_targets(session, event.shop_id, event.topic):
        await deliveries.add(event.id, subscription_id, now)


async def _platform_targets(session: AsyncSession, shop_id: str, topic: str) -> list[int]:
    """Platform-owned subscriptions that may receive `topic` now: an active platform, an
    active grant, and a grant scope (narrowed by the platform's allowed scopes) that fits.
    Others simply receive nothing (docs/api.md, "Subscriptions")."""
    candidates = await DeliveryRepository(session, shop_id).platform_subscriptions(topic)
    if not candidates:
        return []
    scopes = await oauth.current_scopes(session, shop_id, {owner for _, owner in candidates})
    needed = TOPIC_SCOPES[topic]
    return [
        sub_id
        for sub_id, owner in candidates
        if any(s in scopes.get(owner, frozenset()) for s in needed)
    ]
