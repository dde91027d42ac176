"""Routes of web reviews (docs/storefront.md "Web reviews"): the shopper's review posted from
the shop's pages, its photo upload policy, and their CORS preflights. Public: the shop is named
by its myshopify domain, and the shop's storefront origins may call (CORS)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from shopreviews.kit.dependencies import Ctx, Query, ReadSession, WriteSession
from shopreviews.kit.envelope import (
    AlreadyExists,
    Envelope,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from shopreviews.kit.openapi_params import param, query_doc
from shopreviews.kit.routes import DocumentedRoute, raw_body, refuses
from shopreviews.web_reviews import service
from shopreviews.web_reviews.schemas import WebReviewIn, WebReviewOut

router = APIRouter(tags=["storefront"], route_class=DocumentedRoute)

Domain = Annotated[str, Path(description="the shop's myshopify domain (case-insensitive)")]


def _call(domain: str, request: Request) -> service.StorefrontCall:
    return service.StorefrontCall(
        domain=domain,
        origin=request.headers.get("origin", "").strip(),
        # The TCP peer (uvicorn --proxy-headers makes it the real client behind a proxy).
        client_ip=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )


@router.post(
    "/api/v1/storefront/shops/{myshopify_domain}/reviews",
    response_model=Envelope[WebReviewOut],
)
@refuses(NotFound, PermissionDenied, AlreadyExists, RateLimited)
async def post_web_review(
    myshopify_domain: Domain,
    request: Request,
    response: Response,
    session: WriteSession,
    ctx: Ctx,
    body: Annotated[bytes, raw_body(WebReviewIn)],
) -> Envelope[WebReviewOut]:
    """A shopper's review from the shop's pages (public, CORS; any Content-Type) [ext]."""
    post = service.WebReviewPost(_call(myshopify_domain, request), body)
    answer = await service.submit(ctx, session, post)
    response.headers.update(answer.headers)
    assert isinstance(answer.data, WebReviewOut)
    return Envelope(data=answer.data)


@router.get(
    "/api/v1/storefront/shops/{myshopify_domain}/image_upload_policy",
    response_model=Envelope[service.ImagePolicyOut],
    openapi_extra=query_doc(
        param("content_type", "the image type (default image/jpeg)"),
    ),
)
@refuses(NotFound, PermissionDenied, RateLimited)
async def get_storefront_image_upload_policy(
    myshopify_domain: Domain,
    request: Request,
    response: Response,
    session: WriteSession,
    ctx: Ctx,
    query: Query,
) -> Envelope[service.ImagePolicyOut]:
    """Credentials to upload up to 5 photos of a web review (public, CORS) [ext]."""
    policy_request = service.PolicyRequest(
        _call(myshopify_domain, request), query.scalar("content_type")
    )
    answer = await service.image_upload_policy(ctx, session, policy_request)
    response.headers.update(answer.headers)
    assert isinstance(answer.data, service.ImagePolicyOut)
    return Envelope(data=answer.data)


@router.options("/api/v1/storefront/shops/{myshopify_domain}/reviews", include_in_schema=False)
async def web_review_preflight(
    myshopify_domain: Domain, request: Request, session: ReadSession
) -> Response:
    """CORS preflight of the POST: 204, with the grant only for an allowed Origin."""
    headers = await service.preflight(session, _call(myshopify_domain, request), "POST")
    return Response(status_code=204, headers=headers)


@router.options(
    "/api/v1/storefront/shops/{myshopify_domain}/image_upload_policy", include_in_schema=False
)
async def image_upload_policy_preflight(
    myshopify_domain: Domain, request: Request, session: ReadSession
) -> Response:
    """CORS preflight of the GET: 204, with the grant only for an allowed Origin."""
    headers = await service.preflight(session, _call(myshopify_domain, request), "GET")
    return Response(status_code=204, headers=headers)
