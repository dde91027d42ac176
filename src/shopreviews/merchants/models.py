"""Merchant users, their sign-in sessions, and the shop audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.models import Base, BigId, Timestamps, UTCDateTime, utcnow


class MerchantUser(Timestamps, Base):
    __tablename__ = "merchant_users"
    __table_args__ = (UniqueConstraint("shop_id", "email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), index=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    # owner: everything; staff: moderation and replies only (merchants.service.ROLES).
    role: Mapped[str] = mapped_column(String(8), default="owner", server_default="owner")


class MerchantSession(Base):
    """One sign-in; the session JWT names it by `sid`, so ending the row ends the JWT."""

    __tablename__ = "merchant_sessions"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("merchant_users.id", ondelete="CASCADE"))
    shop_id: Mapped[str] = mapped_column(
        ForeignKey("shops.shop_id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(
        ForeignKey("shops.shop_id", ondelete="CASCADE"), index=True
    )
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
