"""Running the job worker: inside `serve` (embedded) or as `shopreviews worker` processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from shopreviews.emails.handler import ReviewConfirmationHandler, ReviewRequestHandler
from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import Worker
from shopreviews.kit.jobs.wakeups import JobWakeups
from shopreviews.kit.jobs.worker import JobHandler
from shopreviews.kit.mailer import Mailer
from shopreviews.webhooks.delivery import DeliveryHandler, new_http_client
from shopreviews.wiring import connect_domains

log = logging.getLogger("shopreviews.worker")


@contextlib.asynccontextmanager
async def running_worker(ctx: AppContext) -> AsyncIterator[Worker]:
    """A worker with every job handler and one shared HTTP client; wakes on committed jobs."""
    connect_domains()  # handlers record events and send signals too
    async with new_http_client() as http:
        handlers: list[JobHandler] = [DeliveryHandler(ctx, http)]
        if ctx.settings.smtp_host:
            mailer = Mailer(ctx.settings)
            handlers.append(ReviewRequestHandler(ctx, mailer))
            handlers.append(ReviewConfirmationHandler(ctx, mailer))
        else:
            log.info("SHOPREVIEWS_SMTP_HOST is not set: review requests wait until it is")
        worker = Worker(ctx, handlers)
        ctx.db.on_jobs_committed.append(worker.wake)
        try:
            if ctx.db.is_sqlite:
                yield worker
            else:
                # Other processes' commits wake it too; it then polls far less often.
                wakeups = JobWakeups(ctx.db, worker.wake, name=worker.owner)
                worker.woken_by_commits = lambda: wakeups.listening
                async with wakeups.running():
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
