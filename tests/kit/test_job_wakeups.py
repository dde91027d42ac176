"""Workers in other processes wake when jobs are committed (PostgreSQL's LISTEN/NOTIFY), and an
idle worker only asks when the next job is due.

"Another process" is a second AppContext: its own engine and pool, and no in-process wake-up
from the first one's commits. Its polls are an hour apart, so a delivery that arrives within
the test's patience arrived because the commit woke the worker, never because it polled.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, text, update

from shopreviews.kit.context import AppContext
from shopreviews.kit.db import JOBS_CHANNEL
from shopreviews.kit.jobs import JobStatus, Worker
from shopreviews.kit.unit_of_work import jobs_queued
from shopreviews.webhooks.models import WebhookDelivery
from shopreviews.worker import running_worker
from tests.support.api import ShopApi
from tests.support.webhooks import (
    Receiver,
    cancel_pending_deliveries,
    deliveries,
    loopback_receiver,
    record_events,
    subscribe,
)

HOUR = 3600.0


def _postgres_only(ctx: AppContext) -> None:
    if ctx.db.is_sqlite:
        pytest.skip("SQLite has no channel between processes: its workers poll")


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    async with loopback_receiver() as running:
        yield running


@pytest.fixture(autouse=True)
async def _quiet_queue(ctx: AppContext) -> AsyncIterator[None]:
    await cancel_pending_deliveries(ctx)
    yield
    await cancel_pending_deliveries(ctx)


@contextlib.asynccontextmanager
async def other_process_worker(ctx: AppContext) -> AsyncIterator[Worker]:
    """`shopreviews worker` as another process runs it, polling once an hour."""
    other = AppContext.build(ctx.settings)
    try:
        async with running_worker(other) as worker:
            worker.poll_seconds = worker.idle_poll_seconds = HOUR
            stop = asyncio.Event()
            task = asyncio.create_task(worker.run_forever(stop))
            try:
                yield worker
            finally:
                stop.set()
                async with asyncio.timeout(60):
                    await task
    finally:
        await other.db.dispose()


async def wait_for(what: str, check: Callable[[], Awaitable[bool]], seconds: float = 30) -> None:
    """Poll until `check` holds; the limit only stops a broken run from hanging."""
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


async def test_a_commit_wakes_a_worker_of_another_process(
    ctx: AppContext, shop: ShopApi, receiver: Receiver
) -> None:
    _postgres_only(ctx)
    hook = await subscribe(shop, receiver)
    async with other_process_worker(ctx) as worker:
        await wait_for("the listener", lambda: _true(worker.woken_by_commits()))
        await record_events(ctx, shop.shop_id, 3)

        async def delivered() -> bool:
            return len(await receiver.log(hook["path"])) == 3

        await wait_for("the three deliveries", delivered)
    rows = await deliveries(ctx, shop.shop_id)
    assert [row.status for row in rows] == ["succeeded"] * 3


async def test_only_a_committed_transaction_notifies(ctx: AppContext) -> None:
    _postgres_only(ctx)
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await _listener(ctx, lambda *args: heard.put_nowait(args[2]))
    try:

        class Refused(Exception):
            pass

        with pytest.raises(Refused):
            async with ctx.db.session(write=True) as session:
                await session.execute(text("SELECT 1"))
                jobs_queued(session)
                raise Refused
        async with ctx.db.session(write=True) as session:
            await session.execute(text("SELECT 1"))  # a write session queuing nothing
        async with ctx.db.session(write=True) as session:
            await session.execute(text("SELECT 1"))
            jobs_queued(session)
        assert await asyncio.wait_for(heard.get(), 10) == JOBS_CHANNEL
        # The other two sessions sent nothing: after the committed one's, the queue is empty.
        await asyncio.sleep(0.2)
        assert heard.empty()
    finally:
        await listener.close()


async def test_the_listener_comes_back_after_losing_its_connection(
    ctx: AppContext, shop: ShopApi, receiver: Receiver
) -> None:
    _postgres_only(ctx)
    hook = await subscribe(shop, receiver)
    async with other_process_worker(ctx) as worker:
        await wait_for("the listener", lambda: _true(worker.woken_by_commits()))
        (first,) = await _listener_backends(ctx, worker)
        # The database ends the listener's connection (a restart or failover would).
        async with ctx.db.session(write=False) as session:
            assert await session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})

        async def listening_again() -> bool:
            return (await _listener_backends(ctx, worker)) not in ([], [first])

        await wait_for("a new listener connection", listening_again)
        await record_events(ctx, shop.shop_id, 1)

        async def delivered() -> bool:
            return len(await receiver.log(hook["path"])) == 1

        await wait_for("the delivery", delivered)


async def test_an_idle_worker_only_asks_when_the_next_job_is_due(ctx: AppContext) -> None:
    # On either database: a poll of an idle worker is one statement, never a claim.
    statements: list[str] = []
    other = AppContext.build(ctx.settings)

    @event.listens_for(other.db.engine.sync_engine, "before_cursor_execute")
    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()))

    try:
        async with running_worker(other) as worker:
            worker.poll_seconds = worker.idle_poll_seconds = 0.2
            stop = asyncio.Event()
            task = asyncio.create_task(worker.run_forever(stop))
            await asyncio.sleep(2)
            stop.set()
            await task
    finally:
        await other.db.dispose()
    polls = [s for s in statements if "min(" in s]
    claims = [s for s in statements if "FOR UPDATE" in s]
    # A claim round at start, and on PostgreSQL one more when the listener connects (for
    # jobs committed while nobody listened); then polls alone, however long it stays idle.
    assert len(claims) <= 2 * len(worker.handlers)
    assert len(polls) >= 3
    assert all(s.startswith("SELECT (SELECT min(") for s in polls), polls[:2]


async def test_a_retry_is_run_when_it_comes_due_not_at_the_next_poll(
    ctx: AppContext, shop: ShopApi, receiver: Receiver
) -> None:
    hook = await subscribe(shop, receiver)
    await record_events(ctx, shop.shop_id, 1)
    soon = ctx.now_datetime() + timedelta(seconds=1)
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.shop_id == shop.shop_id)
            .where(WebhookDelivery.status == JobStatus.PENDING)
            .values(run_at=soon)
        )
    async with other_process_worker(ctx):

        async def delivered() -> bool:
            return len(await receiver.log(hook["path"])) == 1

        await wait_for("the retry", delivered)


async def _listener_backends(ctx: AppContext, worker: Worker) -> list[int]:
    """The backends of `worker`'s listener (named after the worker)."""
    async with ctx.db.session(write=False) as session:
        pids = await session.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
            {"name": f"shopreviews-wakeups {worker.owner}"[:63]},
        )
        return list(pids)


async def _true(value: bool) -> bool:
    return value


async def _listener(ctx: AppContext, callback: Callable[..., None]) -> Any:
    engine = ctx.db.engine
    _, params = engine.dialect.create_connect_args(engine.url)
    connection = await asyncpg.connect(**params)
    await connection.add_listener(JOBS_CHANNEL, callback)
    return connection
