"""A review's API form (the Review object of docs/api.md), from an ORM object or a plain row:
shared by the reads of service.py and the writes of changes.py."""

from __future__ import annotations

from shopreviews.kit.timefmt import display, rfc3339
from shopreviews.reviews.models import STORE_PRODUCT_ID, Product, Review
from shopreviews.reviews.repository import AnyRow, ReviewRepository
from shopreviews.reviews.schemas import MediaOut, ReplyOut, ReviewOut


def product_names(review: Review | AnyRow, product: Product | AnyRow | None) -> tuple[str, str]:
    """(handle, title) of the review's product; empty for a store review or an unknown one."""
    if review.product_id == STORE_PRODUCT_ID or product is None:
        return "", ""
    return product.handle, product.title


def reply_of(review: Review | AnyRow) -> ReplyOut | None:
    if not review.reply_content:
        return None
    return ReplyOut(content=review.reply_content, reply_at=display(review.reply_at))


def to_out(review: Review | AnyRow, product: Product | AnyRow | None) -> ReviewOut:
    """The API form of a review: from an ORM object (writes) or a plain row (reads)."""
    handle, title = product_names(review, product)
    return ReviewOut(
        id=str(review.id),
        product_id=review.product_id,
        product_handle=handle,
        product_title=title,
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
        reply=reply_of(review),
        created_at=rfc3339(review.created_at),
        updated_at=rfc3339(review.updated_at),
    )


async def out(repo: ReviewRepository, review: Review | AnyRow) -> ReviewOut:
    products = await repo.products({review.product_id})
    return to_out(review, products.get(review.product_id))
