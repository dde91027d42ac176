"""Shops: the tenants."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.models import Base, Timestamps


class Shop(Timestamps, Base):
    __tablename__ = "shops"

    shop_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    myshopify_domain: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    public_token: Mapped[str] = mapped_column(String(64), unique=True)
    # Encrypted with the server key: the private token is the HMAC key, so it must be recoverable.
    private_token_encrypted: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Last `sequence` given to an event of this shop (see events.service).
    event_sequence: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Changed by database triggers with every write to the shop's reviews or products
    # (migration 0006): cached read answers are keyed by it (kit/read_cache.py).
    data_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Intake settings (docs/intake.md §1). The Shopify app secret verifies order webhooks; it
    # is encrypted because the HMAC check needs it in clear.
    shopify_app_secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    review_request_delay_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    storefront_origins: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Storefront settings (docs/storefront.md): who may write reviews on the shop's pages,
    # which of them publish without moderation (0: none), and how authors are shown.
    web_reviews: Mapped[str] = mapped_column(
        String(24), default="enabled", server_default="enabled"
    )
    auto_publish_min_rating: Mapped[int] = mapped_column(
        SmallInteger, default=1, server_default="1"
    )
    author_display: Mapped[str] = mapped_column(
        String(24), default="first_last_initial", server_default="first_last_initial"
    )
    reviews_disclosure: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The merchant's wording of the review request email; "" keeps the built-in wording.
    review_request_subject: Mapped[str] = mapped_column(String(200), default="", server_default="")
    review_request_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    @property
    def is_active(self) -> bool:
        return self.status == "active"
