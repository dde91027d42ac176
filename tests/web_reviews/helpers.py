"""Helpers of the web review tests: the storefront's calls (as a shop's page makes them), shop
settings and orders set directly in the database, and what a submission left behind."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import select, update

from shopreviews.customer_events.models import CustomerEvent
from shopreviews.kit.context import AppContext
from shopreviews.media.models import MediaUpload
from shopreviews.orders.models import Order, OrderStatus
from shopreviews.reviews.models import Review
from shopreviews.shops.models import Shop

PRODUCT = "9200305176832"
# The web review limit of the `limited` app (reviews and policies an hour).
LIMIT = 3
EMAIL = "jane@example.com"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def body(**changes: Any) -> dict[str, Any]:
    """A valid web review of PRODUCT; `changes` set fields (None removes one)."""
    review: dict[str, Any] = {
        "product_id": PRODUCT,
        "rating": 5,
        "title": "Great shirt",
        "content": "Soft linen, true to size.",
        "author": "Jane Doe",
        "author_email": EMAIL,
    }
    review.update(changes)
    return {k: v for k, v in review.items() if v is not None}


def reviews_path(domain: str) -> str:
    return f"/api/v1/storefront/shops/{domain}/reviews"


def policy_path(domain: str) -> str:
    return f"/api/v1/storefront/shops/{domain}/image_upload_policy"


def page_of(domain: str) -> str:
    """The Origin of the shop's own pages (allowed by default)."""
    return f"https://{domain}"


async def post_review(
    client: httpx.AsyncClient,
    domain: str,
    review: Any = None,
    *,
    raw: bytes | None = None,
    origin: str | None = None,
    user_agent: str = IPHONE,
) -> httpx.Response:
    """POST a web review as a shop's page does (text/plain: a simple CORS request)."""
    data = raw if raw is not None else json.dumps(review).encode()
    headers = {"User-Agent": user_agent, "Content-Type": "application/json"}
    if origin is not None:
        headers["Origin"] = origin
    return await client.post(reviews_path(domain), content=data, headers=headers)


async def get_policy(
    client: httpx.AsyncClient, domain: str, *, origin: str | None = None, **params: str
) -> httpx.Response:
    headers = {"Origin": origin} if origin else {}
    return await client.get(policy_path(domain), params=params, headers=headers)


def client_at(app: Any, ip: str) -> httpx.AsyncClient:
    """A client of `app` whose TCP peer address is `ip`."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def set_shop(ctx: AppContext, shop_id: str, **values: Any) -> None:
    """Change shop columns directly (web_reviews, auto_publish_min_rating, status...)."""
    async with ctx.db.session(write=True) as session:
        await session.execute(update(Shop).where(Shop.shop_id == shop_id).values(**values))


async def add_order(
    ctx: AppContext,
    shop_id: str,
    email: str,
    *product_ids: str,
    order_id: str = "5001",
    cancelled: bool = False,
) -> None:
    """An order of the shop placed with `email`, containing `product_ids`."""
    now = datetime(2026, 6, 1, tzinfo=UTC)
    async with ctx.db.session(write=True) as session:
        session.add(
            Order(
                shop_id=shop_id,
                order_id=order_id,
                customer_email=email,
                customer_name="Jane Doe",
                status=OrderStatus.WAITING,
                products=[{"product_id": p, "title": f"Product {p}"} for p in product_ids],
                created_at=now,
                cancelled_at=now if cancelled else None,
            )
        )


async def stored_reviews(ctx: AppContext, shop_id: str) -> list[Review]:
    async with ctx.db.session(write=False) as session:
        query = select(Review).where(Review.shop_id == shop_id).order_by(Review.id)
        return list((await session.execute(query)).scalars())


async def stored_events(ctx: AppContext, shop_id: str) -> list[CustomerEvent]:
    async with ctx.db.session(write=False) as session:
        query = (
            select(CustomerEvent).where(CustomerEvent.shop_id == shop_id).order_by(CustomerEvent.id)
        )
        return list((await session.execute(query)).scalars())


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", quality=85)
    return out.getvalue()


async def upload_photo(
    client: httpx.AsyncClient,
    policy: dict[str, Any],
    name: str = "photo.jpg",
    data: bytes | None = None,
) -> httpx.Response:
    """The browser's form POST of one photo with the policy's fields, `file` last."""
    return await client.post(
        policy["upload_url"],
        data=policy["fields"],
        files={"file": (name, data if data is not None else jpeg(), "image/jpeg")},
    )


async def upload_rows(ctx: AppContext, prefix: str) -> list[MediaUpload]:
    async with ctx.db.session(write=False) as session:
        query = select(MediaUpload).where(MediaUpload.key.startswith(prefix, autoescape=True))
        return list((await session.execute(query.order_by(MediaUpload.id))).scalars())
