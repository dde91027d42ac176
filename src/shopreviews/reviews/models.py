"""Reviews, the product catalogue they reference, and rating aggregates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.models import Base, BigId, Timestamps, UTCDateTime

STORE_PRODUCT_ID = "0"


class Review(Timestamps, Base):
    __tablename__ = "reviews"
    __table_args__ = (
        # Newest-first feeds of a shop and of one product, published or not.
        Index("ix_reviews_shop_feed", "shop_id", "is_published", "commented_at", "id"),
        Index(
            "ix_reviews_product_feed", "shop_id", "product_id", "is_published", "commented_at", "id"
        ),
        # The back office's lists in newest order: every review, published or not, and those
        # with media (migration 0013).
        Index("ix_reviews_shop_all", "shop_id", "commented_at", "id"),
        Index("ix_reviews_shop_media", "shop_id", "has_media", "commented_at", "id"),
        # The insights' counts of a period by bucket, star and collection method, from the
        # index alone (migration 0014).
        Index(
            "ix_reviews_shop_insights",
            "shop_id",
            "commented_at",
            "is_published",
            "rating",
            "collected_via",
            "deleted_at",
        ),
        # Ratings filters in feed order. Keyword search has a trigram index per database
        # (migration 0005: FTS5 on SQLite, pg_trgm on PostgreSQL), not declared here.
        Index("ix_reviews_shop_rating", "shop_id", "is_published", "rating", "commented_at", "id"),
        # "Has this address reviewed this product yet?" of a web review, case-insensitive
        # (migration 0010).
        Index("ix_reviews_shop_author", "shop_id", text("lower(author_email)")),
        # The Google feed's Last-Modified (migration 0011).
        Index("ix_reviews_shop_updated", "shop_id", "updated_at"),
        # The storefront's featured order (pinned, featured, with media, newest), shop-wide and
        # per product (migration 0011).
        Index(
            "ix_reviews_shop_featured",
            "shop_id",
            "is_published",
            "is_top",
            "is_featured",
            "has_media",
            "commented_at",
            "id",
        ),
        Index(
            "ix_reviews_product_featured",
            "shop_id",
            "product_id",
            "is_published",
            "is_top",
            "is_featured",
            "has_media",
            "commented_at",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str] = mapped_column(String(64), default="")
    rating: Mapped[int] = mapped_column(SmallInteger)
    author: Mapped[str] = mapped_column(Text)  # limit checked after trimming; stored as sent
    author_email: Mapped[str] = mapped_column(String(254), default="")
    author_phone: Mapped[str] = mapped_column(String(32), default="")
    author_country: Mapped[str] = mapped_column(String(64), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    commented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    item_type: Mapped[str] = mapped_column(String(120), default="")
    source: Mapped[str] = mapped_column(String(64), default="Open API")
    # How the review was collected: email_request, storefront, import or api (the widget's
    # transparency notice, the Google feed's collection_method).
    collected_via: Mapped[str] = mapped_column(String(16), default="api", server_default="api")
    tag: Mapped[str] = mapped_column(String(255), default="")
    is_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    is_featured: Mapped[bool] = mapped_column(Boolean, default=False)
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    is_top: Mapped[bool] = mapped_column(Boolean, default=False)
    # Media items live on the row (list form, in order): a page of reviews needs no extra query.
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Whether any media item is published (set with the media, which never change afterwards):
    # the storefront's featured order and "with photos" filter read it from an index.
    has_media: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reply_content: Mapped[str | None] = mapped_column(Text, nullable=True)
    reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When a merchant last published or hid the review: an unpublished review without it is
    # waiting for a decision (the back office's "pending"), one with it was hidden.
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Product(Base):
    """The shop's catalogue entry for a product id, as far as reviews need it."""

    __tablename__ = "products"
    __table_args__ = (Index("ix_products_shop_handle", "shop_id", "handle_lower"),)

    shop_id: Mapped[str] = mapped_column(
        ForeignKey("shops.shop_id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handle: Mapped[str] = mapped_column(String(255), default="")
    handle_lower: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(255), default="")
    # Optional catalogue fields that name the product to search engines and shopping channels
    # (JSON-LD, the Google product reviews feed); "" when unknown.
    sku: Mapped[str] = mapped_column(String(64), default="", server_default="")
    gtin: Mapped[str] = mapped_column(String(64), default="", server_default="")
    mpn: Mapped[str] = mapped_column(String(64), default="", server_default="")
    brand: Mapped[str] = mapped_column(String(255), default="", server_default="")
    url: Mapped[str] = mapped_column(String(2048), default="", server_default="")
    image_url: Mapped[str] = mapped_column(String(2048), default="", server_default="")


class RatingAggregate(Base):
    """Star counts of published, undeleted reviews for one scope of a shop.

    scope 'product' with a product_id (product "0" is the store), 'all_products', 'all'.
    Kept current in the transaction of every review write, so ratings never scan reviews.
    """

    __tablename__ = "rating_aggregates"

    shop_id: Mapped[str] = mapped_column(
        ForeignKey("shops.shop_id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    star1_count: Mapped[int] = mapped_column(Integer, default=0)
    star2_count: Mapped[int] = mapped_column(Integer, default=0)
    star3_count: Mapped[int] = mapped_column(Integer, default=0)
    star4_count: Mapped[int] = mapped_column(Integer, default=0)
    star5_count: Mapped[int] = mapped_column(Integer, default=0)
