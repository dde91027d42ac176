"""The worker loop: claim due jobs of every registered handler, run them, repeat.

Runs inside `shopreviews serve` (embedded) or as `shopreviews worker` processes (scaled out).
`run_forever` keeps `concurrency` slots busy: whenever a job finishes, it claims due jobs for
the free slots, so a slow job (a subscriber that takes 15 s to time out) holds one slot and
never the others. Jobs of a queue with destinations (webhook deliveries: the URL's host) hold at
most `per_destination` slots per destination: a receiver that hangs, with any backlog, leaves
the other slots to everyone else. `run_once` is one pass for tests and tools: a batch per
handler, all run, without that bound.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select

from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs.queue import Destination, JobQueue

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
        concurrency: int | None = None,
        per_destination: int | None = None,
        poll_seconds: float = 1.0,
        idle_poll_seconds: float = 10.0,
        stop_seconds: float = 20.0,
    ) -> None:
        self.ctx = ctx
        self.handlers = list(handlers)
        self.batch = batch
        self.concurrency = concurrency or ctx.settings.worker_concurrency
        self.per_destination = per_destination or ctx.settings.worker_slots_per_destination
        # How often an idle worker looks for due jobs: every poll_seconds, or every
        # idle_poll_seconds while other processes' commits wake it (kit/jobs/wakeups.py says
        # so through `woken_by_commits`). Jobs that come due later (retries) are waited for
        # until they are due, within the same bound.
        self.poll_seconds = poll_seconds
        self.idle_poll_seconds = idle_poll_seconds
        self.woken_by_commits: Callable[[], bool] = lambda: False
        # On stop, how long running jobs may take to finish before they are cancelled (their
        # leases then run out and the jobs come back). Above the 15 s webhook timeout.
        self.stop_seconds = stop_seconds
        # lease_owner holds 64 characters and host names run up to 253 (FQDNs): a longer owner
        # made every claim fail on PostgreSQL. The random suffix keeps the id unique anyway.
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # run_once's batch runs this many at a time
        self._slots = asyncio.Semaphore(self.concurrency)
        self._wake = asyncio.Event()
        self._first_handler = 0  # where the next claim round starts (round-robin)
        # Running jobs per destination key, and the groups (handler name, group) seen going to
        # each destination while it has jobs running: the claim leaves out the groups of a
        # full destination, so its backlog is not locked and passed over at every claim.
        self._in_flight: Counter[str] = Counter()
        self._groups: dict[str, set[tuple[str, Hashable]]] = {}

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
        wait = 0.0  # how long the next wait may last; 0: claim at once
        try:
            while not stop.is_set():
                self._wake.clear()  # before looking, so a wake-up during the look is not lost
                if wait == 0.0:
                    running |= await self._claim_into(self.concurrency - len(running))
                    # Nothing to run: wait until the next job is due (a retry), within the
                    # poll interval. Not at once, even if one is due: another worker holds it.
                    wait = self._interval() if running else max(await self._until_next_due(), 0.05)
                # Wait for a free slot, new work or stop; the poll notices jobs that became due
                # (retries) without a wake-up.
                waiters = [
                    asyncio.ensure_future(self._wake.wait()),
                    asyncio.ensure_future(stop.wait()),
                ]
                done, _ = await asyncio.wait(
                    [*running, *waiters], timeout=wait, return_when=asyncio.FIRST_COMPLETED
                )
                for waiter in waiters:
                    waiter.cancel()
                running = {task for task in running if not task.done()}
                if done or running:
                    # A wake-up, a finished job, or the poll while jobs run: claim at once.
                    wait = 0.0
                else:
                    # The poll of an idle worker: one query says when the next job is due, and
                    # the claims run only once one is.
                    wait = await self._until_next_due()
            await self._finish(running)
        finally:
            for task in running:  # only if run_forever itself was cancelled
                task.cancel()
        log.info("worker %s stopped", self.owner)

    async def _claim_into(self, free: int) -> set[asyncio.Task[None]]:
        """Claim due jobs for `free` slots and start them."""
        started: set[asyncio.Task[None]] = set()
        # Claim again at once while a claim passed over jobs of a full destination: they took
        # the places of jobs due behind them, and the next claim leaves them out.
        passed_over = True
        while passed_over and free - len(started) > 0:
            claimed, passed_over = await self._claim_round(free - len(started))
            for handler, job_id, place in claimed:
                task = asyncio.create_task(self._run(handler, job_id))
                if place is not None:
                    task.add_done_callback(functools.partial(self._leave, place))
                started.add(task)
        return started

    def _interval(self) -> float:
        return self.idle_poll_seconds if self.woken_by_commits() else self.poll_seconds

    async def _until_next_due(self) -> float:
        """Seconds until the earliest pending job of any handler is due (0.0: one is due
        now), within the poll interval."""
        now = datetime.fromtimestamp(self.ctx.now(), UTC)
        try:
            async with self.ctx.db.session(write=False) as session:
                due = (
                    await session.execute(
                        select(*(handler.queue.next_due(now) for handler in self.handlers))
                    )
                ).one()
        except Exception:
            log.exception("looking for due jobs failed; trying again at the next poll")
            return self._interval()
        soonest: datetime | None = min((when for when in due if when is not None), default=None)
        if soonest is None:
            return self._interval()
        return min(max((soonest - now).total_seconds(), 0.0), self._interval())

    async def _claim_round(
        self, slots: int
    ) -> tuple[list[tuple[JobHandler, int, Destination | None]], bool]:
        """Claim up to `slots` due jobs across the handlers; also says whether a claim passed
        over jobs of a full destination. Each round starts at the next handler, so one
        handler's backlog cannot keep the others' jobs waiting."""
        claimed: list[tuple[JobHandler, int, Destination | None]] = []
        passed = False
        start = self._first_handler % max(1, len(self.handlers))
        self._first_handler = start + 1
        for handler in self.handlers[start:] + self.handlers[:start]:
            if len(claimed) >= slots:
                break
            try:
                jobs, passed_over = await self._claim_bounded(handler, slots - len(claimed))
            except Exception:
                log.exception("claiming %s jobs failed; retrying at the next poll", handler.name)
                continue
            for job_id, place in jobs:
                if place is not None:
                    self._in_flight[place.key] += 1
                    self._groups.setdefault(place.key, set()).add((handler.name, place.group))
                claimed.append((handler, job_id, place))
            for place in passed_over:
                # Its destination was full; unless all its jobs ended during the claim, the
                # next claim leaves this group out.
                if (known := self._groups.get(place.key)) is not None:
                    known.add((handler.name, place.group))
                passed = True
        return claimed, passed

    async def _claim_bounded(
        self, handler: JobHandler, limit: int
    ) -> tuple[list[tuple[int, Destination | None]], list[Destination]]:
        """Lease up to `limit` due jobs of one handler, none beyond a destination's bound; also
        returns where the jobs passed over for a full destination go. Those stay due and
        unleased, ahead of later jobs, and are claimed once their destination has room."""
        destinations = handler.queue.destinations
        if destinations is None:
            return [(job_id, None) for job_id in await self._claim(handler, limit)], []
        admitted: dict[int, Destination] = {}
        passed_over: list[Destination] = []
        now = datetime.fromtimestamp(self.ctx.now(), UTC)
        async with self.ctx.db.session(write=True) as session:

            async def admit(rows: list[Any]) -> list[Any]:
                places = await destinations.of(session, rows)
                taken: Counter[str] = Counter()
                kept = []
                for row in rows:
                    place = places[row.id]
                    if self._in_flight[place.key] + taken[place.key] < self.per_destination:
                        taken[place.key] += 1
                        admitted[row.id] = place
                        kept.append(row)
                    else:
                        passed_over.append(place)
                return kept

            full = self._full_groups(handler.name)
            jobs = await handler.queue.claim(
                session,
                owner=self.owner,
                now=now,
                limit=limit,
                where=destinations.excluding(full) if full else None,
                admit=admit,
            )
            ids = [job.id for job in jobs]
        return [(job_id, admitted[job_id]) for job_id in ids], passed_over

    def _full_groups(self, handler_name: str) -> set[Hashable]:
        """The groups of `handler_name` known to go to a destination at its bound."""
        return {
            group
            for key, groups in self._groups.items()
            if self._in_flight[key] >= self.per_destination
            for name, group in groups
            if name == handler_name
        }

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

    def _leave(self, place: Destination, _: asyncio.Task[None]) -> None:
        """A job of `place` ended (a done callback: it runs even for a task cancelled before
        it started)."""
        self._in_flight[place.key] -= 1
        if not self._in_flight[place.key]:
            del self._in_flight[place.key], self._groups[place.key]

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
