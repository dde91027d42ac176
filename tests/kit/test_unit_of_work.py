"""The unit of work of a write session: after-commit callbacks, refusals that still commit, and
the workers woken only by a transaction that committed jobs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from shopreviews.kit.context import AppContext
from shopreviews.kit.unit_of_work import UnitOfWork, commit_despite, jobs_queued
from shopreviews.shops.models import Shop
from tests.support.api import ShopApi


class Refused(Exception):
    pass


async def rename(ctx: AppContext, shop: ShopApi, name: str, *, fail: Exception | None) -> None:
    async with ctx.db.session(write=True) as session:
        await session.execute(update(Shop).where(Shop.shop_id == shop.shop_id).values(name=name))
        if fail is not None:
            raise fail


async def name_of(ctx: AppContext, shop: ShopApi) -> str:
    async with ctx.db.session(write=False) as session:
        name = await session.scalar(select(Shop.name).where(Shop.shop_id == shop.shop_id))
    assert name is not None
    return name


@pytest.fixture
def wakes(ctx: AppContext) -> Iterator[list[str]]:
    seen: list[str] = []

    def listener() -> None:
        seen.append("woken")

    ctx.db.on_jobs_committed.append(listener)
    yield seen
    ctx.db.on_jobs_committed.remove(listener)


async def test_after_commit_runs_once_the_transaction_committed(
    ctx: AppContext, shop: ShopApi
) -> None:
    seen: list[str] = []
    async with ctx.db.session(write=True) as session:
        unit = UnitOfWork.of(session)
        unit.after_commit(lambda: seen.append("committed"))
        await session.execute(update(Shop).where(Shop.shop_id == shop.shop_id).values(name="a"))
        assert seen == []  # not before COMMIT
    assert seen == ["committed"]
    assert await name_of(ctx, shop) == "a"


async def test_after_commit_never_runs_when_the_transaction_rolls_back(
    ctx: AppContext, shop: ShopApi
) -> None:
    seen: list[str] = []
    with pytest.raises(Refused):
        async with ctx.db.session(write=True) as session:
            UnitOfWork.of(session).after_commit(lambda: seen.append("committed"))
            await session.execute(
                update(Shop).where(Shop.shop_id == shop.shop_id).values(name="rolled back")
            )
            raise Refused()
    assert seen == []
    assert await name_of(ctx, shop) != "rolled back"


async def test_an_error_marked_commit_despite_keeps_the_writes_and_still_raises(
    ctx: AppContext, shop: ShopApi
) -> None:
    with pytest.raises(Refused) as raised:
        async with ctx.db.session(write=True) as session:
            await session.execute(
                update(Shop).where(Shop.shop_id == shop.shop_id).values(name="kept")
            )
            raise commit_despite(session, Refused("refused, but the revocation stays"))
    assert str(raised.value) == "refused, but the revocation stays"
    assert await name_of(ctx, shop) == "kept"


async def test_only_the_marked_error_commits(ctx: AppContext, shop: ShopApi) -> None:
    """Marking one error does not make a different error raised later commit."""
    await rename(ctx, shop, "before", fail=None)
    with pytest.raises(KeyError):
        async with ctx.db.session(write=True) as session:
            commit_despite(session, Refused("marked, never raised"))
            await session.execute(
                update(Shop).where(Shop.shop_id == shop.shop_id).values(name="after")
            )
            raise KeyError("another error")
    assert await name_of(ctx, shop) == "before"


async def test_jobs_queued_wakes_the_workers_after_commit_once(
    ctx: AppContext, shop: ShopApi, wakes: list[str]
) -> None:
    async with ctx.db.session(write=True) as session:
        jobs_queued(session)
        jobs_queued(session)  # two queues in one transaction: one wake-up
        await session.execute(update(Shop).where(Shop.shop_id == shop.shop_id).values(name="j"))
        assert wakes == []
    assert wakes == ["woken"]


async def test_jobs_queued_in_a_rolled_back_transaction_wakes_no_one(
    ctx: AppContext, shop: ShopApi, wakes: list[str]
) -> None:
    with pytest.raises(Refused):
        async with ctx.db.session(write=True) as session:
            jobs_queued(session)
            raise Refused()
    assert wakes == []


async def test_a_read_session_has_no_unit_of_work(ctx: AppContext) -> None:
    async with ctx.db.session(write=False) as session:
        with pytest.raises(RuntimeError, match="not a write session"):
            UnitOfWork.of(session)
