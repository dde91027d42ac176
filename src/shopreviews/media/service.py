"""What other domains may ask of media: checking the media items of a review against this
server's uploads (media/review_media.py), and the storefront's photo uploads (docs/storefront.md
§3.1): upload policies of their own, and the check of a web review's photos."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.storage import LocalStorage
from shopreviews.media import credentials, keys
from shopreviews.media.repository import UploadRepository
from shopreviews.media.review_media import ReviewMedia
from shopreviews.media.schemas import ImagePolicyOut as ImagePolicyOut

ReviewMediaCheck = Callable[[str, list[dict[str, Any]]], Awaitable[list[dict[str, Any]]]]

# A storefront policy: images only, each at most 10 MB (and within the operator's image
# limit), at most 5 files, valid 15 minutes; its photos are usable for an hour after upload.
STOREFRONT_MAX_BYTES = 10 * 1024 * 1024
STOREFRONT_MAX_FILES = 5
STOREFRONT_POLICY_SECONDS = 15 * 60
STOREFRONT_PHOTO_AGE = timedelta(hours=1)


def review_media_check(ctx: AppContext, session: AsyncSession) -> ReviewMediaCheck:
    """Resolves a review's media items (shop_id, items) to stored uploads, in `session`."""
    return ReviewMedia(ctx, session).resolve


async def storefront_image_policy(
    ctx: AppContext, session: AsyncSession, shop_id: str, content_type: str | None
) -> ImagePolicyOut:
    """Image upload credentials for a shop's storefront, recorded with their own key prefix
    so that uploads under it can be counted and web reviews can tell where a photo came from."""
    now = ctx.now_datetime()
    prefix = keys.new_dir(shop_id, now)
    answer = credentials.signed_image_policy(
        ctx,
        prefix,
        content_type,
        max_bytes=min(STOREFRONT_MAX_BYTES, ctx.settings.image_max_bytes),
        lifetime=STOREFRONT_POLICY_SECONDS,
    )
    await UploadRepository(session).add_policy(
        shop_id,
        prefix,
        max_files=STOREFRONT_MAX_FILES,
        now=now,
        expires_at=now + timedelta(seconds=STOREFRONT_POLICY_SECONDS),
    )
    return answer


def policy_dir(key: str) -> str:
    """The `dir` a key was issued under: its first five segments (media/keys.py)."""
    segments = key.split("/")
    return "/".join(segments[:5]) + "/" if len(segments) > 5 else ""


async def check_storefront_photos(
    ctx: AppContext, session: AsyncSession, shop_id: str, urls: Sequence[str], *, now: datetime
) -> None:
    """A web review's photos: each an upload of this shop made through one of its storefront
    policies within the last hour, else code 3 naming `media[i]`. The checks of every review's
    media (review_media.py) follow when the review is created."""
    uploads = UploadRepository(session)
    base = ctx.media_url + "/"
    local = isinstance(ctx.media_storage(), LocalStorage)
    for index, url in enumerate(urls):
        field = f"media[{index}]"
        key = url[len(base) :] if url.startswith(base) else ""
        recorded = await uploads.policy(policy_dir(key)) if key else None
        if recorded is None or recorded.shop_id != shop_id:
            raise InvalidArgument(
                f"{field} must be a photo uploaded through this shop's image_upload_policy"
            )
        upload = await uploads.by_key(key)
        # Local uploads are recorded when they arrive; an object in a bucket is recorded at its
        # first use, so its upload time is bounded by when its policy was issued.
        uploaded_at = upload.created_at if local and upload else recorded.created_at
        if uploaded_at < now - STOREFRONT_PHOTO_AGE:
            raise InvalidArgument(f"{field} was uploaded more than an hour ago")
        if upload is None and await uploads.count_under(recorded.dir) >= recorded.max_files:
            raise InvalidArgument(
                f"{field}: its upload policy allows at most {recorded.max_files} files"
            )
