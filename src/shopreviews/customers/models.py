"""The shop's customer records, email unsubscribes and review-request exclusions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.models import Base, BigId, Timestamps, UTCDateTime, utcnow


class Customer(Timestamps, Base):
    """What the shop told us about a customer (from orders); fills in exclusions."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("shop_id", "customer_id"),
        Index("ix_customers_shop_email", "shop_id", "email"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254), default="")  # lower-cased
    first_name: Mapped[str] = mapped_column(String(255), default="")
    last_name: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")


class UnsubscribeOrigin(StrEnum):
    CUSTOMER = "customer"  # the email's unsubscribe link or preference page
    MERCHANT = "merchant"  # HMAC call or back office
    PLATFORM = "platform"  # bearer call


class EmailUnsubscribe(Base):
    __tablename__ = "email_unsubscribes"
    __table_args__ = (UniqueConstraint("shop_id", "email", "email_type"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))  # lower-cased
    email_type: Mapped[str] = mapped_column(String(40))
    origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerExclusion(Timestamps, Base):
    __tablename__ = "customer_exclusions"
    __table_args__ = (
        # At most one exclusion per non-empty customer_id and one per non-empty email.
        Index(
            "uq_customer_exclusions_customer",
            "shop_id",
            "customer_id",
            unique=True,
            sqlite_where=text("customer_id <> ''"),
            postgresql_where=text("customer_id <> ''"),
        ),
        Index(
            "uq_customer_exclusions_email",
            "shop_id",
            "email",
            unique=True,
            sqlite_where=text("email <> ''"),
            postgresql_where=text("email <> ''"),
        ),
        Index("ix_customer_exclusions_shop_created", "shop_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(254), default="")  # lower-cased
    first_name: Mapped[str] = mapped_column(String(255), default="")
    last_name: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
