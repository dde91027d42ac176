"""The back office's insights page over a year, on a shop with many reviews.

    python bench/backoffice_insights.py --database sqlite --path /tmp/insights.db
    python bench/backoffice_insights.py --database postgresql \\
        --url postgresql+asyncpg://postgres@127.0.0.1:5432/insights

Builds a fresh database (the SQLite file is replaced; the PostgreSQL database is dropped and
created again), then one shop with --reviews published and hidden reviews spread over the last
400 days, --orders sent review requests (opened, clicked, reviewed in decreasing shares) and
--events storefront events over the last year, plus a second shop with a tenth of each (rows
the page must skip). Rows go in through SQLAlchemy's bulk INSERT, then ANALYZE.

Then it signs the shop's owner in through the page's form and asks, in the same process
(httpx's ASGI transport: server time, no network), for /backoffice/insights?period=365 (53
weekly buckets) --runs times, printing the fastest, median and slowest answer, and the time of
each aggregate query alone.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from shopreviews import migrate
from shopreviews.customer_events.models import CustomerEvent
from shopreviews.customers.models import EmailUnsubscribe
from shopreviews.kit.context import AppContext
from shopreviews.kit.models import Base
from shopreviews.main import create_app
from shopreviews.merchants import service as merchant_service
from shopreviews.orders.models import Order, ReviewRequest
from shopreviews.reviews.models import RatingAggregate, Review
from shopreviews.settings import Settings
from shopreviews.shops import service as shop_service

SECRET_KEY = "insights-benchmark-" + "k" * 32
PASSWORD = "insights-benchmark-password"
EMAIL = "owner@insights.example"
BATCH = 5000
EVENT_TYPES = ("VIEW_WIDGET", "CLICK_STAR", "CLICK_MEDIA", "CLICK_PAGE", "SUBMIT_REVIEW")


def settings_for(url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=url,
        secret_key=SECRET_KEY,
        run_worker=False,
        rate_limits_enabled=False,
    )


def fresh_sqlite(path: Path) -> str:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{path}"


async def fresh_database(args: argparse.Namespace) -> str:
    if args.database == "sqlite":
        return fresh_sqlite(args.path.resolve())
    url = make_url(args.url)
    name = url.database
    if not name or name in ("postgres", "template0", "template1"):
        sys.exit(f"give a database of its own in --url (not {name!r})")
    admin_dsn = url.set(drivername="postgresql", database="postgres")
    admin = await asyncpg.connect(admin_dsn.render_as_string(hide_password=False))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return str(args.url)


async def bulk(ctx: AppContext, model: type[Base], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        async with ctx.db.session(write=True) as session:
            await session.execute(insert(model), rows[start : start + BATCH])


async def load_shop(
    ctx: AppContext, shop_id: str, *, reviews: int, orders: int, events: int, now: datetime
) -> None:
    rng = random.Random(shop_id)
    stars = [0] * 5
    review_rows = []
    for _ in range(reviews):
        rating = rng.choices((1, 2, 3, 4, 5), weights=(4, 3, 8, 25, 60))[0]
        published = rng.random() < 0.95
        stars[rating - 1] += published
        at = now - timedelta(seconds=rng.randrange(400 * 86400))
        review_rows.append(
            {
                "shop_id": shop_id,
                "product_id": str(rng.randrange(1, 500)),
                "rating": rating,
                "author": "Benchmark",
                "commented_at": at,
                "is_published": published,
                "collected_via": "email_request" if rng.random() < 0.4 else "storefront",
                "created_at": at,
                "updated_at": at,
            }
        )
    await bulk(ctx, Review, review_rows)
    await bulk(
        ctx,
        RatingAggregate,
        [{"shop_id": shop_id, "scope": "all", "product_id": "", **_star_columns(stars)}],
    )
    order_rows = [
        {
            "shop_id": shop_id,
            "order_id": f"o{i}",
            "status": 3,
            "created_at": now - timedelta(days=380),
            "sent_at": now - timedelta(seconds=rng.randrange(365 * 86400)),
            "evaluated_at": now if rng.random() < 0.2 else None,
        }
        for i in range(orders)
    ]
    await bulk(ctx, Order, order_rows)
    async with ctx.db.session(write=False) as session:
        pks = (
            await session.execute(
                text("SELECT id FROM orders WHERE shop_id = :s ORDER BY id"), {"s": shop_id}
            )
        ).scalars()
        order_pks = list(pks)
    request_rows = []
    for pk in order_pks:
        opened = rng.random() < 0.5
        request_rows.append(
            {
                "shop_id": shop_id,
                "order_pk": pk,
                "status": "succeeded",
                "run_at": now,
                "opened_at": now if opened else None,
                "clicked_at": now if opened and rng.random() < 0.5 else None,
                "created_at": now,
            }
        )
    await bulk(ctx, ReviewRequest, request_rows)
    await bulk(
        ctx,
        CustomerEvent,
        [
            {
                "shop_id": shop_id,
                "event_type": rng.choice(EVENT_TYPES),
                "event_source": "STOREFRONT",
                "os_type": "PC",
                "created_at": now - timedelta(seconds=rng.randrange(365 * 86400)),
            }
            for _ in range(events)
        ],
    )
    await bulk(
        ctx,
        EmailUnsubscribe,
        [
            {
                "shop_id": shop_id,
                "email": f"c{i}@example.com",
                "email_type": "review_request",
                "origin": "customer",
                "created_at": now - timedelta(seconds=rng.randrange(365 * 86400)),
            }
            for i in range(orders // 50)
        ],
    )


def _star_columns(stars: list[int]) -> dict[str, int]:
    return {f"star{i + 1}_count": n for i, n in enumerate(stars)}


async def sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/backoffice/sign-in")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert token is not None
    answer = await client.post(
        "/backoffice/sign-in",
        data={"csrf_token": token.group(1), "email": EMAIL, "password": PASSWORD},
    )
    assert answer.status_code == 303, answer.text


async def timed(call: Callable[[], Awaitable[Any]], runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - started)
    return seconds


def report(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    print(f"  {name:<44} min {ms[0]:7.1f}  p50 {statistics.median(ms):7.1f}  max {ms[-1]:7.1f} ms")


async def main(args: argparse.Namespace) -> None:
    url = await fresh_database(args)
    settings = settings_for(url)
    migrate.upgrade(settings)
    ctx = AppContext.build(settings, public_url="http://bench")
    now = ctx.now_datetime() - timedelta(hours=1)
    started = time.perf_counter()
    async with ctx.db.session(write=True) as session:
        for shop_id in ("insights-big", "insights-other"):
            await shop_service.create(ctx, session, shop_id=shop_id, domain=f"{shop_id}.example")
        await merchant_service.create_user(
            session, shop_id="insights-big", email=EMAIL, password=PASSWORD, role="owner"
        )
    sizes = {"reviews": args.reviews, "orders": args.orders, "events": args.events}
    await load_shop(ctx, "insights-big", now=now, **sizes)
    await load_shop(ctx, "insights-other", now=now, **{k: v // 10 for k, v in sizes.items()})
    async with ctx.db.session(write=True) as session:
        await session.execute(text("ANALYZE"))
    print(f"{args.database}: loaded {sizes} in {time.perf_counter() - started:.1f} s")

    app = create_app(settings, ctx=ctx)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await sign_in(client)

        async def page() -> None:
            answer = await client.get("/backoffice/insights?period=365")
            assert answer.status_code == 200 and "Reviews in this period" in answer.text

        await page()  # warm: templates compiled, statements cached
        report("GET /backoffice/insights?period=365", await timed(page, args.runs))
    await query_times(ctx, now, args.runs)
    await ctx.db.dispose()


async def query_times(ctx: AppContext, now: datetime, runs: int) -> None:
    """Each aggregate of the page alone, the period being the page's."""
    from shopreviews.backoffice.insights.period import parse_period
    from shopreviews.customer_events import service as event_service
    from shopreviews.customers import service as customer_service
    from shopreviews.orders import service as order_service
    from shopreviews.reviews import service as review_service

    period = parse_period("365", None, None, datetime.now(UTC).date())
    start, end, shop = period.start, period.end, "insights-big"
    async with ctx.db.session(write=False) as s:
        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "reviews: stars by week": lambda: review_service.stars_by_bucket(
                s, shop, start, end, period.granularity
            ),
            "reviews: collected by email": lambda: review_service.collected_between(
                s, shop, "email_request", start, end
            ),
            "reviews: current rating (aggregate)": lambda: review_service.shop_rating(s, shop),
            "orders: request funnel": lambda: order_service.request_funnel(s, shop, start, end),
            "customers: unsubscribes": lambda: customer_service.customer_unsubscribes_between(
                s, shop, start, end
            ),
            "customer_events: storefront by type": lambda: event_service.storefront_counts(
                s, shop, start, end
            ),
        }
        for name, call in calls.items():
            await call()
            report(name, await timed(call, runs))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--path", type=Path, default=Path("/tmp/insights-bench.db"))
    parser.add_argument("--url", default="")
    parser.add_argument("--reviews", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if args.database == "postgresql" and not args.url:
        parser.error("--url is required for postgresql")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
