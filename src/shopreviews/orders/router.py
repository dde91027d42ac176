"""get_orders and the Shopify order-webhook intake (docs/api.md and docs/intake.md §2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import api_caller
from shopreviews.kit.dependencies import Ctx, Query, ReadSession, WriteSession
from shopreviews.kit.envelope import Envelope, InvalidArgument, Unauthenticated
from shopreviews.kit.openapi_params import PAGE, PAGE_SIZE, param, query_doc
from shopreviews.kit.pagination import PageRequest
from shopreviews.kit.params import CREATED_SORTS, created_sort_ascending, time_bounds
from shopreviews.kit.routes import DocumentedRoute, legacy_path, raw_body, refuses
from shopreviews.orders import service as order_service
from shopreviews.orders import shopify
from shopreviews.orders.models import OrderStatus
from shopreviews.orders.repository import OrderFilter
from shopreviews.orders.schemas import OrderPage, OrderReceived, ShopifyOrderIn

router = APIRouter(tags=["orders"], route_class=DocumentedRoute)

ReadOrders = Annotated[Caller, Depends(api_caller("read_orders"))]
STATUS_TYPES = ("0", *(str(int(s)) for s in OrderStatus))


@router.get(
    "/api/v1/openapi/get_orders",
    response_model=Envelope[OrderPage],
    openapi_extra=query_doc(
        param("type", "0: every status (default); 1-6: only that status", enum=list(STATUS_TYPES)),
        param("start_sent_at", "sent_at ≥ this (orders never sent are left out)"),
        param("end_sent_at", "sent_at ≤ this (a date alone: the end of that day)"),
        param("start_time", "created_at ≥ this"),
        param("end_time", "created_at ≤ this (a date alone: the end of that day)"),
        param("sort_by", "order of the list, on created_at", enum=list(CREATED_SORTS)),
        PAGE,
        PAGE_SIZE,
    ),
)
@legacy_path("/api/v1/openapi/orders")
async def get_orders(caller: ReadOrders, session: ReadSession, query: Query) -> Envelope[OrderPage]:
    """List the shop's orders with their review-request status (alias orders)."""
    status = query.scalar("type") or "0"
    if status not in STATUS_TYPES:
        raise InvalidArgument("type must be an integer from 0 to 6")
    sent_from, sent_to = time_bounds(query, "start_sent_at", "end_sent_at")
    created_from, created_to = time_bounds(query, "start_time", "end_time")
    flt = OrderFilter(
        status=int(status) or None,
        sent_from=sent_from,
        sent_to=sent_to,
        created_from=created_from,
        created_to=created_to,
        ascending=created_sort_ascending(query),
    )
    page = PageRequest.from_query(query)
    return Envelope(data=await order_service.list_orders(session, caller, flt, page))


@router.post(
    "/api/v1/integrations/shopify/orders",
    response_model=Envelope[OrderReceived],
    openapi_extra={
        "parameters": [
            param("X-Shopify-Shop-Domain", "the shop's myshopify domain", required=True)
            | {"in": "header"},
            param(
                "X-Shopify-Topic",
                "orders/create, orders/fulfilled or orders/cancelled",
                required=True,
                enum=list(shopify.TOPICS),
            )
            | {"in": "header"},
            param("X-Shopify-Hmac-Sha256", "base64 HMAC-SHA256 of the raw body", required=True)
            | {"in": "header"},
            param(
                "X-Shopify-Webhook-Id",
                "the delivery's id: one already acted on is acknowledged and not acted on again",
            )
            | {"in": "header"},
        ],
    },
)
@refuses(Unauthenticated)
async def shopify_order_webhook(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    body: Annotated[bytes, raw_body(ShopifyOrderIn)],
) -> Envelope[OrderReceived]:
    """Receive a Shopify order webhook, verified with the shop's Shopify app secret [ext]."""
    headers = request.headers
    delivery = shopify.Delivery(
        shop_domain=headers.get("x-shopify-shop-domain", "").strip(),
        topic=headers.get("x-shopify-topic", "").strip(),
        hmac_sha256=headers.get("x-shopify-hmac-sha256", ""),
        webhook_id=headers.get("x-shopify-webhook-id", ""),
        body=body,
    )
    return Envelope(data=await shopify.receive(ctx, session, delivery))
