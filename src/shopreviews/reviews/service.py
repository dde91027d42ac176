"""Review rules: validation beyond shapes, aggregates and events in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.events import service as events
from shopreviews.kit import locks
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import InvalidArgument, NotFound
from shopreviews.kit.pagination import Pagination
from shopreviews.kit.read_cache import cached_service
from shopreviews.kit.timefmt import display, rfc3339
from shopreviews.media import service as media
from shopreviews.reviews import cursor as review_cursor
from shopreviews.reviews.models import STORE_PRODUCT_ID as STORE_PRODUCT_ID
from shopreviews.reviews.models import Product, Review
from shopreviews.reviews.query import ListRequest, RatingTarget, ReviewRequest
from shopreviews.reviews.repository import AnyRow, ReviewRepository
from shopreviews.reviews.schemas import (
    MediaOut,
    RatingOut,
    ReplyOut,
    ReviewOut,
    ReviewPage,
    ReviewPagination,
    ReviewUpdate,
)
from shopreviews.reviews.schemas import ReviewCreate as ReviewCreate

MAX_FUTURE = timedelta(hours=24)


def to_out(review: Review | AnyRow, product: Product | AnyRow | None) -> ReviewOut:
    """The API form of a review: from an ORM object (writes) or a plain row (reads)."""
    reply = None
    if review.reply_content:
        reply = ReplyOut(content=review.reply_content, reply_at=display(review.reply_at))
    is_store = review.product_id == STORE_PRODUCT_ID
    return ReviewOut(
        id=str(review.id),
        product_id=review.product_id,
        product_handle="" if is_store or product is None else product.handle,
        product_title="" if is_store or product is None else product.title,
        order_id=review.order_id,
        rating=review.rating,
        author=review.author,
        author_email=review.author_email,
        author_phone=review.author_phone,
        author_country=review.author_country,
        title=review.title,
        content=review.content,
        commented_at=display(review.commented_at),
        item_type=review.item_type,
        source=review.source,
        tag=review.tag,
        is_verified=int(review.is_verified),
        is_featured=int(review.is_featured),
        is_published=int(review.is_published),
        is_top=int(review.is_top),
        media=[MediaOut(**m) for m in review.media or []],
        reply=reply,
        created_at=rfc3339(review.created_at),
        updated_at=rfc3339(review.updated_at),
    )


async def _out(repo: ReviewRepository, review: Review | AnyRow) -> ReviewOut:
    products = await repo.products({review.product_id})
    return to_out(review, products.get(review.product_id))


# The three reads below are answered from the read cache, keyed by their request.


@cached_service
async def get(session: AsyncSession, caller: Caller, request: ReviewRequest) -> ReviewOut:
    repo = ReviewRepository(session, caller.shop_id)
    review = await repo.get_row(request.review_id)
    if review is None:
        raise NotFound(f"review {request.review_id} not found", prefixed=False)
    return await _out(repo, review)


@cached_service
async def list_reviews(session: AsyncSession, caller: Caller, request: ListRequest) -> ReviewPage:
    """A page by number, or (with a cursor) the page after the one that gave the cursor; either
    way `next_cursor` names the next page. One row more than the page is read to know."""
    flt, page, cursor = request.filter, request.page, request.cursor
    repo = ReviewRepository(session, caller.shop_id)
    count = await repo.count(flt)
    after = review_cursor.decode(cursor, flt.sort_by) if cursor else None
    rows: Sequence[AnyRow] = []
    if after is not None or page.offset < count:
        rows = await repo.page(flt, offset=page.offset, limit=page.page_size + 1, after=after)
    more = len(rows) > page.page_size
    rows = rows[: page.page_size]
    products = await repo.products({r.product_id for r in rows if r.product_id != STORE_PRODUCT_ID})
    return ReviewPage(
        page=ReviewPagination(
            **Pagination.of(page, count).model_dump(),
            next_cursor=_cursor_after(flt.sort_by, rows[-1]) if more else "",
        ),
        list=[to_out(r, products.get(r.product_id)) for r in rows],
    )


def _cursor_after(sort_by: str, row: AnyRow) -> str:
    """The cursor of the page that starts after `row`."""
    return review_cursor.encode(
        review_cursor.Position(sort_by, row.rating, row.commented_at, row.id)
    )


# How a review was collected (Review.collected_via): the partner API and everything else,
# the review-request email form, the storefront's web review form, an import.
COLLECTED_VIA = ("api", "email_request", "storefront", "import")


async def create(
    ctx: AppContext,
    session: AsyncSession,
    shop_id: str,
    body: ReviewCreate,
    *,
    collected_via: str = "api",
) -> ReviewOut:
    """Create a review of the shop: its media checked against this server's uploads, the
    rating aggregates adjusted and `review/created` recorded, in the caller's transaction."""
    if collected_via not in COLLECTED_VIA:
        raise ValueError(f"unknown collection method {collected_via!r}")
    now = ctx.now_datetime()
    commented_at: datetime = body.commented_at or now
    if commented_at > now + MAX_FUTURE:
        raise InvalidArgument("commented_at must not be more than 24 hours in the future")
    reply_content = body.reply.content if body.reply and body.reply.content else None
    reply_at = (body.reply.reply_at or now) if reply_content and body.reply else None

    repo = ReviewRepository(session, shop_id)
    if body.product_id != STORE_PRODUCT_ID:
        await repo.upsert_product(
            body.product_id, handle=body.product_handle, title=body.product_title
        )
    review = await repo.add(
        Review(
            shop_id=shop_id,
            product_id=body.product_id,
            order_id=body.order_id or "",
            rating=body.rating,
            author=body.author,
            author_email=body.author_email or "",
            author_phone=body.author_phone or "",
            author_country=body.author_country or "",
            title=body.title or "",
            content=body.content or "",
            commented_at=commented_at,
            item_type=body.item_type or "",
            source=body.source or "Open API",
            collected_via=collected_via,
            tag=body.tag or "",
            is_verified=body.is_verified,
            is_featured=body.is_featured,
            is_published=body.is_published,
            is_top=body.is_top,
            media=await media.review_media_check(ctx, session)(shop_id, body.media),
            reply_content=reply_content,
            reply_at=reply_at,
            created_at=now,
            updated_at=now,
        )
    )
    if review.is_published:
        await repo.adjust_rating(review.product_id, review.rating, +1)
    out = await _out(repo, review)
    await events.record(session, shop_id, "review/created", out.model_dump(), now=now)
    return out


async def products_reviewed_for_order(
    session: AsyncSession, shop_id: str, order_id: str, source: str
) -> set[str]:
    """Products that already have a live review of this order from this source."""
    return await ReviewRepository(session, shop_id).products_reviewed_for_order(order_id, source)


async def lock_author(session: AsyncSession, shop_id: str, email: str) -> None:
    """Serialise, until commit, the review writes of one author's address in a shop, so that
    "has this address reviewed it yet?" stays true until the new review is in (kit/locks.py:
    no unique index can say it, older reviews may hold duplicates)."""
    await locks.hold(session, f"review-author:{shop_id}:{email.lower()}")


async def author_reviewed(session: AsyncSession, shop_id: str, product_id: str, email: str) -> bool:
    """Whether a live review of `product_id` ("0": the store) has this author address,
    published or not, compared without case."""
    return await ReviewRepository(session, shop_id).author_reviewed(product_id, email)


async def delete(session: AsyncSession, caller: Caller, review_id: int, *, now: datetime) -> None:
    repo = ReviewRepository(session, caller.shop_id)
    review = await repo.get(review_id, for_update=True)
    if review is None:
        raise NotFound(f"review {review_id} not found", prefixed=False)
    out = await _out(repo, review)
    review.deleted_at = now
    if review.is_published:
        await repo.adjust_rating(review.product_id, review.rating, -1)
    await session.flush()
    await events.record(
        session,
        caller.shop_id,
        "review/deleted",
        out.model_dump(),
        now=now,
        reason="deleted",
    )


async def update(
    session: AsyncSession, caller: Caller, body: ReviewUpdate, *, now: datetime
) -> ReviewOut:
    """Apply the given fields; events and aggregates only when something really changed."""
    repo = ReviewRepository(session, caller.shop_id)
    review = await repo.get(body.review, for_update=True)
    if review is None:
        raise NotFound(f"review {body.review} not found", prefixed=False)
    was_published = review.is_published
    changes: dict[str, Any] = {}
    for name in ("is_verified", "is_featured", "is_published", "is_top", "title", "content"):
        value = getattr(body, name)
        if value is not None and value != getattr(review, name):
            changes[name] = value
    if "reply" in body.model_fields_set:
        if body.reply is None:
            if review.reply_content is not None:
                changes.update(reply_content=None, reply_at=None)
        else:
            reply_at = body.reply.reply_at or now
            if body.reply.content != review.reply_content or (
                body.reply.reply_at is not None and reply_at != review.reply_at
            ):
                changes.update(reply_content=body.reply.content, reply_at=reply_at)
    if not changes:
        return await _out(repo, review)

    for name, value in changes.items():
        setattr(review, name, value)
    review.updated_at = now
    if was_published != review.is_published:
        await repo.adjust_rating(
            review.product_id, review.rating, +1 if review.is_published else -1
        )
    await session.flush()
    out = await _out(repo, review)
    item = out.model_dump()
    await events.record(session, caller.shop_id, "review/updated", item, now=now)
    if was_published and not review.is_published:
        await events.record(
            session, caller.shop_id, "review/deleted", item, now=now, reason="hidden"
        )
    return out


def rating_value(stars: list[int]) -> RatingOut:
    count = sum(stars)
    total = sum((i + 1) * n for i, n in enumerate(stars))
    if count == 0:
        value = "0"
    else:
        tenths = (20 * total + count) // (2 * count)  # round half up, integers only
        value = f"{tenths // 10}.{tenths % 10}"
    return RatingOut(
        rating_value=value,
        review_count=count,
        star1_count=stars[0],
        star2_count=stars[1],
        star3_count=stars[2],
        star4_count=stars[3],
        star5_count=stars[4],
    )


@cached_service
async def rating(session: AsyncSession, caller: Caller, target: RatingTarget) -> RatingOut:
    repo = ReviewRepository(session, caller.shop_id)
    if target.handle is not None:
        product_ids = await repo.product_ids_by_handle(target.handle)
        stars = await repo.rating("product", product_ids) if product_ids else [0] * 5
    else:
        stars = await repo.rating(target.scope, [target.product_id])
    return rating_value(stars)
