"""Load scenarios of the partner API against the data of bench/generate.py, with wrk.

    python bench/scenarios.py --database sqlite [--duration 30] [--concurrency 16]
    python bench/scenarios.py --database postgresql [--only product,get_review]

One server process (bench/serve.py: `shopreviews serve` with the benchmark routes; uvicorn, one
process, the webhook worker inside) on the generated database, with
SHOPREVIEWS_RATE_LIMITS_ENABLED=false. In the same run, at the same concurrency and duration:

1. the driver's ceiling: wrk against nginx serving a file of the ceiling body's size;
2. the server's ceiling: GET /bench/ceiling (a pre-serialised 20-review page, no auth, no
   database), at the start and again at the end of the run;
3. each scenario: a pool of signed requests (up to 200 variants: product ids, review ids,
   keywords, filters), signed just before its run and cycled through by wrk.

Every scenario is reported as throughput, p50 and p99 latency, and its ratio to the server's
ceiling (the mean of its two measurements), with the server's and wrk's CPU use, PostgreSQL's
backends' CPU use, the response body size, and the server's peak RSS so far. Before each run
the first requests of the pool are sent once with httpx and must answer code 0 (their sizes
are the `body` column); wrk's non-2xx answers and socket errors are reported, never hidden.
Between runs the script waits until the server is idle (requests a slow run left in flight,
webhook deliveries).

create_review runs last on the big shop, with one review/created subscription to a local
receiver (bench/webhooks.py's): the run waits for the worker to deliver what it queued, counts
the deliveries, and deletes the subscription. Every run adds its reviews to the shop.

--cursor adds the deep page read by keyset cursor; --server-env NAME=VALUE passes a setting to
the server (e.g. SHOPREVIEWS_DB_POOL_SIZE=20).

Writes the table to bench/.data/results-<database>-<time>.md (and prints it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import load  # noqa: E402
from routes import CEILING_PATH, SyntheticReviews  # noqa: E402  (bench/routes.py)

from webhooks import receiver_process, wait_until_up  # noqa: E402  (the 200-answering receiver)

DATA = BENCH / ".data"
VARIANTS = 200
KEYWORDS = (
    # Frequent, middling and rare words of the generated text, and multi-byte ones: a rare
    # keyword has to scan further before it fills a page.
    "quality",
    "gift",
    "shipping",
    "stitching",
    "darker",
    "recommend",
    "broke",
    "qualité",
    "Zoë",
    "perfect",
)
RATING_FILTERS = (("5",), ("4", "5"), ("1", "2"), ("3",), ("1",))

Pairs = list[tuple[str, str]]


@dataclass
class Shop:
    shop_id: str
    public_token: str
    private_token: str
    info: dict[str, Any]

    def get(self, name: str, pairs: Pairs, ts: str) -> load.Request:
        return load.signed_get(self.public_token, self.private_token, name, pairs, ts)

    def post(self, name: str, body: bytes, ts: str) -> load.Request:
        return load.signed_post(self.public_token, self.private_token, name, body, ts)


@dataclass
class Scenario:
    name: str
    label: str
    # The pool of signed requests, made just before the run (its timestamp is then fresh).
    requests: Callable[[str], list[load.Request]]
    setup: Callable[[Context], Any] | None = None
    # Runs after the measurement; what it returns goes into the row's note.
    teardown: Callable[[Context, Any], str] | None = None


@dataclass
class Context:
    base: str
    shops: dict[str, Shop]
    receiver: str
    args: argparse.Namespace
    database_url: str


@dataclass
class Row:
    label: str
    result: load.WrkResult | None
    body_bytes: int = 0
    server_cpu: float = 0.0  # share of one core over the run
    db_cpu: float = 0.0
    rss_mb: float = 0.0
    waited_s: float = 0.0
    note: str = ""
    variants: int = 0
    db_sessions: int | None = None


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


def variants(values: list[Any]) -> list[Any]:
    """Up to VARIANTS values, cycled when fewer."""
    if not values:
        raise RuntimeError("no values to vary the scenario with")
    return [values[i % len(values)] for i in range(VARIANTS)]


def list_scenarios(
    shop: Shop, prefix: str, label: str, deep_page: int, *, with_cursor: bool
) -> list[Scenario]:
    info = shop.info
    products = variants(info["product_ids"])
    review_ids = variants([str(i) for i in info["review_ids"]])
    page = [("page", "1"), ("page_size", "20")]

    def by_product(ts: str) -> list[load.Request]:
        return [shop.get("get_reviews", [("product_id", p), *page], ts) for p in products]

    def newest(page_number: int) -> Callable[[str], list[load.Request]]:
        pairs = [
            ("sort_by", "created-descending"),
            ("page", str(page_number)),
            ("page_size", "20"),
        ]
        return lambda ts: [shop.get("get_reviews", pairs, ts)]

    def keyword(ts: str) -> list[load.Request]:
        return [shop.get("get_reviews", [("keyword", k), *page], ts) for k in KEYWORDS]

    def filters(ts: str) -> list[load.Request]:
        out = []
        for ratings in RATING_FILTERS:
            for store in ("0", "1"):
                pairs = [("ratings[]", r) for r in ratings]
                out.append(shop.get("get_reviews", [*pairs, ("is_store_review", store), *page], ts))
        return out

    def one_review(ts: str) -> list[load.Request]:
        return [shop.get("get_review", [("id", i)], ts) for i in review_ids]

    def product_rating(ts: str) -> list[load.Request]:
        return [shop.get("get_rating", [("product_id", p)], ts) for p in products]

    def shop_rating(ts: str) -> list[load.Request]:
        return [shop.get("get_rating", [("is_all_rating", "1")], ts)]

    return [
        Scenario(f"{prefix}product", f"{label}: get_reviews by product, page 1", by_product),
        Scenario(f"{prefix}newest", f"{label}: get_reviews shop, newest first, page 1", newest(1)),
        Scenario(
            f"{prefix}deep",
            f"{label}: get_reviews shop, newest first, page {deep_page:,}",
            newest(deep_page),  # by page number; with --cursor also by keyset cursor
        ),
        *([cursor_scenario(shop, prefix, label, deep_page)] if with_cursor else []),
        Scenario(f"{prefix}keyword", f"{label}: get_reviews with keyword", keyword),
        Scenario(
            f"{prefix}filters",
            f"{label}: get_reviews with ratings + is_store_review",
            filters,
        ),
        Scenario(f"{prefix}get_review", f"{label}: get_review by id", one_review),
        Scenario(f"{prefix}rating_product", f"{label}: get_rating per product", product_rating),
        Scenario(f"{prefix}rating_shop", f"{label}: get_rating whole shop", shop_rating),
    ]


def create_review_scenario(shop: Shop) -> Scenario:
    products = variants(shop.info["product_ids"])
    handles = variants(shop.info["product_handles"])
    text = SyntheticReviews(seed=99)

    def body(i: int) -> bytes:
        review = text.review()
        value: dict[str, Any] = {
            "product_id": products[i],
            "product_handle": handles[i],
            "rating": review.rating,
            "author": review.author,
            "author_email": review.author_email,
            "author_country": review.author_country,
            "title": review.title,
            "content": review.content,
            "source": review.source,
            "media": review.media,
        }
        return json.dumps(value, ensure_ascii=False).encode()

    bodies = [body(i) for i in range(VARIANTS)]

    def requests(ts: str) -> list[load.Request]:
        return [shop.post("create_review", b, ts) for b in bodies]

    return Scenario(
        "create_review",
        f"{size_label(shop.info['reviews'])}: create_review (1 webhook subscription, worker on)",
        requests,
        setup=lambda ctx: subscribe(ctx, shop),
        teardown=lambda ctx, sub: drain_and_unsubscribe(ctx, shop, sub),
    )


def small_shops_scenario(shops: list[Shop]) -> Scenario:
    def requests(ts: str) -> list[load.Request]:
        out = []
        for i in range(VARIANTS):
            shop = shops[i % len(shops)]
            product = shop.info["product_ids"][i % len(shop.info["product_ids"])]
            out.append(
                shop.get(
                    "get_reviews", [("product_id", product), ("page", "1"), ("page_size", "20")], ts
                )
            )
        return out

    return Scenario(
        "small_product",
        f"{len(shops)} shops of 1k, rotating: get_reviews by product, page 1",
        requests,
    )


def size_label(reviews: int) -> str:
    if reviews >= 1_000_000:
        return f"{reviews / 1_000_000:g}M shop"
    return f"{reviews / 1000:g}k shop"


def all_scenarios(shops: dict[str, Shop], *, with_cursor: bool = False) -> list[Scenario]:
    big, ten_k = shops["bench-big"], shops["bench-10k"]
    small = sorted(
        (s for s in shops.values() if s.info["group"] == "small"), key=lambda s: s.shop_id
    )
    # Page 2,000 of the big shop is offset 40,000; the 10k shop has 500 pages, so its deep
    # page is 400 (offset 8,000).
    return [
        *list_scenarios(big, "", size_label(big.info["reviews"]), 2000, with_cursor=with_cursor),
        *list_scenarios(
            ten_k, "10k_", size_label(ten_k.info["reviews"]), 400, with_cursor=with_cursor
        ),
        small_shops_scenario(small),
        create_review_scenario(big),  # last: it adds reviews to the big shop
    ]


def cursor_scenario(shop: Shop, prefix: str, label: str, page: int) -> Scenario:
    """The deep page by keyset paging: the cursor of the row before the page is found once
    (setup, walking page.next_cursor), then every request sends `cursor=` instead of `page=`."""
    found: dict[str, str] = {}

    def setup(ctx: Context) -> None:
        found["cursor"] = deep_page_cursor(ctx, shop, page)

    def requests(ts: str) -> list[load.Request]:
        pairs = [
            ("sort_by", "created-descending"),
            ("cursor", found["cursor"]),
            ("page_size", "20"),
        ]
        return [shop.get("get_reviews", pairs, ts)]

    return Scenario(
        f"{prefix}deep_cursor",
        f"{label}: get_reviews shop, newest first, page {page:,} by cursor",
        requests,
        setup=setup,
    )


def deep_page_cursor(ctx: Context, shop: Shop, page: int, page_size: int = 20) -> str:
    """The cursor that continues with page `page` of the newest-first list, walked from the
    start through page.next_cursor (100 rows a step while it can, page_size after)."""
    skip, cursor = (page - 1) * page_size, ""
    with httpx.Client(base_url=ctx.base, trust_env=False, timeout=60) as http:
        while skip > 0:
            step = 100 if skip >= 100 else page_size
            pairs = [("sort_by", "created-descending"), ("page_size", str(step))]
            if cursor:
                pairs.append(("cursor", cursor))
            data = check(http, shop.get("get_reviews", pairs, load.now_stamp()))[0]
            cursor = data["page"].get("next_cursor", "")
            if not cursor:
                raise RuntimeError("get_reviews gave no page.next_cursor")
            skip -= step
    return cursor


# --------------------------------------------------------------------------------------------
# Webhook subscription for create_review
# --------------------------------------------------------------------------------------------


def subscribe(ctx: Context, shop: Shop) -> str:
    with httpx.Client(base_url=ctx.base, trust_env=False, timeout=30) as http:
        # Leftovers of an interrupted run point at receivers that are gone: remove them.
        hooks = check(http, shop.get("get_shop_webhooks", [], load.now_stamp()))[0]
        for hook in hooks:
            if "/bench-hook" in hook["url"]:
                unsubscribe(ctx, shop, hook["id"])
        body = json.dumps({"topic": "review/created", "url": f"{ctx.receiver}/bench-hook"})
        created = check(http, shop.post("create_shop_webhook", body.encode(), load.now_stamp()))
        return str(created[0]["id"])


def drain_and_unsubscribe(ctx: Context, shop: Shop, subscription_id: str) -> str:
    """Wait until the worker has delivered what the run queued, count the subscription's
    deliveries by status (from the database: deleting the subscription deletes them), then
    delete it."""
    start = time.monotonic()
    while True:
        counts = asyncio.run(delivery_counts(ctx.database_url, int(subscription_id)))
        if not counts.get("pending") or time.monotonic() - start > 120:
            break
        time.sleep(0.5)
    drained = time.monotonic() - start
    unsubscribe(ctx, shop, subscription_id)
    statuses = ", ".join(f"{n:,} {status}" for status, n in sorted(counts.items()))
    return (
        f"webhook deliveries: {statuses or 'none'}; the queue drained {drained:.1f} s after the run"
    )


async def delivery_counts(database_url: str, subscription_id: int) -> dict[str, int]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT status, count(*) FROM webhook_deliveries "
                    "WHERE subscription_id = :id GROUP BY status"
                ),
                {"id": subscription_id},
            )
            return {str(status): int(n) for status, n in result.all()}
    finally:
        await engine.dispose()


def unsubscribe(ctx: Context, shop: Shop, subscription_id: str) -> None:
    with httpx.Client(base_url=ctx.base, trust_env=False, timeout=30) as http:
        body = json.dumps({"id": subscription_id}).encode()
        check(http, shop.post("delete_shop_webhook", body, load.now_stamp()))


# --------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def api_server(
    document: dict[str, Any], workdir: Path, extra_env: dict[str, str]
) -> Iterator[tuple[str, int]]:
    """bench/serve.py (one uvicorn process, the worker inside); yields (base, pid)."""
    port = load.free_port()
    env = {
        **os.environ,
        "SHOPREVIEWS_DATABASE_URL": document["url"],
        "SHOPREVIEWS_SECRET_KEY": document["secret_key"],
        "SHOPREVIEWS_RATE_LIMITS_ENABLED": "false",
        "SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "SHOPREVIEWS_LOG_LEVEL": "WARNING",
        **extra_env,
    }
    log_path = workdir / "server.log"
    command = [sys.executable, str(BENCH / "serve.py")]
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            # Long: the server migrates on start, which can rebuild indexes on 1M rows.
            wait_until_up(base, proc, log_path, seconds=600)
            yield base, proc.pid
        finally:
            load.stop(proc)


def nginx_worker(master: int) -> int:
    """The one worker process of an nginx master."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def check(http: httpx.Client, request: load.Request) -> tuple[Any, int]:
    """Send one request; it must answer code 0. Returns (data, body bytes)."""
    response = http.request(
        request.method, request.path, headers=request.headers, content=request.body or None
    )
    body = response.json()
    if response.status_code != 200 or body.get("code") != 0:
        raise RuntimeError(f"{request.method} {request.path}: {response.status_code} {body}")
    return body["data"], len(response.content)


# --------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------


@dataclass
class Measured:
    result: load.WrkResult
    server_cpu: float  # share of one core
    db_cpu: float
    db_sessions: int | None  # PostgreSQL sessions opened during the run


def measure(
    base: str,
    pid: int,
    script: Path | None,
    args: argparse.Namespace,
    *,
    path: str = "/",
    database: str | None,
) -> Measured:
    """One wrk run, with the server's and the database's CPU share."""
    sessions = pg_sessions(args.pg_admin, database) if database else None
    cpu = load.cpu_seconds(pid)
    with contextlib.ExitStack() as stack:
        sampler = stack.enter_context(load.BackendSampler(database)) if database else None
        start = time.perf_counter()
        result = load.run_wrk(
            base,
            script,
            concurrency=args.concurrency,
            seconds=args.duration,
            threads=args.threads,
            timeout_s=args.timeout,
            path=path,
        )
        elapsed = time.perf_counter() - start
    server = (load.cpu_seconds(pid) - cpu) / elapsed
    opened = None
    if database and sessions is not None:
        # Minus the session that reads the counter; the counter itself lags a little.
        opened = max(0, pg_sessions(args.pg_admin, database) - sessions - 1)
    return Measured(result, server, sampler.seconds / elapsed if sampler else 0.0, opened)


def pg_sessions(dsn: str, database: str) -> int:
    """pg_stat_database.sessions (PostgreSQL 14+): sessions ever opened on the database."""

    async def read() -> int:
        conn = await asyncpg.connect(dsn)
        try:
            value = await conn.fetchval(
                "SELECT sessions FROM pg_stat_database WHERE datname = $1", database
            )
            return int(value or 0)
        finally:
            await conn.close()

    return asyncio.run(read())


def run_ceiling(
    base: str, pid: int, args: argparse.Namespace, db_process: str | None, label: str
) -> Row:
    waited = load.wait_idle(pid)
    with httpx.Client(base_url=base, trust_env=False) as http:
        size = len(http.get(CEILING_PATH).content)
    m = measure(base, pid, None, args, path=CEILING_PATH, database=db_process)
    return Row(
        label,
        m.result,
        size,
        m.server_cpu,
        m.db_cpu,
        load.peak_rss_mb(pid),
        waited,
        db_sessions=m.db_sessions,
    )


def run_scenario(
    ctx: Context, pid: int, scenario: Scenario, workdir: Path, db_process: str | None
) -> Row:
    state = scenario.setup(ctx) if scenario.setup else None
    note = ""
    try:
        waited = load.wait_idle(pid)
        requests = scenario.requests(load.now_stamp())
        sizes = []
        with httpx.Client(base_url=ctx.base, trust_env=False, timeout=120) as http:
            for request in requests[: ctx.args.check]:
                sizes.append(check(http, request)[1])
        # The checks are not timed; create_review's checks add a few reviews.
        script = workdir / f"{scenario.name}.lua"
        script.write_text(load.lua_script(requests))
        m = measure(ctx.base, pid, script, ctx.args, database=db_process)
    finally:
        if scenario.teardown:
            note = scenario.teardown(ctx, state)
    return Row(
        scenario.label,
        m.result,
        round(statistics.fmean(sizes)),
        m.server_cpu,
        m.db_cpu,
        load.peak_rss_mb(pid),
        waited,
        note,
        len({r.path + r.body.decode() for r in requests}),
        m.db_sessions,
    )


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def table(rows: list[Row], ceiling_rps: float, *, db_cpu: bool) -> str:
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | ratio to ceiling | requests | errors | variants "
        "| body KB | server CPU | db CPU | db sessions opened | wrk CPU | server peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        r = row.result
        if r is None:
            lines.append(f"| {row.label} | {row.note} |" + " |" * 12)
            continue
        ratio = r.rps / ceiling_rps if ceiling_rps else float("nan")
        errors = f"{r.non_2xx} non-2xx, {r.socket_errors} socket" if r.errors else "0"
        lines.append(
            f"| {row.label} | {r.rps:,.0f} | {fmt_ms(r.p50_ms)} | {fmt_ms(r.p99_ms)} "
            f"| {ratio:.3f} | {r.requests:,} | {errors} | {row.variants or '-'} "
            f"| {row.body_bytes / 1024:.1f} "
            f"| {100 * row.server_cpu:.0f}% | {f'{100 * row.db_cpu:.0f}%' if db_cpu else '-'} "
            f"| {'-' if row.db_sessions is None else f'{row.db_sessions:,}'} "
            f"| {100 * r.wrk_cpu / max(r.seconds, 1e-9):.0f}% "
            f"| {f'{row.rss_mb:,.0f}' if row.rss_mb else '-'} |"
        )
    notes = [f"- {row.label}: {row.note}" for row in rows if row.note and row.result]
    return "\n".join([*lines, *([""] if notes else []), *notes])


def machine() -> str:
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return f"{load.machine()}, {(wrk.stdout or wrk.stderr).splitlines()[0].split(' [')[0]}"


# --------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="wrk load scenarios against the generated data (see the module docstring)"
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument(
        "--data", type=Path, help="the generator's file (default bench/.data/<db>-shops.json)"
    )
    parser.add_argument("--duration", type=float, default=30, help="seconds per run (30)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--timeout", type=int, default=60, help="wrk's request timeout, s (60)")
    parser.add_argument("--check", type=int, default=3, help="requests checked before a run (3)")
    parser.add_argument("--only", help="comma-separated scenario names (default: all)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra environment variable of the server, e.g. SHOPREVIEWS_DB_POOL_SIZE=20 "
        "(repeatable)",
    )
    parser.add_argument(
        "--cursor",
        action="store_true",
        help="also the deep page by keyset cursor (get_reviews' cursor parameter)",
    )
    parser.add_argument("--out", type=Path, help="markdown file (default bench/.data/results-…)")
    args = parser.parse_args()
    if any("=" not in item for item in args.server_env):
        parser.error("--server-env takes NAME=VALUE")
    if args.duration > 600:
        parser.error("--duration must stay well inside the 900 s signature window")
    return args


def shops_of(document: dict[str, Any]) -> dict[str, Shop]:
    return {
        shop_id: Shop(shop_id, info["public_token"], info["private_token"], info)
        for shop_id, info in document["shops"].items()
    }


def main() -> None:
    args = parse_args()
    load.require_wrk()
    data_file = args.data or DATA / f"{args.database}-shops.json"
    if not data_file.exists():
        sys.exit(f"{data_file} is missing: run bench/generate.py --database {args.database} first")
    document = json.loads(data_file.read_text())
    shops = shops_of(document)
    scenarios = all_scenarios(shops, with_cursor=args.cursor)
    if args.list:
        for s in scenarios:
            print(f"{s.name:<20} {s.label}")
        return
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {s.name for s in scenarios}
        if unknown:
            sys.exit(f"unknown scenarios: {', '.join(sorted(unknown))} (see --list)")
        scenarios = [s for s in scenarios if s.name in wanted]
    # PostgreSQL: the CPU of the backends of the benchmark's database (by process title).
    db_process = make_url(document["url"]).database if args.database == "postgresql" else None
    if db_process:
        args.pg_admin = (
            make_url(document["url"])
            .set(drivername="postgresql", database="postgres")
            .render_as_string(hide_password=False)
        )

    server_env = dict(item.split("=", 1) for item in args.server_env)
    header = [
        f"machine: {machine()}",
        f"database: {args.database}, data generated {document['generated_at']} "
        f"(scale {document['scale']}, load {document['load_seconds']['total']} s)",
        f"wrk -t{args.threads} -c{args.concurrency} -d{args.duration:g}s --latency, "
        f"{VARIANTS} pre-signed variants per scenario where the scenario allows",
        *([f"server environment: {' '.join(args.server_env)}"] if server_env else []),
    ]
    busy = load.cpu_busy()
    if busy > 0.1:
        header.append(f"WARNING: the machine was {100 * busy:.0f}% busy before the run started")
    print("\n".join(header), flush=True)

    rows: list[Row] = []
    started = datetime.now(UTC)
    with (
        tempfile.TemporaryDirectory(prefix="bench-scenarios-") as tmp,
        receiver_process() as (receiver, _receiver_pid),
        api_server(document, Path(tmp), server_env) as (base, pid),
    ):
        ctx = Context(base, shops, receiver, args, document["url"])
        with httpx.Client(base_url=base, trust_env=False) as http:
            body = http.get(CEILING_PATH).content
        with load.static_server(body) as (static_base, nginx_pid):
            nginx_cpu = load.cpu_seconds(nginx_pid) + load.cpu_seconds(nginx_worker(nginx_pid))
            driver = load.run_wrk(
                static_base,
                None,
                concurrency=args.concurrency,
                seconds=args.duration,
                threads=args.threads,
                path="/page.json",
            )
            nginx_cpu = (
                load.cpu_seconds(nginx_pid) + load.cpu_seconds(nginx_worker(nginx_pid)) - nginx_cpu
            ) / driver.seconds
        driver_row = Row(
            "driver ceiling: wrk → nginx (1 worker), static file of the same size",
            driver,
            len(body),
            server_cpu=nginx_cpu,
        )
        print(f"driver ceiling (nginx): {driver.rps:,.0f} req/s", flush=True)
        first = run_ceiling(base, pid, args, db_process, "server ceiling (start of run)")
        print(f"server ceiling: {first.result.rps if first.result else 0:,.0f} req/s", flush=True)
        for scenario in scenarios:
            try:
                row = run_scenario(ctx, pid, scenario, Path(tmp), db_process)
            except RuntimeError as exc:
                row = Row(scenario.label, None, note=f"FAILED: {str(exc)[:200]}")
            rows.append(row)
            r = row.result
            print(
                f"{scenario.label}: "
                + (
                    f"{r.rps:,.1f} req/s, p50 {fmt_ms(r.p50_ms)} ms, p99 {fmt_ms(r.p99_ms)} ms"
                    if r
                    else row.note
                )
                + (f" (waited {row.waited_s:.0f} s for idle)" if row.waited_s > 5 else "")
                + (f"; {row.note}" if row.note and r else ""),
                flush=True,
            )
        last = run_ceiling(base, pid, args, db_process, "server ceiling (end of run)")
        print(f"server ceiling at the end: {last.result.rps if last.result else 0:,.0f} req/s")

    ceilings = [c.result.rps for c in (first, last) if c.result]
    ceiling_rps = statistics.fmean(ceilings)
    report = "\n".join(
        [
            f"# Load scenarios, {args.database}, {started:%Y-%m-%d %H:%M} UTC",
            "",
            *(f"- {line}" for line in header),
            f"- server ceiling: mean of the start and end runs, {ceiling_rps:,.0f} req/s; "
            f"ratio = req/s ÷ that",
            f"- body KB: mean size of the first {args.check} answers of the pool",
            "- CPU in % of one core (2 cores): server = the API process (on the first row: "
            "nginx); db = the PostgreSQL backends of the benchmark database, sampled every "
            "0.25 s (SQLite runs inside the server process); wrk = the load generator",
            "- db sessions opened: new PostgreSQL connections during the run "
            "(pg_stat_database.sessions), i.e. connection-pool churn",
            "",
            table([driver_row, first, *rows, last], ceiling_rps, db_cpu=db_process is not None),
            "",
        ]
    )
    out = args.out or DATA / f"results-{args.database}-{started:%Y%m%d-%H%M%S}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report)
    print("\n" + report)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
