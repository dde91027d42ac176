"""Recording domain events. Callers pass their own session, so an event commits with its
change or not at all; webhook delivery (a later component) reads these rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.events.models import DomainEvent


async def record(
    session: AsyncSession, shop_id: str, topic: str, payload: dict[str, Any]
) -> DomainEvent:
    event = DomainEvent(shop_id=shop_id, topic=topic, payload=payload)
    session.add(event)
    await session.flush()
    return event
