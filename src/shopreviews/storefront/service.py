"""The storefront's public reads (docs/storefront.md): reviews, ratings, the badge answer of
Trustoo's storefront, the server-rendered fragment, JSON-LD and the Google feed.

Every answer is of an active shop found by its myshopify domain (code 5 otherwise), counted
against the per shop and client IP limit, and carries a strong ETag made of the shop's data
version, its display settings and the normalised request: a `If-None-Match` naming it is
answered 304 before anything is read. Answers are read through reviews.service (the partner
API's repository and rating aggregates) and kept by the read cache under the same key parts.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import pydantic_core
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import InvalidArgument
from shopreviews.reviews import service as review_service
from shopreviews.shops import service as shop_service
from shopreviews.storefront import seo
from shopreviews.storefront.schemas import (
    FeedAnswer,
    FeedQuery,
    HandlesQuery,
    Kind,
    ProductQuery,
    PublicAnswer,
    PublicRead,
    RatingQuery,
    RatingsQuery,
    ReviewsQuery,
)

PUBLIC_SORTS = review_service.PUBLIC_SORTS
FEATURED = review_service.FEATURED
STORE = review_service.STORE
A = TypeVar("A", bound=BaseModel)
R = TypeVar("R")


def _etag(shop: shop_service.PublicShop, what: str, request: Hashable) -> str:
    """A strong tag: the shop, its data version, every display setting and the request."""
    meaning = repr(
        (
            shop.shop_id,
            shop.data_version,
            shop.author_display,
            shop.reviews_disclosure,
            shop.name,
            what,
            request,
        )
    )
    return '"' + hashlib.sha256(meaning.encode()).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match names `etag` (weak comparison, as RFC 9110 says for it)."""
    for item in if_none_match.split(","):
        tag = item.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


async def _shop(ctx: AppContext, session: AsyncSession, read: PublicRead[Any]) -> Any:
    shop = await shop_service.public_shop(session, read.domain)
    await ctx.limiter.hit(
        ctx.limiter.storefront_reads, f"storefront-read:{shop.shop_id}:{read.client_ip}"
    )
    return shop


def _caller(shop: shop_service.PublicShop) -> Caller:
    return Caller(
        shop_id=shop.shop_id, kind="public", scopes=frozenset(), data_version=shop.data_version
    )


async def _kept(
    ctx: AppContext,
    shop: shop_service.PublicShop,
    key: Hashable,
    compute: Callable[[], Awaitable[bytes]],
) -> bytes:
    """The answer's bytes from the read cache, else computed once and kept (keyed by the
    shop's data version, like the partner API's cached reads)."""
    full_key = (shop.shop_id, shop.data_version, key)
    data = ctx.read_cache.get(full_key)
    if data is None:
        data = await compute()
        ctx.read_cache.put(full_key, data)
    return data


async def _answer(
    ctx: AppContext,
    session: AsyncSession,
    shop: shop_service.PublicShop,
    read: PublicRead[Any],
    service: Any,
    request: Any,
) -> PublicAnswer:
    etag = _etag(shop, service.__name__, request)
    if _matches(read.if_none_match, etag):
        return PublicAnswer(etag, None)

    async def compute() -> bytes:
        return pydantic_core.to_json(await service(session, _caller(shop), request))

    return PublicAnswer(etag, await _kept(ctx, shop, service.key(request), compute))


def _list_request(shop: shop_service.PublicShop, query: ReviewsQuery) -> Any:
    return review_service.public_list_request(
        product_id=query.product_id,
        ratings=query.ratings,
        with_media=query.with_media,
        sort_by=query.sort_by,
        page=query.page,
        page_size=query.page_size,
        cursor=query.cursor,
        author_display=shop.author_display,
    )


async def reviews(
    ctx: AppContext, session: AsyncSession, read: PublicRead[ReviewsQuery]
) -> PublicAnswer:
    shop = await _shop(ctx, session, read)
    request = _list_request(shop, read.query)
    return await _answer(ctx, session, shop, read, review_service.public_reviews, request)


async def rating(
    ctx: AppContext, session: AsyncSession, read: PublicRead[RatingQuery]
) -> PublicAnswer:
    shop = await _shop(ctx, session, read)
    request = review_service.PublicRatingRequest(read.query.product_id, shop.reviews_disclosure)
    return await _answer(ctx, session, shop, read, review_service.public_rating, request)


async def ratings(
    ctx: AppContext, session: AsyncSession, read: PublicRead[RatingsQuery]
) -> PublicAnswer:
    shop = await _shop(ctx, session, read)
    request = review_service.ProductRatingsRequest(read.query.product_ids)
    return await _answer(ctx, session, shop, read, review_service.product_ratings, request)


async def products_rating(
    ctx: AppContext, session: AsyncSession, read: PublicRead[HandlesQuery]
) -> PublicAnswer:
    shop = await _shop(ctx, session, read)
    request = review_service.HandleRatingsRequest(read.query.handles)
    return await _answer(ctx, session, shop, read, review_service.handle_ratings, request)


# --- server-rendered reviews and JSON-LD --------------------------------------------------------


async def _product_view(
    session: AsyncSession, shop: shop_service.PublicShop, product_id: str
) -> tuple[Any, Any, Any]:
    """What the fragment and the JSON-LD show: the /reviews first page (default order and
    size), the /rating answer and the catalogue entry."""
    caller = _caller(shop)
    first_page = ReviewsQuery(product_id, (), False, FEATURED, 1, 10, None)
    page = await review_service.public_reviews(session, caller, _list_request(shop, first_page))
    rated = await review_service.public_rating(
        session, caller, review_service.PublicRatingRequest(product_id, shop.reviews_disclosure)
    )
    catalogue = await review_service.catalogue_entry(session, shop.shop_id, product_id)
    return page, rated, catalogue


async def _rendered(
    ctx: AppContext,
    session: AsyncSession,
    read: PublicRead[ProductQuery],
    kind: Kind,
    render: Callable[[shop_service.PublicShop, Any, Any, Any], bytes],
) -> PublicAnswer:
    shop = await _shop(ctx, session, read)
    etag = _etag(shop, kind, read.query)
    if _matches(read.if_none_match, etag):
        return PublicAnswer(etag, None, kind)

    async def compute() -> bytes:
        page, rated, catalogue = await _product_view(session, shop, read.query.product_id)
        return render(shop, page, rated, catalogue)

    # The display settings shape these answers too: part of the key, as of the JSON requests.
    key = (kind, read.query, shop.author_display, shop.reviews_disclosure, shop.name)
    return PublicAnswer(etag, await _kept(ctx, shop, key, compute), kind)


async def reviews_html(
    ctx: AppContext, session: AsyncSession, read: PublicRead[ProductQuery]
) -> PublicAnswer:
    """The fragment: summary, first page, initial data and (products only) JSON-LD."""

    def render(shop: shop_service.PublicShop, page: Any, rated: Any, catalogue: Any) -> bytes:
        product_id = read.query.product_id
        ld = None
        if product_id != STORE:
            ld = seo.json_ld(shop.myshopify_domain, catalogue, rated, page)
        text = seo.fragment(
            domain=shop.myshopify_domain,
            product_id=product_id,
            rating=rated,
            reviews=page,
            ld=ld,
            lang=read.query.lang,
        )
        return text.encode()

    return await _rendered(ctx, session, read, "html", render)


async def reviews_jsonld(
    ctx: AppContext, session: AsyncSession, read: PublicRead[ProductQuery]
) -> PublicAnswer:
    """The JSON-LD alone; store reviews have none (code 3)."""
    if read.query.product_id == STORE:
        raise InvalidArgument(
            "product_id 0 names the store reviews, which get no JSON-LD (search engines ignore "
            "a business's reviews of itself)"
        )

    def render(shop: shop_service.PublicShop, page: Any, rated: Any, catalogue: Any) -> bytes:
        ld = seo.json_ld(shop.myshopify_domain, catalogue, rated, page)
        return seo.script_json(ld).encode()

    return await _rendered(ctx, session, read, "jsonld", render)


# --- the Google product reviews feed -----------------------------------------------------------


def _http_time(text: str) -> datetime | None:
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def feed(ctx: AppContext, session: AsyncSession, read: PublicRead[FeedQuery]) -> FeedAnswer:
    """The feed's validators, and its XML streamed in keyset batches by a read session of its
    own (the request's ends when the route returns). 304 when If-None-Match names the tag, or
    (without If-None-Match) when nothing changed since If-Modified-Since."""
    shop = await _shop(ctx, session, read)
    etag = _etag(shop, "feed", read.query)
    changed = await review_service.last_change(session, shop.shop_id)
    last_modified = max(t for t in (changed, shop.updated_at) if t is not None).replace(
        microsecond=0
    )
    if read.if_none_match:
        if _matches(read.if_none_match, etag):
            return FeedAnswer(etag, last_modified, None)
    elif read.if_modified_since:
        since = _http_time(read.if_modified_since)
        if since is not None and last_modified <= since:
            return FeedAnswer(etag, last_modified, None)
    return FeedAnswer(etag, last_modified, _feed_chunks(ctx, shop))


async def _feed_chunks(ctx: AppContext, shop: shop_service.PublicShop) -> AsyncIterator[bytes]:
    yield seo.feed_head(shop.name)
    async with ctx.db.session(write=False) as session:
        batches = review_service.feed_reviews(session, shop.shop_id, shop.author_display)
        async for batch in batches:
            yield seo.feed_reviews(
                shop.myshopify_domain,
                (
                    (item.review, item.catalogue, item.review.commented_at.replace(" ", "T") + "Z")
                    for item in batch
                ),
            )
    yield seo.FEED_TAIL
