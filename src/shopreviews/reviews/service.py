"""Review rules: validation beyond shapes, aggregates and events in the same transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import RootModel
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.events import service as events
from shopreviews.kit import locks
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import InvalidArgument, NotFound
from shopreviews.kit.pagination import PageRequest, Pagination
from shopreviews.kit.read_cache import cached_service
from shopreviews.kit.time_buckets import Granularity as Granularity
from shopreviews.kit.timefmt import display
from shopreviews.media import service as media
from shopreviews.reviews import catalogue, changes
from shopreviews.reviews import cursor as review_cursor
from shopreviews.reviews import repository as review_repository
from shopreviews.reviews.changes import MAX_BULK as MAX_BULK
from shopreviews.reviews.changes import ReplyEdit as ReplyEdit
from shopreviews.reviews.changes import ReviewChange as ReviewChange
from shopreviews.reviews.merchant_list import MERCHANT_SORTS as MERCHANT_SORTS
from shopreviews.reviews.merchant_list import MerchantPage as MerchantPage
from shopreviews.reviews.merchant_list import MerchantReview as MerchantReview
from shopreviews.reviews.merchant_list import merchant_page as merchant_page
from shopreviews.reviews.merchant_list import pending_count as pending_count
from shopreviews.reviews.merchant_list import products_named as products_named
from shopreviews.reviews.models import STORE_PRODUCT_ID as STORE_PRODUCT_ID
from shopreviews.reviews.models import Review
from shopreviews.reviews.query import HandleRatingsRequest as HandleRatingsRequest
from shopreviews.reviews.query import ListRequest, PublicListRequest, RatingTarget, ReviewRequest
from shopreviews.reviews.query import ProductRatingsRequest as ProductRatingsRequest
from shopreviews.reviews.query import PublicRatingRequest as PublicRatingRequest
from shopreviews.reviews.repository import AnyRow, ReviewRepository
from shopreviews.reviews.repository import ReviewFilter as ReviewFilter
from shopreviews.reviews.schemas import CatalogueOut as CatalogueOut
from shopreviews.reviews.schemas import HandleRatingOut as HandleRatingOut
from shopreviews.reviews.schemas import ProductRatingList as ProductRatingList
from shopreviews.reviews.schemas import (
    ProductRatingOut,
    PublicMediaOut,
    ReviewPage,
    ReviewPagination,
    ReviewUpdate,
)
from shopreviews.reviews.schemas import PublicRatingOut as PublicRatingOut
from shopreviews.reviews.schemas import PublicReviewOut as PublicReviewOut
from shopreviews.reviews.schemas import PublicReviewPage as PublicReviewPage
from shopreviews.reviews.schemas import RatingOut as RatingOut
from shopreviews.reviews.schemas import ReviewCreate as ReviewCreate
from shopreviews.reviews.schemas import ReviewOut as ReviewOut
from shopreviews.reviews.shapes import out as _out
from shopreviews.reviews.shapes import product_names as _product_names
from shopreviews.reviews.shapes import reply_of as _reply
from shopreviews.reviews.shapes import to_out as to_out
from shopreviews.shops import service as shops

MAX_FUTURE = timedelta(hours=24)


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
    found = await _read_page(ReviewRepository(session, caller.shop_id), flt, page, cursor)
    return ReviewPage(
        page=found.pagination,
        list=[to_out(r, found.products.get(r.product_id)) for r in found.rows],
    )


@dataclass(frozen=True)
class _FoundPage:
    pagination: ReviewPagination
    rows: Sequence[AnyRow]
    products: dict[str, AnyRow]


async def _read_page(repo: ReviewRepository, flt: Any, page: Any, cursor: str | None) -> _FoundPage:
    """The rows of a page by number, or after a cursor, with the catalogue rows they name; one
    row more than the page is read to know whether `next_cursor` names a next page."""
    count = await repo.count(flt)
    after = review_cursor.decode(cursor, flt.sort_by) if cursor else None
    rows: Sequence[AnyRow] = []
    if after is not None or page.offset < count:
        rows = await repo.page(flt, offset=page.offset, limit=page.page_size + 1, after=after)
    more = len(rows) > page.page_size
    rows = rows[: page.page_size]
    products = await repo.products({r.product_id for r in rows if r.product_id != STORE_PRODUCT_ID})
    pagination = ReviewPagination(
        **Pagination.of(page, count).model_dump(),
        next_cursor=_cursor_after(flt.sort_by, rows[-1]) if more else "",
    )
    return _FoundPage(pagination, rows, products)


def _cursor_after(sort_by: str, row: AnyRow) -> str:
    """The cursor of the page that starts after `row`."""
    rank = 0
    if sort_by == review_repository.FEATURED:
        rank = 4 * bool(row.is_top) + 2 * bool(row.is_featured) + bool(row.has_media)
    return review_cursor.encode(
        review_cursor.Position(sort_by, row.rating, row.commented_at, row.id, rank)
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

    checked_media = await media.review_media_check(ctx, session)(shop_id, body.media)
    repo = ReviewRepository(session, shop_id)
    if body.product_id != STORE_PRODUCT_ID:
        # An empty handle or title is "not given", like null: it never blanks the catalogue
        # entry, which every earlier review of the product shows.
        await repo.upsert_product(
            body.product_id,
            handle=body.product_handle or None,
            title=body.product_title if body.product_title and body.product_title.strip() else None,
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
            media=checked_media,
            has_media=any(item.get("is_published") for item in checked_media),
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


async def find(session: AsyncSession, shop_id: str, review_id: int) -> ReviewOut | None:
    """The shop's review `review_id` unless deleted, for a domain acting on the shop's behalf
    (the web review confirmation email)."""
    repo = ReviewRepository(session, shop_id)
    review = await repo.get(review_id)
    return None if review is None else await _out(repo, review)


async def verify(session: AsyncSession, shop_id: str, review_id: int, *, now: datetime) -> bool:
    """Mark the shop's review verified (its author confirmed the address of a matching order)
    with a `review/updated` event; False when the review is gone. Already verified: nothing
    changes and no event is recorded, so following the link again is harmless."""
    repo = ReviewRepository(session, shop_id)
    review = await repo.get(review_id, for_update=True)
    if review is None:
        return False
    if review.is_verified:
        return True
    review.is_verified = True
    review.updated_at = now
    await session.flush()
    out = await _out(repo, review)
    await events.record(session, shop_id, "review/updated", out.model_dump(), now=now)
    return True


async def delete(session: AsyncSession, caller: Caller, review_id: int, *, now: datetime) -> None:
    repo = ReviewRepository(session, caller.shop_id)
    review = await repo.get(review_id, for_update=True)
    if review is None:
        raise NotFound(f"review {review_id} not found", prefixed=False)
    out = await _out(repo, review)
    review.deleted_at = now
    review.updated_at = now  # the Google feed's Last-Modified sees deletions too
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
    """update_review: the given fields applied as every merchant change is (changes.py)."""
    reply = None
    if "reply" in body.model_fields_set:
        given = body.reply
        reply = ReplyEdit(None) if given is None else ReplyEdit(given.content, given.reply_at)
    change = ReviewChange(
        is_verified=body.is_verified,
        is_featured=body.is_featured,
        is_published=body.is_published,
        is_top=body.is_top,
        title=body.title,
        content=body.content,
        reply=reply,
    )
    return await changes.change_one(session, caller.shop_id, body.review, change, now=now)


async def moderate(
    session: AsyncSession, caller: Caller, change: ReviewChange, review_id: int, *, now: datetime
) -> ReviewOut:
    """A merchant's moderation of one review (moderate_review, the back office's actions)."""
    return await changes.change_one(session, caller.shop_id, review_id, change, now=now)


async def moderate_many(
    session: AsyncSession,
    caller: Caller,
    change: ReviewChange,
    review_ids: Sequence[int],
    *,
    now: datetime,
) -> list[ReviewOut]:
    """The same moderation of up to MAX_BULK reviews, all or none (the back office's bulk)."""
    return await changes.change_many(session, caller.shop_id, review_ids, change, now=now)


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


# --- the storefront's public reads (docs/storefront.md) ------------------------------------
# The same repository and aggregates as the partner API; only published, undeleted reviews,
# published media, and nothing merchant-only (the public shapes have no such field).

COLLECTION_METHODS = ("email_request", "storefront", "import", "api")
PUBLIC_SORTS = review_repository.PUBLIC_SORTS
FEATURED = review_repository.FEATURED
STORE = STORE_PRODUCT_ID


def public_list_request(
    *,
    product_id: str | None,
    ratings: tuple[int, ...],
    with_media: bool,
    sort_by: str,
    page: int,
    page_size: int,
    cursor: str | None,
    author_display: str,
) -> PublicListRequest:
    """The public list's request: published reviews of a product ("0": the store's) or of
    the whole shop (None)."""
    return PublicListRequest(
        ReviewFilter(
            product_ids=() if product_id is None else (product_id,),
            ratings=ratings,
            with_media=with_media,
            published=True,
            sort_by=sort_by,
        ),
        PageRequest(page, page_size),
        cursor,
        author_display,
    )


def display_author(name: str, mode: str) -> str:
    """The author as the shop shows it: "Jane Doe" is "Jane D." (first_last_initial), "Jane
    Doe" (full), "J. D." (initials) or "" (anonymous: the widget says it in its language).
    Initials are taken of the first and the last word; one word stays as it is ("Jane",
    "J.")."""
    words = name.split()
    if mode == "anonymous" or not words:
        return ""
    if mode == "full":
        return " ".join(words)
    if mode == "initials":
        return " ".join(f"{w[0]}." for w in (words[0], words[-1])[: len(words)])
    if len(words) == 1:
        return words[0]
    return f"{words[0]} {words[-1][0]}."


def to_public(review: AnyRow, product: AnyRow | None, author_display: str) -> PublicReviewOut:
    handle, title = _product_names(review, product)
    return PublicReviewOut(
        id=str(review.id),
        product_id=review.product_id,
        product_handle=handle,
        product_title=title,
        rating=review.rating,
        title=review.title,
        content=review.content,
        author=display_author(review.author, author_display),
        author_country=review.author_country,
        item_type=review.item_type,
        is_verified=int(review.is_verified),
        is_featured=int(review.is_featured),
        is_top=int(review.is_top),
        commented_at=display(review.commented_at),
        media=[
            PublicMediaOut(url=m["url"], thumbnail_url=m.get("thumbnail_url") or "", type=m["type"])
            for m in review.media or []
            if m.get("is_published")
        ],
        reply=_reply(review),
        collected_via=review.collected_via,
    )


@cached_service
async def public_reviews(
    session: AsyncSession, caller: Caller, request: PublicListRequest
) -> PublicReviewPage:
    """A page of published reviews (the filter is always published-only), as list_reviews
    reads it: by number or after a cursor, with `next_cursor`."""
    flt, page, cursor = request.filter, request.page, request.cursor
    assert flt.published is True
    found = await _read_page(ReviewRepository(session, caller.shop_id), flt, page, cursor)
    return PublicReviewPage(
        page=found.pagination,
        list=[
            to_public(r, found.products.get(r.product_id), request.author_display)
            for r in found.rows
        ],
    )


@cached_service
async def public_rating(
    session: AsyncSession, caller: Caller, request: PublicRatingRequest
) -> PublicRatingOut:
    """The Rating object of a product, the store ("0") or the whole shop (None), with the
    transparency notice's disclosure text and counts per collection method."""
    repo = ReviewRepository(session, caller.shop_id)
    if request.product_id is None:
        stars = await repo.rating("all")
    else:
        stars = await repo.rating("product", [request.product_id])
    counts = await repo.collected_via_counts(request.product_id)
    return PublicRatingOut(
        **rating_value(stars).model_dump(),
        reviews_disclosure=request.reviews_disclosure,
        collected_via={method: counts.get(method, 0) for method in COLLECTION_METHODS},
    )


@cached_service
async def product_ratings(
    session: AsyncSession, caller: Caller, request: ProductRatingsRequest
) -> ProductRatingList:
    """Ratings of several products from their aggregate rows, read in one statement."""
    found = await ReviewRepository(session, caller.shop_id).product_ratings(request.product_ids)
    return ProductRatingList(
        list=[
            ProductRatingOut(product_id=pid, **rating_value(found.get(pid, [0] * 5)).model_dump())
            for pid in request.product_ids
        ]
    )


class HandleRatings(RootModel[list[HandleRatingOut]]):
    """get_products_rating's `data`: an array, one entry per handle asked."""


@cached_service
async def handle_ratings(
    session: AsyncSession, caller: Caller, request: HandleRatingsRequest
) -> HandleRatings:
    found = await ReviewRepository(session, caller.shop_id).handle_ratings(request.handles)
    entries = []
    for handle in request.handles:
        rating = rating_value(found.get(handle.lower(), [0] * 5))
        entries.append(
            HandleRatingOut(
                product_handle=handle,
                rating=float(rating.rating_value),
                total_reviews=rating.review_count,
            )
        )
    return HandleRatings(entries)


async def catalogue_entry(session: AsyncSession, shop_id: str, product_id: str) -> CatalogueOut:
    """A product's catalogue fields ("" when unknown; every field "" but the id when the
    shop has no entry)."""
    found = await ReviewRepository(session, shop_id).catalogue({product_id})
    return _catalogue(product_id, found.get(product_id))


def _catalogue(product_id: str, row: AnyRow | None) -> CatalogueOut:
    if row is None:
        empty = dict.fromkeys(CatalogueOut.model_fields, "")
        return CatalogueOut(**{**empty, "product_id": product_id})
    return CatalogueOut(**row._asdict())


@dataclass(frozen=True)
class FeedReview:
    """One published product review as the Google feed names it."""

    review: PublicReviewOut
    catalogue: CatalogueOut


FEED_BATCH = 500


async def feed_reviews(
    session: AsyncSession, shop_id: str, author_display: str, *, batch: int | None = None
) -> AsyncIterator[list[FeedReview]]:
    """Every published product review of the shop, oldest first, in keyset batches of
    `batch` (FEED_BATCH; memory stays that of one batch whatever the shop's size)."""
    batch = batch or FEED_BATCH
    repo = ReviewRepository(session, shop_id)
    flt = ReviewFilter(is_store_review=False, published=True, sort_by="created-ascending")
    after: review_cursor.Position | None = None
    while True:
        rows = await repo.page(flt, offset=0, limit=batch, after=after)
        if not rows:
            return
        catalogue = await repo.catalogue({r.product_id for r in rows})
        items = []
        for r in rows:
            product = catalogue.get(r.product_id)
            items.append(
                FeedReview(
                    to_public(r, product, author_display),
                    _catalogue(r.product_id, product),
                )
            )
        yield items
        if len(rows) < batch:
            return
        last = rows[-1]
        after = review_cursor.Position("created-ascending", last.rating, last.commented_at, last.id)


async def fill_catalogue(
    session: AsyncSession, shop_id: str, products: Sequence[tuple[str, str, str, str]]
) -> None:
    """Products an order named, (product_id, title, handle, sku): each gets a catalogue entry,
    and what the entry does not know yet is filled in. A known value is never overwritten (the
    operator's and the partner API's win), and nothing is written when nothing is new."""
    repo = ReviewRepository(session, shop_id)
    known = await repo.catalogue({p[0] for p in products if p[0] != STORE_PRODUCT_ID})
    for product_id, title, handle, sku in products:
        if product_id == STORE_PRODUCT_ID:
            continue
        row = known.get(product_id)
        given = {"title": title, "handle": handle, "sku": sku}
        new = {k: v for k, v in given.items() if v and (row is None or not getattr(row, k))}
        if row is None or new:
            await repo.set_catalogue(product_id, new)


async def set_catalogue(
    session: AsyncSession, shop_id: str, product_id: str, fields: dict[str, str]
) -> CatalogueOut:
    """The operator's catalogue entry of a product: the given fields set ("" clears one), the
    entry created when missing; answers the whole entry. Code 3 naming a bad field, code 5
    for an unknown shop."""
    try:
        values = {name: catalogue.check(name, value) for name, value in fields.items()}
    except catalogue.BadField as exc:
        raise InvalidArgument(str(exc)) from None
    if product_id == STORE_PRODUCT_ID:
        raise InvalidArgument("product_id 0 names the store, which has no catalogue entry")
    if await shops.find(session, shop_id) is None:
        raise NotFound(f"shop {shop_id} not found", prefixed=False)
    await ReviewRepository(session, shop_id).set_catalogue(product_id, values)
    return await catalogue_entry(session, shop_id, product_id)


async def on_order_products(session: AsyncSession, seen: Any) -> None:
    """Receiver (wiring.py) of orders' OrderProductsSeen: fill the catalogue."""
    await fill_catalogue(session, seen.shop_id, seen.products)


async def last_change(session: AsyncSession, shop_id: str) -> datetime | None:
    """When a review of the shop last changed (the Google feed's Last-Modified)."""
    return await ReviewRepository(session, shop_id).last_change()


# --- the back office's insights -------------------------------------------------------------


async def shop_rating(session: AsyncSession, shop_id: str) -> RatingOut:
    """The shop's current rating over every published review, from its aggregate row."""
    return rating_value(await ReviewRepository(session, shop_id).rating("all"))


async def stars_by_bucket(
    session: AsyncSession, shop_id: str, start: datetime, end: datetime, granularity: Granularity
) -> dict[date, list[int]]:
    """Star counts [1..5] of the published reviews commented in [start, end), per bucket
    (its first day, UTC); buckets without a review are left out."""
    rows = await ReviewRepository(session, shop_id).stars_by_bucket(start, end, granularity)
    found: dict[date, list[int]] = {}
    for day, rating, count in rows:  # at most five rows per bucket, already counted in SQL
        found.setdefault(date.fromisoformat(day), [0] * 5)[rating - 1] += count
    return found


async def collected_between(
    session: AsyncSession, shop_id: str, via: str, start: datetime, end: datetime
) -> int:
    """Undeleted reviews collected by `via` (email_request, ...) commented in [start, end)."""
    return await ReviewRepository(session, shop_id).collected_between(via, start, end)
