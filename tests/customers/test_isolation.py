"""Tenant isolation on every customers endpoint: another shop can neither see, change nor
detect a shop's exclusions and unsubscribes, and its customer records fill nothing."""

from __future__ import annotations

import time

import httpx

from shopreviews.kit.context import AppContext
from tests.customers.helpers import (
    bearer_get,
    bearer_post,
    exclude,
    excludes,
    exclusion_rows,
    platform_token,
    remember,
    rfc3339,
    unsubscribe_rows,
)
from tests.support.api import Clock, ShopApi, error, ok
from tests.support.oauth import PlatformCreds


async def test_other_shop_cannot_see_delete_or_detect_exclusions(
    shop: ShopApi, other_shop: ShopApi, ctx: AppContext, clock: Clock
) -> None:
    start = int(time.time()) - 120
    clock.set(start)
    await remember(ctx, shop, "55", email="jane@example.com", first_name="Jane")
    mine = [await exclude(shop, customer_id="55"), await exclude(shop, email="ann@example.com")]
    # Listing and filtering find nothing.
    for params in ({}, {"customer_id": "55"}, {"email": "jane@example.com"}):
        page = ok(await other_shop.get("get_customer_excludes", params))
        assert page["page"]["count"] == 0 and page["list"] == [], params
    # Deleting a foreign exclusion reads exactly like deleting one that never existed.
    for body, unknown in (
        ({"customer_id": "55"}, {"customer_id": "56"}),
        ({"email": "ann@example.com"}, {"email": "bob@example.com"}),
    ):
        foreign = error(await other_shop.post("delete_customer_exclude", body), 5, 404)
        missing = error(await other_shop.post("delete_customer_exclude", unknown), 5, 404)
        value, other = next(iter(body.values())), next(iter(unknown.values()))
        assert foreign["message"].replace(value, "X") == missing["message"].replace(other, "X")
    # Creating the same keys makes the other shop's own records (new times, no fill-in from
    # shop's customer record), never an answer with shop's data.
    clock.set(start + 60)
    theirs = await exclude(other_shop, customer_id="55")
    assert theirs == {
        "customer_id": "55",
        "first_name": "",
        "last_name": "",
        "email": "",
        "phone": "",
        "created_at": rfc3339(start + 60),
        "updated_at": rfc3339(start + 60),
    }
    also = await exclude(other_shop, email="ann@example.com")
    assert also["created_at"] == rfc3339(start + 60)
    # Deleting in one shop leaves the other's alone.
    ok(await other_shop.post("delete_customer_exclude", {"customer_id": "55"}))
    ok(await other_shop.post("delete_customer_exclude", {"email": "ann@example.com"}))
    assert (await excludes(shop, {"sort_by": "created-ascending"}))["list"] == mine
    assert await exclusion_rows(ctx, other_shop) == []


async def test_bearer_tokens_act_for_their_shop_only(
    shop: ShopApi,
    other_shop: ShopApi,
    ctx: AppContext,
    client: httpx.AsyncClient,
    platform: PlatformCreds,
) -> None:
    mine = await exclude(shop, customer_id="55", email="jane@example.com")
    ok(await shop.post("email_unsubscribe", {"email": "jane@example.com", "email_type": "all"}))
    # The platform acting for other_shop works on other_shop's data only.
    headers = await platform_token(client, platform, other_shop, "read_customers,write_customers")
    page = ok(await bearer_get(client, headers, "get_customer_excludes", {"customer_id": "55"}))
    assert page["list"] == []
    error(
        await bearer_post(client, headers, "delete_customer_exclude", {"customer_id": 55}), 5, 404
    )
    body = {"email": "jane@example.com", "email_type": "all"}
    ok(await bearer_post(client, headers, "email_unsubscribe", body))
    ok(await bearer_post(client, headers, "create_customer_exclude", {"customer_id": "55"}))
    assert (await excludes(shop))["list"] == [mine]
    assert await unsubscribe_rows(ctx, shop) == [("jane@example.com", "all", "merchant")]
    assert await unsubscribe_rows(ctx, other_shop) == [("jane@example.com", "all", "platform")]
    assert await exclusion_rows(ctx, other_shop) == [("55", "")]
