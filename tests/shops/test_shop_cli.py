"""`shopreviews shop disable | enable`: a disabled shop's calls are refused from the next
request on (signed requests and bearer tokens code 16, sign-in too, the storefront code 5), its
merchants are signed out, and enabling it restores its tokens as they were. The commands run
on the session's database, against shops the session's app serves."""

from __future__ import annotations

import httpx

from shopreviews.kit.context import AppContext
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.cli import Cli
from tests.support.merchants import PASSWORD, create_user, login, new_email
from tests.support.oauth import client_credentials, create_platform

INFORMATION = "/api/v1/openapi/get_open_api_information"


def _rating(client: httpx.AsyncClient, shop: ShopApi) -> object:
    return client.get(f"/api/v1/storefront/shops/{shop.myshopify_domain}/rating")


async def test_a_disabled_shop_is_refused_until_enabled(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, session_cli: Cli
) -> None:
    email = new_email()
    await create_user(ctx, shop.shop_id, email)
    session = ok(await login(client, email=email, password=PASSWORD))["token"]
    ok(await shop.get("get_reviews"))
    ok(await client.get(INFORMATION, headers=bearer(session)))
    ok(await _rating(client, shop))

    disabled = await session_cli.json_async("shop", "disable", "--shop-id", shop.shop_id)
    assert disabled == {"shop_id": shop.shop_id, "status": "disabled", "changed": True}
    refused = error(await shop.get("get_reviews"), 16, 401)
    assert refused["message"] == "unauthenticated: unknown Public-Token"
    error(await client.get(INFORMATION, headers=bearer(session)), 16, 401)  # signed out
    error(await login(client, email=email, password=PASSWORD), 16, 401)
    error(await _rating(client, shop), 5, 404)
    listed = await session_cli.json_async("shop", "list")
    assert {s["shop_id"]: s["status"] for s in listed["shops"]}[shop.shop_id] == "disabled"

    again = await session_cli.run_async("shop", "disable", "--shop-id", shop.shop_id)
    assert again.stdout == f"shop {shop.shop_id} was already disabled\n"

    enabled = await session_cli.run_async("shop", "enable", "--shop-id", shop.shop_id)
    assert enabled.stdout == (
        f"shop {shop.shop_id} enabled: its tokens work again (its merchants sign in again)\n"
    )
    ok(await shop.get("get_reviews"))  # the same tokens
    ok(await _rating(client, shop))
    error(await client.get(INFORMATION, headers=bearer(session)), 16, 401)  # stays ended
    fresh = ok(await login(client, email=email, password=PASSWORD))["token"]
    ok(await client.get(INFORMATION, headers=bearer(fresh)))


async def test_a_disabled_shops_bearer_tokens_are_refused_until_enabled(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, session_cli: Cli
) -> None:
    platform = await create_platform(ctx, skip_shop_oauth=1)
    issued = ok(await client_credentials(client, platform, shop_id=shop.shop_id))
    reviews = "/api/v1/openapi/get_reviews"
    ok(await client.get(reviews, headers=bearer(issued["access_token"])))
    await session_cli.json_async("shop", "disable", "--shop-id", shop.shop_id)
    error(await client.get(reviews, headers=bearer(issued["access_token"])), 16, 401)
    await session_cli.json_async("shop", "enable", "--shop-id", shop.shop_id)
    ok(await client.get(reviews, headers=bearer(issued["access_token"])))


async def test_disabling_one_shop_leaves_the_others_alone(
    client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi, session_cli: Cli
) -> None:
    text = await session_cli.run_async("shop", "disable", "--shop-id", shop.shop_id)
    assert text.stdout == (
        f"shop {shop.shop_id} disabled: its API calls are refused and its merchants signed out\n"
    )
    error(await shop.get("get_reviews"), 16, 401)
    ok(await other_shop.get("get_reviews"))


def test_an_unknown_shop_is_named(cli: Cli) -> None:
    cli.json("shop", "list")  # the key file exists: its notice is not part of the answers below
    for command in ("disable", "enable"):
        assert cli.error("shop", command, "--shop-id", "nope") == "error: shop nope not found"
        assert cli.json_error("shop", command, "--shop-id", "nope") == "shop nope not found"
