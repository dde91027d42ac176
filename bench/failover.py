"""Errors clients see while PostgreSQL ends the server's connections under load.

A real `shopreviews serve --no-worker` process (bench/webhooks.py's api_server) on a fresh
PostgreSQL database, and one shop with a review/created subscription. `--concurrency` clients
each loop over create_review, get_reviews and get_rating (signed; each create changes the
shop's data version, so the reads that follow are computed, not cached) for `--seconds`, while
an admin connection ends every other connection to the database every `--every` seconds
(`pg_terminate_backend`, as a restart or failover does). Printed: requests and non-zero codes
per endpoint, then what was stored: reviews, review/created events and deliveries (each equal
when the outbox stayed exactly-once), and how many reviews exist beyond the creates answered
with code 0 (creates whose COMMIT was sent on a connection that died: outcome unknown to the
server, so answered with code 13, yet committed).

Usage (from the repository root, PostgreSQL running):

    python bench/failover.py [--pg-url postgresql+asyncpg://postgres@127.0.0.1:5432]
                             [--seconds 20] [--concurrency 8] [--every 1.0]

To measure another version of the server, put its source first: PYTHONPATH=/path/to/src.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import asyncpg
import httpx
from load import signed_get  # bench/load.py
from sqlalchemy import func, select

import shopreviews
from shopreviews.kit.outbox import DomainEvent
from shopreviews.reviews.models import Review
from shopreviews.shops.service import ShopCredentials
from shopreviews.webhooks.models import WebhookDelivery
from webhooks import (  # bench/webhooks.py
    DEFAULT_PG_URL,
    api_server,
    app_context,
    fresh_database,
    new_shop,
    review_request,
)

END_OTHERS = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


class Tally:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.codes: Counter[tuple[str, int]] = Counter()

    def add(self, name: str, response: httpx.Response) -> None:
        self.requests[name] += 1
        code = int(response.json()["code"])
        if code != 0:
            self.failed[name] += 1
            self.codes[(name, code)] += 1


async def client(base: str, shop: ShopCredentials, tally: Tally, worker: int, until: float) -> None:
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=30) as http:
        i = worker * 1_000_000
        while time.monotonic() < until:
            i += 1
            body, headers = review_request(shop, i)
            tally.add(
                "create_review",
                await http.post("/api/v1/openapi/create_review", content=body, headers=headers),
            )
            for name, pairs in (
                ("get_reviews", [("page_size", "20")]),
                ("get_rating", [("is_all_rating", "1")]),
            ):
                req = signed_get(
                    shop.public_token, shop.private_token, name, pairs, str(int(time.time()))
                )
                tally.add(name, await http.get(req.path, headers=req.headers))


async def end_connections_every(dsn: str, every: float, until: float) -> list[int]:
    ended: list[int] = []
    admin = await asyncpg.connect(dsn)
    try:
        while time.monotonic() + every < until:
            await asyncio.sleep(every)
            ended.append(await admin.fetchval(END_OTHERS))
    finally:
        await admin.close()
    return ended


async def stored(database_url: str, shop_id: str) -> tuple[int, int, int]:
    async with app_context(database_url) as ctx, ctx.db.session(write=False) as session:
        counts = []
        for model, where in (
            (Review, Review.shop_id == shop_id),
            (
                DomainEvent,
                (DomainEvent.shop_id == shop_id) & (DomainEvent.topic == "review/created"),
            ),
            (WebhookDelivery, WebhookDelivery.shop_id == shop_id),
        ):
            counts.append(
                await session.scalar(select(func.count()).select_from(model).where(where)) or 0
            )
    return counts[0], counts[1], counts[2]


async def main(args: argparse.Namespace) -> None:
    print(f"server code: {Path(shopreviews.__file__).parent}")
    with tempfile.TemporaryDirectory(prefix="bench-failover-") as tmp:
        async with fresh_database("postgresql", args.pg_url, Path(tmp)) as database_url:
            async with app_context(database_url) as ctx:
                shop = await new_shop(ctx, ["http://127.0.0.1:9/hook"])
            dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
            with api_server(database_url, Path(tmp)) as (base, _pid):
                tally = Tally()
                until = time.monotonic() + args.seconds
                ended, *_ = await asyncio.gather(
                    end_connections_every(dsn, args.every, until),
                    *(client(base, shop, tally, n, until) for n in range(args.concurrency)),
                )
            reviews, events, deliveries = await stored(database_url, shop.shop_id)
            if args.log:
                shutil.copy(Path(tmp) / "server.log", args.log)
    print(f"{len(ended)} rounds of pg_terminate_backend, {sum(ended)} connections ended")
    for name in ("create_review", "get_reviews", "get_rating"):
        total, failed = tally.requests[name], tally.failed[name]
        share = 100 * failed / max(1, total)
        print(f"{name:14} {total:6} requests {failed:5} non-zero ({share:.2f}%)")
    print("codes:", dict(tally.codes) or "none")
    ok_creates = tally.requests["create_review"] - tally.failed["create_review"]
    print(
        f"stored: {reviews} reviews, {events} review/created events, {deliveries} deliveries; "
        f"{reviews - ok_creates} reviews beyond the creates answered with code 0"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--every", type=float, default=1.0)
    parser.add_argument("--log", type=Path, help="keep the server's log here")
    asyncio.run(main(parser.parse_args()))
