"""A parameter given under two names (a name and its alias, or the body and the query): the
same value is one value, two different values are code 3 naming both, never "the last one
wins" (which would act on a record the client may not have meant)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support import signer
from tests.support.api import ShopApi, error, ok
from tests.support.reviews import create

# A public address (no DNS in test sandboxes); never called: these subscriptions get no events.
HOOK = "https://93.184.216.34/reviews"


def refused(response: httpx.Response, first: str, second: str) -> None:
    body = error(response, 3, 400)
    assert body["message"] == f"invalid argument: {first} and {second} disagree", body
    assert body["data"] is None


async def review(shop: ShopApi, review_id: str) -> dict[str, Any]:
    data: dict[str, Any] = ok(await shop.get("get_review", {"id": review_id}))
    return data


# --- id / review_id --------------------------------------------------------------------------


async def test_get_review_id_and_review_id(shop: ShopApi) -> None:
    a, b = await create(shop), await create(shop)
    same = ok(await shop.get("get_review", [("id", a["id"]), ("review_id", a["id"])]))
    assert same == a
    # The same id written two ways is one value.
    padded = ok(await shop.get("get_review", [("id", a["id"]), ("review_id", "0" + a["id"])]))
    assert padded == a
    refused(
        await shop.get("get_review", [("id", a["id"]), ("review_id", b["id"])]), "id", "review_id"
    )
    # Whichever comes last: still refused, not the last one read.
    refused(
        await shop.get("get_review", [("review_id", b["id"]), ("id", a["id"])]), "id", "review_id"
    )


async def test_update_review_id_and_review_id(shop: ShopApi) -> None:
    a, b = await create(shop), await create(shop)
    updated = ok(
        await shop.post("update_review", {"id": a["id"], "review_id": int(a["id"]), "is_top": 1})
    )
    assert (updated["id"], updated["is_top"]) == (a["id"], 1)
    response = await shop.post("update_review", {"id": a["id"], "review_id": b["id"], "is_top": 0})
    refused(response, "id", "review_id")
    assert (await review(shop, a["id"]))["is_top"] == 1
    assert await review(shop, b["id"]) == b


async def test_delete_review_id_and_review_id(shop: ShopApi) -> None:
    a, b = await create(shop), await create(shop)
    refused(
        await shop.post("delete_review", {"id": a["id"], "review_id": b["id"]}), "id", "review_id"
    )
    assert await review(shop, a["id"]) == a and await review(shop, b["id"]) == b
    assert ok(await shop.post("delete_review", {"id": a["id"], "review_id": a["id"]})) == {}
    error(await shop.get("get_review", {"id": a["id"]}), 5, 404)
    assert await review(shop, b["id"]) == b


# --- topic / event_type ----------------------------------------------------------------------


async def subscribe(shop: ShopApi, topic: str) -> dict[str, Any]:
    data: dict[str, Any] = ok(await shop.post("create_shop_webhook", {"topic": topic, "url": HOOK}))
    return data


async def test_get_shop_webhooks_topic_and_event_type(shop: ShopApi) -> None:
    created = await subscribe(shop, "review/created")
    await subscribe(shop, "review/deleted")
    same = ok(
        await shop.get(
            "get_shop_webhooks", [("topic", "review/created"), ("event_type", "review/created")]
        )
    )
    assert [w["id"] for w in same] == [created["id"]]
    assert same[0]["topic"] == "review/created"
    for pairs in (
        [("topic", "review/created"), ("event_type", "review/deleted")],
        [("event_type", "review/deleted"), ("topic", "review/created")],
    ):
        refused(await shop.get("get_shop_webhooks", pairs), "topic", "event_type")


# --- delete_shop_webhook: id in the body and in the query ------------------------------------


async def delete_hook(shop: ShopApi, method: str, query_id: str, body_id: str) -> httpx.Response:
    pairs = [("id", query_id)]
    body = json.dumps({"id": body_id}).encode()
    return await shop.client.request(
        method,
        f"/api/v1/openapi/delete_shop_webhook?{signer.encode_query(pairs)}",
        content=body,
        headers={"Content-Type": "application/json", **shop.headers(pairs, body)},
    )


async def test_delete_shop_webhook_id_in_body_and_query(shop: ShopApi) -> None:
    a = await subscribe(shop, "review/created")
    b = await subscribe(shop, "review/deleted")
    for method in ("DELETE", "POST"):
        refused(
            await delete_hook(shop, method, a["id"], b["id"]), "the body's id", "the query's id"
        )
    listed = ok(await shop.get("get_shop_webhooks"))
    assert [w["id"] for w in listed] == [a["id"], b["id"]]
    assert ok(await delete_hook(shop, "DELETE", b["id"], b["id"])) == {}
    assert [w["id"] for w in ok(await shop.get("get_shop_webhooks"))] == [a["id"]]
