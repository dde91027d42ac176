"""The public storefront event collection endpoint, with CORS (docs/intake.md §4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from shopreviews.auth.dependencies import Ctx, Session
from shopreviews.customer_events import service as event_service
from shopreviews.customer_events.schemas import StorefrontAccepted, StorefrontEventsIn
from shopreviews.kit.envelope import ApiError, Envelope
from shopreviews.kit.openapi_params import body_doc

router = APIRouter(tags=["storefront"])

PATH = "/api/v1/storefront/shops/{myshopify_domain}/events"
Domain = Annotated[str, Path(description="the shop's myshopify domain (case-insensitive)")]


def _origin(request: Request) -> str:
    return request.headers.get("origin", "").strip()


@router.post(
    PATH, response_model=Envelope[StorefrontAccepted], openapi_extra=body_doc(StorefrontEventsIn)
)
async def post_storefront_events(
    myshopify_domain: Domain, request: Request, response: Response, session: Session, ctx: Ctx
) -> Envelope[StorefrontAccepted]:
    """Record events of the storefront review widget (public, CORS; any Content-Type) [ext]."""
    shop = await event_service.storefront_shop(session, myshopify_domain)
    cors = event_service.cors_headers(shop, _origin(request))
    try:
        # The TCP peer (uvicorn --proxy-headers makes it the real client behind a proxy).
        client_ip = request.client.host if request.client else ""
        await ctx.limiter.hit(
            ctx.limiter.storefront_events, f"storefront:{shop.shop_id}:{client_ip}"
        )
        new_events = event_service.parse_storefront_body(
            await request.body(), request.headers.get("user-agent", "")
        )
        accepted = await event_service.record_storefront(
            session, shop.shop_id, new_events, now=ctx.now_datetime()
        )
    except ApiError as exc:
        # An allowed origin's page must be able to read why it was refused (codes 3 and 8).
        exc.headers.update(cors)
        raise
    response.headers.update(cors)
    return Envelope(data=StorefrontAccepted(accepted=accepted))


@router.options(PATH, include_in_schema=False)
async def storefront_events_preflight(
    myshopify_domain: Domain, request: Request, session: Session
) -> Response:
    """CORS preflight: 204, with the CORS grant only for an allowed Origin."""
    shop = await event_service.storefront_shop(session, myshopify_domain)
    return Response(
        status_code=204, headers=event_service.preflight_headers(shop, _origin(request))
    )
