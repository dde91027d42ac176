"""A merchant's change to reviews: update_review, moderate_review and the back office's actions
(one review or a page of them) all apply theirs here, so each has the same effects in the
caller's transaction: rating aggregates, `moderated_at`, and the `review/updated` (and, when a
published review is hidden, `review/deleted`) events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.events import service as events
from shopreviews.kit.envelope import InvalidArgument, NotFound
from shopreviews.reviews.models import Review
from shopreviews.reviews.repository import ReviewRepository
from shopreviews.reviews.schemas import ReviewOut
from shopreviews.reviews.shapes import out

# The most reviews one bulk change names: a page of the back office's list (25) with room.
MAX_BULK = 100
MAX_TAG = 255


@dataclass(frozen=True)
class ReplyEdit:
    """A new reply (`content`, and `reply_at`, now when None), or its removal (content None)."""

    content: str | None
    reply_at: datetime | None = None


@dataclass(frozen=True)
class ReviewChange:
    """What one change sets; None leaves a field as it is."""

    is_verified: bool | None = None
    is_featured: bool | None = None
    is_published: bool | None = None
    is_top: bool | None = None
    title: str | None = None
    content: str | None = None
    tag: str | None = None  # "" clears it
    reply: ReplyEdit | None = None
    # The index of one media item in the review's `media` list, to stop showing it.
    hide_media: int | None = None

    def __post_init__(self) -> None:
        if all(getattr(self, f.name) is None for f in fields(self)):
            raise ValueError("a change must change something")
        if self.tag is not None and len(self.tag) > MAX_TAG:
            raise InvalidArgument(f"tag must be at most {MAX_TAG} characters")


# The plain fields a change copies onto the row when they differ.
_PLAIN = ("is_verified", "is_featured", "is_published", "is_top", "title", "content", "tag")


async def change_one(
    session: AsyncSession, shop_id: str, review_id: int, change: ReviewChange, *, now: datetime
) -> ReviewOut:
    """Apply `change` to the shop's review `review_id`; code 5 when it is not the shop's live
    review (another shop's id answers exactly like an unknown one)."""
    repo = ReviewRepository(session, shop_id)
    review = await repo.get(review_id, for_update=True)
    if review is None:
        raise NotFound(f"review {review_id} not found", prefixed=False)
    return await _apply(repo, review, change, now)


async def change_many(
    session: AsyncSession,
    shop_id: str,
    review_ids: Sequence[int],
    change: ReviewChange,
    *,
    now: datetime,
) -> list[ReviewOut]:
    """Apply `change` to each of the shop's reviews `review_ids` (at most MAX_BULK), all or
    none: an id that is not the shop's live review is refused (code 5) before anything
    changes; the caller's transaction holds every change."""
    wanted = sorted(set(review_ids))
    if not wanted:
        raise InvalidArgument("choose at least one review")
    if len(wanted) > MAX_BULK:
        raise InvalidArgument(f"change at most {MAX_BULK} reviews at once")
    repo = ReviewRepository(session, shop_id)
    reviews = await repo.get_many(wanted)
    missing = set(wanted) - {r.id for r in reviews}
    if missing:
        raise NotFound(f"review {min(missing)} not found", prefixed=False)
    for review in reviews:
        _check(review, change)  # every review first: a refusal must leave all of them alone
    return [await _apply(repo, review, change, now) for review in reviews]


def _check(review: Review, change: ReviewChange) -> None:
    if change.hide_media is not None:
        count = len(review.media or [])
        if not 0 <= change.hide_media < count:
            raise InvalidArgument(
                f"hide_media must be the index of one of the review's {count} media items"
                + (f" (0 to {count - 1})" if count else "")
            )


def _changes(review: Review, change: ReviewChange, now: datetime) -> dict[str, Any]:
    """The columns `change` really changes, with their new values."""
    changes: dict[str, Any] = {}
    for name in _PLAIN:
        value = getattr(change, name)
        if value is not None and value != getattr(review, name):
            changes[name] = value
    if change.reply is not None:
        if change.reply.content is None:
            if review.reply_content is not None:
                changes.update(reply_content=None, reply_at=None)
        else:
            reply_at = change.reply.reply_at or now
            if change.reply.content != review.reply_content or (
                change.reply.reply_at is not None and reply_at != review.reply_at
            ):
                changes.update(reply_content=change.reply.content, reply_at=reply_at)
    if change.hide_media is not None:
        media = [dict(item) for item in review.media or []]
        if media[change.hide_media].get("is_published"):
            media[change.hide_media]["is_published"] = 0
            # A new list, so the JSON column is written; has_media follows the last photo.
            changes.update(media=media, has_media=any(m.get("is_published") for m in media))
    return changes


async def _apply(
    repo: ReviewRepository, review: Review, change: ReviewChange, now: datetime
) -> ReviewOut:
    """Events and aggregates only when something the Review object shows really changed."""
    _check(review, change)
    changes = _changes(review, change, now)
    if change.is_published is not None:
        # Publishing or hiding is a decision even when the flag stays: "hide" takes a pending
        # review to the hidden ones. Nothing the API shows changes, so no event for that alone.
        review.moderated_at = now
    if not changes:
        await repo.session.flush()
        return await out(repo, review)

    was_published = review.is_published
    for name, value in changes.items():
        setattr(review, name, value)
    review.updated_at = now
    if was_published != review.is_published:
        await repo.adjust_rating(
            review.product_id, review.rating, +1 if review.is_published else -1
        )
    await repo.session.flush()
    result = await out(repo, review)
    item = result.model_dump()
    await events.record(repo.session, repo.shop_id, "review/updated", item, now=now)
    if was_published and not review.is_published:
        await events.record(
            repo.session, repo.shop_id, "review/deleted", item, now=now, reason="hidden"
        )
    return result
