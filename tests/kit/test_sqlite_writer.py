"""SQLite's writer lock is taken at a write session's first write statement, not when the
session opens, and released when it ends, whatever the outcome."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update
from sqlalchemy.sql import text

from shopreviews.kit.context import AppContext
from shopreviews.kit.sqlite_writer import writes
from shopreviews.kit.unit_of_work import UnitOfWork
from shopreviews.shops.models import Shop
from tests.support.api import ShopApi

# Long enough never to fire on a slow machine; only a deadlock reaches it.
DEADLOCK = 30


@pytest.fixture(autouse=True)
def sqlite_only(ctx: AppContext) -> None:
    if not ctx.db.is_sqlite:
        pytest.skip("SQLite only: PostgreSQL has no single writer")


def rename(shop: ShopApi, name: str) -> object:
    return update(Shop).where(Shop.shop_id == shop.shop_id).values(name=name)


def test_which_statements_take_the_writer() -> None:
    assert writes(update(Shop).values(name="x"))
    assert writes(select(Shop).with_for_update())
    assert writes(text("DELETE FROM shops WHERE 0"))
    assert not writes(select(Shop))


async def test_a_savepoint_takes_the_writer_before_it_opens_the_transaction(
    ctx: AppContext, shop: ShopApi
) -> None:
    async with ctx.db.session(write=True) as session, session.begin_nested():
        # The SAVEPOINT goes out before this first statement inside it: a read, yet the
        # transaction it opens is a writer's.
        await session.scalar(select(Shop.name).where(Shop.shop_id == shop.shop_id))
        assert UnitOfWork.of(session).holds_writer_lock
        await session.execute(rename(shop, "in a savepoint"))
    async with ctx.db.session(write=False) as session:
        name = await session.scalar(select(Shop.name).where(Shop.shop_id == shop.shop_id))
    assert name == "in a savepoint"


async def test_reading_in_a_write_session_leaves_other_writers_free(
    ctx: AppContext, shop: ShopApi
) -> None:
    async with ctx.db.session(write=True) as reader:
        await reader.scalar(select(Shop.name).where(Shop.shop_id == shop.shop_id))
        assert not UnitOfWork.of(reader).holds_writer_lock
        # Another write session of the process writes and commits meanwhile (had the first
        # taken the writer when it opened, this would wait for it forever).
        async with asyncio.timeout(DEADLOCK), ctx.db.session(write=True) as writer:
            await writer.execute(rename(shop, "written while the other only read"))
            assert UnitOfWork.of(writer).holds_writer_lock
    async with ctx.db.session(write=False) as session:
        name = await session.scalar(select(Shop.name).where(Shop.shop_id == shop.shop_id))
    assert name == "written while the other only read"


async def test_a_second_writer_waits_for_the_first_to_commit(
    ctx: AppContext, shop: ShopApi
) -> None:
    order: list[str] = []
    first_wrote = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with ctx.db.session(write=True) as session:
            await session.execute(rename(shop, "first"))
            first_wrote.set()
            await release_first.wait()
            order.append("first commits")

    async def second() -> None:
        await first_wrote.wait()
        async with ctx.db.session(write=True) as session:
            await session.execute(rename(shop, "second"))
            order.append("second wrote")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await first_wrote.wait()
    for _ in range(20):  # give the second writer every chance to run ahead
        await asyncio.sleep(0)
    assert order == []  # it is waiting for the writer lock
    release_first.set()
    await asyncio.wait_for(asyncio.gather(*tasks), DEADLOCK)
    assert order == ["first commits", "second wrote"]


async def test_select_for_update_takes_the_writer(ctx: AppContext, shop: ShopApi) -> None:
    async with ctx.db.session(write=True) as session:
        await session.scalar(
            select(Shop.name).where(Shop.shop_id == shop.shop_id).with_for_update()
        )
        assert UnitOfWork.of(session).holds_writer_lock


async def test_the_writer_is_released_when_the_session_rolls_back(
    ctx: AppContext, shop: ShopApi
) -> None:
    with pytest.raises(LookupError):
        async with ctx.db.session(write=True) as session:
            await session.execute(rename(shop, "rolled back"))
            raise LookupError("refused after writing")
    # Were it still held, this would wait forever.
    async with asyncio.timeout(DEADLOCK):
        async with ctx.db.session(write=True) as session:
            await session.execute(rename(shop, "next writer"))
    async with ctx.db.session(write=False) as session:
        name = await session.scalar(select(Shop.name).where(Shop.shop_id == shop.shop_id))
    assert name == "next writer"
