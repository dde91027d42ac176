"""Shoppers' interactions with the review widget, emails and the back office."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.models import Base, BigId, UTCDateTime


class CustomerEvent(Base):
    __tablename__ = "customer_events"
    __table_args__ = (
        # get_customer_events: by shop in created order, optionally by type.
        Index("ix_customer_events_shop_created", "shop_id", "created_at", "id"),
        Index("ix_customer_events_shop_type", "shop_id", "event_type", "created_at", "id"),
        # The back office's events by type over a period, from the index alone (migration 0014).
        Index(
            "ix_customer_events_shop_source", "shop_id", "event_source", "created_at", "event_type"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))
    event_source: Mapped[str] = mapped_column(String(16))
    os_type: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[str] = mapped_column(String(64), default="")
    customer_email: Mapped[str] = mapped_column(String(254), default="")
    product_id: Mapped[str] = mapped_column(String(64), default="")
    review_id: Mapped[str] = mapped_column(String(64), default="")
    page_url: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
