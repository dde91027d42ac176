"""Keyword search through the trigram indexes (FTS5 on SQLite, pg_trgm on PostgreSQL) finds
exactly what the plain substring match finds, and the index follows every write."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from shopreviews.kit.context import AppContext
from shopreviews.reviews import repository
from shopreviews.reviews.models import Review
from shopreviews.reviews.repository import ReviewFilter, ReviewRepository
from tests.support.api import ShopApi
from tests.support.reviews import create, delete, list_ids, update


@pytest.fixture(autouse=True, params=["index", "scan"])
def search_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every answer must be the same through SQLite's keyword index and by scanning the shop's
    rows (the test shops are small, so the index is used only when the threshold is 0)."""
    threshold = 0 if request.param == "index" else 10**12
    monkeypatch.setattr(repository, "SEARCH_INDEX_MIN_REVIEWS", threshold)
    return str(request.param)


async def search(shop: ShopApi, keyword: str) -> set[str]:
    return set(await list_ids(shop, {"keyword": keyword, "is_published": "all"}))


async def test_quotes_multibyte_and_short_keywords(shop: ShopApi) -> None:
    quoted = (await create(shop, content='She said "perfect" twice'))["id"]
    accent = (await create(shop, title="Très bien, café crème"))["id"]
    emoji = (await create(shop, content="Love it 😍😍 really"))["id"]
    short = (await create(shop, author="Qz"))["id"]
    assert await search(shop, '"perfect"') == {quoted}
    assert await search(shop, 'said "') == {quoted}
    assert await search(shop, "café") == {accent}
    assert await search(shop, "crème") == {accent}
    assert await search(shop, "😍😍") == {emoji}
    assert await search(shop, "qz") == {short}  # under 3 characters: no index, same answer
    assert await search(shop, "AND") == set()  # FTS query syntax is never interpreted
    assert await search(shop, "bien OR crème") == set()


async def test_the_index_follows_updates_and_deletes(shop: ShopApi) -> None:
    review = await create(shop, title="Original heading", content="first words")
    assert await search(shop, "original") == {review["id"]}
    await update(shop, review["id"], title="Renamed heading", content="second words")
    assert await search(shop, "original") == set()
    assert await search(shop, "renamed") == {review["id"]}
    assert await search(shop, "second words") == {review["id"]}
    await delete(shop, review["id"])  # soft delete: the row stays, the list drops it
    assert await search(shop, "renamed") == set()


async def test_sqlite_keyword_queries_use_the_fts_table_for_big_shops(
    ctx: AppContext, shop: ShopApi, search_path: str
) -> None:
    await create(shop, content="indexed words here")
    async with ctx.db.session(write=False) as session:
        repo = ReviewRepository(session, shop.shop_id)
        flt = ReviewFilter(keyword="words", published=None)
        await repo._choose_search(flt)
        query = repo._filtered(select(Review.id), flt)
        if session.get_bind().dialect.name != "sqlite":
            # PostgreSQL: the trigram indexes exist (the planner picks them on big tables).
            names = await session.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'reviews'")
            )
            assert {"ix_reviews_title_trgm", "ix_reviews_content_trgm"} <= set(names.scalars())
            return
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
        details = " ".join(str(row[-1]) for row in plan.all())
        # A shop below the threshold scans its own rows instead of the all-shop index.
        assert ("reviews_fts" in details) == (search_path == "index"), details
