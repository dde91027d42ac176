"""One-row reads by a unique key, run on the database driver directly.

Every signed request starts by reading its credentials (the shop's key row, with the data
version of the read cache). On a cached answer that read is the request's only query, and
through SQLAlchemy's async layer it cost more than everything else together: on the benchmark
machine 180-280 µs of CPU on PostgreSQL (pool checkout and liveness ping, execution context,
result wrapping) and about 1 ms on SQLite (aiosqlite hands every step of a statement to its own
thread), against 130 µs for the same statement on an asyncpg pool and 7 µs on a plain sqlite3
connection. So statements read this way skip that layer:

- SQLite (a file): a sqlite3 connection per thread, run in place. An indexed lookup takes
  microseconds, and a WAL reader never waits for the writer. If the file is busy anyway
  (recovery after a crash), the read goes the usual way instead of blocking the event loop.
- PostgreSQL: a small asyncpg pool of its own, beside SQLAlchemy's. asyncpg replaces a
  connection at acquire once it has seen the server end it (a restart, an idle timeout); a
  lookup that meets one first (the server ended it just before) has the pool replace every
  connection it holds and runs once more, so no liveness ping is needed.
- Anything else (an in-memory SQLite database, which only the engine's own connection sees):
  the engine, as every other statement.

Connections are opened with the engine's own connection arguments, as the engine's dialect
hands them to its driver: the URL's and everything given as `connect_args` (TLS, session
settings, timeouts, a sqlite3 connection class), so nothing the engine's connections get can
be missing from these. The reader's own settings (a short busy timeout, read-only) come after.

Statements are SQLAlchemy Core selects, compiled once per dialect, and each read runs on its
own in autocommit: it sees every transaction committed before it starts.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy import Select, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from shopreviews.kit.db_retry import is_disconnect

Row = Sequence[Any]

# Connections of the PostgreSQL pool: a lookup holds one for a single round trip, so a few
# serve thousands of requests per second (docs/operations.md counts them in max_connections).
POSTGRES_POOL_SIZE = 4
# How long a SQLite read may wait for a busy file before it goes the usual way (milliseconds).
SQLITE_BUSY_MS = 50
# Options of SQLAlchemy's asyncpg adapter, as asyncpg.connect names them (a cache size of 0 is
# how a URL asks for no prepared statements, behind PgBouncer). The adapter's statement names
# are its own business: asyncpg's pool names (or, without a cache, does not name) its own.
_ADAPTER_OPTIONS = {"prepared_statement_cache_size": "statement_cache_size"}
_ADAPTER_ONLY = frozenset({"prepared_statement_name_func"})
# Options aiosqlite.connect takes for itself, beside sqlite3.connect's.
_AIOSQLITE_ONLY = frozenset({"iter_chunk_size", "loop"})


class PointReader:
    """Runs Core selects of at most one row: `await reader.one(statement, params)`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Compiled SQL and the order of its parameters, by statement (kept alive as the key).
        self._sql: dict[Select[Any], tuple[str, tuple[str, ...]]] = {}
        args, kwargs = connect_arguments(engine)
        self._driver: _SqliteConnections | _PostgresPool | None = None
        if engine.dialect.name == "postgresql":
            self._driver = _PostgresPool(args, kwargs)
        elif engine.dialect.name == "sqlite" and not _in_memory(args, kwargs):
            self._driver = _SqliteConnections(args, kwargs)
        # else an in-memory database, which only the engine's own connection holds

    async def one(self, statement: Select[Any], params: Mapping[str, Any]) -> Row | None:
        if self._driver is None:
            return await self._through_engine(statement, params)
        sql, names = self._compiled(statement)
        values = tuple(params[name] for name in names)
        try:
            return await self._driver.one(sql, values)
        except sqlite3.OperationalError:  # SQLite busy beyond SQLITE_BUSY_MS: wait off the loop
            return await self._through_engine(statement, params)

    async def _through_engine(
        self, statement: Select[Any], params: Mapping[str, Any]
    ) -> Row | None:
        async with self.engine.connect() as conn:
            row: Row | None = (await conn.execute(statement, params)).first()
        return row

    def _compiled(self, statement: Select[Any]) -> tuple[str, tuple[str, ...]]:
        found = self._sql.get(statement)
        if found is None:
            compiled = statement.compile(dialect=self.engine.dialect)
            found = (str(compiled), tuple(compiled.positiontup or ()))
            self._sql[statement] = found
        return found

    async def close(self) -> None:
        if self._driver is not None:
            await self._driver.close()


class _ArgumentsSeen(Exception):
    def __init__(self, args: list[Any], kwargs: dict[str, Any]) -> None:
        super().__init__()
        self.args_seen, self.kwargs_seen = args, kwargs


def connect_arguments(engine: AsyncEngine) -> tuple[list[Any], dict[str, Any]]:
    """The positional and keyword arguments the engine's dialect would connect its driver
    with: the URL's, `connect_args`, and what any `do_connect` hook sets.

    SQLAlchemy keeps them inside the pool's connect function, and hands them to `do_connect`
    hooks only. So a copy of the engine's pool is asked for a connection, and a hook run after
    every other one takes the arguments and stops the attempt before the driver is called:
    nothing is opened, whatever state the engine's own pool is in.
    """
    sync_engine = engine.sync_engine
    probing = threading.get_ident()

    def take(_dialect: Dialect, _record: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
        if threading.get_ident() == probing:  # not a connection of the engine's, elsewhere
            raise _ArgumentsSeen(list(args), dict(kwargs))

    probe = sync_engine.pool.recreate()
    event.listen(sync_engine, "do_connect", take)
    try:
        probe.connect().close()
    except _ArgumentsSeen as seen:
        return seen.args_seen, seen.kwargs_seen
    finally:
        event.remove(sync_engine, "do_connect", take)
        probe.dispose()
    # A do_connect hook opened the connection itself: its arguments are its own.
    raise RuntimeError("the engine's connections are opened by a do_connect hook")


def _in_memory(args: Sequence[Any], kwargs: Mapping[str, Any]) -> bool:
    database = str(args[0]) if args else str(kwargs.get("database", ""))
    if database in ("", ":memory:"):
        return True
    return bool(kwargs.get("uri")) and (
        database.startswith("file::memory:") or "mode=memory" in database
    )


class _SqliteConnections:
    """A read-only sqlite3 connection per thread (the event loop's, and a test client's)."""

    def __init__(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        self.args = list(args)
        sqlite_kwargs = {k: v for k, v in kwargs.items() if k not in _AIOSQLITE_ONLY}
        self.kwargs = {**sqlite_kwargs, "check_same_thread": False, "isolation_level": None}
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    async def one(self, sql: str, values: tuple[Any, ...]) -> Row | None:
        # Run in place, without awaiting anything: microseconds on an index.
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
        row: Row | None = conn.execute(sql, values).fetchone()
        return row

    def _open(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = sqlite3.connect(*self.args, **self.kwargs)
        conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        conn.execute("PRAGMA query_only=ON")
        self._local.conn = conn
        with self._lock:
            self._all.append(conn)
        return conn

    async def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


def asyncpg_arguments(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The engine's connection arguments (`connect_arguments`) as asyncpg.connect names them."""
    return {_ADAPTER_OPTIONS.get(k, k): v for k, v in kwargs.items() if k not in _ADAPTER_ONLY}


class _PostgresPool:
    def __init__(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        self.args = list(args)
        self.kwargs = asyncpg_arguments(kwargs)
        self._pool: asyncpg.Pool | None = None
        self._creating = asyncio.Lock()  # bound to the event loop at its first use

    async def one(self, sql: str, values: tuple[Any, ...]) -> Row | None:
        pool = self._pool or await self._create()
        try:
            row: Row | None = await pool.fetchrow(sql, *values)
        except Exception as exc:
            if not is_disconnect(exc):
                raise
            # The server ended the connection (and, after a restart or failover, the others
            # too, whose sockets may not have told asyncpg yet): replace them all, read again.
            await pool.expire_connections()
            row = await pool.fetchrow(sql, *values)
        return row

    async def _create(self) -> asyncpg.Pool:
        async with self._creating:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    *self.args,
                    min_size=1,
                    max_size=POSTGRES_POOL_SIZE,
                    reset=_keep_session_state,
                    **self.kwargs,
                )
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


async def _keep_session_state(_connection: asyncpg.Connection) -> None:
    """The pool's reset on release: nothing. A single SELECT in autocommit leaves no state
    (no transaction, lock, listener or setting), and asyncpg's default reset is a round trip."""
