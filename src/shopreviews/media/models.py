"""Uploaded media files: one row per object a shop uploaded and the server checked."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.models import Base, BigId, UTCDateTime

if TYPE_CHECKING:
    from shopreviews.media.images import ProcessedImage

IMAGE = "image"
VIDEO = "video"


class MediaUpload(Base):
    """A stored object: recorded at upload (local backend) or when first used in a review
    (s3 backend, after a HEAD of the object), so later uses need no storage request."""

    __tablename__ = "media_uploads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(
        ForeignKey("shops.shop_id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(512), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # image or video
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Images only: the generated JPEG thumbnail, stored beside the original.
    thumbnail_key: Mapped[str | None] = mapped_column(String(600), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @classmethod
    def for_image(
        cls, key: str, image: ProcessedImage, thumbnail_key: str, *, created_at: datetime
    ) -> MediaUpload:
        """The record of a processed image stored under `key` (its first segment: the shop)."""
        return cls(
            shop_id=key.split("/", 1)[0],
            key=key,
            kind=IMAGE,
            content_type=image.content_type,
            size=len(image.data),
            width=image.width,
            height=image.height,
            thumbnail_key=thumbnail_key,
            created_at=created_at,
        )


class UploadPolicy(Base):
    """An image upload policy given to a shop's storefront (docs/storefront.md §3.1): its key
    prefix (`dir`, its own for each policy) and how many files may be uploaded under it. The
    partner API's policies are not recorded."""

    __tablename__ = "upload_policies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(
        ForeignKey("shops.shop_id", ondelete="CASCADE"), index=True
    )
    dir: Mapped[str] = mapped_column(String(512), unique=True)
    max_files: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
