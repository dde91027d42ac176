"""The worker loop: claim due jobs of every registered handler, run them, repeat.

Runs inside `shopreviews serve` (embedded) or as `shopreviews worker` processes (scaled out).
`run_forever` keeps `concurrency` slots busy: whenever a job finishes, it claims due jobs for
the free slots, so a slow job (a subscriber that takes 15 s to time out) holds one slot and
never the others. `run_once` is one pass for tests and tools: a batch per handler, all run.
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
        stop_seconds: float = 20.0,
    ) -> None:
        self.ctx = ctx
        self.handlers = list(handlers)
        self.batch = batch
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        # On stop, how long running jobs may take to finish before they are cancelled (their
        # leases then run out and the jobs come back). Above the 15 s webhook timeout.
        self.stop_seconds = stop_seconds
        # lease_owner holds 64 characters and host names run up to 253 (FQDNs): a longer owner
        # made every claim fail on PostgreSQL. The random suffix keeps the id unique anyway.
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._slots = asyncio.Semaphore(concurrency)  # run_once's batch runs this many at a time
        self._wake = asyncio.Event()
        self._first_handler = 0  # where the next claim round starts (round-robin)

    def wake(self) -> None:
        """Look for work now instead of at the next poll (called after a commit queued jobs)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and run one batch per handler; returns how many jobs ran."""
        ran = 0
        for handler in self.handlers:
            ids = await self._claim(handler, self.batch)
            if ids:
                await asyncio.gather(*(self._run(handler, job_id) for job_id in ids))
                ran += len(ids)
        return ran

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run jobs until `stop` is set, then let the running ones finish (up to stop_seconds)."""
        log.info("worker %s started", self.owner)
        running: set[asyncio.Task[None]] = set()
        try:
            while not stop.is_set():
                self._wake.clear()  # before looking, so a wake-up during the look is not lost
                free = self.concurrency - len(running)
                if free > 0:
                    for handler, job_id in await self._claim_round(free):
                        running.add(asyncio.create_task(self._run(handler, job_id)))
                # Wait for a free slot, new work or stop; the poll notices jobs that became due
                # (retries) without a wake-up.
                waiters = [
                    asyncio.ensure_future(self._wake.wait()),
                    asyncio.ensure_future(stop.wait()),
                ]
                await asyncio.wait(
                    [*running, *waiters],
                    timeout=self.poll_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for waiter in waiters:
                    waiter.cancel()
                running = {task for task in running if not task.done()}
            await self._finish(running)
        finally:
            for task in running:  # only if run_forever itself was cancelled
                task.cancel()
        log.info("worker %s stopped", self.owner)

    async def _claim_round(self, slots: int) -> list[tuple[JobHandler, int]]:
        """Claim up to `slots` due jobs across the handlers. Each round starts at the next
        handler, so one handler's backlog cannot keep the others' jobs waiting."""
        claimed: list[tuple[JobHandler, int]] = []
        start = self._first_handler % max(1, len(self.handlers))
        self._first_handler = start + 1
        for handler in self.handlers[start:] + self.handlers[:start]:
            if len(claimed) >= slots:
                break
            try:
                ids = await self._claim(handler, slots - len(claimed))
            except Exception:
                log.exception("claiming %s jobs failed; retrying at the next poll", handler.name)
                continue
            claimed += [(handler, job_id) for job_id in ids]
        return claimed

    async def _claim(self, handler: JobHandler, limit: int) -> list[int]:
        """Lease up to `limit` due jobs of one handler, in a transaction of its own."""
        now = datetime.fromtimestamp(self.ctx.now(), UTC)
        async with self.ctx.db.session(write=True) as session:
            jobs = await handler.queue.claim(session, owner=self.owner, now=now, limit=limit)
            return [job.id for job in jobs]

    async def _run(self, handler: JobHandler, job_id: int) -> None:
        async with self._slots:
            try:
                await handler.run(job_id, self.owner)
            except Exception:
                # The lease expires and the job comes back; never let one job stop the loop.
                log.exception("job %s/%s failed unexpectedly", handler.name, job_id)

    async def _finish(self, running: set[asyncio.Task[None]]) -> None:
        """On stop: give running jobs up to stop_seconds, then cancel the rest. A cancelled job
        keeps its lease until it expires, and then it is claimed again."""
        if not running:
            return
        log.info("worker %s stopping: waiting for %d running jobs", self.owner, len(running))
        _, late = await asyncio.wait(running, timeout=self.stop_seconds)
        for task in late:
            task.cancel()
        if late:
            log.warning("worker %s: cancelled %d jobs still running at stop", self.owner, len(late))
            await asyncio.wait(late)
