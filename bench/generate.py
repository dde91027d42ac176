"""Benchmark data: a large shop, a 10,000-review shop and 100 small shops, bulk-loaded.

    python bench/generate.py --database sqlite --path /tmp/bench.db [--reset]
    python bench/generate.py --database postgresql \\
        --url postgresql+asyncpg://postgres@127.0.0.1:5432/bench [--reset]

What it makes (the same data on both databases for the same --seed):

- `bench-big` (bench-big.myshopify.com): 1,000,000 reviews over 10,000 products, skewed
  (Zipf, exponent 0.8: the top product has ~35,000 reviews, the median one ~40, the last
  ones ~10), plus ~5% store reviews (product "0");
- `bench-10k`: 10,000 reviews over 100 products (the "same list at 10,000 reviews" of the load
  benchmark);
- `bench-s000` .. `bench-s099`: 1,000 reviews each over 50 products.

Review content comes from bench/routes.py's SyntheticReviews, the same source as the ceiling
route's body (ratings skewed to 5 and 4, 1-4 sentences with some multi-byte text, 20%
with 1-3 media items, 25% with a reply), commented_at spread over 3 years (denser towards now),
~95% published (of the rest, half hidden by the merchant: `moderated_at` set), ~0.5% deleted.
All shops' reviews are interleaved in time and numbered in that order, as a live database
would have them.

How: the schema by shopreviews.migrate.upgrade; shops through the real shop service (so the
tokens work: the private token is sealed with the benchmark's server key, written to the JSON
file below); reviews in bulk: SQLite through the sqlite3 module (executemany in batches, one
transaction, PRAGMA synchronous=OFF, values stored exactly as SQLAlchemy stores them),
PostgreSQL through asyncpg COPY. The review indexes are dropped for the load and rebuilt from
their own definitions afterwards. Then products (the catalogue), rating_aggregates with
INSERT ... SELECT ... GROUP BY (published, undeleted reviews, as the repository counts them),
and ANALYZE (PostgreSQL: VACUUM ANALYZE, the state autovacuum would reach).

Writes bench/.data/<database>-shops.json: tokens, the server key, and product ids, review ids
and handles for the load scenarios (bench/scenarios.py).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import random
import re
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from shopreviews import migrate
from shopreviews.kit.context import AppContext
from shopreviews.reviews.models import STORE_PRODUCT_ID
from shopreviews.settings import Settings
from shopreviews.shops import service as shop_service

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from routes import (  # noqa: E402  (bench/routes.py)
    FIRST_PRODUCT_ID,
    CatalogueProduct,
    SyntheticReviews,
    catalogue,
)

DATA = BENCH / ".data"
SECRET_KEY = "bench-load-secret-key-" + "k" * 32
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench"
YEAR = 365 * 86400
ZIPF_EXPONENT = 0.8
STORE_SHARE = 0.05
BATCH = 20_000
SAMPLE = 200  # ids of each kind kept for the scenarios

COLUMNS = (
    "id",
    "shop_id",
    "product_id",
    "order_id",
    "rating",
    "author",
    "author_email",
    "author_phone",
    "author_country",
    "title",
    "content",
    "commented_at",
    "item_type",
    "source",
    "tag",
    "is_verified",
    "is_featured",
    "is_published",
    "is_top",
    "media",
    "has_media",
    "reply_content",
    "reply_at",
    "deleted_at",
    "moderated_at",
    "created_at",
    "updated_at",
)
# An FTS5 table whose content is the reviews table (kept by triggers on reviews).
EXTERNAL_CONTENT = re.compile(r"content\s*=\s*['\"]?reviews['\"]?[\s,)]")
IMPORTED = frozenset({"Amazon", "AliExpress", "Etsy", "Import"})


# --------------------------------------------------------------------------------------------
# The plan: shops, their catalogues and how many reviews each gets
# --------------------------------------------------------------------------------------------


@dataclass
class ShopPlan:
    shop_id: str
    domain: str
    group: str  # big, 10k, small
    reviews: int
    products: list[CatalogueProduct]
    cum_weights: list[float] = field(default_factory=list)
    public_token: str = ""
    private_token: str = ""
    # Filled while generating: reviews per product (published, undeleted), sampled ids.
    live_per_product: Counter[str] = field(default_factory=Counter)
    review_ids: list[int] = field(default_factory=list)
    seen_live: int = 0

    def __post_init__(self) -> None:
        # Zipf popularity: product k (1-based) has weight 1 / k^s.
        weights = [1 / (k**ZIPF_EXPONENT) for k in range(1, len(self.products) + 1)]
        self.cum_weights = list(itertools.accumulate(weights))


def plan(scale: float, seed: int) -> list[ShopPlan]:
    def count(n: int) -> int:
        return max(1, round(n * scale))

    shops = [
        ShopPlan(
            "bench-big",
            "bench-big.myshopify.com",
            "big",
            count(1_000_000),
            catalogue(max(100, count(10_000)), seed=seed, first_id=FIRST_PRODUCT_ID),
        ),
        ShopPlan(
            "bench-10k",
            "bench-10k.myshopify.com",
            "10k",
            count(10_000),
            catalogue(100, seed=seed + 1, first_id=FIRST_PRODUCT_ID + 1_000_000),
        ),
    ]
    for i in range(100):
        shops.append(
            ShopPlan(
                f"bench-s{i:03d}",
                f"bench-s{i:03d}.myshopify.com",
                "small",
                count(1_000),
                catalogue(50, seed=seed + 2 + i, first_id=FIRST_PRODUCT_ID + 2_000_000 + 1000 * i),
            )
        )
    return shops


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


def sqlite_time(ts: int | None) -> str | None:
    """As SQLAlchemy's DateTime stores it on SQLite: naive UTC with microseconds."""
    return None if ts is None else time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime(ts))


def pg_time(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def review_rows(
    shops: list[ShopPlan],
    *,
    seed: int,
    end: int,
    to_time: Callable[[int | None], Any],
    to_bool: Callable[[bool], Any],
) -> Iterator[tuple[Any, ...]]:
    """Every review of every shop, ordered by commented_at and numbered in that order (ids
    from 1), as tuples in COLUMNS order. Sampled ids and live counts go into the plans."""
    rng = random.Random(seed)
    start = end - 3 * YEAR
    span = end - start
    # Timestamps first (cheap ints), sorted, so ids follow time across all shops.
    order = [
        (start + int(span * rng.random() ** 0.5)) << 7 | index
        for index, shop in enumerate(shops)
        for _ in range(shop.reviews)
    ]
    order.sort()
    text = SyntheticReviews(seed)
    sample_every = {i: max(1, shop.reviews // (5 * SAMPLE)) for i, shop in enumerate(shops)}
    for review_id, key in enumerate(order, 1):
        shop = shops[key & 127]
        commented = key >> 7
        review = text.review()
        if rng.random() < STORE_SHARE:
            product_id = STORE_PRODUCT_ID
        else:
            pick = rng.random() * shop.cum_weights[-1]
            product_id = shop.products[bisect.bisect(shop.cum_weights, pick)].product_id
        imported = review.source in IMPORTED
        created = min(end, commented + (rng.randrange(86400 * 180) if imported else 300))
        reply_at = (
            min(end, created + rng.randrange(3600, 5 * 86400)) if review.reply_content else None
        )
        published = rng.random() < 0.95
        deleted = min(end, created + rng.randrange(30 * 86400)) if rng.random() < 0.005 else None
        updated = max(created, reply_at or 0, deleted or 0)
        # Half the unpublished reviews were hidden by the merchant, the rest wait for a
        # decision (the back office's "hidden" and "pending"); by id, so the random stream and
        # every other value stay those of earlier runs.
        moderated = created + 3600 if not published and review_id % 2 == 0 else None
        order_id = str(5_100_000_000_000 + rng.randrange(10**9)) if rng.random() < 0.5 else ""
        if published and deleted is None:
            shop.live_per_product[product_id] += 1
            shop.seen_live += 1
            if shop.seen_live % sample_every[key & 127] == 0:
                shop.review_ids.append(review_id)
        yield (
            review_id,
            shop.shop_id,
            product_id,
            order_id,
            review.rating,
            review.author,
            review.author_email,
            "",
            review.author_country,
            review.title,
            review.content,
            to_time(commented),
            review.item_type,
            review.source,
            "",
            to_bool(review.is_verified),
            to_bool(review.is_featured),
            to_bool(published),
            to_bool(review.is_top),
            json.dumps(review.media),  # SQLAlchemy's JSON type writes json.dumps' text
            to_bool(any(m.get("is_published") for m in review.media)),
            review.reply_content,
            to_time(reply_at),
            to_time(deleted),
            to_time(moderated),
            to_time(created),
            to_time(updated),
        )


def product_rows(shops: list[ShopPlan]) -> list[tuple[str, str, str, str, str]]:
    return [
        (shop.shop_id, p.product_id, p.handle, p.handle.lower(), p.title)
        for shop in shops
        for p in shop.products
    ]


def aggregate_statements(published: str) -> list[str]:
    """rating_aggregates from the reviews, as ReviewRepository.adjust_rating keeps them: star
    counts of published, undeleted reviews per product (store "0" included), of all product
    reviews ('all_products', store reviews excluded) and of all reviews ('all')."""
    stars = ", ".join(f"SUM(CASE WHEN rating = {n} THEN 1 ELSE 0 END)" for n in range(1, 6))
    live = f"is_published = {published} AND deleted_at IS NULL"
    insert = (
        "INSERT INTO rating_aggregates (shop_id, scope, product_id, "
        "star1_count, star2_count, star3_count, star4_count, star5_count) "
    )
    return [
        f"{insert} SELECT shop_id, 'product', product_id, {stars} FROM reviews "
        f"WHERE {live} GROUP BY shop_id, product_id",
        f"{insert} SELECT shop_id, 'all_products', '', {stars} FROM reviews "
        f"WHERE {live} AND product_id <> '{STORE_PRODUCT_ID}' GROUP BY shop_id",
        f"{insert} SELECT shop_id, 'all', '', {stars} FROM reviews WHERE {live} GROUP BY shop_id",
    ]


# --------------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------------


class Phases:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.started = time.perf_counter()

    def run(self, name: str) -> _Phase:
        return _Phase(self, name)

    def total(self) -> float:
        return time.perf_counter() - self.started


class _Phase:
    def __init__(self, phases: Phases, name: str) -> None:
        self.phases, self.name = phases, name

    def __enter__(self) -> None:
        print(f"{self.name} ...", flush=True)
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        seconds = time.perf_counter() - self.start
        self.phases.seconds[self.name] = round(seconds, 2)
        print(f"{self.name}: {seconds:.1f} s", flush=True)


def progress(rows: Iterator[tuple[Any, ...]], total: int) -> Iterator[tuple[Any, ...]]:
    start = time.perf_counter()
    step = max(1, total // 10)
    for n, row in enumerate(rows, 1):
        yield row
        if n % step == 0 or n == total:
            seconds = time.perf_counter() - start
            print(f"  {n:>9,} / {total:,} reviews, {n / seconds:,.0f} rows/s", flush=True)


# --------------------------------------------------------------------------------------------
# Shops (through the service) and the database
# --------------------------------------------------------------------------------------------


def settings_for(url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=url,
        secret_key=SECRET_KEY,
        run_worker=False,
        rate_limits_enabled=False,
    )


async def create_shops(url: str, shops: list[ShopPlan]) -> None:
    ctx = AppContext.build(settings_for(url))
    try:
        async with ctx.db.session(write=True) as session:
            for shop in shops:
                creds = await shop_service.create(
                    ctx, session, shop_id=shop.shop_id, domain=shop.domain
                )
                shop.public_token, shop.private_token = creds.public_token, creds.private_token
    finally:
        await ctx.db.dispose()


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def prepare_postgres(url: str, reset: bool) -> None:
    parsed = make_url(url)
    name = parsed.database
    if not name or name in ("postgres", "template0", "template1"):
        sys.exit(f"give a database of its own in --url (not {name!r})")
    admin = await asyncpg.connect(asyncpg_dsn(str(parsed.set(database="postgres"))))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and reset:
            print(f"dropping database {name}")
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            print(f"creating database {name}")
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def prepare_sqlite(path: Path, reset: bool) -> None:
    if reset:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)


async def already_loaded(url: str) -> bool:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(text("SELECT 1 FROM shops WHERE shop_id = 'bench-big'"))
            return found.first() is not None
    finally:
        await engine.dispose()


# --------------------------------------------------------------------------------------------
# Bulk loads
# --------------------------------------------------------------------------------------------


def load_sqlite(path: Path, shops: list[ShopPlan], phases: Phases, *, seed: int, end: int) -> None:
    total = sum(s.reviews for s in shops)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-1048576")  # 1 GiB, for the index builds
        con.execute("PRAGMA temp_store=MEMORY")
        # Indexes and triggers of reviews go for the load and come back from their own SQL;
        # what the triggers maintain (an external-content full-text table) is rebuilt.
        indexes = con.execute(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = 'reviews' AND sql IS NOT NULL"
        ).fetchall()
        triggers = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'reviews'"
        ).fetchall()
        full_text = [
            name
            for name, sql in con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            if sql.startswith("CREATE VIRTUAL TABLE") and EXTERNAL_CONTENT.search(sql)
        ]
        con.execute("BEGIN")
        for name, _ in indexes:
            con.execute(f'DROP INDEX "{name}"')
        for name, _ in triggers:
            con.execute(f'DROP TRIGGER "{name}"')
        insert = (
            f"INSERT INTO reviews ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        )
        rows = progress(
            review_rows(shops, seed=seed, end=end, to_time=sqlite_time, to_bool=int), total
        )
        with phases.run(f"reviews: generate and insert {total:,} rows"):
            while batch := list(itertools.islice(rows, BATCH)):
                con.executemany(insert, batch)
        with phases.run(f"reviews: rebuild {len(indexes)} indexes"):
            for _, sql in indexes:
                con.execute(sql)
        for _, sql in triggers:
            con.execute(sql)
        for name in full_text:
            with phases.run(f"reviews: rebuild the full-text table {name}"):
                con.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')
        with phases.run("products"):
            con.executemany(
                "INSERT INTO products (shop_id, product_id, handle, handle_lower, title) "
                "VALUES (?, ?, ?, ?, ?)",
                product_rows(shops),
            )
        with phases.run("rating_aggregates"):
            for statement in aggregate_statements("1"):
                con.execute(statement)
        with phases.run("commit"):
            con.execute("COMMIT")
        with phases.run("ANALYZE and WAL checkpoint"):
            con.execute("ANALYZE")
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


async def load_postgres(
    url: str, shops: list[ShopPlan], phases: Phases, *, seed: int, end: int
) -> None:
    total = sum(s.reviews for s in shops)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("SET maintenance_work_mem = '1GB'")
        # This session only: no foreign-key or data-version triggers per copied row (every
        # shop_id is one of the shops just created, and their versions start at 0 anyway).
        # Needs a superuser; without one the load is just slower.
        try:
            await conn.execute("SET session_replication_role = replica")
        except asyncpg.InsufficientPrivilegeError:
            print("  (not a superuser: foreign keys are checked row by row)")
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'reviews' AND indexname <> 'pk_reviews'"
        )
        async with conn.transaction():
            for index in indexes:
                await conn.execute(f'DROP INDEX "{index["indexname"]}"')
            rows = progress(
                review_rows(shops, seed=seed, end=end, to_time=pg_time, to_bool=bool), total
            )
            with phases.run(f"reviews: generate and COPY {total:,} rows"):
                await conn.copy_records_to_table("reviews", records=rows, columns=COLUMNS)
            with phases.run(f"reviews: rebuild {len(indexes)} indexes"):
                for index in indexes:
                    await conn.execute(index["indexdef"])
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence('reviews', 'id'), "
                "(SELECT max(id) FROM reviews))"
            )
            with phases.run("products"):
                await conn.copy_records_to_table(
                    "products",
                    records=product_rows(shops),
                    columns=("shop_id", "product_id", "handle", "handle_lower", "title"),
                )
            with phases.run("rating_aggregates"):
                for statement in aggregate_statements("TRUE"):
                    await conn.execute(statement)
        await conn.execute("RESET session_replication_role")
        with phases.run("VACUUM ANALYZE"):
            for table in ("reviews", "products", "rating_aggregates", "shops"):
                await conn.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        await conn.close()


# --------------------------------------------------------------------------------------------
# The scenario file
# --------------------------------------------------------------------------------------------


def shop_entry(shop: ShopPlan, rng: random.Random) -> dict[str, Any]:
    live = shop.live_per_product
    products = [pid for pid in live if pid != STORE_PRODUCT_ID]
    # Products as traffic would pick them: in proportion to their reviews.
    weights = [live[pid] for pid in products]
    by_traffic = rng.choices(products, weights=weights, k=SAMPLE) if products else []
    handles = {p.product_id: p.handle for p in shop.products}
    ids = shop.review_ids
    return {
        "shop_id": shop.shop_id,
        "domain": shop.domain,
        "group": shop.group,
        "public_token": shop.public_token,
        "private_token": shop.private_token,
        "reviews": shop.reviews,
        "live_reviews": sum(live.values()),
        "store_reviews": live[STORE_PRODUCT_ID],
        "products": len(shop.products),
        "product_ids": by_traffic,
        "product_handles": [handles[pid] for pid in by_traffic],
        "top_products": [[pid, n] for pid, n in live.most_common(6) if pid != STORE_PRODUCT_ID],
        "review_ids": rng.sample(ids, min(SAMPLE, len(ids))),
    }


def write_shops_file(
    database: str, url: str, shops: list[ShopPlan], phases: Phases, args: argparse.Namespace
) -> Path:
    rng = random.Random(args.seed)
    DATA.mkdir(exist_ok=True)
    (DATA / ".gitignore").write_text("*\n")
    path = DATA / f"{database}-shops.json"
    document = {
        "database": database,
        "url": url,
        "secret_key": SECRET_KEY,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": args.seed,
        "scale": args.scale,
        "load_seconds": {**phases.seconds, "total": round(phases.total(), 1)},
        "shops": {shop.shop_id: shop_entry(shop, rng) for shop in shops},
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False))
    return path


# --------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument("--path", type=Path, help="SQLite file (with --database sqlite)")
    parser.add_argument(
        "--url", default=DEFAULT_PG_URL, help=f"PostgreSQL database (default {DEFAULT_PG_URL})"
    )
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
    parser.add_argument("--seed", type=int, default=20260605)
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply every shop's review count (and the big shop's products) by this, "
        "for a quick try (default 1)",
    )
    args = parser.parse_args()
    if args.database == "sqlite" and args.path is None:
        parser.error("--path is required with --database sqlite")
    return args


async def main(args: argparse.Namespace) -> None:
    phases = Phases()
    shops = plan(args.scale, args.seed)
    # Whole seconds, an hour back: every generated time is in the past for the server.
    end = int(time.time()) - 3600
    if args.database == "sqlite":
        path = args.path.resolve()
        url = f"sqlite+aiosqlite:///{path}"
        with phases.run("prepare"):
            prepare_sqlite(path, args.reset)
    else:
        url = args.url
        with phases.run("prepare"):
            await prepare_postgres(url, args.reset)
    with phases.run("migrate"):
        migrate.upgrade(settings_for(url))
    if await already_loaded(url):
        sys.exit("this database already has the benchmark shops: add --reset to start over")
    with phases.run(f"shops: {len(shops)} through the shop service"):
        await create_shops(url, shops)
    if args.database == "sqlite":
        load_sqlite(path, shops, phases, seed=args.seed, end=end)
    else:
        await load_postgres(url, shops, phases, seed=args.seed, end=end)
    written = write_shops_file(args.database, url, shops, phases, args)
    print(f"\nloaded in {phases.total():.1f} s; scenario data in {written}")
    for name, seconds in phases.seconds.items():
        print(f"  {name:<50} {seconds:>7.1f} s")


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
