"""Scale-out and crash safety (spec webhooks.md "Guarantees"): worker *processes* on the test
database. A worker killed with SIGKILL mid-delivery loses nothing; on PostgreSQL two workers
deliver 1,000 events with no loss and no duplicate attempt."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import pytest
from sqlalchemy import func, select

from shopreviews.events import service as events
from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import worker as worker_module
from shopreviews.settings import Settings
from shopreviews.webhooks.models import WebhookAttempt, WebhookDelivery
from shopreviews.worker import running_worker
from tests.support.api import TEST_SECRET_KEY
from tests.support.reviews import create as create_review
from tests.support.webhooks import (
    ClockedShop,
    Receiver,
    attempt_rows,
    deliveries,
    stored_events,
    subscribe,
)

# `shopreviews worker` in a few lines (the CLI command is not there yet): settings from the
# environment, and a clock shifted by WORKER_CLOCK_OFFSET seconds, so a fresh worker can act
# as if the dead worker's 60 s leases had run out without the test waiting for them.
WORKER_SCRIPT = """
import asyncio, os, signal, time
from shopreviews.kit.context import AppContext
from shopreviews.settings import Settings
from shopreviews.worker import run_standalone

async def main():
    ctx = AppContext.build(Settings())
    offset = float(os.environ.get("WORKER_CLOCK_OFFSET", "0"))
    ctx.clock = lambda: time.time() + offset
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("READY", flush=True)
    try:
        await run_standalone(ctx, stop)
    finally:
        await ctx.db.dispose()

asyncio.run(main())
"""

StartWorker = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[StartWorker]:
    """Starts worker processes on the test database; any still running are killed after.
    Their stderr goes to worker-<n>.log in the test's tmp_path."""
    started: list[subprocess.Popen[str]] = []
    logs: list[TextIO] = []
    env = {
        **os.environ,
        "SHOPREVIEWS_DATABASE_URL": settings.database_url,
        "SHOPREVIEWS_SECRET_KEY": TEST_SECRET_KEY,
        "SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "SHOPREVIEWS_LOG_LEVEL": "WARNING",
        # Every slot may go to the one receiver of these tests (the bound has its own tests).
        "SHOPREVIEWS_WORKER_SLOTS_PER_DESTINATION": "10",
    }

    def start(clock_offset: float = 0) -> subprocess.Popen[str]:
        log = (tmp_path / f"worker-{len(started)}.log").open("w")
        logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER_SCRIPT],
            cwd=tmp_path,  # no .env, no key file of the checkout
            env={**env, "WORKER_CLOCK_OFFSET": str(clock_offset)},
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        started.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY", log.name
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    for log in logs:
        log.close()


def stop(proc: subprocess.Popen[str]) -> None:
    """A graceful stop (SIGTERM), which must end the process cleanly."""
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0


async def wait_for(what: str, check: Callable[[], Awaitable[bool]], seconds: float = 120) -> None:
    """Poll until `check` holds; the limit only stops a broken run from hanging."""
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


async def count_status(ctx: AppContext, shop_id: str, status: str) -> int:
    async with ctx.db.session(write=False) as session:
        result = await session.execute(
            select(func.count(WebhookDelivery.id)).where(
                WebhookDelivery.shop_id == shop_id, WebhookDelivery.status == status
            )
        )
        return int(result.scalar_one())


async def test_a_killed_worker_process_loses_nothing(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, start_worker: StartWorker
) -> None:
    hook = await subscribe(shop, receiver)
    await receiver.slow(hook["path"], 30)  # answers come long after the kill
    for n in range(15):
        await create_review(shop, content=f"review {n}")
    committed = {e.event_id for e in await stored_events(ctx, shop.shop_id)}
    assert len(committed) == 15

    doomed = start_worker()

    async def in_flight() -> bool:
        return len(await receiver.log(hook["path"])) >= 10  # the worker's concurrency

    await wait_for("requests in flight", in_flight)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    # Every delivery is still pending and nothing was recorded; the dead worker leased as
    # many as it has slots (10): it claims no more than it can run.
    rows = await deliveries(ctx, shop.shop_id)
    assert {(r.status, r.attempts) for r in rows} == {("pending", 0)}
    assert len([r for r in rows if r.lease_owner is not None]) == 10
    await receiver.slow(hook["path"], 0)

    # A new worker, once the 60 s leases have run out (its clock is 61 s ahead).
    successor = start_worker(clock_offset=61)

    async def all_delivered() -> bool:
        return await count_status(ctx, shop.shop_id, "succeeded") == 15

    await wait_for("every delivery to succeed", all_delivered)
    stop(successor)

    got = Counter(r.headers["webhook-id"] for r in await receiver.log(hook["path"]))
    assert set(got) == committed  # every committed event arrived at least once
    for row in await deliveries(ctx, shop.shop_id):
        assert await attempt_rows(ctx, row.id) == [(1, 200, True)]
        assert row.lease_owner is None


async def test_a_dead_workers_leases_hold_until_they_expire(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, start_worker: StartWorker
) -> None:
    """While the killed worker's leases run, another worker does not take its deliveries."""
    hook = await subscribe(shop, receiver)
    await receiver.slow(hook["path"], 30)
    await create_review(shop)
    doomed = start_worker()

    async def in_flight() -> bool:
        return len(await receiver.log(hook["path"])) == 1

    await wait_for("the request in flight", in_flight)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    await receiver.slow(hook["path"], 0)
    async with running_worker(ctx) as worker:  # real time: the lease is still running
        assert await worker.run_once() == 0
    assert len(await receiver.log(hook["path"])) == 1


NUM_EVENTS = 1000


@pytest.fixture
def postgres_only(settings: Settings) -> None:
    if settings.is_sqlite:
        pytest.skip("concurrent claims need PostgreSQL (SKIP LOCKED); SQLite has one writer")


async def test_two_workers_deliver_1000_events_once_each(
    postgres_only: None,
    ctx: AppContext,
    shop: ClockedShop,
    receiver: Receiver,
    start_worker: StartWorker,
) -> None:
    hook = await subscribe(shop, receiver)
    now = datetime.now(UTC)
    for batch in range(NUM_EVENTS // 100):
        async with ctx.db.session(write=True) as session:
            for n in range(100):
                item = {**events.sample_item("review/created", now), "id": str(batch * 100 + n + 1)}
                await events.record(session, shop.shop_id, "review/created", item, now=now)
    committed = {e.event_id for e in await stored_events(ctx, shop.shop_id)}
    assert len(committed) == NUM_EVENTS

    workers = [start_worker(), start_worker()]

    async def all_delivered() -> bool:
        return await count_status(ctx, shop.shop_id, "succeeded") == NUM_EVENTS

    await wait_for("every delivery to succeed", all_delivered, seconds=300)
    for proc in workers:
        stop(proc)

    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(WebhookAttempt.delivery_id, WebhookAttempt.attempt, WebhookAttempt.succeeded)
            .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
            .where(WebhookDelivery.shop_id == shop.shop_id)
        )
        attempts = rows.all()
    assert len(attempts) == NUM_EVENTS
    assert len({delivery_id for delivery_id, _, _ in attempts}) == NUM_EVENTS
    assert {(attempt, bool(ok)) for _, attempt, ok in attempts} == {(1, True)}
    got = Counter(r.headers["webhook-id"] for r in await receiver.log(hook["path"]))
    assert set(got) == committed
    assert set(got.values()) == {1}  # each event_id exactly once


async def test_worker_ids_fit_the_lease_column_whatever_the_host_name(
    ctx: AppContext,
    shop: ClockedShop,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Fully qualified host names run up to 253 characters; lease_owner holds 64.
    monkeypatch.setattr(worker_module.socket, "gethostname", lambda: "worker-" + "h" * 246)
    hook = await subscribe(shop, receiver)
    await create_review(shop)
    async with running_worker(ctx) as worker:
        assert len(worker.owner) <= 64
        assert worker.owner.startswith("worker-hhh")
        assert await worker.run_once() == 1
    (got,) = await receiver.log(hook["path"])
    assert [r.status for r in await deliveries(ctx, shop.shop_id)] == ["succeeded"]
    assert got.payload["topic"] == "review/created"
