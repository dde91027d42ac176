"""Orders tracked for review requests, and the review-request job of each order."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.jobs import JobMixin
from shopreviews.kit.models import Base, BigId, UTCDateTime, utcnow


class OrderStatus(IntEnum):
    """The review-request status of an order (docs/api.md, "Orders, customer events and
    customers")."""

    WAITING = 1
    SCHEDULED = 2
    SENT = 3
    OPENED = 4
    EVALUATED = 5
    CANCELLED = 6


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "order_id"),
        # get_orders: by shop in created order, optionally by status or sent time.
        Index("ix_orders_shop_created", "shop_id", "created_at", "id"),
        Index("ix_orders_shop_status_created", "shop_id", "status", "created_at", "id"),
        Index("ix_orders_shop_sent", "shop_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(64))
    order_name: Mapped[str] = mapped_column(String(64), default="")
    customer_id: Mapped[str] = mapped_column(String(64), default="")
    customer_email: Mapped[str] = mapped_column(String(254), default="")
    customer_name: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[int] = mapped_column(SmallInteger, default=OrderStatus.WAITING)
    # Why the order is Cancelled (status 6): cancelled, excluded, unsubscribed, no_email,
    # bad_email, too_old, shop_disabled, send_failed.
    cancel_reason: Mapped[str] = mapped_column(String(32), default="")
    # [{product_id, title, handle}]: what the review form asks about.
    products: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the order was placed
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewRequest(JobMixin, Base):
    """The review-request email of one order: a job row due at the order's scheduled time."""

    __tablename__ = "review_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(
        ForeignKey("shops.shop_id", ondelete="CASCADE"), index=True
    )
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    # Committed before the SMTP conversation starts; a request found with it set and no
    # result was interrupted mid-send and is never sent again (at most once).
    send_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[str] = mapped_column(String(255), default="")
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShopifyDelivery(Base):
    """A Shopify webhook delivery already acted on, by its X-Shopify-Webhook-Id: Shopify
    sends a delivery again with the same id until it is acknowledged, and an old retry must
    not overwrite what later deliveries said. Kept for a week (orders.service)."""

    __tablename__ = "shopify_deliveries"
    # The purge of a shop's old ids, at each new delivery.
    __table_args__ = (Index("ix_shopify_deliveries_shop_received", "shop_id", "received_at"),)

    shop_id: Mapped[str] = mapped_column(
        ForeignKey("shops.shop_id", ondelete="CASCADE"), primary_key=True
    )
    webhook_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(String(64))  # what a duplicate is answered about
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
