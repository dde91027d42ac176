"""A per-process memory budget for work that runs in threads, such as decoding images.

A small file can decode to a huge image (a one-colour 40 megapixel PNG of 150 KB is 160 MB in
memory, a WebP of 2 KB 640 MB), so concurrent uploads would each take that much at once. Each
piece of work first reserves the memory it says it needs; work runs together only while the
reservations fit the budget, in arrival order. Work that needs more than the whole budget still
runs, alone, so nothing the caller's own limits allow is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class DecodeBudget:
    """A semaphore weighted in bytes, first come first served. Not thread-safe: used from the
    event loop only (it binds to no loop: each waiter's future comes from the running one)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.reserved = 0
        self.running = 0
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def run(self, memory: int, work: Callable[[], T]) -> T:
        """`work()` in a worker thread once `memory` bytes are reserved for it. The reservation
        lasts until the thread is done, also when the caller is cancelled meanwhile (the thread
        cannot be stopped, so its memory is still in use)."""
        await self._acquire(memory)
        try:
            thread = asyncio.get_running_loop().run_in_executor(None, work)
        except BaseException:
            self._release(memory)
            raise
        thread.add_done_callback(lambda _: self._release(memory))
        # Shielded: a cancelled caller leaves the thread running with its reservation; the
        # outcome nobody awaits any more is retrieved so asyncio does not log it.
        thread.add_done_callback(lambda done: done.cancelled() or done.exception())
        return await asyncio.shield(thread)

    def _fits(self, memory: int) -> bool:
        return self.running == 0 or self.reserved + memory <= self.limit

    async def _acquire(self, memory: int) -> None:
        if not self._waiting and self._fits(memory):
            self._take(memory)
            return
        turn = asyncio.get_running_loop().create_future()
        entry = (memory, turn)
        self._waiting.append(entry)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # granted just before the cancellation
                self._release(memory)
            else:
                with contextlib.suppress(ValueError):
                    self._waiting.remove(entry)
                self._grant()  # whoever waited behind it may fit now
            raise

    def _take(self, memory: int) -> None:
        self.reserved += memory
        self.running += 1

    def _release(self, memory: int) -> None:
        self.reserved -= memory
        self.running -= 1
        self._grant()

    def _grant(self) -> None:
        while self._waiting:
            memory, turn = self._waiting[0]
            if turn.done():  # cancelled; its waiter removes nothing more
                self._waiting.popleft()
                continue
            if not self._fits(memory):
                return
            self._waiting.popleft()
            self._take(memory)
            turn.set_result(None)
