"""Domain events, written in the transaction of the change that caused them (the outbox).

The delivery body is rendered once, here, so every attempt to every subscriber sends the same
bytes; `sequence` comes from a per-shop counter incremented in the same transaction.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.models import Base, BigId, UTCDateTime


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
