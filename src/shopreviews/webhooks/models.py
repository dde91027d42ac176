"""Webhook subscriptions, their deliveries (job rows) and every delivery attempt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.jobs import JobMixin
from shopreviews.kit.models import Base, BigId, Timestamps, UTCDateTime, utcnow

SHOP_OWNER = ""  # owner_client_id of shop-owned subscriptions (Trustoo's "platform id 0")


class WebhookSubscription(Timestamps, Base):
    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        # Duplicate owner + topic + url is refused (code 6); the hash keeps the index small.
        UniqueConstraint("shop_id", "owner_client_id", "topic", "url_sha256"),
        Index("ix_webhook_subscriptions_fanout", "shop_id", "topic", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    owner_client_id: Mapped[str] = mapped_column(String(64), default=SHOP_OWNER)
    topic: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    url_sha256: Mapped[str] = mapped_column(String(64))
    # Standard Webhooks secret, encrypted; during a rotation the previous one signs too.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="enabled")
    disabled_reason: Mapped[str] = mapped_column(String(16), default="")
    # Start of the current failure streak (None after a success, creation or re-enabling).
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebhookDelivery(JobMixin, Base):
    """One event for one subscription; the job row a worker claims for each attempt."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(
        ForeignKey("shops.shop_id", ondelete="CASCADE"), index=True
    )
    event_pk: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # A subscription's delivery, or (subscription_id None) a system webhook to the platform
    # `system_client_id` (docs/oauth.md, "System webhooks").
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True, nullable=True
    )
    system_client_id: Mapped[str | None] = mapped_column(
        ForeignKey("platforms.client_id", ondelete="CASCADE"), nullable=True
    )
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    succeeded: Mapped[bool] = mapped_column(default=False)
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
