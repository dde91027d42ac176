"""The worker loop: claim due jobs of every registered handler, run them, repeat.

Runs inside `shopreviews serve` (embedded) or as `shopreviews worker` processes (scaled out).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from shopreviews.context import AppContext
from shopreviews.kit.jobs.queue import JobQueue

log = logging.getLogger("shopreviews.worker")


class JobHandler(Protocol):
    """Runs one claimed job and records its outcome through `queue.finish`."""

    queue: JobQueue[Any]
    name: str

    async def run(self, job_id: int, owner: str) -> None: ...


class Worker:
    def __init__(
        self,
        ctx: AppContext,
        handlers: Sequence[JobHandler],
        *,
        batch: int = 20,
        concurrency: int = 10,
        poll_seconds: float = 1.0,
    ) -> None:
        self.ctx = ctx
        self.handlers = list(handlers)
        self.batch = batch
        self.poll_seconds = poll_seconds
        # lease_owner holds 64 characters and host names run up to 253 (FQDNs): a longer owner
        # made every claim fail on PostgreSQL. The random suffix keeps the id unique anyway.
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for work now instead of at the next poll (called after a commit queued jobs)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and run one batch per handler; returns how many jobs ran."""
        ran = 0
        for handler in self.handlers:
            now = datetime.fromtimestamp(self.ctx.now(), UTC)
            async with self.ctx.db.session(write=True) as session:
                jobs = await handler.queue.claim(
                    session, owner=self.owner, now=now, limit=self.batch
                )
                ids = [job.id for job in jobs]
            if ids:
                await asyncio.gather(*(self._run(handler, job_id) for job_id in ids))
                ran += len(ids)
        return ran

    async def _run(self, handler: JobHandler, job_id: int) -> None:
        async with self._slots:
            try:
                await handler.run(job_id, self.owner)
            except Exception:
                # The lease expires and the job comes back; never let one job stop the loop.
                log.exception("job %s/%s failed unexpectedly", handler.name, job_id)

    async def run_forever(self, stop: asyncio.Event) -> None:
        log.info("worker %s started", self.owner)
        while not stop.is_set():
            self._wake.clear()  # before looking, so a wake-up during the look is not lost
            try:
                ran = await self.run_once()
            except Exception:
                log.exception("worker loop error; retrying")
                ran = 0
            if ran:
                continue  # there may be more due work
            waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(
                waits, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in waits:
                waiter.cancel()
        log.info("worker %s stopped", self.owner)
