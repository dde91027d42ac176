"""How many PostgreSQL connections each kind of ShopReviews process really holds.

On a throwaway PostgreSQL database (`bench_conn_<random>`, dropped afterwards), one process at a
time, with nothing else connected to that database but this script's one sampling connection:

- `shopreviews serve --no-worker` (one API process): idle, then under `--clients` concurrent
  clients sending signed requests (get_reviews, get_review, get_rating and create_review mixed),
- `shopreviews serve` (one API process with its embedded worker): the same,
- `shopreviews worker`: idle, then draining a backlog of `--events` webhook deliveries to a
  fast local receiver.

pg_stat_activity is sampled every 50 ms; each phase reports the most connections seen at once
(and how many were active, i.e. running a statement).

Usage (from the repository root, with the package installed):

    python bench/connections.py [--pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
                                [--clients 16 64] [--seconds 15] [--events 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

# bench/wakeups.py: the shared process and HTTP helpers
from wakeups import (
    Receiver,
    create_shop,
    database,
    environment,
    free_port,
    sign_request,
    signed_post,
    start,
    stop,
    wait_until_up,
)


class Sampler:
    """Samples the database's connections (other than its own) every 50 ms, in a thread."""

    def __init__(self, url: str) -> None:
        self.dsn = (
            make_url(url)
            .set(drivername="postgresql", query={})
            .render_as_string(hide_password=False)
        )
        self.peak = 0
        self.peak_active = 0
        self.last = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._run(),), daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> None:
        self.peak = self.peak_active = 0

    async def _run(self) -> None:
        conn = await asyncpg.connect(self.dsn, statement_cache_size=0)
        try:
            while not self._stop.is_set():
                total, active = await conn.fetchrow(
                    "SELECT count(*), count(*) FILTER (WHERE state = 'active') "
                    "FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
                self.last = total
                self.peak = max(self.peak, total)
                self.peak_active = max(self.peak_active, active)
                await asyncio.sleep(0.05)
        finally:
            await conn.close()


def signed_get(client: httpx.Client, shop: dict[str, str], path: str, query: str) -> None:
    timestamp = str(int(time.time()))
    headers = {
        "Public-Token": shop["public_token"],
        "Timestamp": timestamp,
        "Sign": sign_request(shop["private_token"], timestamp, query, b""),
    }
    answer = client.get(f"{path}?{query}", headers=headers).json()
    if answer["code"] != 0:
        sys.exit(f"{path}: {answer}")


def load(base: str, shop: dict[str, str], clients: int, seconds: float) -> int:
    """`clients` threads sending a mix of reads and writes for `seconds`; requests sent."""
    deadline = time.monotonic() + seconds
    sent = [0] * clients

    def client_loop(n: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while time.monotonic() < deadline:
                kind = sent[n] % 4
                if kind == 0:
                    review = {"product_id": "p1", "rating": 5, "author": "B", "content": "x"}
                    signed_post(client, shop, "/api/v1/openapi/create_review", review)
                elif kind == 1:
                    signed_get(client, shop, "/api/v1/openapi/get_reviews", "page=1&page_size=5")
                elif kind == 2:
                    signed_get(client, shop, "/api/v1/openapi/get_rating", "product_id=p1")
                else:
                    signed_get(client, shop, "/api/v1/openapi/get_reviews", f"keyword=x{n}&page=1")
                sent[n] += 1

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(sent)


def phase(sampler: Sampler, name: str, **extra: Any) -> dict[str, Any]:
    result = {"phase": name, "connections": sampler.peak, "active": sampler.peak_active, **extra}
    print(json.dumps(result), flush=True)
    sampler.reset()
    return result


def settle(sampler: Sampler, seconds: float = 3.0) -> None:
    time.sleep(seconds)
    sampler.reset()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    receiver = Receiver()
    with database(args.pg_url) as url, Sampler(url) as sampler:
        env = environment(url)
        migrated = subprocess.run(
            ["shopreviews", "migrate"], env=env, capture_output=True, text=True
        )
        if migrated.returncode:
            sys.exit(f"shopreviews migrate failed: {migrated.stderr}")
        pool = os.environ.get("SHOPREVIEWS_DB_POOL_SIZE", "20")
        print(json.dumps({"db_pool_size": pool}), flush=True)
        shop = create_shop(env, f"conn{uuid.uuid4().hex[:6]}")
        for name, serve_args in (("API", ["--no-worker"]), ("API with embedded worker", [])):
            port = free_port()
            api = start(["serve", "--port", str(port), *serve_args], env)
            base = f"http://127.0.0.1:{port}"
            try:
                wait_until_up(base)
                settle(sampler)
                time.sleep(5)
                phase(sampler, f"{name}: idle")
                for clients in args.clients:
                    sent = load(base, shop, clients, args.seconds)
                    phase(sampler, f"{name}: {clients} clients", requests=sent)
                    settle(sampler)
                time.sleep(5)  # what the pool keeps open once the load is over
                phase(sampler, f"{name}: idle after the load")
            finally:
                stop(api)
        # The worker: a backlog of deliveries to a fast receiver.
        worker_shop = create_shop(env, f"conn{uuid.uuid4().hex[:6]}")
        port = free_port()
        api = start(["serve", "--port", str(port), "--no-worker"], env)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base)
            with httpx.Client(base_url=base, timeout=60) as client:
                hook = {"topic": "review/created", "url": f"http://127.0.0.1:{receiver.port}/h"}
                signed_post(client, worker_shop, "/api/v1/openapi/create_shop_webhook", hook)
                for n in range(args.events):
                    review = {"product_id": "p2", "rating": 4, "author": "W", "content": str(n)}
                    signed_post(client, worker_shop, "/api/v1/openapi/create_review", review)
        finally:
            stop(api)
        settle(sampler)
        worker = start(["worker"], env)
        try:
            began = time.monotonic()
            while len(receiver.arrivals) < args.events and time.monotonic() - began < 300:
                time.sleep(0.05)
            phase(
                sampler,
                "worker: draining",
                delivered=len(receiver.arrivals),
                seconds=round(time.monotonic() - began, 1),
            )
            settle(sampler)
            time.sleep(10)
            phase(sampler, "worker: idle")
        finally:
            stop(worker)


if __name__ == "__main__":
    main()
