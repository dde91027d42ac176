"""The back office's reviews list on the million-review shop of bench/generate.py.

    python bench/generate.py --database sqlite --path /tmp/bench.db --reset     # once
    python bench/backoffice_reviews.py --database sqlite --path /tmp/bench.db
    python bench/backoffice_reviews.py --database postgresql \\
        --url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

Adds an owner to `bench-big` (1,000,000 reviews; ~5% unpublished, half of those hidden) when it
has none, signs in through the page's form, and asks, in this process (httpx's ASGI transport:
server time, no network), for /backoffice/reviews as each tab, order and filter sets it, and
for a page deep in the list by its cursor (--runs times each after one warm-up request),
printing the fastest, median and slowest answer. Each page's statements are recorded as the
server runs them; the plan of its list query (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY
PLAN on SQLite) and of the pending badge's count are printed with --plans.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import event, text

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.merchants import service as merchant_service
from shopreviews.reviews import cursor as review_cursor

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from generate import DATA, settings_for  # noqa: E402  (bench/generate.py)

SHOP = "bench-big"
EMAIL = "owner@bench-big.example"
PASSWORD = "reviews-benchmark-password"


async def ensure_owner(ctx: AppContext) -> None:
    async with ctx.db.session(write=True) as session:
        found = await session.execute(
            text("SELECT 1 FROM merchant_users WHERE shop_id = :shop AND lower(email) = :email"),
            {"shop": SHOP, "email": EMAIL},
        )
        if found.first() is None:
            await merchant_service.create_user(
                session, shop_id=SHOP, email=EMAIL, password=PASSWORD, role="owner"
            )


async def sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/backoffice/sign-in")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert token is not None
    answer = await client.post(
        "/backoffice/sign-in",
        data={"csrf_token": token.group(1), "email": EMAIL, "password": PASSWORD},
    )
    assert answer.status_code == 303, answer.text


async def deep_cursor(ctx: AppContext, where: str, depth: int) -> str:
    """The cursor after the `depth`-th review (newest first) of the shop's `where` rows:
    found once with OFFSET here, so the timed request is the page a merchant reaches by
    following "Next page" that many rows deep."""
    async with ctx.db.session(write=False) as session:
        row = (
            await session.execute(
                text(
                    "SELECT id, rating, commented_at FROM reviews WHERE shop_id = :shop "
                    f"AND deleted_at IS NULL {where} "
                    "ORDER BY commented_at DESC, id DESC LIMIT 1 OFFSET :depth"
                ),
                {"shop": SHOP, "depth": depth},
            )
        ).one()
    commented_at = row.commented_at
    if isinstance(commented_at, str):  # SQLite gives the stored text back through text()
        from datetime import UTC, datetime

        commented_at = datetime.fromisoformat(commented_at).replace(tzinfo=UTC)
    position = review_cursor.Position("created-descending", row.rating, commented_at, row.id)
    return review_cursor.encode(position)


def sample(database: str) -> dict[str, str]:
    """The busiest product (~33,000 reviews) and a product handle of the big shop, from
    generate.py's file."""
    big = json.loads((DATA / f"{database}-shops.json").read_text())["shops"][SHOP]
    return {"busiest": big["top_products"][0][0], "handle": big["product_handles"][0]}


class Recorder:
    """The statements the server runs while `on` (the engine's cursor events)."""

    def __init__(self, ctx: AppContext) -> None:
        self.on = False
        self.statements: list[tuple[str, Any]] = []
        event.listen(ctx.db.engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if self.on:
            self.statements.append((statement, params))


async def explain(ctx: AppContext, statement: str, params: Any) -> str:
    postgres = not ctx.db.is_sqlite
    prefix = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " if postgres else "EXPLAIN QUERY PLAN "
    async with ctx.db.engine.connect() as conn:
        result = await conn.exec_driver_sql(prefix + statement, params)
        rows = result.all()
    if postgres:
        return "\n".join(f"    {r[0]}" for r in rows)
    return "\n".join(f"    {r[-1]}" for r in rows)


def report(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    print(f"  {name:<52} min {ms[0]:7.1f}  p50 {statistics.median(ms):7.1f}  max {ms[-1]:7.1f} ms")


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.INFO)  # the access log of every request
    url = f"sqlite+aiosqlite:///{args.path.resolve()}" if args.database == "sqlite" else args.url
    settings = settings_for(url)
    ctx = AppContext.build(settings, public_url="http://bench")
    await ensure_owner(ctx)
    known = sample(args.database)
    deep_all = await deep_cursor(ctx, "", args.depth)
    deep_pending = await deep_cursor(
        ctx, "AND is_published = false AND moderated_at IS NULL", args.depth // 50
    )
    email = await one_email(ctx)
    pages = {
        "all (newest)": "",
        "pending": "?tab=pending",
        "published": "?tab=published",
        "hidden": "?tab=hidden",
        "unanswered": "?tab=unanswered",
        "with media": "?tab=media",
        "all, oldest first": "?sort=oldest",
        "all, highest rating first": "?sort=highest",
        "published, lowest rating first": "?tab=published&sort=lowest",
        "pending, lowest rating first": "?tab=pending&sort=lowest",
        "all, 2 stars": "?rating=2",
        "all, author email": f"?q={quote(email)}",
        "all, keyword (a rare word)": "?q=darker",
        "all, keyword (a frequent word)": "?q=quality",
        "all, product by id (the busiest)": f"?product={known['busiest']}",
        "all, product by handle": f"?product={known['handle']}",
        "all, one month": "?from=2025-06-01&to=2025-06-30",
        f"all, deep page ({args.depth:,} rows in)": f"?after={deep_all}",
        f"pending, deep page ({args.depth // 50:,} rows in)": f"?tab=pending&after={deep_pending}",
    }
    recorder = Recorder(ctx)
    app = create_app(settings, ctx=ctx)
    transport = httpx.ASGITransport(app=app)
    print(f"{args.database}: GET /backoffice/reviews as `{SHOP}`, {args.runs} runs each")
    plans: list[tuple[str, list[tuple[str, Any]]]] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await sign_in(client)
        for name, query in pages.items():

            async def page(query: str = query) -> None:
                answer = await client.get(f"/backoffice/reviews{query}")
                assert answer.status_code == 200, answer.text[:2000]
                assert 'id="review-' in answer.text, query

            recorder.on, recorder.statements = True, []
            await page()  # warm: templates compiled, statements cached; recorded
            recorder.on = False
            plans.append((name, recorder.statements))
            seconds = []
            for _ in range(args.runs):
                started = time.perf_counter()
                await page()
                seconds.append(time.perf_counter() - started)
            report(name, seconds)
    if args.plans:
        for name, statements in plans:
            for statement, params in statements:
                listing = "ORDER BY" in statement or "count(" in statement
                if "FROM reviews" in statement and listing:
                    kind = "count" if "count(" in statement else "list"
                    print(f"\n{name}: {kind}\n{await explain(ctx, statement, params)}")
    await ctx.db.dispose()


async def one_email(ctx: AppContext) -> str:
    async with ctx.db.session(write=False) as session:
        found = await session.execute(
            text(
                "SELECT author_email FROM reviews WHERE shop_id = :shop AND author_email != '' "
                "ORDER BY id LIMIT 1 OFFSET 1000"
            ),
            {"shop": SHOP},
        )
        return str(found.scalar_one())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--path", type=Path, default=Path("/tmp/bench.db"))
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/bench")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--depth", type=int, default=500_000, help="rows before the deep page")
    parser.add_argument("--plans", action="store_true", help="print each page's query plans")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
