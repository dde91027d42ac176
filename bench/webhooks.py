"""Webhook delivery benchmark.

Measures, on one database engine (SQLite in a temp file, or PostgreSQL in a throwaway
database `bench_<random>` that is dropped afterwards; each part gets a fresh database):

1. Delivery throughput: events per second that ONE worker delivers to a fast local receiver.
   N review/created events are recorded up front for a shop with one subscription; the clock
   runs while a worker from `running_worker(ctx)` runs `run_forever()` until nothing is pending
   (this process, default asyncio loop, as `shopreviews worker` runs; the pending count is
   polled every 0.2 s). The receiver is a
   minimal asyncio HTTP/1.1 server in its own process that answers 200 at once. Its ceiling is
   measured first with an httpx load, and its CPU use during each drain is reported, so it is
   visibly not the limit. Mean time per phase of a delivery is reported too (claim, prepare,
   HTTP send, record), by timing the handler's methods from the outside.

   With --slow-receiver SECONDS, one more drain mixes in one delivery in 21 to a receiver that
   answers after SECONDS, to show what a slow subscriber does to everyone else's deliveries.

   With --hanging-receiver, a healthy shop is measured alone and beside a shop whose receiver
   never answers (a second receiver process, so another destination; each of its attempts ends
   at the 15 s timeout) and which has 40 events queued ahead of everything else. Each case runs
   one worker (`running_worker(ctx)`, the deployment's settings) on a fresh database, for one
   of two parts: the healthy shop's backlog of 1,000 events (its throughput: events / seconds
   until the last is delivered), or its stream of 20 events/s for 15 s (its latency: from the
   commit of each event to the end of its delivery, taken around the handler). Rounds
   (--hanging-rounds, default 3) run alone and beside in turn, in alternating order; medians
   are reported. With
   SHOPREVIEWS_WORKER_SLOTS_PER_DESTINATION=10 in the environment, the receiver that hangs may
   take every slot, as before the per-destination bound.

2. create_review latency with webhooks: signed create_review requests sent one at a time to a
   real `shopreviews serve --no-worker` process (uvicorn, loopback TCP), alternating between a
   shop with no subscription and a shop with 3 review/created subscriptions. p50/p99/mean per
   case and the difference, i.e. the cost of the in-transaction fan-out (deliveries stay
   pending: no worker runs).

Usage (from the repository root, with the package installed: pip install -e '.[test]'):

    python bench/webhooks.py --database sqlite [--events 2000] [--slow-receiver 2]
                             [--hanging-receiver | --only-hanging-receiver]
    python bench/webhooks.py --database postgresql [--pg-url postgresql+asyncpg://...]

Run it on an otherwise idle machine: it warns when the CPUs are busy before it starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from shopreviews import migrate
from shopreviews.auth.caller import Caller
from shopreviews.events import service as events
from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import JobStatus, Worker
from shopreviews.settings import Settings
from shopreviews.shops import service as shop_service
from shopreviews.webhooks import service as webhook_service
from shopreviews.webhooks.models import WebhookDelivery
from shopreviews.webhooks.schemas import WebhookIn
from shopreviews.worker import running_worker

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from load import cpu_busy, cpu_seconds, machine, stop  # noqa: E402  (bench/load.py)
from tests.support import signer  # noqa: E402  (the independent request signer of the test suite)

SECRET_KEY = "bench-secret-key-" + "x" * 32
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432"
TOPIC = "review/created"

# --------------------------------------------------------------------------------------------
# The receiver: a process that answers every HTTP/1.1 request with 200 (keep-alive).
# --------------------------------------------------------------------------------------------

RESPONSE_BODY = b'{"code":0,"message":"success"}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(RESPONSE_BODY)).encode()
    + b"\r\n\r\n"
    + RESPONSE_BODY
)


def _request_end(buffer: bytearray) -> int | None:
    """The end offset of the first complete request in `buffer` (Content-Length bodies)."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    length = 0
    for line in bytes(buffer[:head_end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    end = head_end + 4 + length
    return end if len(buffer) >= end else None


def _sleep_seconds(request: bytearray) -> float:
    """N for a request to /sleep/N (answered N seconds late), else 0."""
    if not request.startswith(b"POST /sleep/"):
        return 0.0
    return float(bytes(request[12 : request.index(b" ", 12)]))


class Answer200(asyncio.Protocol):
    """Answers each request of a connection with 200 as soon as it is complete (requests to
    /sleep/N after N seconds)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := _request_end(self.buffer)) is not None:
            delay = _sleep_seconds(self.buffer)
            del self.buffer[:end]
            if delay:
                asyncio.get_running_loop().call_later(delay, self.answer)
            else:
                self.answer()

    def answer(self) -> None:
        if not self.transport.is_closing():
            self.transport.write(RESPONSE)


async def serve_receiver() -> None:
    server = await asyncio.get_running_loop().create_server(Answer200, "127.0.0.1", 0)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


def run_receiver() -> None:
    """Entry point of the receiver process (uvloop when installed, as uvicorn would)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve_receiver())
    else:
        uvloop.run(serve_receiver())


@contextlib.contextmanager
def receiver_process() -> Iterator[tuple[str, int]]:
    """Start the receiver; yields (base URL, pid)."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--receiver"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the receiver did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}", proc.pid
    finally:
        stop(proc)


@dataclass
class Ceiling:
    requests: int
    seconds: float
    receiver_cpu: float
    client_cpu: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def per_core(self) -> float:
        """Requests per second the receiver could answer with one core to itself."""
        return self.requests / self.receiver_cpu if self.receiver_cpu else float("inf")


def round_trip_ms(url: str, body: bytes, *, count: int = 500) -> float:
    """Mean round trip of one POST over a raw keep-alive socket: this machine's loopback cost."""
    host, port = httpx.URL(url).host, httpx.URL(url).port
    request = (
        f"POST /rtt HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    )
    with socket.create_connection((host, port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        start = time.perf_counter()
        for _ in range(count):
            sock.sendall(request)
            if not sock.recv(4096).startswith(b"HTTP/1.1 200"):
                raise RuntimeError("unexpected answer from the receiver")
    return 1000 * (time.perf_counter() - start) / count


def events_body_sample() -> bytes:
    """A body of the size the worker sends (a review/created sample event)."""
    now = datetime.now(UTC)
    return json.dumps({"topic": TOPIC, "list": [events.sample_item(TOPIC, now)]}).encode()


async def receiver_ceiling(
    url: str, pid: int, body: bytes, *, requests: int, concurrency: int = 10
) -> Ceiling:
    """Load the receiver with httpx (as many connections as the worker uses) and time it."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, trust_env=False) as http:
        per_task = requests // concurrency

        async def load() -> None:
            for _ in range(per_task):
                response = await http.post(url, content=body)
                assert response.status_code == 200

        await asyncio.gather(*(http.post(url, content=body) for _ in range(concurrency)))
        cpu, own_cpu, start = cpu_seconds(pid), time.process_time(), time.perf_counter()
        await asyncio.gather(*(load() for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    return Ceiling(
        per_task * concurrency,
        seconds,
        receiver_cpu=cpu_seconds(pid) - cpu,
        client_cpu=time.process_time() - own_cpu,
    )


# --------------------------------------------------------------------------------------------
# Databases, shops and subscriptions
# --------------------------------------------------------------------------------------------


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


@contextlib.asynccontextmanager
async def fresh_database(kind: str, pg_url: str, workdir: Path) -> AsyncIterator[str]:
    """A new, migrated database; a PostgreSQL one is dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        migrate.upgrade(bench_settings(url))
        yield url
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    await _admin(f"{pg_url}/postgres", f'CREATE DATABASE "{name}"')
    try:
        url = f"{pg_url}/{name}"
        migrate.upgrade(bench_settings(url))
        yield url
    finally:
        await _admin(f"{pg_url}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=SECRET_KEY,
        rate_limits_enabled=False,
        run_worker=False,
        webhook_allow_private_targets=True,  # the receiver is on 127.0.0.1
    )


@contextlib.asynccontextmanager
async def app_context(database_url: str) -> AsyncIterator[AppContext]:
    ctx = AppContext.build(bench_settings(database_url))
    try:
        yield ctx
    finally:
        await ctx.db.dispose()


async def new_shop(ctx: AppContext, subscriptions: list[str]) -> shop_service.ShopCredentials:
    """A shop with one review/created subscription per URL."""
    shop_id = "bench" + uuid.uuid4().hex[:10]
    async with ctx.db.session(write=True) as session:
        creds = await shop_service.create(
            ctx, session, shop_id=shop_id, domain=f"{shop_id}.myshopify.com"
        )
    caller = Caller(shop_id=shop_id, kind="hmac")
    for url in subscriptions:
        async with ctx.db.session(write=True) as session:
            await webhook_service.create(ctx, session, caller, WebhookIn(topic=TOPIC, url=url))
    return creds


async def delivery_counts(ctx: AppContext, shop_id: str | None = None) -> Counter[str]:
    """Delivery rows by status (of one shop, or all)."""
    query = select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
    if shop_id is not None:
        query = query.where(WebhookDelivery.shop_id == shop_id)
    async with ctx.db.session(write=False) as session:
        return Counter({status: n for status, n in (await session.execute(query)).all()})


async def server_version(ctx: AppContext) -> str:
    query = "SELECT sqlite_version()" if ctx.db.is_sqlite else "SHOW server_version"
    async with ctx.db.session(write=False) as session:
        return str((await session.execute(text(query))).scalar_one())


# --------------------------------------------------------------------------------------------
# Part 1: delivery throughput of one worker
# --------------------------------------------------------------------------------------------


async def record_events(ctx: AppContext, shop_id: str, count: int, *, chunk: int = 250) -> None:
    """`count` review/created events (fanned out to the shop's subscriptions), in chunks."""
    now = datetime.fromtimestamp(ctx.now(), UTC)
    item = events.sample_item(TOPIC, now)
    for start in range(0, count, chunk):
        async with ctx.db.session(write=True) as session:
            for _ in range(min(chunk, count - start)):
                await events.record(session, shop_id, TOPIC, item, now=now)


@dataclass
class PhaseTimer:
    """Wall time spent in named coroutine calls (overlapping calls each count in full)."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: Counter[str] = field(default_factory=Counter)

    def wrap(self, name: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start
                self.calls[name] += 1

        return timed

    def instrument(self, worker: Worker) -> None:
        """Time the claim transaction and the three steps of each delivery attempt."""
        (handler,) = worker.handlers
        handler.queue.claim = self.wrap("claim", handler.queue.claim)  # type: ignore[method-assign, assignment]
        for step in ("_prepare", "_send", "_record"):
            setattr(handler, step, self.wrap(step.lstrip("_"), getattr(handler, step)))

    def mean_ms(self, name: str) -> float:
        return 1000 * self.seconds[name] / self.calls[name] if self.calls[name] else 0.0


@dataclass
class Drain:
    delivered: int
    seconds: float
    worker_cpu: float
    receiver_cpu: float
    phases: PhaseTimer

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds


async def due_count(ctx: AppContext) -> int:
    """Deliveries waiting."""
    async with ctx.db.session(write=False) as session:
        result = await session.execute(
            select(func.count(WebhookDelivery.id)).where(
                WebhookDelivery.status == JobStatus.PENDING
            )
        )
        return int(result.scalar_one())


async def drain(ctx: AppContext, receiver_pid: int) -> Drain:
    """One worker runs as `shopreviews worker` does (run_forever, its slots kept full) until
    nothing is pending; timed from its start."""
    phases = PhaseTimer()
    pending = await due_count(ctx)
    async with running_worker(ctx) as worker:
        phases.instrument(worker)
        stop = asyncio.Event()
        cpu, receiver_cpu = time.process_time(), cpu_seconds(receiver_pid)
        start = time.perf_counter()
        task = asyncio.create_task(worker.run_forever(stop))
        # Polled every 0.2 s (at most 0.5% of a 40 s drain): the count query runs in the
        # worker's own process and must not eat its CPU.
        while await due_count(ctx):  # noqa: ASYNC110 - polling the database, not an event
            await asyncio.sleep(0.2)
        seconds = time.perf_counter() - start
        stop.set()
        await task
    return Drain(
        pending,
        seconds,
        worker_cpu=time.process_time() - cpu,
        receiver_cpu=cpu_seconds(receiver_pid) - receiver_cpu,
        phases=phases,
    )


async def throughput(
    database_url: str, receiver: str, receiver_pid: int, *, n_events: int, rounds: int
) -> list[Drain]:
    results = []
    async with app_context(database_url) as ctx:
        shop = await new_shop(ctx, [f"{receiver}/hook"])
        for _ in range(rounds):
            await record_events(ctx, shop.shop_id, n_events)
            results.append(await drain(ctx, receiver_pid))
            counts = await delivery_counts(ctx, shop.shop_id)
            done = sum(r.delivered for r in results)
            if counts != Counter({"succeeded": done}):
                raise RuntimeError(f"expected {done} succeeded deliveries, found {dict(counts)}")
    return results


async def slow_receiver_drain(
    database_url: str, receiver: str, receiver_pid: int, *, slow_seconds: float, n_fast: int
) -> Drain:
    """Optional: drain fast deliveries mixed with one delivery in 21 to a receiver that answers
    after `slow_seconds`: a slow delivery holds one of the worker's slots, not the others."""
    async with app_context(database_url) as ctx:
        fast = await new_shop(ctx, [f"{receiver}/hook"])
        slow = await new_shop(ctx, [f"{receiver}/sleep/{slow_seconds}"])
        for _ in range(max(1, n_fast // 20)):
            await record_events(ctx, fast.shop_id, 20)
            await record_events(ctx, slow.shop_id, 1)
        return await drain(ctx, receiver_pid)


HANGING_EVENTS = 40  # queued for the shop whose receiver hangs, ahead of the healthy shop's
HEALTHY_BACKLOG = 1000
STREAM_RATE, STREAM_SECONDS, STREAM_COMMIT = 20, 15, 2  # events/s, seconds, events per commit


@dataclass
class Healthy:
    """The healthy shop's deliveries in one run of one part (backlog or stream)."""

    per_second: float
    waits_ms: list[float]  # stream: from each event's commit to the end of its delivery
    hanging_leased: int  # the hanging shop's deliveries leased when the healthy ones were done
    per_destination: int  # the worker's bound


async def healthy_shop_case(
    database_url: str, receiver: str, hanging: str | None, *, stream: bool
) -> Healthy:
    """One worker delivers the healthy shop's backlog (recorded before it starts) or its
    stream (recorded while it runs); with `hanging` (the base URL of a receiver that never
    answers), 40 events of another shop are queued there first."""
    async with app_context(database_url) as ctx:
        shop = await new_shop(ctx, [f"{receiver}/hook"])
        stuck_id = None
        if hanging is not None:
            stuck = await new_shop(ctx, [f"{hanging}/sleep/3600"])  # past the 15 s timeout
            await record_events(ctx, stuck.shop_id, HANGING_EVENTS)
            stuck_id = stuck.shop_id
        recorded: dict[int, float] = {}  # event pk -> commit time
        delivered: dict[int, float] = {}  # delivery id -> end of its attempt

        async def record(count: int) -> None:
            now = datetime.fromtimestamp(ctx.now(), UTC)
            async with ctx.db.session(write=True) as session:
                pks = [
                    (await events.record(session, shop.shop_id, TOPIC, item, now=now)).id
                    for item in [events.sample_item(TOPIC, now)] * count
                ]
            recorded.update(dict.fromkeys(pks, time.perf_counter()))

        if not stream:
            for _ in range(HEALTHY_BACKLOG // 250):
                await record(250)
        async with running_worker(ctx) as worker:
            worker.stop_seconds = 0  # at the end, drop the hanging attempts at once
            (handler,) = worker.handlers
            run = handler.run

            async def timed_run(job_id: int, owner: str) -> None:
                await run(job_id, owner)
                delivered[job_id] = time.perf_counter()

            handler.run = timed_run  # type: ignore[method-assign]
            stop_worker = asyncio.Event()
            task = asyncio.create_task(worker.run_forever(stop_worker))
            start = time.perf_counter()
            if stream:
                for n in range(STREAM_RATE * STREAM_SECONDS // STREAM_COMMIT):
                    due = start + n * STREAM_COMMIT / STREAM_RATE
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    await record(STREAM_COMMIT)
            ids = await delivered_ids(ctx, shop.shop_id, len(recorded))
            hanging_leased = await leased_count(ctx, stuck_id) if stuck_id else 0
            stop_worker.set()
            await task
        events_of = await delivery_events(ctx, shop.shop_id)
    waits = [1000 * (delivered[i] - recorded[events_of[i]]) for i in ids] if stream else []
    return Healthy(
        len(ids) / (max(delivered[i] for i in ids) - start),
        waits,
        hanging_leased,
        worker.per_destination,
    )


async def delivered_ids(ctx: AppContext, shop_id: str, count: int) -> list[int]:
    """Wait (polling every 0.1 s) until `count` deliveries of the shop succeeded; their ids."""
    query = select(WebhookDelivery.id).where(
        WebhookDelivery.shop_id == shop_id, WebhookDelivery.status == "succeeded"
    )
    while True:
        async with ctx.db.session(write=False) as session:
            ids = list((await session.execute(query)).scalars())
        if len(ids) >= count:
            return ids
        await asyncio.sleep(0.1)


async def leased_count(ctx: AppContext, shop_id: str) -> int:
    """The shop's deliveries leased right now."""
    query = select(func.count()).where(
        WebhookDelivery.shop_id == shop_id, WebhookDelivery.lease_owner.is_not(None)
    )
    async with ctx.db.session(write=False) as session:
        return int((await session.execute(query)).scalar_one())


async def delivery_events(ctx: AppContext, shop_id: str) -> dict[int, int]:
    query = select(WebhookDelivery.id, WebhookDelivery.event_pk).where(
        WebhookDelivery.shop_id == shop_id
    )
    async with ctx.db.session(write=False) as session:
        return {delivery_id: event_pk for delivery_id, event_pk in await session.execute(query)}


# --------------------------------------------------------------------------------------------
# Part 2: create_review latency through a real server, with and without subscriptions
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def api_server(database_url: str, workdir: Path) -> Iterator[tuple[str, int]]:
    """`shopreviews serve --no-worker` in `workdir`; yields (base URL, pid) once it answers."""
    port = free_port()
    env = {
        **os.environ,
        "SHOPREVIEWS_DATABASE_URL": database_url,
        "SHOPREVIEWS_SECRET_KEY": SECRET_KEY,
        "SHOPREVIEWS_RATE_LIMITS_ENABLED": "false",
        "SHOPREVIEWS_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "shopreviews.cli", "serve", "--no-worker"]
    log = (workdir / "server.log").open("w")
    proc = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc, workdir / "server.log")
        yield base, proc.pid  # one uvicorn process: `serve` runs it in-process
    finally:
        stop(proc)
        log.close()


def wait_until_up(
    base: str, proc: subprocess.Popen[Any], log: Path, *, seconds: float = 60
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/", trust_env=False, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {seconds:g} s:\n{log.read_text()}")


def review_request(shop: shop_service.ShopCredentials, i: int) -> tuple[bytes, dict[str, str]]:
    """A create_review body and its signed headers (tests/support/signer.py)."""
    body = json.dumps(
        {
            "product_id": str(9_200_000 + i % 50),
            "product_title": "Bench product",
            "rating": 1 + i % 5,
            "author": "Bench Buyer",
            "title": "Solid",
            "content": "Arrived quickly and works as described. " * 3,
        }
    ).encode()
    stamp = str(int(time.time()))
    return body, {
        "Content-Type": "application/json",
        "Public-Token": shop.public_token,
        "Timestamp": stamp,
        "Sign": signer.sign(shop.private_token, stamp, [], body),
    }


async def create_review_ms(
    http: httpx.AsyncClient, shop: shop_service.ShopCredentials, i: int
) -> float:
    body, headers = review_request(shop, i)
    start = time.perf_counter()
    response = await http.post("/api/v1/openapi/create_review", content=body, headers=headers)
    elapsed = time.perf_counter() - start
    if response.status_code != 200 or response.json()["code"] != 0:
        raise RuntimeError(f"create_review failed: {response.status_code} {response.text}")
    return 1000 * elapsed


async def review_latencies(
    base: str, shops: dict[str, shop_service.ShopCredentials], *, requests: int, warmup: int
) -> dict[str, list[float]]:
    """Sequential requests, alternating between the shops (and their order) every round."""
    samples: dict[str, list[float]] = {name: [] for name in shops}
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=30) as http:
        for i in range(warmup + requests):
            names = list(shops) if i % 2 == 0 else list(reversed(shops))
            for name in names:
                ms = await create_review_ms(http, shops[name], i)
                if i >= warmup:
                    samples[name].append(ms)
    return samples


@dataclass
class Latency:
    p50: float
    p99: float
    mean: float

    @classmethod
    def of(cls, samples: list[float]) -> Latency:
        ordered = sorted(samples)

        def rank(q: int) -> float:  # nearest-rank percentile
            return ordered[max(0, math.ceil(len(ordered) * q / 100) - 1)]

        return cls(rank(50), rank(99), statistics.fmean(ordered))


async def fanout_latency(
    database_url: str,
    receiver: str,
    workdir: Path,
    *,
    subscriptions: int,
    requests: int,
    warmup: int,
) -> tuple[dict[str, Latency], float]:
    """Latency per case, and the server's CPU milliseconds per request."""
    async with app_context(database_url) as ctx:
        plain = await new_shop(ctx, [])
        subscribed = await new_shop(ctx, [f"{receiver}/hook{i}" for i in range(subscriptions)])
        shops = {"0 subscriptions": plain, f"{subscriptions} subscriptions": subscribed}
        with api_server(database_url, workdir) as (base, pid):
            cpu = cpu_seconds(pid)
            samples = await review_latencies(base, shops, requests=requests, warmup=warmup)
            server_cpu_ms = 1000 * (cpu_seconds(pid) - cpu) / (2 * (requests + warmup))
        # Every review was fanned out (and nothing delivered: the server runs no worker).
        queued = Counter({"pending": subscriptions * (requests + warmup)})
        for shop, expected in ((plain, Counter()), (subscribed, queued)):
            if (counts := await delivery_counts(ctx, shop.shop_id)) != expected:
                raise RuntimeError(f"shop {shop.shop_id}: unexpected deliveries {dict(counts)}")
    return {name: Latency.of(values) for name, values in samples.items()}, server_cpu_ms


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def print_ceiling(ceiling: Ceiling, rtt_ms: float) -> None:
    print(f"loopback: one POST round trip on a raw socket to the receiver takes {rtt_ms:.3f} ms")
    print(
        f"receiver ceiling: {ceiling.per_second:,.0f} req/s from one httpx client "
        f"({ceiling.requests} POSTs, 10 connections; client CPU "
        f"{100 * ceiling.client_cpu / ceiling.seconds:.0f}%, receiver CPU "
        f"{100 * ceiling.receiver_cpu / ceiling.seconds:.0f}% of a core "
        f"=> about {ceiling.per_core:,.0f} req/s per receiver core)"
    )


def print_throughput(drains: list[Drain], n_events: int) -> None:
    print(f"\ndelivery throughput: one worker, {n_events} events per round, 1 subscription")
    print(f"  {'round':<8}{'events/s':>10}{'seconds':>9}{'worker CPU':>12}{'receiver CPU':>14}")
    for i, d in enumerate(drains, 1):
        print(
            f"  {i:<8}{d.per_second:>10,.0f}{d.seconds:>9.2f}"
            f"{100 * d.worker_cpu / d.seconds:>11.0f}%{100 * d.receiver_cpu / d.seconds:>13.0f}%"
        )
    print(f"  median  {statistics.median(d.per_second for d in drains):>10,.0f} events/s")
    last = drains[-1].phases
    print(
        "  mean wall time per call, last round (10 deliveries overlap): "
        + ", ".join(
            f"{name} {last.mean_ms(name):.2f} ms" for name in ("claim", "prepare", "send", "record")
        )
    )


def print_slow_receiver(result: Drain, slow_seconds: float, fast_median: float) -> None:
    print(
        f"\nwith a slow receiver (1 delivery in 21 answered after {slow_seconds:g} s): "
        f"{result.delivered} deliveries in {result.seconds:.1f} s = "
        f"{result.per_second:,.1f} events/s (without it: {fast_median:,.0f} events/s)"
    )


def print_hanging(runs: dict[tuple[str, bool], list[Healthy]]) -> None:
    """Medians over the rounds; `runs` by (part, beside the hanging receiver)."""
    rounds = len(runs["backlog", False])
    bound = runs["backlog", True][0].per_destination
    print(
        f"\na healthy shop alone and beside a receiver that never answers ({HANGING_EVENTS} "
        f"events queued first; {bound} slots per destination; median of {rounds} rounds)"
    )
    print(f"  {'':<42}{'alone':>10}{'beside':>10}{'change':>10}   rounds alone / beside")

    def row(label: str, values: dict[bool, list[float]], fmt: str) -> None:
        alone, beside = (statistics.median(values[case]) for case in (False, True))
        each = " / ".join(",".join(fmt.format(v) for v in values[case]) for case in (False, True))
        print(
            f"  {label:<42}{fmt.format(alone):>10}{fmt.format(beside):>10}"
            f"{100 * (beside / alone - 1):>+9.0f}%   {each}"
        )

    for part, label in (
        ("backlog", f"backlog of {HEALTHY_BACKLOG}: events/s"),
        ("stream", f"stream, {STREAM_RATE}/s for {STREAM_SECONDS} s: events/s"),
    ):
        row(
            label,
            {case: [r.per_second for r in runs[part, case]] for case in (False, True)},
            "{:.1f}",
        )
    for name in ("p50", "p99"):
        row(
            f"stream latency {name}, ms",
            {
                case: [getattr(Latency.of(r.waits_ms), name) for r in runs["stream", case]]
                for case in (False, True)
            },
            "{:.0f}",
        )
    leased = sorted({r.hanging_leased for part in ("backlog", "stream") for r in runs[part, True]})
    print(f"  the hanging shop's deliveries leased when the healthy shop was done: {leased}")


def print_latency(results: dict[str, Latency], server_cpu_ms: float, requests: int) -> None:
    print(
        f"\ncreate_review latency: {requests} sequential signed requests per case, ms "
        f"(server CPU {server_cpu_ms:.1f} ms per request)"
    )
    print(f"  {'case':<18}{'p50':>8}{'p99':>8}{'mean':>8}")
    for name, lat in results.items():
        print(f"  {name:<18}{lat.p50:>8.2f}{lat.p99:>8.2f}{lat.mean:>8.2f}")
    base, subscribed = results.values()
    print(
        f"  {'difference':<18}{subscribed.p50 - base.p50:>+8.2f}"
        f"{subscribed.p99 - base.p99:>+8.2f}{subscribed.mean - base.mean:>+8.2f}"
    )


# --------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Webhook benchmark: delivery throughput of one worker, and the latency "
        "added to create_review by webhook subscriptions (see the module docstring).",
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], help="required")
    parser.add_argument("--events", type=int, default=2000, help="events per drain round")
    parser.add_argument("--rounds", type=int, default=3, help="drain rounds (default 3)")
    parser.add_argument("--requests", type=int, default=500, help="create_review requests per case")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured requests per case")
    parser.add_argument("--subscriptions", type=int, default=3, help="of the subscribed shop")
    parser.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help=f"PostgreSQL server, without a database name (default {DEFAULT_PG_URL})",
    )
    parser.add_argument(
        "--slow-receiver",
        type=float,
        default=0,
        metavar="SECONDS",
        help="also drain EVENTS/10 deliveries plus one in 21 to a receiver that answers after "
        "SECONDS (what one slow subscriber does to the others); default 0: skip",
    )
    parser.add_argument(
        "--hanging-receiver",
        action="store_true",
        help="also measure a healthy shop alone and beside a receiver that never answers",
    )
    parser.add_argument(
        "--hanging-rounds", type=int, default=3, help="rounds of that measurement (default 3)"
    )
    parser.add_argument(
        "--only-hanging-receiver",
        action="store_true",
        help="measure only that (skips the receiver ceiling, throughput and latency parts)",
    )
    # Internal: run as the receiver process.
    parser.add_argument("--receiver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.receiver and args.database is None:
        parser.error("--database is required")
    return args


async def report_receiver(receiver: str, receiver_pid: int) -> None:
    body = events_body_sample()
    rtt_ms = round_trip_ms(receiver, body)
    print_ceiling(await receiver_ceiling(receiver, receiver_pid, body, requests=5000), rtt_ms)


async def report_throughput(
    args: argparse.Namespace, url: str, receiver: str, receiver_pid: int
) -> None:
    async with app_context(url) as ctx:
        print(f"database: {args.database} {await server_version(ctx)}")
    drains = await throughput(url, receiver, receiver_pid, n_events=args.events, rounds=args.rounds)
    print_throughput(drains, args.events)
    if args.slow_receiver:
        slow = await slow_receiver_drain(
            url, receiver, receiver_pid, slow_seconds=args.slow_receiver, n_fast=args.events // 10
        )
        median = statistics.median(d.per_second for d in drains)
        print_slow_receiver(slow, args.slow_receiver, median)


async def report_hanging(args: argparse.Namespace, receiver: str, workdir: Path) -> None:
    """Alone and beside in turn (which goes first alternates by round), each run on a fresh
    database, so that load changes on the machine hit both cases alike."""
    runs: dict[tuple[str, bool], list[Healthy]] = defaultdict(list)
    with receiver_process() as (hanging, _):
        for round_ in range(args.hanging_rounds):
            for part in ("backlog", "stream"):
                for beside in (False, True) if round_ % 2 == 0 else (True, False):
                    async with fresh_database(args.database, args.pg_url, workdir) as url:
                        if not runs:
                            async with app_context(url) as ctx:
                                print(f"database: {args.database} {await server_version(ctx)}")
                        runs[part, beside].append(
                            await healthy_shop_case(
                                url, receiver, hanging if beside else None, stream=part == "stream"
                            )
                        )
    print_hanging(runs)


async def report_latency(args: argparse.Namespace, url: str, receiver: str, workdir: Path) -> None:
    latencies, server_cpu_ms = await fanout_latency(
        url,
        receiver,
        workdir,
        subscriptions=args.subscriptions,
        requests=args.requests,
        warmup=args.warmup,
    )
    print_latency(latencies, server_cpu_ms, args.requests)


async def main(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    if (busy := cpu_busy()) > 0.1:
        print(f"WARNING: the machine is {100 * busy:.0f}% busy before the benchmark starts")
    with (
        tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp,
        receiver_process() as (receiver, receiver_pid),
    ):
        if args.only_hanging_receiver:
            await report_hanging(args, receiver, Path(tmp))
            return
        await report_receiver(receiver, receiver_pid)
        async with fresh_database(args.database, args.pg_url, Path(tmp)) as url:
            await report_throughput(args, url, receiver, receiver_pid)
        async with fresh_database(args.database, args.pg_url, Path(tmp)) as url:
            await report_latency(args, url, receiver, Path(tmp))
        if args.hanging_receiver:
            await report_hanging(args, receiver, Path(tmp))


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.receiver:
        run_receiver()
    else:
        asyncio.run(main(arguments))
