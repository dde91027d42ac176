"""Routes of the storefront's public reads (docs/storefront.md): reviews, ratings, Trustoo's
badge answer, the server-rendered fragment, JSON-LD and the Google product reviews feed. No
credentials: public data of active shops, CORS `*`, cacheable, limited per shop and client IP."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from email.utils import format_datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import StreamingResponse

from shopreviews.kit.dependencies import Ctx, Query, ReadSession
from shopreviews.kit.envelope import (
    ApiError,
    Envelope,
    InvalidArgument,
    NotFound,
    RateLimited,
    success_json,
)
from shopreviews.kit.openapi_params import PAGE, param, query_doc
from shopreviews.kit.params import QueryParams, parse_external_id, parse_flag, parse_positive_int
from shopreviews.kit.routes import refuses, revalidated
from shopreviews.storefront import service as storefront_service
from shopreviews.storefront.schemas import (
    CORS,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_PRODUCTS,
    PUBLIC_CACHE,
    FeedQuery,
    HandleRatingOut,
    HandlesQuery,
    ProductQuery,
    ProductRatingList,
    PublicAnswer,
    PublicRatingOut,
    PublicRead,
    PublicReviewPage,
    Q,
    RatingQuery,
    RatingsQuery,
    ReviewsQuery,
)

router = APIRouter(tags=["storefront"])

Domain = Annotated[str, Path(description="the shop's myshopify domain (case-insensitive)")]
ProductId = Annotated[str, Path(description="the product id (0: the store reviews)")]
MEDIA_TYPES = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "jsonld": "application/ld+json",
}


def _read(domain: str, request: Request, query: Q) -> PublicRead[Q]:
    return PublicRead(
        domain=domain,
        query=query,
        # The TCP peer (uvicorn --proxy-headers makes it the real client behind a proxy).
        client_ip=request.client.host if request.client else "",
        if_none_match=request.headers.get("if-none-match", ""),
        if_modified_since=request.headers.get("if-modified-since", ""),
    )


async def _public(answer: Callable[[], Awaitable[PublicAnswer]]) -> Response:
    """The answer with the public headers; a refusal carries CORS too, so a shop's page can
    read why (codes 3, 5, 8): the request is read inside, so bad parameters are covered."""
    try:
        done = await answer()
    except ApiError as exc:
        exc.headers.update(CORS)
        raise
    headers = {"ETag": done.etag, "Cache-Control": PUBLIC_CACHE, **CORS}
    if done.body is None:
        return Response(status_code=304, headers=headers)
    if done.kind == "json":
        return success_json(done.body, headers=headers)
    return Response(done.body, headers=headers, media_type=MEDIA_TYPES[done.kind])


def _product(query: QueryParams) -> str | None:
    """product_id, or is_store_review=1 (the store: "0"), or neither (None: the whole shop)."""
    store = query.scalar("is_store_review")
    if store is not None and parse_flag(store, "is_store_review", query=True):
        return storefront_service.STORE
    product_id = query.scalar("product_id")
    return None if product_id is None else parse_external_id(product_id, "product_id")


def reviews_query(query: QueryParams) -> ReviewsQuery:
    ratings: list[int] = []
    for value in query.array("rating"):
        if value not in ("1", "2", "3", "4", "5"):
            raise InvalidArgument("rating must be integers from 1 to 5 (one, or a comma list)")
        if int(value) not in ratings:
            ratings.append(int(value))
    media = query.scalar("with_media")
    sort_by = query.scalar("sort_by") or storefront_service.FEATURED
    if sort_by not in storefront_service.PUBLIC_SORTS:
        raise InvalidArgument(
            f"sort_by must be one of {', '.join(storefront_service.PUBLIC_SORTS)}"
        )
    page = parse_positive_int(query.scalar("page"), "page", 1)
    if page > 10**12:
        raise InvalidArgument("page must be at most 1000000000000")
    size = parse_positive_int(query.scalar("page_size"), "page_size", DEFAULT_PAGE_SIZE)
    return ReviewsQuery(
        product_id=_product(query),
        ratings=tuple(sorted(ratings, reverse=True)),
        with_media=media is not None and parse_flag(media, "with_media", query=True),
        sort_by=sort_by,
        page=page,
        page_size=min(size, MAX_PAGE_SIZE),
        cursor=query.scalar("cursor"),
    )


def ratings_query(query: QueryParams) -> RatingsQuery:
    ids = [parse_external_id(v, "product_ids") for v in query.array("product_ids")]
    if not ids:
        raise InvalidArgument(f"product_ids is required: 1 to {MAX_PRODUCTS} product ids")
    return RatingsQuery(tuple(dict.fromkeys(ids)))


def handles_query(query: QueryParams) -> tuple[str, HandlesQuery]:
    shop = query.scalar("shop")
    if shop is None:
        raise InvalidArgument("shop is required: the shop's myshopify domain")
    handles = [h.strip() for h in (query.verbatim("product_handle") or "").split(",")]
    handles = [h for h in handles if h]
    if not 1 <= len(handles) <= MAX_PRODUCTS:
        raise InvalidArgument(
            f"product_handle must be 1 to {MAX_PRODUCTS} handles, comma-separated"
        )
    return shop, HandlesQuery(tuple(handles))


_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})?$")


def _product_path(product_id: str, query: QueryParams | None = None) -> ProductQuery:
    """The product of the path, and (the fragment's) `lang`: the widget's language."""
    lang = (query.scalar("lang") if query is not None else None) or "en"
    if not _LANG.match(lang):
        raise InvalidArgument("lang must be a language tag such as en, de or pt-BR")
    return ProductQuery(parse_external_id(product_id, "product_id"), lang.lower())


LIST_DOC = query_doc(
    param("product_id", "one product's reviews; 0: the store reviews; absent: every review"),
    param("is_store_review", "1: the store reviews", enum=["0", "1"]),
    param("rating", "one star value or a comma list (5,4)"),
    param("with_media", "1: only reviews with a published photo or video", enum=["0", "1"]),
    param("sort_by", "order of the list", enum=list(storefront_service.PUBLIC_SORTS)),
    PAGE,
    param("page_size", f"records per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})"),
    param("cursor", "page.next_cursor of the previous page: keyset paging, page ignored"),
)


@router.get(
    "/api/v1/storefront/shops/{myshopify_domain}/reviews",
    response_model=Envelope[PublicReviewPage],
    openapi_extra=LIST_DOC,
)
@revalidated
@refuses(NotFound, RateLimited)
async def storefront_reviews(
    myshopify_domain: Domain, request: Request, query: Query, session: ReadSession, ctx: Ctx
) -> Response:
    """Published reviews of a shop, a product or the store, for its pages (public) [ext]."""
    return await _public(
        lambda: storefront_service.reviews(
            ctx, session, _read(myshopify_domain, request, reviews_query(query))
        )
    )


@router.get(
    "/api/v1/storefront/shops/{myshopify_domain}/rating",
    response_model=Envelope[PublicRatingOut],
    openapi_extra=query_doc(
        param("product_id", "one product (0: the store); absent: the whole shop"),
        param("is_store_review", "1: the store reviews", enum=["0", "1"]),
    ),
)
@revalidated
@refuses(NotFound, RateLimited)
async def storefront_rating(
    myshopify_domain: Domain, request: Request, query: Query, session: ReadSession, ctx: Ctx
) -> Response:
    """Rating of a product, the store or the shop, with the transparency notice's data [ext]."""
    return await _public(
        lambda: storefront_service.rating(
            ctx, session, _read(myshopify_domain, request, RatingQuery(_product(query)))
        )
    )


@router.get(
    "/api/v1/storefront/shops/{myshopify_domain}/ratings",
    response_model=Envelope[ProductRatingList],
    openapi_extra=query_doc(
        param("product_ids", f"1 to {MAX_PRODUCTS} product ids (any array form)", array=True)
    ),
)
@revalidated
@refuses(NotFound, RateLimited)
async def storefront_ratings(
    myshopify_domain: Domain, request: Request, query: Query, session: ReadSession, ctx: Ctx
) -> Response:
    """Ratings of up to 100 products in one request (a collection page's badges) [ext]."""
    return await _public(
        lambda: storefront_service.ratings(
            ctx, session, _read(myshopify_domain, request, ratings_query(query))
        )
    )


@router.get(
    "/api/v1/reviews/get_products_rating",
    response_model=Envelope[list[HandleRatingOut]],
    openapi_extra=query_doc(
        param("shop", "the shop's myshopify domain", required=True),
        param("product_handle", "1 to 100 handles, comma-separated", required=True),
    ),
)
@revalidated
@refuses(NotFound, RateLimited)
async def get_products_rating(
    request: Request, query: Query, session: ReadSession, ctx: Ctx
) -> Response:
    """Star badges by product handle, as Trustoo's storefront asks for them (public)."""

    def answer() -> Awaitable[PublicAnswer]:
        domain, handles = handles_query(query)
        return storefront_service.products_rating(ctx, session, _read(domain, request, handles))

    return await _public(answer)


@router.get(
    "/storefront/shops/{myshopify_domain}/products/{product_id}/reviews.html",
    # Not JSON envelopes: documented in docs/storefront.md, not in the API reference.
    include_in_schema=False,
)
async def storefront_reviews_html(
    myshopify_domain: Domain,
    product_id: ProductId,
    request: Request,
    query: Query,
    session: ReadSession,
    ctx: Ctx,
) -> Response:
    """Server-rendered reviews of a product: an HTML fragment for themes (public) [ext]."""
    return await _public(
        lambda: storefront_service.reviews_html(
            ctx, session, _read(myshopify_domain, request, _product_path(product_id, query))
        )
    )


@router.get(
    "/storefront/shops/{myshopify_domain}/products/{product_id}/reviews.jsonld",
    # Not JSON envelopes: documented in docs/storefront.md, not in the API reference.
    include_in_schema=False,
)
async def storefront_reviews_jsonld(
    myshopify_domain: Domain,
    product_id: ProductId,
    request: Request,
    session: ReadSession,
    ctx: Ctx,
) -> Response:
    """The schema.org Product JSON-LD of a product's reviews (public) [ext]."""
    return await _public(
        lambda: storefront_service.reviews_jsonld(
            ctx, session, _read(myshopify_domain, request, _product_path(product_id))
        )
    )


@router.get(
    "/feeds/shops/{myshopify_domain}/google-product-reviews.xml",
    # Not JSON envelopes: documented in docs/storefront.md, not in the API reference.
    include_in_schema=False,
)
async def google_product_reviews(
    myshopify_domain: Domain, request: Request, session: ReadSession, ctx: Ctx
) -> Response:
    """Every published product review in Google's Product Reviews Feed 2.4, streamed [ext]."""
    read = _read(myshopify_domain, request, FeedQuery())
    try:
        answer = await storefront_service.feed(ctx, session, read)
    except ApiError as exc:
        exc.headers.update(CORS)
        raise
    headers = {"ETag": answer.etag, "Cache-Control": PUBLIC_CACHE, **CORS}
    if answer.last_modified is not None:
        headers["Last-Modified"] = format_datetime(answer.last_modified, usegmt=True)
    if answer.chunks is None:
        return Response(status_code=304, headers=headers)
    return StreamingResponse(
        answer.chunks, headers=headers, media_type="application/xml; charset=utf-8"
    )
