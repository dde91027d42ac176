"""Accept-to-receipt latency of webhooks, embedded worker against separate workers, and what an
idle separate worker asks of PostgreSQL.

On a throwaway PostgreSQL database (`bench_wake_<random>`, dropped afterwards):

1. **Accept to receipt.** A shop with one review/created subscription pointing at a receiver in
   this process. create_review requests are sent one at a time, `--rate` per second, to a real
   `shopreviews serve`; the latency of each is from its answer arriving here to its webhook
   arriving at the receiver (one clock: both are this process). Two deployments, one after the
   other: `serve` with its embedded worker, then `serve --no-worker` beside a
   `shopreviews worker` process (the scaled-out deployment). p50, p90 and max per deployment.
2. **Idle worker.** A `shopreviews worker` alone on a second, fresh database (no load before,
   so autovacuum stays out of the count), for `--idle-seconds` once its listener is connected:
   transactions it ran, from `pg_stat_database` (a statement outside a transaction counts as
   one), per 10 s.

Usage (from the repository root, with the package installed):

    python bench/wakeups.py [--pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
                            [--requests 200] [--rate 10] [--idle-seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from shopreviews.kit.signing import sign_request  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """A minimal HTTP/1.1 receiver on a thread of its own: the arrival time of each delivered
    review's id."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.port = 0
        ready = threading.Event()
        threading.Thread(target=asyncio.run, args=(self._run(ready),), daemon=True).start()
        ready.wait()

    async def _run(self, ready: threading.Event) -> None:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        await server.serve_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                arrived = time.perf_counter()
                for item in json.loads(body).get("list", []):
                    self.arrivals.setdefault(str(item.get("id")), arrived)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        writer.close()


@contextlib.contextmanager
def database(pg_url: str) -> Iterator[str]:
    name = f"bench_wake_{uuid.uuid4().hex[:8]}"
    admin = (
        make_url(pg_url)
        .set(drivername="postgresql", query={})
        .render_as_string(hide_password=False)
    )

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin, statement_cache_size=0)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE "{name}" WITH (FORCE)'))


def environment(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SHOPREVIEWS_DATABASE_URL": url,
        "SHOPREVIEWS_SECRET_KEY": "bench-wakeups-" + "k" * 32,
        "SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "SHOPREVIEWS_RATE_LIMITS_ENABLED": "false",
        "SHOPREVIEWS_LOG_LEVEL": "WARNING",
    }


def migrate(env: dict[str, str]) -> None:
    migrated = subprocess.run(["shopreviews", "migrate"], env=env, capture_output=True, text=True)
    if migrated.returncode:
        sys.exit(f"shopreviews migrate failed: {migrated.stderr}")


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["shopreviews", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    sys.exit(f"the server at {base} did not start")


def signed_post(
    client: httpx.Client, shop: dict[str, str], path: str, body: dict[str, Any]
) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Public-Token": shop["public_token"],
        "Timestamp": timestamp,
        "Sign": sign_request(shop["private_token"], timestamp, "", raw),
        "Content-Type": "application/json",
    }
    answer = client.post(path, content=raw, headers=headers).json()
    if answer["code"] != 0:
        sys.exit(f"{path}: {answer}")
    return dict(answer["data"])


def accept_to_receipt(
    base: str, shop: dict[str, str], receiver: Receiver, count: int, rate: float
) -> list[float]:
    latencies: list[float] = []
    accepted: dict[str, float] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        hook = {"topic": "review/created", "url": f"http://127.0.0.1:{receiver.port}/hook"}
        signed_post(client, shop, "/api/v1/openapi/create_shop_webhook", hook)
        for n in range(count):
            began = time.perf_counter()
            review = {
                "product_id": "p1",
                "rating": 1 + n % 5,
                "author": "Bench",
                "content": f"review {n}",
            }
            data = signed_post(client, shop, "/api/v1/openapi/create_review", review)
            accepted[str(data["id"])] = time.perf_counter()
            time.sleep(max(0.0, began + 1 / rate - time.perf_counter()))
        deadline = time.monotonic() + 60
        while set(accepted) - set(receiver.arrivals) and time.monotonic() < deadline:
            time.sleep(0.05)
    missing = set(accepted) - set(receiver.arrivals)
    if missing:
        sys.exit(f"{len(missing)} webhooks never arrived")
    for review_id, at in accepted.items():
        latencies.append((receiver.arrivals[review_id] - at) * 1000)
    return latencies


def create_shop(env: dict[str, str], shop_id: str) -> dict[str, str]:
    out = subprocess.run(
        ["shopreviews", "shop", "create", "--shop-id", shop_id, "--domain",
         f"{shop_id}.myshopify.com", "--json"],
        env=env, capture_output=True, check=True, text=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout))


async def transactions(admin_url: str, name: str) -> int:
    """Transactions run so far in database `name`, read from another database (`admin_url`'s),
    so this reading adds none to the count."""
    dsn = (
        make_url(admin_url)
        .set(drivername="postgresql", query={})
        .render_as_string(hide_password=False)
    )
    conn = await asyncpg.connect(dsn, statement_cache_size=0)
    try:
        value = await conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", name
        )
        return int(value)
    finally:
        await conn.close()


async def wait_for_listener(url: str) -> None:
    """Until a worker listens for wake-ups (kit/jobs/wakeups.py names its connection)."""
    dsn = make_url(url).set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn, statement_cache_size=0)
    try:
        for _ in range(600):
            if await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name LIKE 'shopreviews-wakeups %'"
            ):
                return
            await asyncio.sleep(0.1)
        sys.exit("no worker listens for wake-ups")
    finally:
        await conn.close()


def summary(name: str, latencies: list[float]) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "deployment": name,
        "webhooks": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1], 1),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args()
    receiver = Receiver()
    results: list[dict[str, Any]] = []
    with database(args.pg_url) as url:
        env = environment(url)
        migrated = subprocess.run(
            ["shopreviews", "migrate"], env=env, capture_output=True, text=True
        )
        if migrated.returncode:
            sys.exit(f"shopreviews migrate failed: {migrated.stderr}")
        for name, serve_args, separate in (
            ("embedded worker", [], False),
            ("separate worker", ["--no-worker"], True),
        ):
            shop = create_shop(env, f"bench{uuid.uuid4().hex[:6]}")
            port = free_port()
            api = start(["serve", "--port", str(port), *serve_args], env)
            worker = start(["worker"], env) if separate else None
            try:
                wait_until_up(f"http://127.0.0.1:{port}")
                asyncio.run(wait_for_listener(url))
                latencies = accept_to_receipt(
                    f"http://127.0.0.1:{port}", shop, receiver, args.requests, args.rate
                )
                results.append(summary(name, latencies))
                print(json.dumps(results[-1]), flush=True)
            finally:
                stop(api)
                if worker is not None:
                    stop(worker)
    # The idle worker, on a database of its own that no other process has written to (after
    # a load, autovacuum's ANALYZE transactions would count too).
    with database(args.pg_url) as url:
        env = environment(url)
        migrate(env)
        worker = start(["worker"], env)
        try:
            asyncio.run(wait_for_listener(url))
            time.sleep(5)  # past the claims made at start and when the listener connected
            name = str(make_url(url).database)
            before = asyncio.run(transactions(args.pg_url, name))
            time.sleep(args.idle_seconds)
            time.sleep(1)  # statistics reach pg_stat_database within a second
            after = asyncio.run(transactions(args.pg_url, name))
        finally:
            stop(worker)
    idle = after - before
    print(
        json.dumps(
            {
                "idle_worker_seconds": args.idle_seconds,
                "transactions": idle,
                "per_10_seconds": round(idle * 10 / args.idle_seconds, 2),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
