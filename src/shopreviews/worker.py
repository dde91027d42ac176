"""Running the job worker: inside `serve` (embedded) or as `shopreviews worker` processes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from shopreviews.context import AppContext
from shopreviews.kit.jobs import Worker
from shopreviews.webhooks.delivery import DeliveryHandler, new_http_client


@contextlib.asynccontextmanager
async def running_worker(ctx: AppContext) -> AsyncIterator[Worker]:
    """A worker with every job handler and one shared HTTP client; wakes on committed jobs."""
    async with new_http_client() as http:
        worker = Worker(ctx, [DeliveryHandler(ctx, http)])
        ctx.db.on_jobs_committed.append(worker.wake)
        try:
            yield worker
        finally:
            ctx.db.on_jobs_committed.remove(worker.wake)


@contextlib.asynccontextmanager
async def embedded_worker(ctx: AppContext, *, enabled: bool) -> AsyncIterator[None]:
    """The worker as a background task of the API process (the embedded default)."""
    if not enabled:
        yield
        return
    stop = asyncio.Event()
    async with running_worker(ctx) as worker:
        task = asyncio.create_task(worker.run_forever(stop))
        try:
            yield
        finally:
            stop.set()
            await task


async def run_standalone(ctx: AppContext, stop: asyncio.Event) -> None:
    """`shopreviews worker`: deliver webhooks and run jobs until `stop` is set."""
    async with running_worker(ctx) as worker:
        await worker.run_forever(stop)
