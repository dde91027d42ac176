"""get_orders and the Shopify order-webhook intake (spec + docs/intake.md §2)."""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import Ctx, Query, Session, api_caller
from shopreviews.kit.envelope import Envelope, InvalidArgument, Unauthenticated
from shopreviews.kit.openapi_params import PAGE, PAGE_SIZE, param, query_doc
from shopreviews.kit.pagination import PageRequest
from shopreviews.kit.params import CREATED_SORTS, created_sort_ascending, time_bounds
from shopreviews.kit.routes import DocumentedRoute, legacy_path, raw_body
from shopreviews.orders import service as order_service
from shopreviews.orders import shopify
from shopreviews.orders.models import OrderStatus
from shopreviews.orders.repository import OrderFilter
from shopreviews.orders.schemas import OrderPage, OrderReceived, ShopifyOrderIn
from shopreviews.shops.repository import ShopRepository

log = logging.getLogger("shopreviews.orders")
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
async def get_orders(caller: ReadOrders, session: Session, query: Query) -> Envelope[OrderPage]:
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
async def shopify_order_webhook(
    request: Request, ctx: Ctx, session: Session, body: Annotated[bytes, raw_body(ShopifyOrderIn)]
) -> Envelope[OrderReceived]:
    """Receive a Shopify order webhook, verified with the shop's Shopify app secret [ext]."""
    headers = request.headers
    domain = headers.get("x-shopify-shop-domain", "").strip()
    shop = await ShopRepository(session).by_domain(domain) if domain else None
    refused = "unauthenticated: X-Shopify-Hmac-Sha256 does not verify for this shop"
    if shop is None or not shop.is_active:
        raise Unauthenticated(f"unauthenticated: no active shop has the domain {domain!r}")
    if shop.shopify_app_secret_encrypted is None:
        raise Unauthenticated("unauthenticated: this shop has no Shopify app secret configured")
    secret = ctx.box.open(shop.shopify_app_secret_encrypted)
    if not shopify.signature_matches(secret, body, headers.get("x-shopify-hmac-sha256", "")):
        raise Unauthenticated(refused)
    topic = headers.get("x-shopify-topic", "").strip()
    if topic not in shopify.TOPICS:
        raise InvalidArgument(f"X-Shopify-Topic must be one of {', '.join(shopify.TOPICS)}")
    webhook_id = shopify.webhook_id(headers.get("x-shopify-webhook-id", ""))
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise InvalidArgument("the body is not valid JSON") from None
    now = ctx.now_datetime()
    facts = shopify.order_facts(topic, payload, now=now)
    if webhook_id is not None:
        earlier = await order_service.earlier_delivery(
            session, shop, webhook_id, topic=topic, order_id=facts.order_id, now=now
        )
        if earlier is not None:
            # Acknowledged, so Shopify stops retrying; acting again could undo later news.
            log.info(
                "shopify %s for shop %s: webhook %s already received, nothing done",
                topic,
                shop.shop_id,
                webhook_id,
            )
            return Envelope(data=OrderReceived(order_id=earlier.order_id, status=earlier.status))
    order = await order_service.receive(session, shop, facts, now=now)
    log.info(
        "shopify %s for shop %s order %s (webhook %s)",
        topic,
        shop.shop_id,
        facts.order_id,
        webhook_id or "-",
    )
    return Envelope(data=OrderReceived(order_id=order.order_id, status=order.status))
