"""Helpers of the customer-event tests: storefront calls, shop settings set directly in the
database, events stored at chosen times, and the stored rows read back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select, update

from shopreviews.customer_events import service as event_service
from shopreviews.customer_events.models import CustomerEvent
from shopreviews.kit.context import AppContext
from shopreviews.shops.models import Shop
from tests.support.customer_events import events_path

EVENT_FIELDS = {
    "id",
    "event_type",
    "event_source",
    "os_type",
    "customer_id",
    "customer_email",
    "product_id",
    "review_id",
    "page_url",
    "created_at",
}
STOREFRONT_TYPES = (
    "VIEW_REVIEW",
    "EXPAND_CONTENT",
    "SUBMIT_REVIEW",
    "CLICK_REVIEW",
    "PAGINATION",
    "FILTER_REVIEW",
    "SORT_REVIEW",
    "CLICK_MEDIA",
    "CLOSE_VIDEO_POPUP",
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)
LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"
# The storefront rate limit of the `limited` app (events a minute).
STOREFRONT_LIMIT = 3


def client_at(app: Any, ip: str) -> httpx.AsyncClient:
    """A client of `app` whose TCP peer address is `ip`."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def preflight(client: httpx.AsyncClient, domain: str, origin: str | None) -> httpx.Response:
    headers = {"Access-Control-Request-Method": "POST"}
    if origin is not None:
        headers["Origin"] = origin
        headers["Access-Control-Request-Headers"] = "content-type"
    return await client.options(events_path(domain), headers=headers)


async def set_shop(ctx: AppContext, shop_id: str, **values: Any) -> None:
    """Change shop columns directly (storefront_origins, status), as the settings would."""
    async with ctx.db.session(write=True) as session:
        await session.execute(update(Shop).where(Shop.shop_id == shop_id).values(**values))


async def stored(ctx: AppContext, shop_id: str) -> list[CustomerEvent]:
    """The shop's customer-event rows in id order, read directly from the database."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(CustomerEvent).where(CustomerEvent.shop_id == shop_id).order_by(CustomerEvent.id)
        )
        return list(rows.scalars())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def record(
    ctx: AppContext,
    shop_id: str,
    created_at: str,
    event_type: str = "CLICK_MEDIA",
    *,
    event_source: str = "STOREFRONT",
    os_type: str = "IOS",
    **fields: str,
) -> str:
    """One event stored through the service at a chosen time (as the email code does); its id."""
    new = event_service.NewEvent(
        event_type=event_type, event_source=event_source, os_type=os_type, **fields
    )
    async with ctx.db.session(write=True) as session:
        event = await event_service.record(session, shop_id, new, now=at(created_at))
        return str(event.id)
