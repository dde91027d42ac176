"""Helpers of the order tests: Shopify deliveries, direct rows, row counts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from shopreviews.customer_events.models import CustomerEvent
from shopreviews.customers.models import Customer
from shopreviews.kit.context import AppContext
from shopreviews.kit.outbox import DomainEvent
from shopreviews.orders.models import Order, OrderStatus, ReviewRequest
from shopreviews.shops.models import Shop
from tests.support import signer
from tests.support.api import ShopApi

WEBHOOK = "/api/v1/integrations/shopify/orders"
SECRET = "shpss_0123456789abcdef0123456789abcdef"
# The pinned application clock of the intake tests.
NOW = datetime(2026, 6, 10, 12, 0, 0, tzinfo=UTC)
DELAY = timedelta(days=7)  # the default review_request_delay_days
ORDER_ID = 5512345678901
CUSTOMER_ID = 7712345678901
# The fields of the spec's Order object, exactly.
ORDER_FIELDS = {
    "order_id",
    "order_name",
    "customer_id",
    "customer_email",
    "customer_name",
    "status",
    "scheduled_at",
    "sent_at",
    "created_at",
}


def at(text: str) -> datetime:
    """An RFC 3339 time as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def z(value: datetime) -> str:
    """A datetime as the API writes it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shopify_order(
    order_id: Any = ORDER_ID,
    *,
    email: str | None = "Jane.Doe@Example.com",
    customer: dict[str, Any] | None = None,
    fulfilled_at: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A Shopify order object as its webhooks send it (trimmed, with the usual noise)."""
    order: dict[str, Any] = {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": "#1001",
        "order_number": 1001,
        "email": email,
        "contact_email": email,
        "created_at": "2026-06-01T10:22:10-04:00",
        "updated_at": "2026-06-01T10:22:12-04:00",
        "cancelled_at": None,
        "currency": "USD",
        "total_price": "129.00",
        "financial_status": "paid",
        "fulfillment_status": None,
        "customer": {
            "id": CUSTOMER_ID,
            "email": email,
            "first_name": "Jane",
            "last_name": "Doe",
            "phone": "+15555550123",
            "accepts_marketing": False,
            "default_address": {"city": "Ottawa", "country": "Canada"},
        }
        if customer is None
        else customer,
        "line_items": [
            {"id": 1, "product_id": 9200305176832, "title": "Linen shirt", "quantity": 1},
            {"id": 2, "product_id": 9200305176833, "title": "Wool socks", "quantity": 2},
            {"id": 3, "product_id": 9200305176832, "title": "Linen shirt", "quantity": 1},
            {"id": 4, "product_id": None, "title": "Gift wrapping", "quantity": 1},
        ],
        "fulfillments": [
            {"id": 90 + i, "status": "success", "created_at": when}
            for i, when in enumerate(fulfilled_at or [])
        ],
    }
    order.update(extra)
    return order


def shopify_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


async def deliver(
    client: httpx.AsyncClient,
    shop: ShopApi,
    topic: str,
    order: Any = None,
    *,
    secret: str = SECRET,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
) -> httpx.Response:
    """POST a Shopify webhook for `shop`, signed with `secret` over the exact body bytes, as
    a new event (a fresh X-Shopify-Webhook-Id unless `headers` gives one)."""
    raw = body if body is not None else json.dumps(order).encode()
    sent = {
        "Content-Type": "application/json",
        "X-Shopify-Shop-Domain": shop.myshopify_domain,
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": shopify_hmac(secret, raw),
        # Each event has an id of its own; Shopify's retries of one event repeat it.
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-API-Version": "2026-04",
        **(headers or {}),
    }
    for name in drop:
        sent.pop(name)
    return await client.post(WEBHOOK, content=raw, headers=sent)


async def set_secret(ctx: AppContext, shop: ShopApi, secret: str | None = SECRET) -> None:
    async with ctx.db.session(write=True) as session:
        record = await session.get(Shop, shop.shop_id)
        assert record is not None
        record.shopify_app_secret_encrypted = None if secret is None else ctx.box.seal(secret)


async def update_shop(ctx: AppContext, shop: ShopApi, **values: Any) -> None:
    async with ctx.db.session(write=True) as session:
        record = await session.get(Shop, shop.shop_id)
        assert record is not None
        for name, value in values.items():
            setattr(record, name, value)


async def order_row(ctx: AppContext, shop: ShopApi, order_id: int | str = ORDER_ID) -> Order:
    async with ctx.db.session(write=False) as session:
        found = (
            await session.execute(
                select(Order).where(Order.shop_id == shop.shop_id, Order.order_id == str(order_id))
            )
        ).scalar_one()
        return found


async def set_order(ctx: AppContext, shop: ShopApi, order_id: int | str, **values: Any) -> None:
    async with ctx.db.session(write=True) as session:
        order = (
            await session.execute(
                select(Order).where(Order.shop_id == shop.shop_id, Order.order_id == str(order_id))
            )
        ).scalar_one()
        for name, value in values.items():
            setattr(order, name, value)


async def set_requests(ctx: AppContext, shop: ShopApi, **values: Any) -> None:
    async with ctx.db.session(write=True) as session:
        rows = await session.execute(
            select(ReviewRequest).where(ReviewRequest.shop_id == shop.shop_id)
        )
        for request in rows.scalars():
            for name, value in values.items():
                setattr(request, name, value)


async def request_rows(ctx: AppContext, shop: ShopApi) -> list[ReviewRequest]:
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(ReviewRequest)
            .where(ReviewRequest.shop_id == shop.shop_id)
            .order_by(ReviewRequest.id)
        )
        return list(rows.scalars())


async def customer_rows(ctx: AppContext, shop: ShopApi) -> list[Customer]:
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(Customer).where(Customer.shop_id == shop.shop_id).order_by(Customer.id)
        )
        return list(rows.scalars())


COUNTED = {
    "orders": Order,
    "review_requests": ReviewRequest,
    "customers": Customer,
    "events": DomainEvent,
    "customer_events": CustomerEvent,
}


async def counts(ctx: AppContext) -> dict[str, int]:
    """Rows of every table order intake could write, over all shops."""
    async with ctx.db.session(write=False) as session:
        return {
            name: (await session.execute(select(func.count()).select_from(model))).scalar_one()
            for name, model in COUNTED.items()
        }


async def add_orders(ctx: AppContext, shop: ShopApi, *rows: dict[str, Any]) -> None:
    """Orders inserted directly (get_orders tests): each row needs order_id and created_at
    (RFC 3339); sent_at and scheduled_at may be given the same way."""
    async with ctx.db.session(write=True) as session:
        for row in rows:
            values = dict(row)
            for name in ("created_at", "sent_at", "scheduled_at"):
                if isinstance(values.get(name), str):
                    values[name] = at(values[name])
            values.setdefault("status", OrderStatus.WAITING)
            session.add(Order(shop_id=shop.shop_id, **values))


async def signed_get(
    shop: ShopApi,
    path: str = "/api/v1/openapi/get_orders",
    params: list[tuple[str, str]] | dict[str, Any] | None = None,
    *,
    ts: datetime | None = None,
) -> httpx.Response:
    """A HMAC-signed GET of any path (the legacy ones too); `ts` for a pinned clock."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
    pairs = [(k, str(v)) for k, v in pairs]
    query = signer.encode_query(pairs)
    stamp = None if ts is None else str(int(ts.timestamp()))
    return await shop.client.get(
        path + (f"?{query}" if query else ""), headers=shop.headers(pairs, ts=stamp)
    )
