"""Routes of reviews and ratings (docs/api.md, "Reviews"): the partner API, and the merchant's
moderation with the merchant session ("Merchant moderation")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import CachedRead, Merchant, api_caller, cached_read
from shopreviews.kit.dependencies import Ctx, Query, ReadSession, WriteSession
from shopreviews.kit.envelope import (
    EmptyData,
    Envelope,
    InvalidArgument,
    NotFound,
    success_response,
)
from shopreviews.kit.openapi_params import PAGE, PAGE_SIZE, param, query_doc
from shopreviews.kit.pagination import PageRequest
from shopreviews.kit.params import QueryParams, parse_external_id, parse_flag, parse_id
from shopreviews.kit.routes import legacy_path, refuses
from shopreviews.reviews import service as review_service
from shopreviews.reviews.moderation import ReviewModeration
from shopreviews.reviews.query import ListRequest, RatingTarget, ReviewRequest
from shopreviews.reviews.repository import SORTS, ReviewFilter
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
MAX_KEYWORD = 200


def review_request(query: QueryParams) -> ReviewRequest:
    review_id = query.aliased("id", "review_id", parse=parse_id)
    if review_id is None:
        raise InvalidArgument("id is required")
    return ReviewRequest(review_id)


def review_filter(query: QueryParams) -> ReviewFilter:
    product_ids = [parse_external_id(v, "product_ids") for v in query.array("product_ids")]
    single = query.scalar("product_id")
    if single is not None:
        pid = parse_external_id(single, "product_id")
        if pid not in product_ids:
            product_ids.append(pid)
    ratings: list[int] = []
    for value in query.array("ratings"):
        if value not in ("1", "2", "3", "4", "5"):
            raise InvalidArgument("ratings must be integers from 1 to 5")
        if int(value) not in ratings:
            ratings.append(int(value))
    keyword = query.scalar("keyword")  # QueryParams refuses U+0000 in every value
    if keyword is not None and len(keyword) > MAX_KEYWORD:
        raise InvalidArgument(f"keyword must be at most {MAX_KEYWORD} characters")
    sources = query.array("sources")
    store = query.scalar("is_store_review")
    published_text = query.scalar("is_published")
    published: bool | None = True
    if published_text == "all":
        published = None
    elif published_text is not None:
        if published_text not in ("0", "1", "true", "false"):
            # parse_flag's message ("must be 0 or 1") would hide the `all` value.
            raise InvalidArgument("is_published must be 0, 1 or all")
        published = parse_flag(published_text, "is_published", query=True)
    sort_by = query.scalar("sort_by") or "created-descending"
    if sort_by not in SORTS:
        raise InvalidArgument(f"sort_by must be one of {', '.join(SORTS)}")
    return ReviewFilter(
        product_ids=tuple(product_ids),
        product_handle=query.scalar("product_handle"),
        is_store_review=None if store is None else parse_flag(store, "is_store_review", query=True),
        keyword=keyword,
        ratings=tuple(ratings),
        sources=tuple(sources),
        published=published,
        sort_by=sort_by,
    )


def list_request(query: QueryParams) -> ListRequest:
    return ListRequest(review_filter(query), PageRequest.from_query(query), query.scalar("cursor"))


def rating_target(query: QueryParams) -> RatingTarget:
    def flag(name: str) -> bool:
        value = query.scalar(name)
        return value is not None and parse_flag(value, name, query=True)

    # Precedence: the first rule that applies decides; the rest is ignored.
    if flag("is_all_rating"):
        return RatingTarget("all")
    if flag("is_all_products_rating"):
        return RatingTarget("all_products")
    if flag("is_store_rating"):
        return RatingTarget("product", "0")
    product_id = query.scalar("product_id")
    if product_id is not None:
        return RatingTarget("product", parse_external_id(product_id, "product_id"))
    handle = query.scalar("product_handle")
    if handle is not None:
        return RatingTarget("product", handle=handle)
    raise InvalidArgument(
        "give product_id, product_handle, is_store_rating, is_all_products_rating or is_all_rating"
    )


@router.get(
    "/api/v1/openapi/get_review",
    response_model=Envelope[ReviewOut],
    openapi_extra=query_doc(
        param("id", "review id (alias review_id)", required=True), param("review_id", "alias of id")
    ),
)
@refuses(NotFound)
async def get_review(read: ReadReviews) -> Response:
    """Get one review, published or not."""
    return await read.answer(review_service.get, review_request(read.query))


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
    param("sort_by", "order of the list", enum=list(SORTS)),
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
    return await read.answer(review_service.list_reviews, list_request(read.query))


@router.post("/api/v1/openapi/create_review", response_model=CreateReviewEnvelope)
async def create_review(
    body: ReviewCreate, caller: WriteReviews, session: WriteSession, ctx: Ctx
) -> CreateReviewEnvelope:
    """Create a review; its id is also given at the top level of the envelope."""
    review = await review_service.create(ctx, session, caller.shop_id, body)
    return CreateReviewEnvelope(id=review.id, data=review)


@router.post("/api/v1/openapi/delete_review", response_model=Envelope[EmptyData])
@refuses(NotFound)
async def delete_review(
    body: ReviewIdIn, caller: WriteReviews, session: WriteSession, ctx: Ctx
) -> Envelope[EmptyData]:
    """Delete a review (soft delete): gone from every read and from ratings."""
    await review_service.delete(session, caller, body.review, now=ctx.now_datetime())
    return Envelope(data=EmptyData())


@router.post("/api/v1/openapi/update_review", response_model=Envelope[ReviewOut])
@refuses(NotFound)
async def update_review(
    body: ReviewUpdate, caller: WriteReviews, session: WriteSession, ctx: Ctx
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
    return await read.answer(review_service.rating, rating_target(read.query))


# Named after the partner route it mirrors, which keeps its operation id get_reviews_....
@merchant_router.get(
    "/api/v1/merchant/get_reviews",
    name="get_reviews",
    response_model=Envelope[ReviewPage],
    openapi_extra=LIST_QUERY_DOC,
)
async def merchant_get_reviews(caller: Merchant, query: Query, session: ReadSession) -> Response:
    """The shop's reviews, as get_reviews answers them for the same query [ext]."""
    request = list_request(query)
    # Serialised as the cached get_reviews answer is, so both are the same bytes. Merchant
    # callers carry no data version, so nothing here is kept in the read cache.
    return success_response(await review_service.list_reviews(session, caller, request))


@merchant_router.post("/api/v1/merchant/moderate_review", response_model=Envelope[ReviewOut])
@refuses(NotFound)
async def moderate_review(
    body: ReviewModeration, caller: Merchant, session: WriteSession, ctx: Ctx
) -> Envelope[ReviewOut]:
    """Publish, hide, feature, pin, tag, reply, hide a photo; never the customer's text [ext]."""
    now = ctx.now_datetime()
    review = await review_service.moderate(session, caller, body.as_change(), body.review, now=now)
    return Envelope(data=review)
