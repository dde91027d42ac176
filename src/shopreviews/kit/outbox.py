"""The outbox: domain events as rows of the `events` table, written in the transaction of the
change that caused them, so a change and its events commit together or not at all.

The delivery body is rendered once, by the domain that records the event, so every attempt to
every subscriber sends the same bytes. Who receives an event is not kit's business: one fan-out
hook, registered when the process is assembled (`shopreviews.wiring`; the webhooks domain
provides it), turns a stored event into pending deliveries in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.models import Base, BigId, UTCDateTime
from shopreviews.kit.point_reads import PointReader
from shopreviews.kit.unit_of_work import jobs_queued


class DomainEvent(Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("shop_id", "sequence"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    # None for system events (platform lifecycle), which carry no sequence.
    sequence: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    topic: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # the delivery body, compact JSON
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


FanOut = Callable[[AsyncSession, DomainEvent, datetime], Awaitable[None]]
"""Queues a stored event for its receivers, in the session that stored it."""

_fan_out: list[FanOut] = []  # at most one: who receives an event is decided in one place


def connect_fan_out(hook: FanOut) -> None:
    """Register the fan-out (from `shopreviews.wiring` only). Registering the same hook again
    changes nothing; a second, different hook is a wiring mistake and raises."""
    if _fan_out and _fan_out[0] is not hook:
        raise RuntimeError("the outbox already has a different fan-out hook")
    if not _fan_out:
        _fan_out.append(hook)


def fan_out_connected() -> bool:
    return bool(_fan_out)


async def append(session: AsyncSession, event: DomainEvent, *, now: datetime) -> DomainEvent:
    """Store `event` and queue it for every receiver, in the caller's transaction."""
    if not _fan_out:
        # Failing loudly beats committing events that nobody will ever be sent.
        raise RuntimeError(
            "no outbox fan-out is connected: assemble the process with "
            "shopreviews.wiring.connect_domains()"
        )
    await store(session, event)
    await _fan_out[0](session, event, now)
    jobs_queued(session)
    return event


async def by_pk(session: AsyncSession, pk: int) -> DomainEvent | None:
    """An event by its row id (a delivery's event_pk)."""
    return await session.get(DomainEvent, pk)


async def store(session: AsyncSession, event: DomainEvent) -> DomainEvent:
    """Store `event` without fanning it out (a sample event, a system event with one target)."""
    session.add(event)
    await session.flush()
    return event


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
