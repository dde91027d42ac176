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
- PostgreSQL: a small asyncpg pool of its own, beside SQLAlchemy's, with the engine's connect
  arguments. A connection the server dropped (a restart, an idle timeout) is replaced and the
  read retried once, so no liveness ping is needed.
- Anything else (an in-memory SQLite database, which only the engine's own connection sees):
  the engine, as every other statement.

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
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine

Row = Sequence[Any]

# Connections of the PostgreSQL pool: a lookup holds one for a single round trip, so a few
# serve thousands of requests per second (docs/operations.md counts them in max_connections).
POSTGRES_POOL_SIZE = 4
# How long a SQLite read may wait for a busy file before it goes the usual way (milliseconds).
SQLITE_BUSY_MS = 50
# Options of SQLAlchemy's asyncpg adapter in a database URL, as asyncpg.connect names them
# (a cache size of 0 is how a URL asks for no prepared statements, behind PgBouncer).
_ADAPTER_OPTIONS = {"prepared_statement_cache_size": "statement_cache_size"}
# asyncpg's signs of a connection the server (or the network) ended.
_CONNECTION_LOST = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
)


class PointReader:
    """Runs Core selects of at most one row: `await reader.one(statement, params)`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sql: dict[int, tuple[str, tuple[str, ...]]] = {}
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        name = engine.dialect.name
        self._sqlite = _SqliteConnections(args, kwargs) if name == "sqlite" else None
        if self._sqlite is not None and not self._sqlite.shared:
            self._sqlite = None  # an in-memory database: only the engine's connection has it
        self._postgres = _PostgresPool(args, kwargs) if name == "postgresql" else None

    async def one(self, statement: Select[Any], params: Mapping[str, Any]) -> Row | None:
        if self._sqlite is None and self._postgres is None:
            async with self.engine.connect() as conn:
                return (await conn.execute(statement, params)).first()
        sql, names = self._compiled(statement)
        values = tuple(params[name] for name in names)
        if self._sqlite is not None:
            try:
                return self._sqlite.one(sql, values)
            except sqlite3.OperationalError:  # busy beyond SQLITE_BUSY_MS: wait off the loop
                async with self.engine.connect() as conn:
                    return (await conn.execute(statement, params)).first()
        assert self._postgres is not None
        row: Row | None = await self._postgres.one(sql, values)
        return row

    def _compiled(self, statement: Select[Any]) -> tuple[str, tuple[str, ...]]:
        # Statements are module constants, so their identity is a stable key.
        found = self._sql.get(id(statement))
        if found is None:
            compiled = statement.compile(dialect=self.engine.dialect)
            found = (str(compiled), tuple(compiled.positiontup or ()))
            self._sql[id(statement)] = found
        return found

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._postgres is not None:
            await self._postgres.close()


class _SqliteConnections:
    """A read-only sqlite3 connection per thread (the event loop's, and a test client's)."""

    def __init__(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        self.args = list(args)
        self.kwargs = {**kwargs, "check_same_thread": False, "isolation_level": None}
        self.shared = bool(self.args) and self.args[0] not in ("", ":memory:")
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def one(self, sql: str, values: tuple[Any, ...]) -> Row | None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
        row: Row | None = conn.execute(sql, values).fetchone()
        return row

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(*self.args, **self.kwargs)
        conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        conn.execute("PRAGMA query_only=ON")
        self._local.conn = conn
        with self._lock:
            self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


class _PostgresPool:
    def __init__(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        self.args = list(args)
        self.kwargs = {_ADAPTER_OPTIONS.get(k, k): v for k, v in kwargs.items()}
        self._pool: asyncpg.Pool | None = None
        self._creating: asyncio.Lock | None = None

    async def one(self, sql: str, values: tuple[Any, ...]) -> Row | None:
        pool = self._pool or await self._create()
        try:
            row: Row | None = await pool.fetchrow(sql, *values)
        except _CONNECTION_LOST:
            # The pool drops the closed connection on release; the retry gets a new one.
            row = await pool.fetchrow(sql, *values)
        return row

    async def _create(self) -> asyncpg.Pool:
        if self._creating is None:
            self._creating = asyncio.Lock()
        async with self._creating:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    *self.args, min_size=1, max_size=POSTGRES_POOL_SIZE, **self.kwargs
                )
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
