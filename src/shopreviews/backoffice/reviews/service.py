"""The reviews pages' questions to the reviews domain: a page of the list, the pending badge,
the shop's rating, and the merchant's changes, one review or a page of them, through the same
service as the JSON moderate_review."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.backoffice.reviews.filters import MAX_TEXT, ListQuery
from shopreviews.backoffice.web import PageRefused
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import NotFound
from shopreviews.reviews import service as review_service
from shopreviews.reviews.service import MerchantPage, RatingOut, ReplyEdit, ReviewChange

PAGE_SIZE = 25
MAX_REPLY = 10_000
NOT_FOUND = (
    "That review is not one of your shop's reviews, or it has been deleted. Nothing was changed."
)
# The pending badge counts this far and then says "999+": its cost stays that of a page of rows
# in a shop with a million reviews waiting (decision 171).
PENDING_CAP = 999
# What a bulk action sets (its tag comes from the form).
BULK_ACTIONS = {
    "publish": ReviewChange(is_published=True),
    "hide": ReviewChange(is_published=False),
    "feature": ReviewChange(is_featured=True),
    "unfeature": ReviewChange(is_featured=False),
    "pin": ReviewChange(is_top=True),
    "unpin": ReviewChange(is_top=False),
}


@dataclass(frozen=True)
class ListView:
    page: MerchantPage
    pending: int  # up to PENDING_CAP + 1
    rating: RatingOut


def review_filter(query: ListQuery, product_ids: tuple[str, ...]) -> review_service.ReviewFilter:
    """The repository's filter of a list address (`product_ids`: what its product names)."""
    published: bool | None = None
    decided: bool | None = None
    if query.tab == "published":
        published = True
    elif query.tab in ("pending", "hidden"):
        published, decided = False, query.tab == "hidden"
    commented_from, commented_before = query.commented_range()
    return review_service.ReviewFilter(
        product_ids=product_ids,
        keyword=query.keyword,
        author_email=query.email,
        ratings=query.ratings,
        sources=(query.source,) if query.source else (),
        published=published,
        decided=decided,
        unanswered=query.tab == "unanswered",
        with_media=query.tab == "media",
        commented_from=commented_from,
        commented_before=commented_before,
        sort_by=query.sort_by,
    )


async def list_view(session: AsyncSession, caller: Caller, query: ListQuery) -> ListView:
    """The list page's rows (code 3 for a cursor that is not one of ours), the pending badge
    and the shop's rating."""
    shop_id = caller.shop_id
    product_ids = (
        await review_service.products_named(session, shop_id, query.product)
        if query.product
        else ()
    )
    flt = review_filter(query, product_ids)
    page = await review_service.merchant_page(session, shop_id, flt, query.after or None, PAGE_SIZE)
    pending = await review_service.pending_count(session, shop_id, PENDING_CAP + 1)
    rating = await review_service.shop_rating(session, shop_id)
    return ListView(page, pending, rating)


def _tag(text: str) -> str:
    tag = text.strip()
    if len(tag) > MAX_TEXT:
        raise PageRefused(f"A tag must be at most {MAX_TEXT} characters.", 400)
    return tag


def change_for(action: str, *, tag: str = "", reply: str = "", media: str = "") -> ReviewChange:
    """The change a review's action button asks for (a 400 page for a form we never sent)."""
    if action in BULK_ACTIONS:
        return BULK_ACTIONS[action]
    if action == "tag":
        return ReviewChange(tag=_tag(tag))
    if action == "reply":
        text = reply.strip()
        if not text:
            raise PageRefused("Write the reply first. To take a reply away, use Remove reply.", 400)
        if len(text) > MAX_REPLY:
            raise PageRefused(f"A reply must be at most {MAX_REPLY:,} characters.", 400)
        return ReviewChange(reply=ReplyEdit(text))
    if action == "remove_reply":
        return ReviewChange(reply=ReplyEdit(None))
    if action == "hide_media" and media.isdigit() and len(media) < 4:
        return ReviewChange(hide_media=int(media))
    raise PageRefused("That is not one of the review actions. Reload the page and try again.", 400)


def bulk_change_for(action: str, tag: str) -> ReviewChange:
    if action in BULK_ACTIONS:
        return BULK_ACTIONS[action]
    if action == "tag":
        return ReviewChange(tag=_tag(tag))
    raise PageRefused(
        "Choose what to do with the reviews: publish, hide, feature, pin or tag.", 400
    )


async def change_one(
    ctx: AppContext, session: AsyncSession, caller: Caller, review_id: int, change: ReviewChange
) -> None:
    """One review's change; a 404 page when it is not the shop's live review (another shop's
    review is answered exactly as an unknown one)."""
    try:
        await review_service.moderate(session, caller, change, review_id, now=ctx.now_datetime())
    except NotFound:
        raise PageRefused(NOT_FOUND, 404) from None


async def change_many(
    ctx: AppContext,
    session: AsyncSession,
    caller: Caller,
    review_ids: Sequence[int],
    change: ReviewChange,
) -> int:
    """The same change of several reviews in the request's one transaction, all or none (a
    404 page, nothing changed, when one is not the shop's live review); how many it named."""
    if len(set(review_ids)) > review_service.MAX_BULK:
        raise PageRefused(f"Change at most {review_service.MAX_BULK} reviews at once.", 400)
    try:
        changed = await review_service.moderate_many(
            session, caller, change, review_ids, now=ctx.now_datetime()
        )
    except NotFound:
        raise PageRefused(NOT_FOUND, 404) from None
    return len(changed)
