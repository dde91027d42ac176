"""The merchant's changes of reviews/changes.py: moderate_review's `tag` and `hide_media` [ext]
with their events and the storefront's view, `moderated_at` on every publish or hide (also
through update_review), and bulk changes that are all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from shopreviews.auth.caller import Caller
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import InvalidArgument, NotFound
from shopreviews.reviews import service as review_service
from shopreviews.reviews.models import Review
from shopreviews.reviews.service import ReviewChange
from tests.reviews.helpers import aggregate_rows, events, recount, topics
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.oauth import sign_in
from tests.support.reviews import create, update

MODERATE = "/api/v1/merchant/moderate_review"
PHOTOS = [{"url": f"https://cdn.example.net/{n}.jpg"} for n in ("a", "b")]
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def stored(ctx: AppContext, review_id: str) -> Review:
    async with ctx.db.session(write=False) as session:
        row = await session.execute(select(Review).where(Review.id == int(review_id)))
        return row.scalar_one()


async def test_tag_and_hide_media_through_moderate_review(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    review = await create(shop, product_id="31", media=PHOTOS)
    token = (await sign_in(ctx, client, shop)).token

    async def moderate(**body: object) -> httpx.Response:
        return await client.post(MODERATE, json={"id": review["id"], **body}, headers=bearer(token))

    tagged = ok(await moderate(tag="gift"))
    assert tagged["tag"] == "gift"
    assert ok(await shop.get("get_review", {"id": review["id"]}))["tag"] == "gift"
    first = ok(await moderate(hide_media=0))
    assert [m["is_published"] for m in first["media"]] == [0, 1]
    public = ok(
        await client.get(f"/api/v1/storefront/shops/{shop.myshopify_domain}/reviews?with_media=1")
    )
    assert [m["url"] for m in public["list"][0]["media"]] == [PHOTOS[1]["url"]]
    assert (await stored(ctx, review["id"])).has_media is True
    ok(await moderate(hide_media=1))
    assert (await stored(ctx, review["id"])).has_media is False
    public = ok(
        await client.get(f"/api/v1/storefront/shops/{shop.myshopify_domain}/reviews?with_media=1")
    )
    assert public["list"] == []
    again = ok(await moderate(hide_media=1))  # already hidden: no change, no event
    assert (
        again["updated_at"] == ok(await shop.get("get_review", {"id": review["id"]}))["updated_at"]
    )
    cleared = ok(await moderate(tag=""))
    assert cleared["tag"] == ""
    assert await topics(ctx, shop.shop_id) == ["review/created"] + ["review/updated"] * 4
    last = (await events(ctx, shop.shop_id))[-1][1]["review"]
    assert last["tag"] == "" and [m["is_published"] for m in last["media"]] == [0, 0]

    for body, message in [
        ({"hide_media": 2}, "hide_media must be the index of one of the review's 2 media items"),
        ({"hide_media": -1}, "hide_media"),
        ({"tag": "t" * 256}, "tag"),
        ({"tag": None}, "give at least one of"),
    ]:
        refused = error(await moderate(**body), 3, 400)
        assert message in refused["message"]


async def test_update_review_still_refuses_the_tag(shop: ShopApi) -> None:
    review = await create(shop)
    refused = error(await shop.post("update_review", {"id": review["id"], "tag": "x"}), 3, 400)
    assert "tag cannot be changed" in refused["message"]


async def test_moderated_at_is_set_by_every_publish_or_hide(ctx: AppContext, shop: ShopApi) -> None:
    pending = await create(shop, is_published=0)
    assert (await stored(ctx, pending["id"])).moderated_at is None
    await update(shop, pending["id"], is_featured=1)  # no decision
    assert (await stored(ctx, pending["id"])).moderated_at is None
    await update(shop, pending["id"], is_published=0)  # unchanged flag, still a decision
    assert (await stored(ctx, pending["id"])).moderated_at is not None
    assert await topics(ctx, shop.shop_id) == ["review/created", "review/updated"]


async def test_a_bulk_change_is_all_or_nothing(
    ctx: AppContext, shop: ShopApi, other_shop: ShopApi
) -> None:
    mine = [await create(shop, rating=2) for _ in range(3)]
    theirs = await create(other_shop)
    caller = Caller(shop_id=shop.shop_id, kind="merchant")
    with pytest.raises(NotFound):
        async with ctx.db.session(write=True) as session:
            await review_service.moderate_many(
                session,
                caller,
                ReviewChange(is_published=False),
                [int(r["id"]) for r in mine] + [int(theirs["id"])],
                now=NOW,
            )
    with pytest.raises(InvalidArgument):  # one review has no photo 0: none changes
        async with ctx.db.session(write=True) as session:
            await review_service.moderate_many(
                session, caller, ReviewChange(hide_media=0), [int(r["id"]) for r in mine], now=NOW
            )
    for review in mine:
        assert ok(await shop.get("get_review", {"id": review["id"]})) == review
    async with ctx.db.session(write=True) as session:
        changed = await review_service.moderate_many(
            session,
            caller,
            ReviewChange(is_published=False),
            [int(r["id"]) for r in reversed(mine)] + [int(mine[0]["id"])],
            now=NOW,
        )
    assert [r.id for r in changed] == sorted((r["id"] for r in mine), key=int)
    assert await aggregate_rows(ctx, shop.shop_id) == await recount(ctx, shop.shop_id) == {}
    assert (await topics(ctx, shop.shop_id)).count("review/deleted") == 3
