"""Waking the job workers of other processes at once: PostgreSQL's LISTEN/NOTIFY.

A write session that queued jobs sends `NOTIFY shopreviews_jobs` inside its transaction
(kit/db.py), so PostgreSQL delivers it at COMMIT and never after a rollback. Each worker keeps
one connection of its own (outside the pool: a LISTEN belongs to its session) listening on that
channel and wakes on every notification. The worker still polls, at a long interval while the
listener is connected and at a short one while it is not (kit/jobs/worker.py); the listener
reconnects in the background after losing its connection (a database restart or failover).
Wakes within one process need none of this (`Database.on_jobs_committed`), and SQLite has no
such channel: there the short poll stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg

from shopreviews.kit.db import JOBS_CHANNEL, Database
from shopreviews.kit.point_reads import asyncpg_arguments, connect_arguments

log = logging.getLogger("shopreviews.worker")

# Between reconnection attempts, doubling from the first to the last.
RETRY_SECONDS = (1.0, 30.0)
CONNECT_TIMEOUT_SECONDS = 5.0


class JobWakeups:
    """Calls `wake` whenever another process commits jobs; `listening` says whether it can."""

    def __init__(self, db: Database, wake: Callable[[], None], *, name: str) -> None:
        self._db = db
        self._wake = wake
        # Its connection's application_name: an operator sees in pg_stat_activity whose it is.
        self.application_name = f"shopreviews-wakeups {name}"[:63]
        self.listening = False

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[JobWakeups]:
        task = asyncio.create_task(self._listen_forever())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _listen_forever(self) -> None:
        delay = RETRY_SECONDS[0]
        while True:
            try:
                connection = await self._connect()
            except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                log.warning("job wake-ups unavailable (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_SECONDS[1])
                continue
            lost = asyncio.Event()
            try:
                connection.add_termination_listener(functools.partial(_set, lost))
                await connection.add_listener(JOBS_CHANNEL, self._notified)
                self.listening = True
                delay = RETRY_SECONDS[0]
                # Jobs committed while nobody listened: look now rather than at the next poll.
                self._wake()
                await lost.wait()
                log.warning("job wake-ups lost their connection; reconnecting")
            finally:
                self.listening = False
                if not connection.is_closed():
                    await connection.close(timeout=CONNECT_TIMEOUT_SECONDS)

    async def _connect(self) -> Any:
        # The engine's own connection arguments, so the listener reaches the same server with
        # the same credentials and TLS settings as the pool.
        args, kwargs = connect_arguments(self._db.engine)
        options = asyncpg_arguments(kwargs)
        options["timeout"] = CONNECT_TIMEOUT_SECONDS
        options["server_settings"] = {
            **options.get("server_settings", {}),
            "application_name": self.application_name,
        }
        return await asyncpg.connect(*args, **options)

    def _notified(self, *_: Any) -> None:
        self._wake()


def _set(event: asyncio.Event, _connection: Any) -> None:
    event.set()
