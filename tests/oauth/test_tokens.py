"""oauth/token (spec oauth.md): credential formats and lifetimes, refresh rotation and narrowing,
the client_credentials grant, effective scopes after re-approval or an operator change
(README §4.6), JSON and form bodies, and a code exchanged twice at the same time."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.shops import service as shop_service
from tests.oauth.helpers import assert_no_store, assert_oauth_error, pkce_pair
from tests.support.api import Clock, ShopApi, bearer, error, ok
from tests.support.oauth import (
    API,
    REDIRECT_URI,
    TOKEN_PATH,
    PlatformCreds,
    authorize_code,
    client_credentials,
    connect,
    create_platform,
    exchange,
    refresh,
    sign_in,
    update_platform,
)

CREDENTIAL = {
    prefix: re.compile(rf"^{prefix}_[A-Za-z0-9_-]{{43}}$") for prefix in ("ac", "at", "rt")
}
TOKEN_FIELDS = {
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "refresh_token_expires_in",
    "scope",
    "shop_id",
    "myshopify_domain",
}
ACCESS_SECONDS = 7200
REFRESH_SECONDS = 90 * 24 * 3600
INVALID_TOKEN = 'Bearer error="invalid_token"'
WITH_STATUS = "read_reviews,write_reviews,read_orders,read_shop_install_status"


def rfc3339(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def reviews(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(f"{API}/get_reviews", headers=bearer(token))


async def create_review(client: httpx.AsyncClient, token: str, author: str) -> httpx.Response:
    return await client.post(
        f"{API}/create_review", json={"rating": 5, "author": author}, headers=bearer(token)
    )


async def introspect(client: httpx.AsyncClient, platform: PlatformCreds, token: str) -> Any:
    return ok(await client.post(f"{API}/oauth/introspect", json=platform.client(token=token)))


async def authorization_info(
    client: httpx.AsyncClient, platform: PlatformCreds, shop: ShopApi
) -> Any:
    return ok(
        await client.get(
            f"{API}/get_shop_authorization_info", params=platform.client(shop_id=shop.shop_id)
        )
    )


def assert_expired(response: httpx.Response) -> None:
    body = error(response, 16, 401)
    assert body["data"] is None
    assert response.headers["www-authenticate"] == INVALID_TOKEN


def assert_token_answer(
    response: httpx.Response, shop: ShopApi, scope: str, *, with_refresh: bool = True
) -> dict[str, Any]:
    data: dict[str, Any] = ok(response)
    assert_no_store(response)
    assert set(data) == TOKEN_FIELDS
    assert CREDENTIAL["at"].match(data["access_token"]), data
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == ACCESS_SECONDS
    if with_refresh:
        assert CREDENTIAL["rt"].match(data["refresh_token"]), data
        assert data["refresh_token_expires_in"] == REFRESH_SECONDS == 7776000
    else:
        assert data["refresh_token"] == "" and data["refresh_token_expires_in"] == 0
    assert data["scope"] == scope
    assert data["shop_id"] == shop.shop_id
    assert data["myshopify_domain"] == shop.myshopify_domain
    return data


# --- formats and lifetimes ------------------------------------------------------------------


async def test_formats_and_lifetimes(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    t0 = int(time.time())
    clock.set(t0)
    platform = await create_platform(ctx)
    merchant = await sign_in(ctx, client, shop)
    code = await authorize_code(client, merchant, platform, scope="write_reviews read_reviews")
    assert CREDENTIAL["ac"].match(code), code
    tokens = assert_token_answer(
        await exchange(client, platform, code), shop, "read_reviews,write_reviews"
    )
    # The lifetimes as the server records them.
    access = await introspect(client, platform, tokens["access_token"])
    assert (access["iat"], access["exp"]) == (t0, t0 + ACCESS_SECONDS)
    assert access["token_type"] == "access_token"
    refresh_info = await introspect(client, platform, tokens["refresh_token"])
    assert (refresh_info["iat"], refresh_info["exp"]) == (t0, t0 + REFRESH_SECONDS)
    assert refresh_info["token_type"] == "refresh_token"
    # Every issue is a fresh random value.
    second_code = await authorize_code(client, merchant, platform)
    again = ok(await exchange(client, platform, second_code))
    assert again["access_token"] != tokens["access_token"]
    assert again["refresh_token"] != tokens["refresh_token"]
    assert second_code != code


async def test_code_is_valid_for_600_seconds(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    t0 = int(time.time())
    clock.set(t0)
    platform = await create_platform(ctx)
    merchant = await sign_in(ctx, client, shop)
    fresh = await authorize_code(client, merchant, platform)
    stale = await authorize_code(client, merchant, platform)
    clock.set(t0 + 599)
    assert_token_answer(
        await exchange(client, platform, fresh),
        shop,
        "read_reviews,write_reviews,read_orders,read_customer_events",
    )
    clock.set(t0 + 601)
    body = error(await exchange(client, platform, stale), 3, 400)
    assert assert_oauth_error(body, "invalid_grant") == "authorization code has expired"


async def test_access_token_expires_after_7200_seconds(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    t0 = int(time.time())
    clock.set(t0)
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    clock.set(t0 + ACCESS_SECONDS - 1)
    assert ok(await reviews(client, tokens["access_token"]))["list"] == []
    clock.set(t0 + ACCESS_SECONDS + 1)
    assert_expired(await reviews(client, tokens["access_token"]))
    # Expired is not active; the refresh token still works and issues a new access token.
    assert await introspect(client, platform, tokens["access_token"]) == {"active": False}
    rotated = assert_token_answer(
        await refresh(client, platform, tokens["refresh_token"]), shop, "read_reviews"
    )
    assert ok(await reviews(client, rotated["access_token"]))["list"] == []


async def test_refresh_token_expires_after_90_days(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    t0 = int(time.time())
    clock.set(t0)
    platform = await create_platform(ctx)
    first = await connect(ctx, client, shop, platform, scope="read_reviews")
    second = await connect(ctx, client, shop, platform, scope="read_reviews")
    clock.set(t0 + REFRESH_SECONDS - 1)
    rotated = assert_token_answer(
        await refresh(client, platform, first["refresh_token"]), shop, "read_reviews"
    )
    clock.set(t0 + REFRESH_SECONDS + 1)
    body = error(await refresh(client, platform, second["refresh_token"]), 3, 400)
    assert_oauth_error(body, "invalid_grant")
    # The rotated token has a new 90-day lifetime of its own.
    info = await introspect(client, platform, rotated["refresh_token"])
    assert info["exp"] == t0 + REFRESH_SECONDS - 1 + REFRESH_SECONDS
    ok(await refresh(client, platform, rotated["refresh_token"]))


# --- refresh --------------------------------------------------------------------------------


async def test_rotation_keeps_earlier_access_tokens_until_they_expire(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    ok(await shop.post("create_review", {"rating": 5, "author": "Ann"}))
    t0 = int(time.time())
    clock.set(t0)
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    clock.set(t0 + 100)
    rotated = assert_token_answer(
        await refresh(client, platform, tokens["refresh_token"]), shop, "read_reviews"
    )
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["access_token"] != tokens["access_token"]
    # The retired refresh token is not active any more; both access tokens are.
    assert await introspect(client, platform, tokens["refresh_token"]) == {"active": False}
    for token in (tokens["access_token"], rotated["access_token"]):
        page = ok(await reviews(client, token))
        assert [r["author"] for r in page["list"]] == ["Ann"]
    clock.set(t0 + ACCESS_SECONDS + 1)
    assert_expired(await reviews(client, tokens["access_token"]))
    assert [r["author"] for r in ok(await reviews(client, rotated["access_token"]))["list"]] == [
        "Ann"
    ]
    clock.set(t0 + 100 + ACCESS_SECONDS + 1)
    assert_expired(await reviews(client, rotated["access_token"]))


async def test_refresh_narrows_the_scope(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews,write_reviews")
    narrowed = assert_token_answer(
        await refresh(
            client, platform, tokens["refresh_token"], scope=" read_reviews,,read_reviews "
        ),
        shop,
        "read_reviews",
    )
    ok(await reviews(client, narrowed["access_token"]))
    body = error(await create_review(client, narrowed["access_token"], "Bo"), 7, 403)
    assert body["data"] is None
    # The narrowed chain cannot widen again.
    wider = error(
        await refresh(
            client, platform, narrowed["refresh_token"], scope="read_reviews,write_reviews"
        ),
        3,
        400,
    )
    assert_oauth_error(wider, "invalid_scope")
    # A refused refresh retires nothing: the narrowed refresh token still rotates.
    again = assert_token_answer(
        await refresh(client, platform, narrowed["refresh_token"]), shop, "read_reviews"
    )
    # The earlier access token keeps the scopes it was issued with.
    ok(await create_review(client, tokens["access_token"], "Cy"))
    assert (await introspect(client, platform, again["access_token"]))["scope"] == "read_reviews"
    # The grant itself is unchanged by a narrowing refresh.
    info = await authorization_info(client, platform, shop)
    assert info["granted_scopes"] == "read_reviews,write_reviews"


async def test_refresh_scope_is_limited_by_the_current_grant(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    """After a narrower re-approval the refresh answer names what the new token may do, and a
    refresh may not ask for a scope the grant no longer has (README §4.6)."""
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews,write_reviews")
    merchant = await sign_in(ctx, client, shop)
    await authorize_code(client, merchant, platform, scope="read_reviews")
    body = error(
        await refresh(client, platform, tokens["refresh_token"], scope="write_reviews"), 3, 400
    )
    assert_oauth_error(body, "invalid_scope")
    rotated = assert_token_answer(
        await refresh(client, platform, tokens["refresh_token"]), shop, "read_reviews"
    )
    assert (await introspect(client, platform, rotated["access_token"]))["scope"] == "read_reviews"


# --- client_credentials ---------------------------------------------------------------------


async def test_client_credentials_by_shop_id_creates_the_grant(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx, skip_shop_oauth=1, allowed_scopes=WITH_STATUS)
    before = await authorization_info(client, platform, shop)
    assert before["is_authorized"] is False
    tokens = assert_token_answer(
        await client_credentials(client, platform, shop_id=shop.shop_id),
        shop,
        "read_reviews,write_reviews,read_orders",  # read_shop_install_status is never granted
        with_refresh=False,
    )
    ok(await create_review(client, tokens["access_token"], "Ann"))
    page = ok(await shop.get("get_reviews"))
    assert [r["author"] for r in page["list"]] == ["Ann"]
    info = await authorization_info(client, platform, shop)
    assert info["is_authorized"] is True
    assert info["granted_scopes"] == "read_reviews,write_reviews,read_orders"
    status = ok(
        await client.get(
            f"{API}/get_shop_install_status", params=platform.client(shop_id=shop.shop_id)
        )
    )
    assert status["is_installed"] == 1 and status["installed_at"] == info["authorized_at"]


@pytest.mark.parametrize(
    "shop_ref",
    [
        {"myshopify_domain": "DOMAIN"},
        {"myshopify_domain": "UPPER"},
        {"shop_id": "", "myshopify_domain": "DOMAIN"},
        {"shop_id": "0", "myshopify_domain": "DOMAIN"},
        {"shop_id": 0, "myshopify_domain": "DOMAIN"},
        {"shop_id": "ID", "myshopify_domain": "DOMAIN"},
    ],
    ids=["domain", "domain-uppercase", "empty-id", "zero-string-id", "zero-id", "both-same"],
)
async def test_client_credentials_shop_references(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, shop_ref: dict[str, Any]
) -> None:
    platform = await create_platform(ctx, skip_shop_oauth=1)
    names = {"ID": shop.shop_id, "DOMAIN": shop.myshopify_domain}
    names["UPPER"] = shop.myshopify_domain.upper()
    ref = {k: names.get(v, v) if isinstance(v, str) else v for k, v in shop_ref.items()}
    assert_token_answer(
        await client_credentials(client, platform, scope="read_reviews", **ref),
        shop,
        "read_reviews",
        with_refresh=False,
    )


async def test_client_credentials_numeric_shop_id_as_integer(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    numeric = str(10**11 + uuid.uuid4().int % 10**11)
    async with ctx.db.session(write=True) as session:
        creds = await shop_service.create(
            ctx, session, shop_id=numeric, domain=f"n{numeric}.myshopify.com"
        )
    shop = ShopApi(client, creds.shop_id, creds.myshopify_domain, "", "")
    platform = await create_platform(ctx, skip_shop_oauth=1)
    assert_token_answer(
        await client_credentials(client, platform, shop_id=int(numeric), scope="read_orders"),
        shop,
        "read_orders",
        with_refresh=False,
    )


async def test_client_credentials_shop_errors(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi
) -> None:
    platform = await create_platform(ctx, skip_shop_oauth=1)
    both = error(
        await client_credentials(
            client,
            platform,
            shop_id=shop.shop_id,
            myshopify_domain=other_shop.myshopify_domain,
        ),
        3,
        400,
    )
    assert_oauth_error(both, "invalid_request")
    neither = error(await client_credentials(client, platform), 3, 400)
    assert_oauth_error(neither, "invalid_request")
    for ref in ({"shop_id": "no-such-shop"}, {"myshopify_domain": "nope.myshopify.com"}):
        unknown = error(await client_credentials(client, platform, **ref), 5, 404)
        assert set(unknown["data"]) == {"error", "error_description"}
        assert unknown["message"] == (
            f"{unknown['data']['error']}: {unknown['data']['error_description']}"
        )
    # Nothing was created for either shop.
    for s in (shop, other_shop):
        assert (await authorization_info(client, platform, s))["is_authorized"] is False


async def test_client_credentials_sets_the_grant_scopes(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    """A later issue sets the grant's scopes to the requested set; earlier tokens are limited by
    the grant at once. The grant stays the same installation."""
    t0 = int(time.time())
    clock.set(t0)
    platform = await create_platform(ctx, skip_shop_oauth=1, allowed_scopes=WITH_STATUS)
    first = ok(
        await client_credentials(
            client, platform, shop_id=shop.shop_id, scope="read_reviews,write_reviews"
        )
    )
    clock.set(t0 + 60)
    second = ok(
        await client_credentials(client, platform, shop_id=shop.shop_id, scope="read_reviews")
    )
    assert second["scope"] == "read_reviews"
    info = await authorization_info(client, platform, shop)
    assert info["is_authorized"] is True and info["granted_scopes"] == "read_reviews"
    status = ok(
        await client.get(
            f"{API}/get_shop_install_status", params=platform.client(shop_id=shop.shop_id)
        )
    )
    assert status["installed_at"] == rfc3339(t0)
    ok(await reviews(client, first["access_token"]))
    error(await create_review(client, first["access_token"], "Ann"), 7, 403)
    assert (await introspect(client, platform, first["access_token"]))["scope"] == "read_reviews"


# --- effective scopes (README §4.6) ---------------------------------------------------------


async def test_reapproval_replaces_the_grant_scopes(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews,write_reviews")
    ok(await create_review(client, tokens["access_token"], "Ann"))

    merchant = await sign_in(ctx, client, shop)
    await authorize_code(client, merchant, platform, scope="read_reviews,read_customer_events")
    info = await authorization_info(client, platform, shop)
    assert info["granted_scopes"] == "read_reviews,read_customer_events"
    # The old token keeps working, limited by the grant's new scopes; it never gains
    # read_customer_events, which it was not issued with.
    ok(await reviews(client, tokens["access_token"]))
    body = error(await create_review(client, tokens["access_token"], "Bo"), 7, 403)
    assert body["data"] is None
    events_hook = await client.post(
        f"{API}/create_shop_webhook",
        json={"topic": "customer_event/created", "url": "https://93.184.216.34/hook"},
        headers=bearer(tokens["access_token"]),
    )
    assert error(events_hook, 7, 403)["data"] is None
    assert (await introspect(client, platform, tokens["access_token"]))["scope"] == "read_reviews"

    # Approving write_reviews again restores what the token was issued with.
    await authorize_code(client, merchant, platform, scope="read_reviews,write_reviews")
    ok(await create_review(client, tokens["access_token"], "Cy"))
    page = ok(await shop.get("get_reviews"))
    assert sorted(r["author"] for r in page["list"]) == ["Ann", "Cy"]


async def test_code_issued_before_a_narrower_reapproval(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    """A code exchanged after the grant was narrowed answers with the scope its token really
    has, not the wider one of the code."""
    platform = await create_platform(ctx)
    merchant = await sign_in(ctx, client, shop)
    older = await authorize_code(client, merchant, platform, scope="read_reviews,write_reviews")
    await authorize_code(client, merchant, platform, scope="read_reviews")
    tokens = assert_token_answer(await exchange(client, platform, older), shop, "read_reviews")
    error(await create_review(client, tokens["access_token"], "Ann"), 7, 403)
    assert (await introspect(client, platform, tokens["access_token"]))["scope"] == "read_reviews"


async def test_narrowing_allowed_scopes_narrows_existing_tokens_at_once(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews,write_reviews")
    await update_platform(ctx, platform.client_id, allowed_scopes="read_reviews")
    ok(await reviews(client, tokens["access_token"]))
    response = await create_review(client, tokens["access_token"], "Ann")
    body = error(response, 7, 403)
    assert body["data"] is None
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="write_reviews"'
    )
    assert (await introspect(client, platform, tokens["access_token"]))["scope"] == "read_reviews"
    # The grant keeps what the merchant approved: widening the platform again restores it.
    info = await authorization_info(client, platform, shop)
    assert info["granted_scopes"] == "read_reviews,write_reviews"
    await update_platform(ctx, platform.client_id, allowed_scopes="read_reviews,write_reviews")
    ok(await create_review(client, tokens["access_token"], "Ann"))


# --- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["json", "form", "form-charset"])
async def test_token_endpoint_accepts_json_and_form_bodies(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, encoding: str
) -> None:
    platform = await create_platform(ctx)
    merchant = await sign_in(ctx, client, shop)
    verifier, challenge = pkce_pair()
    code = await authorize_code(
        client, merchant, platform, scope="read_reviews", code_challenge=challenge
    )

    async def post(creds: PlatformCreds, fields: dict[str, Any]) -> httpx.Response:
        body = creds.client(**fields)
        if encoding == "json":
            return await client.post(TOKEN_PATH, json=body)
        content_type = "application/x-www-form-urlencoded"
        if encoding == "form-charset":
            content_type += "; charset=UTF-8"
        return await client.post(
            TOKEN_PATH,
            content=urlencode(body).encode(),
            headers={"Content-Type": content_type},
        )

    tokens = assert_token_answer(
        await post(
            platform,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
        ),
        shop,
        "read_reviews",
    )
    rotated = assert_token_answer(
        await post(
            platform, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        ),
        shop,
        "read_reviews",
    )
    ok(await reviews(client, rotated["access_token"]))
    skip = await create_platform(ctx, skip_shop_oauth=1)
    assert_token_answer(
        await post(
            skip, {"grant_type": "client_credentials", "myshopify_domain": shop.myshopify_domain}
        ),
        shop,
        "read_reviews,write_reviews,read_orders,read_customer_events",
        with_refresh=False,
    )


# --- concurrency ----------------------------------------------------------------------------


async def test_concurrent_double_exchange_has_exactly_one_success(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    """Two exchanges of one code at the same time: exactly one succeeds (PostgreSQL: a row
    update decides; SQLite: writers are serialised). The loser is a reuse, so the winner's
    tokens are revoked as well."""
    platform = await create_platform(ctx)
    merchant = await sign_in(ctx, client, shop)
    code = await authorize_code(client, merchant, platform, scope="read_reviews")
    answers = await asyncio.gather(
        exchange(client, platform, code), exchange(client, platform, code)
    )
    bodies = [a.json() for a in answers]
    winners = [b for b in bodies if b["code"] == 0]
    losers = [(a, b) for a, b in zip(answers, bodies, strict=True) if b["code"] != 0]
    assert len(winners) == 1 and len(losers) == 1, bodies
    loser_response, loser = losers[0]
    error(loser_response, 3, 400)
    assert assert_oauth_error(loser, "invalid_grant") == "authorization code has already been used"
    winner = winners[0]["data"]
    assert winner["scope"] == "read_reviews"
    assert_expired(await reviews(client, winner["access_token"]))
    refused = error(await refresh(client, platform, winner["refresh_token"]), 3, 400)
    assert_oauth_error(refused, "invalid_grant")
