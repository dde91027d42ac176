"""The unit of work of a write session: what happens at its commit, and the errors that commit.

A write session (kit/db.py) is one transaction. Code inside it never commits; it tells the unit
of work what must happen once the transaction is durable (`after_commit`, `jobs_queued`) and
which refusal must still keep what was written before it (`commit_despite`). Both were untyped
side channels before (a flag in `session.info`, an attribute looked up on any exception).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

E = TypeVar("E", bound=BaseException)

_KEY = "unit_of_work"


class UnitOfWork:
    """Belongs to one write session; `Database.session(write=True)` creates it."""

    def __init__(self, wake_workers: Callable[[], None]) -> None:
        self._wake_workers = wake_workers
        self._after_commit: list[Callable[[], None]] = []
        self._commit_despite: BaseException | None = None
        # Jobs were queued: the commit also tells other processes' workers (kit/db.py).
        self.queued_jobs = False
        # Set by the SQLite writer (kit/sqlite_writer.py) once this session holds the
        # process's writer lock.
        self.holds_writer_lock = False

    @staticmethod
    def of(session: AsyncSession) -> UnitOfWork:
        """The unit of work of `session`; only write sessions have one."""
        unit = session.info.get(_KEY)
        if not isinstance(unit, UnitOfWork):
            raise RuntimeError("this session is not a write session: it has no unit of work")
        return unit

    def attach(self, session: AsyncSession) -> None:
        session.info[_KEY] = self

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the transaction has committed; never if it rolls back."""
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    def commit_despite(self, error: E) -> E:
        """Mark `error` as a refusal that keeps this transaction's writes, and return it to be
        raised: `raise unit.commit_despite(OAuthError(...))`."""
        self._commit_despite = error
        return error

    def commits_despite(self, error: BaseException) -> bool:
        return error is self._commit_despite

    def committed(self) -> None:
        """Called by the session once COMMIT has succeeded."""
        for callback in self._after_commit:
            callback()


def jobs_queued(session: AsyncSession) -> None:
    """The transaction queued jobs (webhook deliveries, emails): wake the workers after commit,
    so they start at once instead of at their next poll."""
    unit = UnitOfWork.of(session)
    unit.queued_jobs = True
    unit.after_commit(unit._wake_workers)


def commit_despite(session: AsyncSession, error: E) -> E:
    """`raise commit_despite(session, error)`: refuse, but commit what was written before."""
    return UnitOfWork.of(session).commit_despite(error)
