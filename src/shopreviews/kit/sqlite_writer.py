"""SQLite's single writer, taken at a write session's first write statement.

SQLite lets one transaction write at a time. Writers of this process queue on an asyncio lock
instead of spinning on the file lock (busy_timeout still covers other processes), and a
transaction that writes begins with `BEGIN IMMEDIATE`, because a deferred one that reads and
then writes can fail or lose a concurrent update.

Both are taken when the session first writes, not when it opens: a request that does slow work
before writing (merchant sign-in hashes a password) or that is refused before writing holds
neither, and other writers of the process go on meanwhile. Reads before that point see the
latest commit, as every statement does on PostgreSQL at READ COMMITTED; a read whose answer the
write depends on says so with `with_for_update()`, which takes the writer here and row locks on
PostgreSQL.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import SavepointClause, TextClause
from sqlalchemy.util import await_only

from shopreviews.kit.unit_of_work import UnitOfWork

# The connection execution option that carries a write session's unit of work (kit/db.py).
UNIT_OF_WORK_OPTION = "unit_of_work"


def writes(statement: Any) -> bool:
    """Whether `statement` writes or must read under the writer lock (FOR UPDATE). A SAVEPOINT
    counts, since on SQLite it opens the transaction that its writes then need; so does raw SQL,
    which cannot be told apart, and taking the lock is the safe side."""
    if isinstance(statement, UpdateBase | TextClause | SavepointClause):
        return True
    return isinstance(statement, Select) and statement._for_update_arg is not None


class SqliteWriter:
    """The writer lock of one process's SQLite engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._lock = asyncio.Lock()
        event.listen(engine.sync_engine, "before_execute", self._before_execute)

    def _before_execute(
        self, conn: Connection, statement: Any, _multi: Any, _params: Any, _options: Any
    ) -> None:
        unit = conn.get_execution_options().get(UNIT_OF_WORK_OPTION)
        if not isinstance(unit, UnitOfWork) or unit.holds_writer_lock or not writes(statement):
            return
        # Runs inside SQLAlchemy's greenlet for the async driver, so it may await.
        await_only(self._lock.acquire())
        unit.holds_writer_lock = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.release(unit)
            raise

    def held(self) -> bool:
        """Whether a write session of this process holds the writer now."""
        return self._lock.locked()

    def release(self, unit: UnitOfWork) -> None:
        """At the end of the session (commit or rollback): let the next writer in."""
        if unit.holds_writer_lock:
            unit.holds_writer_lock = False
            self._lock.release()
