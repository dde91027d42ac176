"""The storefront's public reads and the Google feed on the big shop of bench/generate.py.

    python bench/generate.py --database sqlite --path /tmp/bench.db --reset   # once
    python bench/storefront.py --database sqlite [--duration 10] [--concurrency 8]

One server process (bench/serve.py: `shopreviews serve`, uvicorn, one process, no worker) on
the generated database, rate limits off. Against `bench-big` (1,000,000 reviews):

1. public reads under load, each for --duration seconds at --concurrency requests in flight,
   from this process (httpx, keep-alive): a product's first page (`/reviews?product_id=`, the
   default `featured` order, 200 products cycled), the whole shop's pages 1-50, and `/ratings`
   for 100 products (20 different sets cycled); each again with `If-None-Match` carrying the
   answer's ETag (304). Throughput, p50 and p99, and the CPU the server and this driver used;
2. cold reads: the same kinds of request once each for queries nobody asked before (the read
   cache holds nothing for them), one at a time: what a CDN miss after a change costs;
3. the feed: a fresh server process streams the whole Google product reviews feed to this
   process (read and dropped); the server's resident memory is sampled every 20 ms, and its
   peak (and VmHWM) is reported beside the process's memory before the request.

No wrk here: the driver is Python, so on a small machine it competes with the server for the
CPUs; its CPU use is reported next to each result. Writes the table to
bench/.data/storefront-<database>-<time>.md and prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from load import cpu_seconds, free_port, machine, stop, wait_for_port  # noqa: E402
from routes import CEILING_PATH  # noqa: E402

DATA = BENCH / ".data"
BIG = "bench-big"


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    server_cpu: float
    driver_cpu: float
    body_bytes: int

    def row(self) -> str:
        rate = self.requests / self.seconds
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return (
            f"| {self.name} | {rate:,.0f} | {self.p50_ms:.1f} | {self.p99_ms:.1f} | "
            f"{self.body_bytes:,} | {self.server_cpu:.0%} | {self.driver_cpu:.0%} | {codes} |"
        )


def start_server(document: dict[str, Any], workdir: Path) -> tuple[subprocess.Popen[Any], str]:
    port = free_port()
    env = {
        **os.environ,
        "SHOPREVIEWS_DATABASE_URL": document["url"],
        "SHOPREVIEWS_SECRET_KEY": document["secret_key"],
        "SHOPREVIEWS_RATE_LIMITS_ENABLED": "false",
        "SHOPREVIEWS_LOG_LEVEL": "WARNING",
        "SHOPREVIEWS_RUN_WORKER": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, str(BENCH / "serve.py"), "--port", str(port), "--no-worker"],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wait_for_port(port, proc, seconds=120)
    return proc, f"http://127.0.0.1:{port}"


def memory_kib(pid: int) -> dict[str, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, value = line.split(":", 1)
            found[name] = int(value.split()[0])
    return found


async def load(
    base: str,
    name: str,
    requests: list[tuple[str, dict[str, str]]],
    *,
    duration: float,
    concurrency: int,
    server_pid: int,
) -> Result:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sizes: list[int] = []
    stop_at = 0.0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        for url, headers in requests[:concurrency]:  # warm: connections, caches
            await http.get(url, headers=headers)

        async def worker(offset: int) -> None:
            i = offset
            while time.monotonic() < stop_at:
                url, headers = requests[i % len(requests)]
                i += concurrency
                started = time.perf_counter()
                response = await http.get(url, headers=headers)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if len(sizes) < 200:
                    sizes.append(len(response.content))

        cpu0, own0 = cpu_seconds(server_pid), time.process_time()
        began = time.monotonic()
        stop_at = began + duration
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        elapsed = time.monotonic() - began
        server_cpu = (cpu_seconds(server_pid) - cpu0) / elapsed
        driver_cpu = (time.process_time() - own0) / elapsed
    latencies.sort()
    return Result(
        name,
        len(latencies),
        elapsed,
        statistics.median(latencies) * 1000,
        latencies[int(len(latencies) * 0.99) - 1] * 1000,
        statuses,
        server_cpu,
        driver_cpu,
        int(statistics.median(sizes)),
    )


async def with_tags(
    base: str, requests: list[tuple[str, dict[str, str]]]
) -> list[tuple[str, dict[str, str]]]:
    """The same requests, each with If-None-Match: its current ETag."""
    tagged = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for url, _ in requests:
            response = await http.get(url)
            assert response.status_code == 200, (url, response.text[:200])
            tagged.append((url, {"If-None-Match": response.headers["etag"]}))
    return tagged


async def cold(base: str, urls: list[str]) -> tuple[float, float, float]:
    """Each URL once, one at a time: (median, max, min) milliseconds."""
    times = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        for url in urls:
            started = time.perf_counter()
            response = await http.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.text[:200])
    return statistics.median(times), max(times), min(times)


def feed_memory(document: dict[str, Any], domain: str, workdir: Path) -> dict[str, Any]:
    proc, base = start_server(document, workdir)
    try:
        with httpx.Client(base_url=base, timeout=600) as http:
            http.get(f"/api/v1/storefront/shops/{domain}/rating")  # the app warmed up
            before = memory_kib(proc.pid)
            peak = before["VmRSS"]
            done = threading.Event()

            def sample() -> None:
                nonlocal peak
                while not done.is_set():
                    peak = max(peak, memory_kib(proc.pid)["VmRSS"])
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.monotonic()
            size = reviews = 0
            tail = b""
            with http.stream("GET", f"/feeds/shops/{domain}/google-product-reviews.xml") as r:
                assert r.status_code == 200, r.status_code
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    reviews += (tail + chunk).count(b"<review>")
                    tail = chunk[-7:]
            elapsed = time.monotonic() - started
            done.set()
            sampler.join()
            after = memory_kib(proc.pid)
    finally:
        stop(proc)
    return {
        "seconds": round(elapsed, 1),
        "bytes": size,
        "reviews": reviews,
        "rss_before_mib": round(before["VmRSS"] / 1024, 1),
        "rss_peak_mib": round(peak / 1024, 1),
        "hwm_after_mib": round(after["VmHWM"] / 1024, 1),
    }


async def ceiling_run(
    base: str,
    when: str,
    pool: list[tuple[str, dict[str, str]]],
    args: argparse.Namespace,
    server_pid: int,
) -> Result:
    result = await load(
        base,
        f"server ceiling, {when} (GET {CEILING_PATH})",
        pool,
        duration=args.duration,
        concurrency=args.concurrency,
        server_pid=server_pid,
    )
    print(result.row(), flush=True)
    return result


async def run(args: argparse.Namespace) -> str:
    document = json.loads((DATA / f"{args.database}-shops.json").read_text())
    big = document["shops"][BIG]
    domain = big["domain"]
    rng = random.Random(7)
    products = list(dict.fromkeys(big["product_ids"]))
    api = f"/api/v1/storefront/shops/{domain}"
    lines = [
        f"# Storefront benchmark ({args.database}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {machine()}. Shop `{BIG}`: {big['reviews']:,} reviews "
        f"({big['live_reviews']:,} published and live), {big['products']:,} products. "
        f"Concurrency {args.concurrency}, {args.duration:.0f} s per run.",
        "",
        "| scenario | requests/s | p50 ms | p99 ms | body bytes | server CPU | driver CPU | "
        "statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-storefront-") as tmp:
        workdir = Path(tmp)
        proc, base = start_server(document, workdir)
        try:
            product_pages = [(f"{api}/reviews?product_id={p}", {}) for p in products[:200]]
            shop_pages = [(f"{api}/reviews?page={n}", {}) for n in range(1, 51)]
            sets = [",".join(rng.sample(products, 100)) for _ in range(20)]
            ratings = [(f"{api}/ratings?product_ids={s}", {}) for s in sets]
            ceiling = [(CEILING_PATH, {})]
            scenarios: list[tuple[str, list[tuple[str, dict[str, str]]]]] = [
                ("/reviews, a product's first page", product_pages),
                ("/reviews, the shop's pages 1-50", shop_pages),
                ("/ratings, 100 products", ratings),
            ]
            # The server's ceiling first and last: a pre-serialised 20-review page through the
            # same server, middleware and driver, so each read shows what of it is left.
            lines.append((await ceiling_run(base, "start", ceiling, args, proc.pid)).row())
            for name, requests in scenarios:
                for label, pool in ((name, requests), (name + ", If-None-Match (304)", None)):
                    if pool is None:
                        pool = await with_tags(base, requests)
                    result = await load(
                        base,
                        label,
                        pool,
                        duration=args.duration,
                        concurrency=args.concurrency,
                        server_pid=proc.pid,
                    )
                    print(result.row(), flush=True)
                    lines.append(result.row())
            lines.append((await ceiling_run(base, "end", ceiling, args, proc.pid)).row())
            # Cold: queries no one asked yet (other products, sets, pages, orders).
            unused = products[200:] or products
            cold_runs: list[tuple[str, list[str]]] = [
                ("/reviews, a product's first page", [
                    f"{api}/reviews?product_id={p}&page_size=9" for p in unused[:20]
                ]),
                ("/reviews, the shop's first page (featured)", [
                    f"{api}/reviews?page_size={n}" for n in range(11, 16)
                ]),
                ("/reviews, the shop's page 1,000 (featured)", [
                    f"{api}/reviews?page=1000&page_size={n}" for n in range(11, 14)
                ]),
                ("/ratings, 100 products", [
                    f"{api}/ratings?product_ids={','.join(rng.sample(products, 100))}"
                    for _ in range(20)
                ]),
                ("/rating, the whole shop (with collected_via)", [f"{api}/rating"]),
                ("/rating, the top product", [
                    f"{api}/rating?product_id={big['top_products'][0][0]}"
                ]),
            ]  # fmt: skip
            lines += ["", "Cold reads (no cached answer), one at a time:", ""]
            lines += ["| request | median ms | max ms | min ms | n |", "|---|---:|---:|---:|---:|"]
            for name, urls in cold_runs:
                median, worst, best = await cold(base, urls)
                row = f"| {name} | {median:.1f} | {worst:.1f} | {best:.1f} | {len(urls)} |"
                print(row, flush=True)
                lines.append(row)
        finally:
            stop(proc)
        feed = feed_memory(document, domain, workdir)
    lines += [
        "",
        "Google product reviews feed of the whole shop, streamed by a fresh server process:",
        "",
        f"{feed['reviews']:,} reviews, {feed['bytes'] / 2**20:,.1f} MiB in {feed['seconds']} s; "
        f"server RSS {feed['rss_before_mib']} MiB before, peak {feed['rss_peak_mib']} MiB "
        f"during (VmHWM after: {feed['hwm_after_mib']} MiB).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    table = asyncio.run(run(args))
    DATA.mkdir(exist_ok=True)
    out = DATA / f"storefront-{args.database}-{datetime.now(UTC):%Y%m%dT%H%M%S}.md"
    out.write_text(table)
    print(table)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
