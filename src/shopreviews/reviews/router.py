"""Routes of reviews and ratings (spec reviews.md): the partner API, and the merchant's
moderation with the merchant session ("Merchant moderation")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import (
    CachedRead,
    Ctx,
    Merchant,
    Query,
    Session,
    api_caller,
    cached_read,
)
from shopreviews.kit.envelope import EmptyData, Envelope, success_response
from shopreviews.kit.openapi_params import PAGE, PAGE_SIZE, param, query_doc
from shopreviews.kit.routes import legacy_path
from shopreviews.media.review_media import ReviewMedia
from shopreviews.reviews import query as review_query
from shopreviews.reviews import service as review_service
from shopreviews.reviews.moderation import ReviewModeration
from shopreviews.reviews.query import ListRequest, ReviewRequest
from shopreviews.reviews.schemas import (
    CreateReviewEnvelope,
    RatingOut,
    ReviewCreate,
    ReviewIdIn,
    ReviewOut,
    ReviewPage,
    ReviewUpdate,
)

router = APIRouter(tags=["reviews"])
merchant_router = APIRouter(tags=["merchant"])

ReadReviews = Annotated[CachedRead, Depends(cached_read("read_reviews"))]
WriteReviews = Annotated[Caller, Depends(api_caller("write_reviews"))]


@router.get(
    "/api/v1/openapi/get_review",
    response_model=Envelope[ReviewOut],
    openapi_extra=query_doc(
        param("id", "review id (alias review_id)", required=True), param("review_id", "alias of id")
    ),
)
async def get_review(read: ReadReviews) -> Response:
    """Get one review, published or not."""
    return await read.answer(review_service.get, ReviewRequest.of(read.query))


# The query of get_reviews, also read by the merchant's list (merchant_get_reviews).
LIST_QUERY_DOC = query_doc(
    param("product_ids", "product ids; 0 selects store reviews (any array form)", array=True),
    param("product_id", "one product id, added to product_ids"),
    param("product_handle", "catalogue handle, case-insensitive"),
    param("is_store_review", "1: only store reviews; 0: only product reviews", enum=["0", "1"]),
    param("keyword", "substring of title, content or author (≤ 200 characters)"),
    param("ratings", "ratings 1-5 (any array form)", array=True),
    param("sources", "sources, exact match ignoring ASCII case (any array form)", array=True),
    param("is_published", "1 (default), 0 or all", enum=["0", "1", "all"]),
    param("sort_by", "order of the list", enum=list(review_query.SORTS)),
    PAGE,
    PAGE_SIZE,
    param("cursor", "[ext] page.next_cursor of the previous page: keyset paging, page ignored"),
)


@router.get(
    "/api/v1/openapi/get_reviews", response_model=Envelope[ReviewPage], openapi_extra=LIST_QUERY_DOC
)
@legacy_path("/api/v1/openapi/get_review_list")
async def get_reviews(read: ReadReviews) -> Response:
    """List reviews with filters, sorting and pagination (alias get_review_list)."""
    return await read.answer(review_service.list_reviews, ListRequest.of(read.query))


@router.post("/api/v1/openapi/create_review", response_model=CreateReviewEnvelope)
async def create_review(
    body: ReviewCreate, caller: WriteReviews, session: Session, ctx: Ctx
) -> CreateReviewEnvelope:
    """Create a review; its id is also given at the top level of the envelope."""
    review = await review_service.create(
        session,
        caller,
        body,
        now=ctx.now_datetime(),
        check_media=ReviewMedia(ctx, session).resolve,
    )
    return CreateReviewEnvelope(id=review.id, data=review)


@router.post("/api/v1/openapi/delete_review", response_model=Envelope[EmptyData])
async def delete_review(
    body: ReviewIdIn, caller: WriteReviews, session: Session, ctx: Ctx
) -> Envelope[EmptyData]:
    """Delete a review (soft delete): gone from every read and from ratings."""
    await review_service.delete(session, caller, body.review, now=ctx.now_datetime())
    return Envelope(data=EmptyData())


@router.post("/api/v1/openapi/update_review", response_model=Envelope[ReviewOut])
async def update_review(
    body: ReviewUpdate, caller: WriteReviews, session: Session, ctx: Ctx
) -> Envelope[ReviewOut]:
    """Change flags, title, content or the reply of a review [ext]."""
    return Envelope(data=await review_service.update(session, caller, body, now=ctx.now_datetime()))


@router.get(
    "/api/v1/openapi/get_rating",
    response_model=Envelope[RatingOut],
    openapi_extra=query_doc(
        param("product_id", "one product (0: store reviews)"),
        param("product_handle", "one product by catalogue handle"),
        param("is_store_rating", "1: store reviews", enum=["0", "1"]),
        param("is_all_products_rating", "1: every product review", enum=["0", "1"]),
        param("is_all_rating", "1: every review", enum=["0", "1"]),
    ),
)
async def get_rating(read: ReadReviews) -> Response:
    """Average rating and star counts, from aggregates kept current on every write."""
    return await read.answer(review_service.rating, review_query.rating_target(read.query))


# Named after the partner route it mirrors, which keeps its operation id get_reviews_....
@merchant_router.get(
    "/api/v1/merchant/get_reviews",
    name="get_reviews",
    response_model=Envelope[ReviewPage],
    openapi_extra=LIST_QUERY_DOC,
)
async def merchant_get_reviews(caller: Merchant, query: Query, session: Session) -> Response:
    """The shop's reviews, as get_reviews answers them for the same query [ext]."""
    request = ListRequest.of(query)
    # Serialised as the cached get_reviews answer is, so both are the same bytes. Merchant
    # callers carry no data version, so nothing here is kept in the read cache.
    return success_response(await review_service.list_reviews(session, caller, request))


@merchant_router.post("/api/v1/merchant/moderate_review", response_model=Envelope[ReviewOut])
async def moderate_review(
    body: ReviewModeration, caller: Merchant, session: Session, ctx: Ctx
) -> Envelope[ReviewOut]:
    """Publish or hide, feature, pin, or reply to a review; never its customer's text [ext]."""
    review = await review_service.update(session, caller, body.as_update(), now=ctx.now_datetime())
    return Envelope(data=review)
