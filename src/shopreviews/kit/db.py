"""Engine and session factories for SQLite (embedded) and PostgreSQL (scaled out)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shopreviews.kit.db_retry import commit_starting, is_disconnect
from shopreviews.kit.observability.metrics import watch_pool
from shopreviews.kit.point_reads import PointReader
from shopreviews.kit.sqlite_writer import UNIT_OF_WORK_OPTION, SqliteWriter
from shopreviews.kit.unit_of_work import UnitOfWork
from shopreviews.settings import Settings

# Connections a pool may open beyond its size in a burst, closed again when returned (also
# SQLAlchemy's default, written out for the pool metrics).
POOL_OVERFLOW = 10
# The PostgreSQL channel on which a commit that queued jobs wakes the workers of every process
# (kit/jobs/wakeups.py listens on it).
JOBS_CHANNEL = "shopreviews_jobs"
NOTIFY_JOBS = text(f"NOTIFY {JOBS_CHANNEL}")


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url, pool_size=settings.db_pool_size, max_overflow=POOL_OVERFLOW
        )
        _configure_sqlite(engine, settings.sqlite_busy_timeout_ms)
        return engine
    # Connections idle in autocommit; Database.session gives write sessions a READ COMMITTED
    # transaction. At READ COMMITTED every statement takes its own snapshot, so a transaction
    # gave reads nothing but a BEGIN and a ROLLBACK.
    # No liveness ping on checkout (a round trip per checkout): see _detect_disconnects.
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=POOL_OVERFLOW,
        isolation_level="AUTOCOMMIT",
        connect_args=_pooler_arguments(settings.database_url),
    )
    _detect_disconnects(engine)
    return engine


def _pooler_arguments(url: str) -> dict[str, Any]:
    """`?prepared_statement_cache_size=0` is how a URL says it goes through a pooler in
    transaction mode (PgBouncer): a server connection then serves many clients in turn and
    keeps what each prepared. Without a cache the adapter still prepares named statements,
    numbered per client connection, so two clients' `__asyncpg_stmt_1__` would collide on one
    server connection; unique names never do."""
    if make_url(url).query.get("prepared_statement_cache_size") != "0":
        return {}
    return {"prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4().hex}__"}


def _detect_disconnects(engine: AsyncEngine) -> None:
    """Connections the server ended (a restart, a failover) leave the pool without a ping.

    One the driver already knows is closed (it saw the socket close while the connection sat
    in the pool) is replaced at checkout, for free. One ended so recently that the driver has
    not seen it yet fails at its first statement: that invalidates every older connection of
    the pool, and the request runs again (kit/db_retry.py).
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this connection")  # the pool reconnects

    @event.listens_for(engine.sync_engine, "handle_error")
    def on_error(context: ExceptionContext) -> None:
        # SQLAlchemy takes asyncpg's error for a disconnect only once the driver has seen the
        # socket close; an AdminShutdown (57P01) read before that would leave the connection,
        # and the other dead ones, in the pool. Marked here, the connection is dropped, every
        # connection older than it is replaced at its next checkout, and the error says
        # connection_invalidated.
        if is_disconnect(context.original_exception):
            context.is_disconnect = True


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (the driver's implicit BEGIN is DEFERRED): a write
        # session begins with BEGIN IMMEDIATE at its first write (kit/sqlite_writer.py).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()


class Database:
    """The engine plus session factories; one per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings)
        self._unwatch_pool = watch_pool(
            self.engine, size=settings.db_pool_size, overflow=POOL_OVERFLOW
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # The credentials lookup of every signed request, on the driver directly.
        self.point_reads = PointReader(self.engine)
        # SQLite has one writer: a write session takes it at its first write statement.
        self.sqlite_writer = SqliteWriter(self.engine) if settings.is_sqlite else None
        # Called after a commit that queued jobs (e.g. webhook deliveries): wakes the worker.
        self.on_jobs_committed: list[Callable[[], None]] = []

    @property
    def is_sqlite(self) -> bool:
        return self.settings.is_sqlite

    @asynccontextmanager
    async def session(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        """A write session is one transaction with a unit of work (kit/unit_of_work.py),
        committed on success and rolled back on error; a read session runs each statement on
        its own (decision 79) and takes a connection at its first statement, so a read
        answered from the read cache never takes one."""
        if not write:
            async with self.sessions() as session:
                # It just closes: its objects stay readable (detached, not expired as a
                # rollback would leave them) and the connection rolls back.
                yield session
            return
        unit = UnitOfWork(self._wake_workers)
        async with self.sessions() as session:
            unit.attach(session)
            options: dict[str, Any] = {UNIT_OF_WORK_OPTION: unit}
            if not self.is_sqlite:
                options["isolation_level"] = "READ COMMITTED"  # reads stay in autocommit
            await session.connection(execution_options=options)
            try:
                yield session
                await self._commit(session, unit)
            except BaseException as exc:
                # A refusal that must keep what was written before it (a detected refresh
                # token reuse revokes the grant's tokens, then refuses) was marked so.
                if unit.commits_despite(exc):
                    await self._commit(session, unit)
                else:
                    await session.rollback()
                raise
            finally:
                if self.sqlite_writer is not None:
                    self.sqlite_writer.release(unit)

    async def _commit(self, session: AsyncSession, unit: UnitOfWork) -> None:
        # Statements still pending are flushed first: a lost connection during the flush
        # leaves nothing stored, and the request may run again. From COMMIT on it may not.
        await session.flush()
        if unit.queued_jobs and not self.is_sqlite:
            # Wakes the workers of every process (kit/jobs/wakeups.py). Sent inside the
            # transaction, PostgreSQL delivers it at COMMIT, and never after a rollback.
            await session.execute(NOTIFY_JOBS)
        commit_starting()
        await session.commit()
        unit.committed()

    def _wake_workers(self) -> None:
        for listener in self.on_jobs_committed:
            listener()

    async def dispose(self) -> None:
        await self.point_reads.close()
        await self.engine.dispose()
        self._unwatch_pool()
