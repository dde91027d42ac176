"""Web reviews (docs/storefront.md "Web reviews"): a shopper's review posted from the shop's
pages, and the photo upload policies its form uses.

A web review goes through the same review service as every other (aggregates, `review/created`)
and records a SUBMIT_REVIEW customer event, in the request's one transaction. Refusals, in
order: unknown shop (5), an Origin the shop does not allow (7), the per-IP limit (8), the body
(3), web reviews off or not a verified buyer (7), the address already reviewed it (6), photos
(3). A filled-in honeypot gets a normal-looking success and nothing else happens. When the
address has an order of the shop with the product, a confirmation email is queued in the same
transaction (emails/service.py); its link marks the review verified.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.customer_events import service as customer_events
from shopreviews.emails import service as emails
from shopreviews.kit import storefront_cors
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import AlreadyExists, ApiError, PermissionDenied
from shopreviews.media import service as media
from shopreviews.media.service import ImagePolicyOut as ImagePolicyOut
from shopreviews.orders import service as orders
from shopreviews.reviews import service as reviews
from shopreviews.shops import service as shops
from shopreviews.web_reviews.schemas import (
    STORE_PRODUCT_ID,
    WebReviewIn,
    WebReviewOut,
    read_web_review,
)

SOURCE = "Store front"
COLLECTED_VIA = "storefront"
REFUSED_ORIGIN = "this Origin may not post reviews to this shop"


@dataclass(frozen=True)
class StorefrontCall:
    """Who calls a web review endpoint: the shop's domain in the path, the browser's Origin
    ("" when none), the client's IP address and User-Agent."""

    domain: str
    origin: str
    client_ip: str
    user_agent: str = ""


@dataclass(frozen=True)
class WebReviewPost:
    call: StorefrontCall
    body: bytes  # read by schemas.read_web_review once the shop, origin and limit allow


@dataclass(frozen=True)
class PolicyRequest:
    call: StorefrontCall
    content_type: str | None = None


@dataclass(frozen=True)
class Answer:
    """What an endpoint answers, with the CORS headers of the caller's Origin."""

    data: WebReviewOut | ImagePolicyOut
    headers: dict[str, str] = field(default_factory=dict)


async def _allowed(
    ctx: AppContext, session: AsyncSession, call: StorefrontCall
) -> tuple[shops.StorefrontShop, dict[str, str]]:
    """The shop (code 5) and the CORS headers for the Origin (code 7), then the web review
    limit of this shop and client IP (code 8, with the CORS headers so the page can read it)."""
    shop = await shops.storefront_shop(session, call.domain)
    cors = storefront_cors.cors_headers(shop.allowed_origins, call.origin, REFUSED_ORIGIN)
    try:
        await ctx.limiter.hit(
            ctx.limiter.storefront_reviews, f"web-reviews:{shop.shop_id}:{call.client_ip}"
        )
    except ApiError as exc:
        exc.headers.update(cors)
        raise
    return shop, cors


async def submit(ctx: AppContext, session: AsyncSession, post: WebReviewPost) -> Answer:
    """POST /api/v1/storefront/shops/{myshopify_domain}/reviews."""
    shop, cors = await _allowed(ctx, session, post.call)
    try:
        body = read_web_review(post.body)
        if body.is_robot:
            return Answer(_decoy(shop, body), cors)
        return Answer(await _store(ctx, session, shop, body, post.call), cors)
    except ApiError as exc:
        exc.headers.update(cors)  # an allowed page must be able to read why
        raise


def _status(shop: shops.StorefrontShop, rating: int) -> str:
    """Published when the rating reaches the shop's threshold (0: never); otherwise held for
    the merchant's decision (never suppressed: docs/storefront.md)."""
    threshold = shop.auto_publish_min_rating
    return "published" if threshold != 0 and rating >= threshold else "pending"


def _decoy(shop: shops.StorefrontShop, body: WebReviewIn) -> WebReviewOut:
    """What a robot that filled in the honeypot is told: a success like any other, with an id
    that names nothing."""
    fake_id = str(secrets.randbelow(9_000_000) + 1_000_000)
    return WebReviewOut(id=fake_id, status=_status(shop, body.rating), confirmation_sent=False)


async def _store(
    ctx: AppContext,
    session: AsyncSession,
    shop: shops.StorefrontShop,
    body: WebReviewIn,
    call: StorefrontCall,
) -> WebReviewOut:
    if shop.web_reviews == "disabled":
        raise PermissionDenied("this shop does not take reviews on its pages")
    product_id = body.target
    email = body.author_email
    # Held until commit: a second submission of the same address waits here, then sees this
    # one's review (race-safe on both databases; kit/locks.py).
    await reviews.lock_author(session, shop.shop_id, email)
    bought = await orders.bought(session, shop.shop_id, email, product_id)
    if shop.web_reviews == "verified_buyers_only" and not bought:
        what = "the shop" if product_id == STORE_PRODUCT_ID else "this product"
        raise PermissionDenied(f"only customers with an order of {what} may review it here")
    if await reviews.author_reviewed(session, shop.shop_id, product_id, email):
        what = "the store" if product_id == STORE_PRODUCT_ID else "this product"
        raise AlreadyExists(f"this email address has already reviewed {what}", prefixed=False)
    status = _status(shop, body.rating)
    now = ctx.now_datetime()
    await media.check_storefront_photos(ctx, session, shop.shop_id, body.media, now=now)
    created = await reviews.create(
        ctx,
        session,
        shop.shop_id,
        reviews.ReviewCreate.model_validate(
            {
                "product_id": product_id,
                "rating": body.rating,
                "author": body.author,
                "author_email": email,
                "title": body.title or None,
                "content": body.content,
                "source": SOURCE,
                "is_published": status == "published",
                "media": [{"url": url, "type": 1} for url in body.media],
            }
        ),
        collected_via=COLLECTED_VIA,
    )
    await customer_events.record_storefront_submission(
        session,
        shop.shop_id,
        review_id=created.id,
        product_id="" if product_id == STORE_PRODUCT_ID else product_id,
        customer_email=email,
        user_agent=call.user_agent,
        now=now,
    )
    # An address with an order of the product gets an email whose link marks the review
    # verified: queued in this transaction, sent at most once by the worker.
    confirmation_sent = bought and await emails.queue_confirmation(
        ctx,
        session,
        shop.shop_id,
        review_id=int(created.id),
        email=email,
        author=body.author,
        now=now,
    )
    return WebReviewOut(id=created.id, status=status, confirmation_sent=confirmation_sent)


async def image_upload_policy(
    ctx: AppContext, session: AsyncSession, request: PolicyRequest
) -> Answer:
    """GET /api/v1/storefront/shops/{myshopify_domain}/image_upload_policy: counted against
    the web review limit of the client IP."""
    shop, cors = await _allowed(ctx, session, request.call)
    try:
        if shop.web_reviews == "disabled":
            raise PermissionDenied("this shop does not take reviews on its pages")
        answer = await media.storefront_image_policy(
            ctx, session, shop.shop_id, request.content_type
        )
    except ApiError as exc:
        exc.headers.update(cors)
        raise
    return Answer(answer, cors)


async def preflight(session: AsyncSession, call: StorefrontCall, methods: str) -> dict[str, str]:
    """The CORS preflight's headers: the grant for an allowed Origin, else none (code 5 for an
    unknown shop)."""
    shop = await shops.storefront_shop(session, call.domain)
    return storefront_cors.preflight_headers(shop.allowed_origins, call.origin, methods)
