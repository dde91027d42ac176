"""One-row reads on the driver directly (kit/point_reads.py), as signed requests authenticate.

On the database of the run (SQLite file or PostgreSQL) plus the cases each driver brings: an
in-memory SQLite database, a SQLite file locked by another process, and PostgreSQL connections
ended by the server.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import create_async_engine

from shopreviews.kit.context import AppContext
from shopreviews.kit.db import create_engine
from shopreviews.kit.point_reads import PointReader
from shopreviews.settings import Settings
from shopreviews.shops.models import Shop
from shopreviews.shops.repository import key_by_public_token
from tests.support.api import ShopApi, ok

shops = Shop.__table__.c
# Two parameters, named in the opposite order to the one the SQL takes them in.
BY_STATUS_AND_TOKEN = select(shops.shop_id).where(
    shops.status == bindparam("status"), shops.public_token == bindparam("token")
)

notes = Table("notes", MetaData(), Column("id", Integer, primary_key=True), Column("body", String))
NOTE = select(notes.c.body).where(notes.c.id == bindparam("id"))


def is_postgres(ctx: AppContext) -> bool:
    return not ctx.db.is_sqlite


async def test_reads_what_was_committed_last(ctx: AppContext, shop: ShopApi) -> None:
    key = await key_by_public_token(ctx.db.point_reads, shop.public_token)
    assert key is not None and key.shop_id == shop.shop_id and key.is_active
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(Shop).where(Shop.shop_id == shop.shop_id).values(status="disabled")
        )
    key = await key_by_public_token(ctx.db.point_reads, shop.public_token)
    assert key is not None and key.status == "disabled" and not key.is_active
    assert await key_by_public_token(ctx.db.point_reads, shop.public_token + "x") is None


async def test_parameters_are_bound_by_name(ctx: AppContext, shop: ShopApi) -> None:
    reader = ctx.db.point_reads
    params = {"token": shop.public_token, "status": "active"}
    assert await reader.one(BY_STATUS_AND_TOKEN, params) == (shop.shop_id,)
    assert await reader.one(BY_STATUS_AND_TOKEN, {**params, "status": "disabled"}) is None


async def test_in_memory_sqlite_is_read_through_the_engine() -> None:
    """A second connection to ':memory:' would open another, empty database."""
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as conn:
        await conn.run_sync(notes.metadata.create_all)
        await conn.execute(notes.insert().values(id=1, body="kept in memory"))
    reader = PointReader(engine)
    try:
        assert await reader.one(NOTE, {"id": 1}) == ("kept in memory",)
    finally:
        await reader.close()
        await engine.dispose()


async def test_locked_sqlite_file_is_waited_for_off_the_event_loop(tmp_path: Path) -> None:
    """Another process holds the file (exclusive locking mode): the in-place read gives up at
    once and the read waits through the engine, while the event loop keeps running."""
    path = tmp_path / "locked.db"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    setup.execute("INSERT INTO notes VALUES (1, 'after the lock')")
    setup.close()

    held, release = threading.Event(), threading.Event()

    def hold_the_file() -> None:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("PRAGMA locking_mode=EXCLUSIVE")
        blocker.execute("BEGIN EXCLUSIVE")
        blocker.execute("COMMIT")  # exclusive mode keeps the lock until the connection ends
        held.set()
        release.wait(30)
        blocker.close()

    holder = threading.Thread(target=hold_the_file)
    holder.start()
    assert held.wait(10)
    engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
    reader = PointReader(engine)
    ticks = 0

    async def tick_then_release() -> None:
        nonlocal ticks
        while ticks < 3:
            await asyncio.sleep(0.01)
            ticks += 1
        release.set()

    try:
        ticker = asyncio.create_task(tick_then_release())
        row = await reader.one(NOTE, {"id": 1})
        await ticker
    finally:
        release.set()
        holder.join()
        await reader.close()
        await engine.dispose()
    # The lock went only once the loop had ticked three times during the read.
    assert row == ("after the lock",)
    assert ticks == 3


async def test_postgres_connections_ended_by_the_server_are_replaced(
    ctx: AppContext, shop: ShopApi
) -> None:
    if not is_postgres(ctx):
        pytest.skip("PostgreSQL only")
    ok(await shop.get("get_rating", {"is_all_rating": 1}))  # the lookup pool is open
    async with ctx.db.session(write=True) as session:
        ended = await session.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'SELECT shops.shop_id, %'"
                " AND pid <> pg_backend_pid()"
            )
        )
    assert ended and ended >= 1
    await asyncio.sleep(0.1)  # the terminations reach the sockets
    data = ok(await shop.get("get_rating", {"is_all_rating": 1}))
    assert data["review_count"] == 0


class _CacheSized(sqlite3.Connection):
    """A connection class given to the engine: every connection it opens has this setting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA cache_size=-4321")


CACHE_SIZE = select(literal_column("cache_size", Integer)).select_from(text("pragma_cache_size()"))


async def test_sqlite_reads_use_the_engines_connect_arguments(tmp_path: Path) -> None:
    """Whatever the engine's connections are given reaches the point reads' own sqlite3
    connections too (here a connection class that sets a pragma)."""
    path = tmp_path / "args.db"
    sqlite3.connect(path).close()
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{path}", connect_args={"factory": _CacheSized}
    )
    reader = PointReader(engine)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(CACHE_SIZE)).scalar_one() == -4321
        assert await reader.one(CACHE_SIZE, {}) == (-4321,)
    finally:
        await reader.close()
        await engine.dispose()


async def test_postgres_reads_use_the_engines_connect_arguments(
    ctx: AppContext, settings: Settings
) -> None:
    """Session settings (as TLS or timeouts) given to the engine reach the lookup pool too."""
    if not is_postgres(ctx):
        pytest.skip("PostgreSQL only")
    engine = create_async_engine(
        settings.database_url,
        isolation_level="AUTOCOMMIT",
        connect_args={"server_settings": {"application_name": "point-reads-test"}, "timeout": 7},
    )
    reader = PointReader(engine)
    name = select(literal_column("current_setting('application_name')", String))
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(name)).scalar_one() == "point-reads-test"
        assert await reader.one(name, {}) == ("point-reads-test",)
    finally:
        await reader.close()
        await engine.dispose()
