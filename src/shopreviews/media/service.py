"""What other domains may ask of media: checking the media items of a review against this
server's uploads (media/review_media.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.context import AppContext
from shopreviews.media.review_media import ReviewMedia

ReviewMediaCheck = Callable[[str, list[dict[str, Any]]], Awaitable[list[dict[str, Any]]]]


def review_media_check(ctx: AppContext, session: AsyncSession) -> ReviewMediaCheck:
    """Resolves a review's media items (shop_id, items) to stored uploads, in `session`."""
    return ReviewMedia(ctx, session).resolve
