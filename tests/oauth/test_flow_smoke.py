"""The OAuth flow end to end through the API (the browser drives the same flow in
test_browser_flow.py): code, token, data call, refresh rotation and reuse detection."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from shopreviews.kit.context import AppContext
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.oauth import connect, create_platform, refresh, sign_in


async def test_code_token_read_refresh_and_reuse(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    ok(await shop.post("create_review", {"rating": 5, "author": "Ann", "content": "Great"}))
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    assert tokens["scope"] == "read_reviews" and tokens["shop_id"] == shop.shop_id
    assert tokens["access_token"].startswith("at_") and len(tokens["access_token"]) == 46
    page = ok(
        await client.get("/api/v1/openapi/get_reviews", headers=bearer(tokens["access_token"]))
    )
    assert [r["author"] for r in page["list"]] == ["Ann"]
    # write_reviews was not granted: code 7
    error(
        await client.post(
            "/api/v1/openapi/create_review",
            json={"rating": 5, "author": "Bo"},
            headers=bearer(tokens["access_token"]),
        ),
        7,
        403,
    )
    rotated = ok(await refresh(client, platform, tokens["refresh_token"]))
    assert rotated["refresh_token"] != tokens["refresh_token"]
    ok(await client.get("/api/v1/openapi/get_reviews", headers=bearer(rotated["access_token"])))
    reused = error(await refresh(client, platform, tokens["refresh_token"]), 3, 400)
    assert reused["data"]["error"] == "invalid_grant"
    for token in (tokens["access_token"], rotated["access_token"]):
        error(await client.get("/api/v1/openapi/get_reviews", headers=bearer(token)), 16, 401)
    error(await refresh(client, platform, rotated["refresh_token"]), 3, 400)


async def test_state_is_echoed_exactly_as_sent(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    state = "  a b+c/é  "
    params = {"client_id": platform.client_id, "redirect_uri": platform.redirect_uris[0]}
    url = ok(
        await client.get(
            "/api/v1/openapi/get_oauth_authorize_url", params={**params, "state": state}
        )
    )["authorize_url"]
    assert parse_qs(urlsplit(url).query, keep_blank_values=True)["state"] == [state]
    merchant = await sign_in(ctx, client, shop)
    answer = ok(
        await client.get(
            "/api/v1/openapi/oauth/authorize",
            params={**params, "state": state},
            headers=bearer(merchant.token),
        )
    )
    assert answer["state"] == state
    assert parse_qs(urlsplit(answer["redirect_url"]).query)["state"] == [state]
