"""Demo data: one shop with a small catalogue, about 200 realistic reviews, orders in every
review-request state and storefront customer events."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.customer_events import service as customer_events
from shopreviews.customer_events.schemas import StorefrontEventType
from shopreviews.customer_events.service import NewEvent
from shopreviews.kit.context import AppContext
from shopreviews.merchants import service as merchant_service
from shopreviews.orders import service as order_service
from shopreviews.orders.models import OrderStatus
from shopreviews.orders.service import OrderFacts
from shopreviews.reviews import service as review_service
from shopreviews.reviews.schemas import ReviewCreate
from shopreviews.shops import service as shop_service
from shopreviews.shops.models import Shop

DEMO_SHOP_ID = "61234567890"
DEMO_DOMAIN = "example-shop.myshopify.com"
DEMO_EMAIL = "owner@example-shop.com"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - a published demo credential
REVIEW_COUNT = 200
ORDER_COUNT = 40
EVENT_COUNT = 60
# Views are the most common storefront event.
STOREFRONT_EVENTS = ["VIEW_REVIEW"] * 6 + list(get_args(StorefrontEventType))

PRODUCTS = [
    (
        "9200305176832",
        "linen-shirt",
        "Linen Shirt",
        ["White / S", "White / M", "Blue / M", "Blue / L"],
    ),
    ("9200305176833", "merino-beanie", "Merino Beanie", ["Charcoal", "Forest", "Oat"]),
    ("9200305176834", "canvas-tote", "Canvas Tote Bag", ["Natural", "Black"]),
    ("9200305176835", "ceramic-mug", "Stoneware Mug", ["Sand", "Slate"]),
    ("9200305176836", "wool-socks", "Hiking Wool Socks", ["S", "M", "L"]),
]
AUTHORS = [
    "Jane D.",
    "Marco R.",
    "Aiko T.",
    "Sam",
    "Priya K.",
    "Lukas M.",
    "Chloé B.",
    "Tom H.",
    "Olivia W.",
    "Mateo G.",
    "Hannah S.",
    "Noah P.",
    "Zoë L.",
    "Ravi N.",
    "Emma J.",
    "Yuki",
]
COUNTRIES = ["US", "GB", "DE", "FR", "JP", "AU", "CA", "NL", "ES", "IT"]
SOURCES = (
    ["Open API"] * 6 + ["Email request"] * 4 + ["Store front"] * 3 + ["CSV uploaded", "Amazon"]
)
TITLES = {
    5: ["Love it", "Exactly as described", "Great quality", "Perfect gift", "Would buy again"],
    4: ["Very good", "Nice, small quibble", "Happy with it", "Good value"],
    3: ["It's okay", "Mixed feelings", "Average"],
    2: ["Not great", "Disappointed"],
    1: ["Poor quality", "Would not recommend"],
}
BODIES = {
    5: [
        "Soft fabric and true to size. I've worn it every week since it arrived.",
        "The quality is excellent and it arrived two days early. Packaging was plastic-free too.",
        "Bought one for myself and ended up ordering two more as gifts. Everyone loved them.",
        "Better than the photos. The colour is rich and the stitching is neat.",
    ],
    4: [
        "Really nice overall. Runs slightly large, so consider sizing down.",
        "Good product for the price. Shipping took a little longer than expected.",
        "Solid and well made. I'd give five stars if there were more colour options.",
    ],
    3: [
        "Does the job, but the colour is a bit different from the website.",
        "Decent, though I expected a thicker material for the price.",
    ],
    2: [
        "The seams started to come apart after a few washes.",
        "Smaller than I expected and the colour faded quickly.",
    ],
    1: [
        "Arrived damaged and the replacement took three weeks.",
        "Not as described at all. Returned it.",
    ],
}
STORE_BODIES = [
    "Fast shipping and lovely packaging.",
    "Customer service sorted my exchange in a day.",
    "Great little shop, my third order here.",
    "Delivery was slow but the team kept me updated.",
]
REPLIES = [
    "Thank you so much for your kind words!",
    "Thanks for the feedback, we're on it.",
    "Sorry to hear that. We've emailed you about a replacement.",
    "Glad you love it!",
]


def _ascii(name: str) -> str:
    return name.replace("é", "e").replace("ë", "e")


async def _orders(ctx: AppContext, session: AsyncSession, shop: Shop, rng: random.Random) -> None:
    """Orders in every review-request state: waiting, scheduled, sent, opened, evaluated and
    cancelled. Sent and later states are set directly (the demo sends no email)."""
    now = ctx.now_datetime()
    for i in range(ORDER_COUNT):
        author = AUTHORS[i % len(AUTHORS)]
        first = _ascii(author.split()[0])
        placed = now - timedelta(days=ORDER_COUNT - i, hours=rng.randint(0, 12))
        product = rng.choice(PRODUCTS)
        facts = OrderFacts(
            order_id=str(5512345678000 + i),
            order_name=f"#{1001 + i}",
            created_at=placed,
            customer_id=str(7712345678000 + i % 25),
            customer_email=f"{first.lower()}{i % 25}@example.net",
            first_name=first,
            customer_name=author,
            products=[{"product_id": product[0], "title": product[2], "handle": product[1]}],
            fulfilled_at=placed + timedelta(days=2) if i < ORDER_COUNT - 4 else None,
            cancelled_at=placed + timedelta(hours=3) if i % 13 == 7 else None,
        )
        order = await order_service.receive(session, shop, facts, now=now)
        if order.status == OrderStatus.SCHEDULED and order.scheduled_at and i < 24:
            # Older orders: their request went out already.
            await order_service.mark_request_sent(session, shop.shop_id, order)
            order.status = rng.choice([OrderStatus.SENT, OrderStatus.OPENED, OrderStatus.EVALUATED])


async def _events(ctx: AppContext, session: AsyncSession, rng: random.Random) -> None:
    now = ctx.now_datetime()
    for i in range(EVENT_COUNT):
        product = rng.choice(PRODUCTS)
        await customer_events.record(
            session,
            DEMO_SHOP_ID,
            NewEvent(
                event_type=rng.choice(STOREFRONT_EVENTS),
                event_source=customer_events.STOREFRONT,
                os_type=rng.choice(["IOS", "ANDROID", "WINDOWS", "MACOS", "LINUX"]),
                customer_id=str(7712345678000 + i % 25) if rng.random() < 0.4 else "",
                product_id=product[0],
                page_url=f"https://{DEMO_DOMAIN}/products/{product[1]}",
            ),
            now=now - timedelta(minutes=(EVENT_COUNT - i) * 37),
        )


def _review(rng: random.Random, index: int, now: int) -> dict[str, Any]:
    rating = rng.choices([5, 4, 3, 2, 1], weights=[55, 25, 10, 6, 4])[0]
    store = index % 10 == 0
    product = rng.choice(PRODUCTS)
    author = rng.choice(AUTHORS)
    body: dict[str, Any] = {
        "rating": rating,
        "author": author,
        "author_email": f"{_ascii(author.split()[0].lower())}{index}@example.net",
        "author_country": rng.choice(COUNTRIES),
        "title": rng.choice(TITLES[rating]),
        "content": rng.choice(STORE_BODIES if store else BODIES[rating]),
        "commented_at": now - rng.randint(3600, 365 * 86400),
        "source": rng.choice(SOURCES),
        "is_verified": int(rng.random() < 0.7),
        "is_featured": int(rating == 5 and rng.random() < 0.15),
        "is_published": int(rng.random() < 0.95),
        "order_id": str(5512345678000 + index) if rng.random() < 0.6 else "",
    }
    if not store:
        pid, handle, title, variants = product
        body.update(
            product_id=pid,
            product_handle=handle,
            product_title=title,
            item_type=rng.choice(variants),
        )
        if rng.random() < 0.2:
            images = [
                f"https://picsum.photos/seed/{handle}-{index}-{n}/800/800"
                for n in range(rng.randint(1, 3))
            ]
            body["media"] = [{"url": url, "type": 1} for url in images]
    if rng.random() < 0.25:
        body["reply"] = {"content": rng.choice(REPLIES)}
    return body


async def seed(
    ctx: AppContext,
    *,
    progress: Callable[[str], None] = lambda _m: None,
    storefront_origin: str | None = None,
) -> dict[str, Any]:
    """Create the demo shop once; later runs reuse it and print the same tokens. A
    `storefront_origin` (the demo page's, /demo/storefront) joins the shop's storefront origins,
    so the widget there may send events and reviews."""
    async with ctx.db.session(write=True) as session:
        shop = await shop_service.find(session, DEMO_SHOP_ID)
        if shop is None:
            progress("creating the demo shop ...")
            creds = await shop_service.create(
                ctx, session, shop_id=DEMO_SHOP_ID, domain=DEMO_DOMAIN, name="Example Shop"
            )
            await merchant_service.create_user(
                session, shop_id=DEMO_SHOP_ID, email=DEMO_EMAIL, password=DEMO_PASSWORD
            )
            public_token, private_token = creds.public_token, creds.private_token
            rng = random.Random(20260605)  # noqa: S311 - repeatable demo data, not secrets
            now = ctx.now()
            for i in range(REVIEW_COUNT):
                body = ReviewCreate.model_validate(_review(rng, i, now))
                await review_service.create(ctx, session, DEMO_SHOP_ID, body)
                if (i + 1) % 50 == 0:
                    progress(f"  {i + 1}/{REVIEW_COUNT} reviews")
            new_shop = await shop_service.find(session, DEMO_SHOP_ID)
            assert new_shop is not None
            await _orders(ctx, session, new_shop, rng)
            await _events(ctx, session, rng)
            progress(f"  {ORDER_COUNT} orders, {EVENT_COUNT} customer events")
        else:
            progress("the demo shop exists; reusing it")
            public_token, private_token = shop.public_token, shop_service.private_token(ctx, shop)
        if storefront_origin is not None:
            current = await shop_service.get_intake_settings(session, DEMO_SHOP_ID)
            if storefront_origin not in current.storefront_origins:
                await shop_service.update_intake_settings(
                    ctx,
                    session,
                    DEMO_SHOP_ID,
                    origins=[*current.storefront_origins, storefront_origin],
                    now=ctx.now_datetime(),
                )
    return {
        "shop_id": DEMO_SHOP_ID,
        "myshopify_domain": DEMO_DOMAIN,
        "public_token": public_token,
        "private_token": private_token,
        "merchant_email": DEMO_EMAIL,
        "merchant_password": DEMO_PASSWORD,
        "product_count": len(PRODUCTS),
        "review_count": REVIEW_COUNT,
        "order_count": ORDER_COUNT,
        "customer_event_count": EVENT_COUNT,
    }
