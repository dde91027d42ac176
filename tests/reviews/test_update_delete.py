"""update_review and delete_review (reviews.md), with the events of the effects table."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from shopreviews.kit.context import AppContext
from shopreviews.reviews.models import Review
from tests.reviews.helpers import (
    NO_RATING,
    aggregate_rows,
    events,
    rating,
    raw_post,
    recount,
    topics,
)
from tests.support.api import Clock, ShopApi, error, ok
from tests.support.reviews import assert_review_shape, create, delete, list_data, list_ids, update


def _rfc(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _shown(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


async def _get(shop: ShopApi, review_id: str) -> dict[str, Any]:
    review: dict[str, Any] = ok(await shop.get("get_review", {"id": review_id}))
    return review


# update_review ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["is_verified", "is_featured", "is_published", "is_top"])
async def test_update_each_flag(shop: ShopApi, field: str) -> None:
    review = await create(shop)
    start = review[field]
    for value in (1 - start, str(start), bool(1 - start), start):
        expected = int(value)
        updated = await update(shop, review["id"], **{field: value})
        assert updated[field] == expected and type(updated[field]) is int
        assert (await _get(shop, review["id"]))[field] == expected
        others = {k: v for k, v in updated.items() if k not in (field, "updated_at")}
        assert others == {k: v for k, v in review.items() if k not in (field, "updated_at")}
    for bad in (2, "true", "yes", 1.0, ""):
        body = error(await shop.post("update_review", {"id": review["id"], field: bad}), 3, 400)
        assert field in body["message"]


@pytest.mark.parametrize(("field", "limit"), [("title", 300), ("content", 10000)])
async def test_update_text(shop: ShopApi, field: str, limit: int) -> None:
    review = await create(shop, title="old title", content="old content")
    for value in ("new text", "", "  spaced  ", "😀" * limit):
        updated = await update(shop, review["id"], **{field: value})
        assert updated[field] == value
        assert (await _get(shop, review["id"]))[field] == value
    other = "content" if field == "title" else "title"
    assert (await _get(shop, review["id"]))[other] == review[other]
    for bad in ("😀" * (limit + 1), 5, "nul\u0000"):
        resp = await shop.post("update_review", {"id": review["id"], field: bad})
        message = error(resp, 3, 400)["message"]
        assert field in message or "U+0000" in message


async def test_update_lone_surrogate_is_code_3(shop: ShopApi) -> None:
    review = await create(shop)
    for field in ("title", "content"):
        raw = b'{"id": "%s", "%s": "a\\ud800"}' % (review["id"].encode(), field.encode())
        resp = await raw_post(shop, "/api/v1/openapi/update_review", raw)
        assert "surrogate" in error(resp, 3, 400)["message"]
    raw = b'{"id": "%s", "reply": {"content": "\\udfff"}}' % review["id"].encode()
    error(await raw_post(shop, "/api/v1/openapi/update_review", raw), 3, 400)
    assert await _get(shop, review["id"]) == review


async def test_update_returns_review_and_sets_updated_at(shop: ShopApi, clock: Clock) -> None:
    t0 = int(time.time())
    clock.set(t0)
    review = await create(shop, title="t")
    clock.set(t0 + 120)
    updated = await update(shop, review["id"], is_featured=1, title="changed")
    assert_review_shape(updated)
    assert updated["created_at"] == _rfc(t0) and updated["updated_at"] == _rfc(t0 + 120)
    assert updated == await _get(shop, review["id"])
    assert updated["commented_at"] == review["commented_at"]


async def test_update_by_review_id_alias_and_integer_id(shop: ShopApi) -> None:
    review = await create(shop)
    assert ok(await shop.post("update_review", {"review_id": review["id"], "is_top": 1}))
    assert ok(await shop.post("update_review", {"id": int(review["id"]), "is_top": 0}))
    both = {"id": review["id"], "review_id": review["id"], "is_top": 1}
    assert ok(await shop.post("update_review", both))["is_top"] == 1


async def test_update_reply_set_replace_remove(shop: ShopApi, clock: Clock) -> None:
    t0 = int(time.time())
    clock.set(t0)
    review = await create(shop)
    assert review["reply"] is None
    updated = await update(shop, review["id"], reply={"content": "Thank you!"})
    assert updated["reply"] == {"content": "Thank you!", "reply_at": _shown(t0)}
    clock.set(t0 + 60)
    updated = await update(shop, review["id"], reply={"content": "Thanks again"})
    assert updated["reply"] == {"content": "Thanks again", "reply_at": _shown(t0 + 60)}
    updated = await update(
        shop, review["id"], reply={"content": "Dated", "reply_at": "2026-06-06 10:02:11"}
    )
    assert updated["reply"] == {"content": "Dated", "reply_at": "2026-06-06 10:02:11"}
    # Only reply_at changes: still a change.
    updated = await update(shop, review["id"], reply={"content": "Dated", "reply_at": 1780644116})
    assert updated["reply"] == {"content": "Dated", "reply_at": "2026-06-05 07:21:56"}
    updated = await update(shop, review["id"], reply=None)
    assert updated["reply"] is None
    assert (await _get(shop, review["id"]))["reply"] is None


@pytest.mark.parametrize(
    "reply",
    [{"content": ""}, {"content": "   "}, {}, {"reply_at": "2026-01-01"}, {"content": None}],
)
async def test_update_reply_needs_content(shop: ShopApi, reply: dict[str, Any]) -> None:
    review = await create(shop, reply={"content": "kept"})
    body = error(await shop.post("update_review", {"id": review["id"], "reply": reply}), 3, 400)
    assert "content" in body["message"]
    assert (await _get(shop, review["id"]))["reply"]["content"] == "kept"


@pytest.mark.parametrize(
    "reply", ["text", ["x"], {"content": "x" * 10001}, {"content": "x", "reply_at": "soon"}]
)
async def test_update_invalid_reply_is_code_3(shop: ShopApi, reply: Any) -> None:
    review = await create(shop)
    body = error(await shop.post("update_review", {"id": review["id"], "reply": reply}), 3, 400)
    assert "reply" in body["message"]


@pytest.mark.parametrize(
    "extra",
    [{}, {"unknown": 1}, {"title": None}, {"is_top": None, "content": None}, {"rating": None}],
)
async def test_update_with_nothing_but_id_is_code_3(shop: ShopApi, extra: dict[str, Any]) -> None:
    review = await create(shop)
    body = error(await shop.post("update_review", {"id": review["id"], **extra}), 3, 400)
    assert body["message"] == (
        "invalid argument: give at least one of is_verified, is_featured, is_published, "
        "is_top, title, content or reply"
    )
    assert (await _get(shop, review["id"])) == review


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"is_top": 1}, "id"),
        ({"id": "abc", "is_top": 1}, "id"),
        ({"id": 0, "is_top": 1}, "id"),
        ({"id": -3, "is_top": 1}, "id"),
        ({"id": 1.5, "is_top": 1}, "id"),
        ({"id": True, "is_top": 1}, "id"),
        ({"id": str(2**63), "is_top": 1}, "id"),
        ({"review_id": "x", "is_top": 1}, "review_id"),
    ],
)
async def test_update_malformed_id_is_code_3(
    shop: ShopApi, body: dict[str, Any], field: str
) -> None:
    assert field in error(await shop.post("update_review", body), 3, 400)["message"]


async def test_update_id_and_review_id_differ_is_code_3(shop: ShopApi) -> None:
    a, b = await create(shop), await create(shop)
    body = {"id": a["id"], "review_id": b["id"], "is_top": 1}
    assert "review_id" in error(await shop.post("update_review", body), 3, 400)["message"]
    assert (await _get(shop, a["id"]))["is_top"] == 0
    assert (await _get(shop, b["id"]))["is_top"] == 0


async def test_update_unknown_deleted_or_foreign_is_code_5(
    shop: ShopApi, other_shop: ShopApi
) -> None:
    body = error(await shop.post("update_review", {"id": str(2**63 - 1), "is_top": 1}), 5, 404)
    assert body["data"] is None
    gone = await create(shop)
    await delete(shop, gone["id"])
    error(await shop.post("update_review", {"id": gone["id"], "is_top": 1}), 5, 404)
    foreign = await create(other_shop)
    error(await shop.post("update_review", {"id": foreign["id"], "is_top": 1}), 5, 404)
    assert (await _get(other_shop, foreign["id"]))["is_top"] == 0


async def test_noop_update_changes_nothing(shop: ShopApi, ctx: AppContext, clock: Clock) -> None:
    t0 = int(time.time())
    clock.set(t0)
    review = await create(
        shop, title="same", content="same", is_featured=1, reply={"content": "hi"}
    )
    clock.set(t0 + 300)
    for body in (
        {"title": "same"},
        {"content": "same", "is_featured": 1, "is_top": 0},
        {"is_published": "1", "is_verified": False},
        {"reply": {"content": "hi"}},
        {"reply": {"content": "hi", "reply_at": review["reply"]["reply_at"]}},
    ):
        assert await update(shop, review["id"], **body) == review, body
    assert (await _get(shop, review["id"]))["updated_at"] == _rfc(t0)
    assert await topics(ctx, shop.shop_id) == ["review/created"]
    # Removing a reply that does not exist is also a no-op.
    bare = await create(shop)
    assert await update(shop, bare["id"], reply=None) == bare
    assert await topics(ctx, shop.shop_id) == ["review/created", "review/created"]


async def test_publish_and_hide_adjust_rating(shop: ShopApi) -> None:
    a = await create(shop, product_id="111", rating=5)
    b = await create(shop, product_id="111", rating=3, is_published=0)
    assert (await rating(shop, {"product_id": "111"}))["review_count"] == 1
    await update(shop, b["id"], is_published=1)
    got = await rating(shop, {"product_id": "111"})
    assert (got["review_count"], got["star3_count"], got["rating_value"]) == (2, 1, "4.0")
    await update(shop, a["id"], is_published=0)
    got = await rating(shop, {"product_id": "111"})
    assert (got["review_count"], got["star5_count"], got["rating_value"]) == (1, 0, "3.0")
    for params in ({"is_all_rating": 1}, {"is_all_products_rating": 1}):
        assert (await rating(shop, params))["review_count"] == 1
    # Other changes never move the counts.
    await update(shop, b["id"], is_featured=1, title="x", reply={"content": "y"})
    assert (await rating(shop, {"product_id": "111"}))["review_count"] == 1
    await update(shop, a["id"], is_published=0)  # already hidden
    assert (await rating(shop, {"product_id": "111"}))["review_count"] == 1


# Events (reviews.md, Effects summary) -------------------------------------------------------


async def test_events_follow_the_effects_table(shop: ShopApi, ctx: AppContext) -> None:
    async def new_events(since: int) -> list[tuple[str, dict[str, Any]]]:
        return (await events(ctx, shop.shop_id))[since:]

    shown = await create(shop, product_id="111")
    assert await new_events(0) == [("review/created", {"review": shown})]

    hidden = await create(shop, product_id="111", is_published=0)
    assert await new_events(1) == [("review/created", {"review": hidden})]

    published = await update(shop, hidden["id"], is_published=1)
    assert await new_events(2) == [("review/updated", {"review": published})]

    hid = await update(shop, shown["id"], is_published=0)
    assert await new_events(3) == [
        ("review/updated", {"review": hid}),
        ("review/deleted", {"review": hid, "reason": "hidden"}),
    ]

    for i, body in enumerate(
        (
            {"is_featured": 1},
            {"is_top": 1},
            {"is_verified": 1},
            {"title": "t"},
            {"content": "c"},
            {"reply": {"content": "r"}},
            {"reply": None},
        )
    ):
        changed = await update(shop, published["id"], **body)
        assert await new_events(5 + i) == [("review/updated", {"review": changed})], body

    count = len(await events(ctx, shop.shop_id))
    assert count == 12
    # No-ops and failures queue nothing.
    await update(shop, published["id"], is_top=1)
    error(await shop.post("update_review", {"id": published["id"]}), 3, 400)
    error(await shop.post("update_review", {"id": published["id"], "is_top": 7}), 3, 400)
    error(await shop.post("update_review", {"id": str(2**62), "is_top": 0}), 5, 404)
    error(await shop.post("create_review", {"rating": 0, "author": "x"}), 3, 400)
    error(await shop.post("delete_review", {"id": str(2**62)}), 5, 404)
    error(await shop.post("delete_review", {"id": "x"}), 3, 400)
    assert len(await events(ctx, shop.shop_id)) == count

    before_delete = await _get(shop, published["id"])
    await delete(shop, published["id"])
    await delete(shop, shown["id"])  # hidden (unpublished) review
    assert await new_events(count) == [
        ("review/deleted", {"review": before_delete, "reason": "deleted"}),
        ("review/deleted", {"review": hid, "reason": "deleted"}),
    ]
    error(await shop.post("delete_review", {"id": shown["id"]}), 5, 404)
    assert len(await events(ctx, shop.shop_id)) == count + 2


async def test_events_are_per_shop(shop: ShopApi, other_shop: ShopApi, ctx: AppContext) -> None:
    await create(shop)
    assert await topics(ctx, other_shop.shop_id) == []
    assert await topics(ctx, shop.shop_id) == ["review/created"]


# delete_review ------------------------------------------------------------------------------


async def test_delete_is_soft_and_hides_everywhere(shop: ShopApi, ctx: AppContext) -> None:
    keep = await create(shop, product_id="111", rating=4, title="alpha")
    gone = await create(shop, product_id="111", rating=2, title="alpha")
    resp = await shop.post("delete_review", {"id": gone["id"]})
    assert ok(resp) == {} and "id" not in resp.json()
    error(await shop.get("get_review", {"id": gone["id"]}), 5, 404)
    assert await list_ids(shop, {"is_published": "all"}) == [keep["id"]]
    assert await list_ids(shop, {"keyword": "alpha"}) == [keep["id"]]
    got = await rating(shop, {"product_id": "111"})
    assert (got["review_count"], got["star2_count"], got["rating_value"]) == (1, 0, "4.0")
    assert (await rating(shop, {"is_all_rating": 1}))["review_count"] == 1
    # The row is kept, marked deleted.
    async with ctx.db.session(write=False) as session:
        row = (
            await session.execute(select(Review).where(Review.id == int(gone["id"])))
        ).scalar_one()
        assert row.deleted_at is not None and row.shop_id == shop.shop_id
    assert await aggregate_rows(ctx, shop.shop_id) == await recount(ctx, shop.shop_id)


async def test_delete_twice_is_code_5(shop: ShopApi) -> None:
    review = await create(shop)
    await delete(shop, review["id"])
    body = error(await shop.post("delete_review", {"id": review["id"]}), 5, 404)
    assert body["data"] is None


async def test_delete_by_alias_and_integer(shop: ShopApi) -> None:
    a, b = await create(shop), await create(shop)
    assert ok(await shop.post("delete_review", {"review_id": a["id"]})) == {}
    assert ok(await shop.post("delete_review", {"id": int(b["id"]), "unknown": 1})) == {}
    assert (await list_data(shop))["page"]["count"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"id": None},
        {"id": ""},
        {"id": "abc"},
        {"id": 0},
        {"id": -1},
        {"id": 1.5},
        {"id": "1.0"},
        {"id": True},
        {"id": [1]},
        {"review_id": "x"},
    ],
)
async def test_delete_malformed_id_is_code_3(shop: ShopApi, body: dict[str, Any]) -> None:
    review = await create(shop)
    assert "id" in error(await shop.post("delete_review", body), 3, 400)["message"]
    assert (await _get(shop, review["id"]))["id"] == review["id"]


async def test_delete_unknown_is_code_5(shop: ShopApi) -> None:
    error(await shop.post("delete_review", {"id": str(2**63 - 1)}), 5, 404)


async def test_delete_unpublished_keeps_rating(shop: ShopApi, ctx: AppContext) -> None:
    await create(shop, product_id="111", rating=5)
    hidden = await create(shop, product_id="111", rating=1, is_published=0)
    before = await aggregate_rows(ctx, shop.shop_id)
    await delete(shop, hidden["id"])
    assert await aggregate_rows(ctx, shop.shop_id) == before
    assert (await rating(shop, {"product_id": "111"}))["rating_value"] == "5.0"


async def test_delete_last_review_gives_zero_rating(shop: ShopApi) -> None:
    review = await create(shop, product_id="111", rating=3)
    await delete(shop, review["id"])
    for params in (
        {"product_id": "111"},
        {"is_all_rating": 1},
        {"is_all_products_rating": 1},
    ):
        assert await rating(shop, params) == NO_RATING
