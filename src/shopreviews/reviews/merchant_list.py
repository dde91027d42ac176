"""The merchant's list of a shop's reviews (the back office): every review whatever its state,
by keyset pages only (never an offset, never a count of all rows), each with its moderation
state; and the number of reviews waiting for a decision, counted only up to a cap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.reviews import cursor as review_cursor
from shopreviews.reviews.models import STORE_PRODUCT_ID
from shopreviews.reviews.repository import SORTS, AnyRow, ReviewFilter, ReviewRepository
from shopreviews.reviews.schemas import ReviewOut
from shopreviews.reviews.shapes import to_out

# The list's sort orders: those of get_reviews (the storefront's `featured` is not one).
MERCHANT_SORTS = SORTS
RATING_SORTS = ("rating-descending", "rating-ascending")
PENDING = ReviewFilter(published=False, decided=False)


@dataclass(frozen=True)
class MerchantReview:
    review: ReviewOut
    status: str  # published, pending (never decided) or hidden


@dataclass(frozen=True)
class MerchantPage:
    reviews: list[MerchantReview]
    next_cursor: str  # "" on the last page


def status_of(row: AnyRow) -> str:
    if row.is_published:
        return "published"
    return "pending" if row.moderated_at is None else "hidden"


async def merchant_page(
    session: AsyncSession, shop_id: str, flt: ReviewFilter, cursor: str | None, page_size: int
) -> MerchantPage:
    """The page of `flt` that starts after `cursor` (the first without one); code 3 for a
    cursor that is not one of ours or belongs to another sort order."""
    if flt.sort_by not in MERCHANT_SORTS:
        raise ValueError(f"not a list order: {flt.sort_by}")
    repo = ReviewRepository(session, shop_id)
    after = review_cursor.decode(cursor, flt.sort_by) if cursor else None
    # One row more than the page says whether there is a next page, without counting.
    if flt.sort_by in RATING_SORTS:
        rows: Sequence[AnyRow] = await repo.page_by_rating(flt, limit=page_size + 1, after=after)
    elif flt.published is None and (flt.product_ids or flt.product_handle is not None):
        rows = await repo.page_by_state(flt, limit=page_size + 1, after=after)
    else:
        rows = await repo.page(flt, offset=0, limit=page_size + 1, after=after)
    more = len(rows) > page_size
    rows = rows[:page_size]
    products = await repo.products({r.product_id for r in rows if r.product_id != STORE_PRODUCT_ID})
    next_cursor = ""
    if more:
        last = rows[-1]
        position = review_cursor.Position(flt.sort_by, last.rating, last.commented_at, last.id)
        next_cursor = review_cursor.encode(position)
    return MerchantPage(
        [MerchantReview(to_out(r, products.get(r.product_id)), status_of(r)) for r in rows],
        next_cursor,
    )


async def pending_count(session: AsyncSession, shop_id: str, cap: int) -> int:
    """Reviews waiting for a decision, counted up to `cap` (a badge: "99+" needs no more)."""
    return await ReviewRepository(session, shop_id).count_up_to(PENDING, cap)


async def products_named(session: AsyncSession, shop_id: str, name: str) -> tuple[str, ...]:
    """Product ids a merchant may mean by `name`: the products whose catalogue handle it is
    (ignoring case), and `name` itself as a product id."""
    by_handle = await ReviewRepository(session, shop_id).product_ids_by_handle(name)
    return tuple(dict.fromkeys([name, *by_handle]))
