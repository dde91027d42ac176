"""Routes of customer events (docs/api.md, "Orders, customer events and
customers"): the partner API's list, and the
public storefront collection endpoint with CORS (docs/intake.md §4)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import api_caller
from shopreviews.customer_events import intake
from shopreviews.customer_events import service as event_service
from shopreviews.customer_events.repository import CustomerEventFilter
from shopreviews.customer_events.schemas import (
    CustomerEventPage,
    StorefrontAccepted,
    StorefrontEventsIn,
)
from shopreviews.kit.dependencies import Ctx, Query, ReadSession, WriteSession
from shopreviews.kit.envelope import (
    ApiError,
    Envelope,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from shopreviews.kit.openapi_params import PAGE, PAGE_SIZE, param, query_doc
from shopreviews.kit.pagination import PageRequest
from shopreviews.kit.params import (
    CREATED_SORTS,
    QueryParams,
    created_sort_ascending,
    time_bounds,
)
from shopreviews.kit.routes import DocumentedRoute, legacy_path, raw_body, refuses

router = APIRouter(tags=["customer events"])
storefront_router = APIRouter(tags=["storefront"], route_class=DocumentedRoute)

ReadCustomerEvents = Annotated[Caller, Depends(api_caller("read_customer_events"))]
_CODE_RULE = "exact match after upper-casing; 1-64 characters of A-Z a-z 0-9 _"
# get_customer_events filters: the lists are open, so any well-formed code is accepted.
_CODE = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def event_filter(query: QueryParams) -> CustomerEventFilter:
    codes: dict[str, str | None] = {}
    for name in ("event_type", "os_type", "event_source"):
        value = query.scalar(name)
        if value is not None and not _CODE.match(value):
            raise InvalidArgument(f"{name} must be 1 to 64 characters of A-Z, a-z, 0-9 and _")
        codes[name] = None if value is None else value.upper()
    created_from, created_to = time_bounds(query, "start_time", "end_time")
    return CustomerEventFilter(
        event_type=codes["event_type"],
        os_type=codes["os_type"],
        event_source=codes["event_source"],
        created_from=created_from,
        created_to=created_to,
        ascending=created_sort_ascending(query),
    )


@router.get(
    "/api/v1/openapi/get_customer_events",
    response_model=Envelope[CustomerEventPage],
    openapi_extra=query_doc(
        param("event_type", f"event type, e.g. CLICK_MEDIA ({_CODE_RULE})"),
        param("os_type", f"operating system, e.g. IOS ({_CODE_RULE})"),
        param("event_source", f"STOREFRONT, EMAIL or ADMIN ({_CODE_RULE})"),
        param("start_time", "created_at at or after this time [ext]"),
        param("end_time", "created_at at or before this time (a date alone: its end) [ext]"),
        param("sort_by", "order of the list", enum=list(CREATED_SORTS)),
        PAGE,
        PAGE_SIZE,
    ),
)
@legacy_path("/api/v1/openapi/customer_events")
async def get_customer_events(
    caller: ReadCustomerEvents, session: ReadSession, query: Query
) -> Envelope[CustomerEventPage]:
    """List customer events with filters, sorting and pagination (alias customer_events)."""
    flt = event_filter(query)
    page = PageRequest.from_query(query)
    return Envelope(data=await event_service.list_events(session, caller, flt, page))


Domain = Annotated[str, Path(description="the shop's myshopify domain (case-insensitive)")]


def _origin(request: Request) -> str:
    return request.headers.get("origin", "").strip()


@storefront_router.post(
    "/api/v1/storefront/shops/{myshopify_domain}/events",
    response_model=Envelope[StorefrontAccepted],
)
@refuses(NotFound, PermissionDenied, RateLimited)
async def post_storefront_events(
    myshopify_domain: Domain,
    request: Request,
    response: Response,
    session: WriteSession,
    ctx: Ctx,
    body: Annotated[bytes, raw_body(StorefrontEventsIn)],
) -> Envelope[StorefrontAccepted]:
    """Record events of the storefront review widget (public, CORS; any Content-Type) [ext]."""
    shop = await event_service.storefront_shop(session, myshopify_domain)
    cors = intake.cors_headers(shop, _origin(request))
    try:
        # The TCP peer (uvicorn --proxy-headers makes it the real client behind a proxy).
        client_ip = request.client.host if request.client else ""
        await ctx.limiter.hit(
            ctx.limiter.storefront_events, f"storefront:{shop.shop_id}:{client_ip}"
        )
        new_events = intake.parse_storefront_body(body, request.headers.get("user-agent", ""))
        accepted = await event_service.record_storefront(
            session, shop.shop_id, new_events, now=ctx.now_datetime()
        )
    except ApiError as exc:
        # An allowed origin's page must be able to read why it was refused (codes 3 and 8).
        exc.headers.update(cors)
        raise
    response.headers.update(cors)
    return Envelope(data=StorefrontAccepted(accepted=accepted))


@storefront_router.options(
    "/api/v1/storefront/shops/{myshopify_domain}/events", include_in_schema=False
)
async def storefront_events_preflight(
    myshopify_domain: Domain, request: Request, session: ReadSession
) -> Response:
    """CORS preflight: 204, with the CORS grant only for an allowed Origin."""
    shop = await event_service.storefront_shop(session, myshopify_domain)
    return Response(status_code=204, headers=intake.preflight_headers(shop, _origin(request)))
