"""The platform's own endpoints (spec oauth.md): oauth_revoke_token, oauth/introspect,
get_shop_authorization_info, get_shop_install_status, oauth/cancel, the merchant's platform
management, the metadata document and get_oauth_authorize_url."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from sqlalchemy import update

from shopreviews.auth.scopes import ALL_SCOPES
from shopreviews.kit.context import AppContext
from shopreviews.platforms import service as platform_service
from shopreviews.platforms.schemas import CreatePlatformIn
from shopreviews.shops.models import Shop
from tests.oauth.helpers import assert_oauth_error, pkce_pair
from tests.support.api import Clock, ShopApi, bearer, error, ok
from tests.support.oauth import (
    API,
    REDIRECT_URI,
    PlatformCreds,
    authorize_code,
    connect,
    create_platform,
    refresh,
    sign_in,
    update_platform,
)

REVOKE = f"{API}/oauth_revoke_token"
INTROSPECT = f"{API}/oauth/introspect"
CANCEL = f"{API}/oauth/cancel"
AUTH_INFO = f"{API}/get_shop_authorization_info"
INSTALL_STATUS = f"{API}/get_shop_install_status"
AUTHORIZE_URL = f"{API}/get_oauth_authorize_url"
PLATFORMS = "/api/v1/merchant/get_authorized_platforms"
DISCONNECT_PLATFORM = "/api/v1/merchant/disconnect_platform"
ISSUER = "http://testserver"
WITH_STATUS = "read_reviews,write_reviews,read_orders,read_shop_install_status"
REFRESH_SECONDS = 90 * 24 * 3600


def rfc3339(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def reviews(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(f"{API}/get_reviews", headers=bearer(token))


def assert_revoked(response: httpx.Response) -> None:
    body = error(response, 16, 401)
    assert body["data"] is None
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def revoke(
    client: httpx.AsyncClient, platform: PlatformCreds, token: str | None, **extra: Any
) -> httpx.Response:
    body = platform.client(**extra)
    if token is not None:
        body["token"] = token
    return await client.post(REVOKE, json=body)


async def introspect(
    client: httpx.AsyncClient, platform: PlatformCreds, token: str, *, form: bool = False
) -> Any:
    body = platform.client(token=token)
    response = await (
        client.post(INTROSPECT, data=body) if form else client.post(INTROSPECT, json=body)
    )
    return ok(response)


# --- oauth_revoke_token ---------------------------------------------------------------------


async def test_revoking_an_access_token_revokes_it_alone(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    other = await connect(ctx, client, shop, platform, scope="read_reviews")
    response = await revoke(client, platform, tokens["access_token"])
    assert ok(response) == {}
    assert response.headers["cache-control"] == "no-store"
    assert_revoked(await reviews(client, tokens["access_token"]))
    assert await introspect(client, platform, tokens["access_token"]) == {"active": False}
    # Its refresh token and the other chain are untouched.
    ok(await reviews(client, other["access_token"]))
    rotated = ok(await refresh(client, platform, tokens["refresh_token"]))
    ok(await reviews(client, rotated["access_token"]))
    # Revoking it again: success, nothing else happens.
    assert ok(await revoke(client, platform, tokens["access_token"])) == {}
    ok(await reviews(client, rotated["access_token"]))


async def test_revoking_a_refresh_token_revokes_its_chain(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    other = await connect(ctx, client, shop, platform, scope="read_reviews")
    rotated = ok(await refresh(client, platform, tokens["refresh_token"]))
    # Form-encoded, with a (correct) hint.
    response = await client.post(
        REVOKE,
        data=platform.client(token=rotated["refresh_token"], token_type_hint="refresh_token"),
    )
    assert ok(response) == {}
    # Every access token of the chain, the earlier one included, and the refresh token.
    assert_revoked(await reviews(client, tokens["access_token"]))
    assert_revoked(await reviews(client, rotated["access_token"]))
    refused = error(await refresh(client, platform, rotated["refresh_token"]), 3, 400)
    assert_oauth_error(refused, "invalid_grant")
    # Another chain of the same grant is not touched; the grant stays.
    ok(await reviews(client, other["access_token"]))
    ok(await refresh(client, platform, other["refresh_token"]))
    info = ok(await client.get(AUTH_INFO, params=platform.client(shop_id=shop.shop_id)))
    assert info["is_authorized"] is True


async def test_the_hint_is_only_a_hint(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    ok(await revoke(client, platform, tokens["access_token"], token_type_hint="refresh_token"))
    assert_revoked(await reviews(client, tokens["access_token"]))
    ok(await revoke(client, platform, tokens["refresh_token"], token_type_hint="banana"))
    assert_oauth_error(
        error(await refresh(client, platform, tokens["refresh_token"]), 3, 400), "invalid_grant"
    )


async def test_revoking_unknown_or_foreign_tokens_succeeds_with_nothing_revoked(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    stranger = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    for token in ("at_" + "A" * 43, "rt_" + "B" * 43, "not-a-token"):
        assert ok(await revoke(client, platform, token)) == {}
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert ok(await revoke(client, stranger, token)) == {}
    ok(await reviews(client, tokens["access_token"]))
    ok(await refresh(client, platform, tokens["refresh_token"]))


async def test_revoking_an_expired_refresh_token_revokes_nothing(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    t0 = int(time.time())
    clock.set(t0)
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    clock.set(t0 + 10)
    rotated = ok(await refresh(client, platform, tokens["refresh_token"]))
    clock.set(t0 + REFRESH_SECONDS + 1)  # the first refresh token has expired, not the second
    assert ok(await revoke(client, platform, tokens["refresh_token"])) == {}
    ok(await refresh(client, platform, rotated["refresh_token"]))


async def test_revoke_errors(ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    for token in (None, "", "   "):
        body = error(await revoke(client, platform, token), 3, 400)
        assert_oauth_error(body, "invalid_request")
    wrong = PlatformCreds(platform.client_id, platform.client_secret + "x", "", [], "")
    assert_oauth_error(
        error(await revoke(client, wrong, tokens["access_token"]), 16, 401), "invalid_client"
    )
    await update_platform(ctx, platform.client_id, status="disabled")
    assert_oauth_error(
        error(await revoke(client, platform, tokens["access_token"]), 7, 403),
        "unauthorized_client",
    )
    await update_platform(ctx, platform.client_id, status="active")
    ok(await reviews(client, tokens["access_token"]))  # nothing was revoked by the failures


# --- oauth/introspect -----------------------------------------------------------------------


async def test_introspect_active_tokens(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    t0 = int(time.time())
    clock.set(t0)
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews,write_reviews")
    common = {
        "active": True,
        "scope": "read_reviews,write_reviews",
        "client_id": platform.client_id,
        "sub": shop.shop_id,
        "shop_id": shop.shop_id,
        "myshopify_domain": shop.myshopify_domain,
        "iat": t0,
        "iss": ISSUER,
    }
    access = await introspect(client, platform, tokens["access_token"], form=True)
    assert access == {**common, "token_type": "access_token", "exp": t0 + 7200}
    assert access["active"] is True
    refresh_info = await introspect(client, platform, tokens["refresh_token"])
    assert refresh_info == {**common, "token_type": "refresh_token", "exp": t0 + REFRESH_SECONDS}
    # An Authorization header is ignored on client endpoints.
    response = await client.post(
        INTROSPECT,
        json=platform.client(token=tokens["access_token"]),
        headers={"Authorization": "Bearer nonsense"},
    )
    assert ok(response) == access
    assert response.headers["cache-control"] == "no-store"


async def test_introspect_inactive_tokens(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi, clock: Clock
) -> None:
    t0 = int(time.time())
    clock.set(t0)
    platform = await create_platform(ctx)
    stranger = await create_platform(ctx)
    revoked = await connect(ctx, client, shop, platform, scope="read_reviews")
    ok(await revoke(client, platform, revoked["refresh_token"]))
    retired = await connect(ctx, client, shop, platform, scope="read_reviews")
    ok(await refresh(client, platform, retired["refresh_token"]))
    current = await connect(ctx, client, shop, platform, scope="read_reviews")
    disabled_shop = await connect(ctx, client, other_shop, platform, scope="read_reviews")
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(Shop).where(Shop.shop_id == other_shop.shop_id).values(status="disabled")
        )
    inactive = {
        "unknown": ("at_" + "A" * 43, platform),
        "revoked access token": (revoked["access_token"], platform),
        "revoked refresh token": (revoked["refresh_token"], platform),
        "retired refresh token": (retired["refresh_token"], platform),
        "another platform's access token": (current["access_token"], stranger),
        "another platform's refresh token": (current["refresh_token"], stranger),
        "token of a disabled shop": (disabled_shop["access_token"], platform),
    }
    for name, (token, caller) in inactive.items():
        assert await introspect(client, caller, token) == {"active": False}, name
    # Expired by the clock.
    clock.set(t0 + 7201)
    assert await introspect(client, platform, current["access_token"]) == {"active": False}
    assert (await introspect(client, platform, current["refresh_token"]))["active"] is True
    # An ended grant: every token is inactive.
    clock.set(t0)
    ok(await client.post(CANCEL, json=platform.client(shop_id=shop.shop_id)))
    for token in (current["access_token"], current["refresh_token"]):
        assert await introspect(client, platform, token) == {"active": False}


async def test_introspect_errors(ctx: AppContext, client: httpx.AsyncClient) -> None:
    platform = await create_platform(ctx)
    for body in (platform.client(), platform.client(token="")):
        assert_oauth_error(
            error(await client.post(INTROSPECT, json=body), 3, 400), "invalid_request"
        )
    wrong = {"client_id": platform.client_id, "client_secret": "cs_wrong", "token": "at_x"}
    assert_oauth_error(error(await client.post(INTROSPECT, json=wrong), 16, 401), "invalid_client")
    await update_platform(ctx, platform.client_id, status="disabled")
    body = error(await client.post(INTROSPECT, json=platform.client(token="at_x")), 7, 403)
    assert_oauth_error(body, "unauthorized_client")


# --- get_shop_authorization_info / get_shop_install_status ----------------------------------


async def test_authorization_info_and_install_status_of_an_authorized_shop(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    t0 = int(time.time())
    clock.set(t0)
    platform = await create_platform(ctx, allowed_scopes=WITH_STATUS)
    await connect(ctx, client, shop, platform, scope="read_reviews")
    clock.set(t0 + 30)
    merchant = await sign_in(ctx, client, shop)
    await authorize_code(client, merchant, platform, scope="write_reviews,read_reviews")
    authorized = {
        "is_authorized": True,
        "authorized_at": rfc3339(t0 + 30),
        "granted_scopes": "read_reviews,write_reviews",
        "shop_id": shop.shop_id,
        "myshopify_domain": shop.myshopify_domain,
    }
    installed = {
        "is_installed": 1,
        "installed_at": rfc3339(t0),
        "shop_id": shop.shop_id,
        "myshopify_domain": shop.myshopify_domain,
    }
    refs = [
        {"shop_id": shop.shop_id},
        {"myshopify_domain": shop.myshopify_domain},
        {"myshopify_domain": shop.myshopify_domain.upper()},
        {"shop_id": shop.shop_id, "myshopify_domain": shop.myshopify_domain},
    ]
    for ref in refs:
        info = ok(await client.get(AUTH_INFO, params=platform.client(**ref)))
        assert info == authorized, ref
        assert info["is_authorized"] is True
        status = ok(await client.get(INSTALL_STATUS, params=platform.client(**ref)))
        assert status == installed, ref
        assert type(status["is_installed"]) is int
    # An Authorization header is ignored on client endpoints.
    response = await client.get(
        AUTH_INFO,
        params=platform.client(shop_id=shop.shop_id),
        headers={"Authorization": "Basic eDp5"},
    )
    assert ok(response) == authorized


@pytest.mark.parametrize("which", ["no grant", "ended grant", "unknown shop"])
async def test_not_authorized_shapes(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, which: str
) -> None:
    platform = await create_platform(ctx, allowed_scopes=WITH_STATUS)
    if which == "ended grant":
        await connect(ctx, client, shop, platform)
        ok(await client.post(CANCEL, json=platform.client(shop_id=shop.shop_id)))
    shop_id = "nobody-here" if which == "unknown shop" else shop.shop_id
    domain = "nobody.myshopify.com" if which == "unknown shop" else shop.myshopify_domain
    for ref, echo in (
        ({"shop_id": shop_id}, (shop_id, "")),
        ({"myshopify_domain": domain}, ("", domain)),
        ({"shop_id": shop_id, "myshopify_domain": domain}, (shop_id, domain)),
    ):
        info = ok(await client.get(AUTH_INFO, params=platform.client(**ref)))
        assert info == {
            "is_authorized": False,
            "authorized_at": "",
            "granted_scopes": "",
            "shop_id": echo[0],
            "myshopify_domain": echo[1],
        }, ref
        assert info["is_authorized"] is False
        status = ok(await client.get(INSTALL_STATUS, params=platform.client(**ref)))
        assert status == {
            "is_installed": 0,
            "installed_at": "",
            "shop_id": echo[0],
            "myshopify_domain": echo[1],
        }, ref
        assert type(status["is_installed"]) is int


async def test_install_status_needs_read_shop_install_status(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)  # allowed scopes without read_shop_install_status
    await connect(ctx, client, shop, platform)
    response = await client.get(INSTALL_STATUS, params=platform.client(shop_id=shop.shop_id))
    body = error(response, 7, 403)
    assert body["data"] is None
    # The authorization info needs no scope.
    assert ok(await client.get(AUTH_INFO, params=platform.client(shop_id=shop.shop_id)))[
        "is_authorized"
    ]


@pytest.mark.parametrize("path", [AUTH_INFO, INSTALL_STATUS])
async def test_shop_status_errors(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi, path: str
) -> None:
    platform = await create_platform(ctx, allowed_scopes=WITH_STATUS)
    cases: list[tuple[dict[str, Any], int, int]] = [
        (platform.client(), 3, 400),
        (platform.client(shop_id="", myshopify_domain=""), 3, 400),
        (
            platform.client(shop_id=shop.shop_id, myshopify_domain=other_shop.myshopify_domain),
            3,
            400,
        ),
        ({"client_id": platform.client_id, "shop_id": shop.shop_id}, 16, 401),
        (
            {
                "client_id": platform.client_id,
                "client_secret": platform.client_secret + "x",
                "shop_id": shop.shop_id,
            },
            16,
            401,
        ),
        (
            {
                "client_id": "no-such-client",
                "client_secret": platform.client_secret,
                "shop_id": shop.shop_id,
            },
            16,
            401,
        ),
    ]
    for params, code, status in cases:
        body = error(await client.get(path, params=params), code, status)
        assert body["data"] is None, params  # not an OAuth-error endpoint
    await update_platform(ctx, platform.client_id, status="disabled")
    body = error(await client.get(path, params=platform.client(shop_id=shop.shop_id)), 7, 403)
    assert body["data"] is None


# --- oauth/cancel ---------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["json", "form"])
@pytest.mark.parametrize("ref", ["shop_id", "myshopify_domain"])
async def test_cancel_ends_the_grant(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, encoding: str, ref: str
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    ok(
        await client.post(
            f"{API}/create_shop_webhook",
            json={"topic": "review/created", "url": "https://93.184.216.34/platform"},
            headers=bearer(tokens["access_token"]),
        )
    )
    value = shop.shop_id if ref == "shop_id" else shop.myshopify_domain
    body = platform.client(**{ref: value})
    response = await (
        client.post(CANCEL, json=body) if encoding == "json" else client.post(CANCEL, data=body)
    )
    assert ok(response) == {}
    assert_revoked(await reviews(client, tokens["access_token"]))
    info = ok(await client.get(AUTH_INFO, params=platform.client(shop_id=shop.shop_id)))
    assert info["is_authorized"] is False
    # The platform's subscriptions for the shop are gone: a new authorization starts empty.
    again = await connect(ctx, client, shop, platform, scope="read_reviews")
    listed = ok(await client.get(f"{API}/get_shop_webhooks", headers=bearer(again["access_token"])))
    assert listed == []


async def test_cancel_without_a_grant_is_a_no_op(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    other = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, other, scope="read_reviews")
    assert ok(await client.post(CANCEL, json=platform.client(shop_id=shop.shop_id))) == {}
    # Another platform's grant of the same shop is untouched.
    ok(await reviews(client, tokens["access_token"]))


async def test_cancel_errors(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    cases: list[tuple[dict[str, Any], int, int]] = [
        (platform.client(shop_id="nobody-here"), 5, 404),
        (platform.client(myshopify_domain="nobody.myshopify.com"), 5, 404),
        (platform.client(), 3, 400),
        (
            platform.client(shop_id=shop.shop_id, myshopify_domain=other_shop.myshopify_domain),
            3,
            400,
        ),
        ({"client_id": platform.client_id, "shop_id": shop.shop_id}, 16, 401),
        (
            {
                "client_id": platform.client_id,
                "client_secret": "cs_wrong_secret_value",
                "shop_id": shop.shop_id,
            },
            16,
            401,
        ),
    ]
    for body, code, status in cases:
        answer = error(await client.post(CANCEL, json=body), code, status)
        assert answer["data"] is None, body
    ok(await reviews(client, tokens["access_token"]))  # still authorized
    await update_platform(ctx, platform.client_id, status="disabled")
    answer = error(await client.post(CANCEL, json=platform.client(shop_id=shop.shop_id)), 7, 403)
    assert answer["data"] is None


# --- merchant platform management -----------------------------------------------------------


async def test_merchant_lists_and_disconnects_platforms(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi, clock: Clock
) -> None:
    t0 = int(time.time())
    clock.set(t0)
    first = await create_platform(ctx)
    second = await create_platform(ctx)
    ended = await create_platform(ctx)
    elsewhere = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, first, scope="read_reviews")
    clock.set(t0 + 10)
    await connect(ctx, client, shop, second, scope="write_reviews,read_reviews")
    await connect(ctx, client, shop, ended)
    ok(await client.post(CANCEL, json=ended.client(shop_id=shop.shop_id)))
    await connect(ctx, client, other_shop, elsewhere)
    merchant = await sign_in(ctx, client, shop)
    listed = ok(await client.get(PLATFORMS, headers=bearer(merchant.token)))
    assert listed == [
        {
            "client_id": first.client_id,
            "name": f"Platform {first.client_id}",
            "granted_scopes": "read_reviews",
            "installed_at": rfc3339(t0),
            "authorized_at": rfc3339(t0),
        },
        {
            "client_id": second.client_id,
            "name": f"Platform {second.client_id}",
            "granted_scopes": "read_reviews,write_reviews",
            "installed_at": rfc3339(t0 + 10),
            "authorized_at": rfc3339(t0 + 10),
        },
    ]
    clock.set(t0 + 20)
    response = await client.post(
        DISCONNECT_PLATFORM, json={"client_id": first.client_id}, headers=bearer(merchant.token)
    )
    assert ok(response) == {}
    assert_revoked(await reviews(client, tokens["access_token"]))
    remaining = ok(await client.get(PLATFORMS, headers=bearer(merchant.token)))
    assert [p["client_id"] for p in remaining] == [second.client_id]
    info = ok(await client.get(AUTH_INFO, params=first.client(shop_id=shop.shop_id)))
    assert info["is_authorized"] is False
    # No active grant: code 5 (already disconnected, ended, another shop's, unknown).
    for client_id in (first.client_id, ended.client_id, elsewhere.client_id, "no-such-client"):
        body = error(
            await client.post(
                DISCONNECT_PLATFORM, json={"client_id": client_id}, headers=bearer(merchant.token)
            ),
            5,
            404,
        )
        assert body["data"] is None
    # The other shop's grant is untouched.
    info = ok(await client.get(AUTH_INFO, params=elsewhere.client(shop_id=other_shop.shop_id)))
    assert info["is_authorized"] is True


async def test_merchant_platform_endpoints_need_a_session(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    # A platform's access token is not a merchant session.
    for headers in ({}, bearer(tokens["access_token"])):
        assert error(await client.get(PLATFORMS, headers=headers), 16, 401)["data"] is None
        body = error(
            await client.post(
                DISCONNECT_PLATFORM, json={"client_id": platform.client_id}, headers=headers
            ),
            16,
            401,
        )
        assert body["data"] is None
    ok(await reviews(client, tokens["access_token"]))


# --- metadata -------------------------------------------------------------------------------


async def test_authorization_server_metadata(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It names the standard endpoints (the enveloped twins are for Trustoo clients), so that a
    generic client configured from it alone works (tests/oauth/test_standard_clients.py)."""
    response = await client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["content-type"].startswith("application/json")
    client_auth = ["client_secret_basic", "client_secret_post"]
    document = response.json()
    assert document == {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/oauth/authorize",
        "token_endpoint": f"{ISSUER}/oauth/token",
        "revocation_endpoint": f"{ISSUER}/oauth/revoke",
        "introspection_endpoint": f"{ISSUER}/oauth/introspect",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": client_auth,
        "revocation_endpoint_auth_methods_supported": client_auth,
        "introspection_endpoint_auth_methods_supported": client_auth,
        "scopes_supported": [
            "read_reviews",
            "write_reviews",
            "read_orders",
            "read_customer_events",
            "read_customers",
            "write_customers",
            "read_shop_install_status",
        ],
        "authorization_response_iss_parameter_supported": True,
    }
    # Authlib's RFC 8414 validation; the test issuer is plain http, which it takes only with
    # this switch (the live server's loopback address passes without it).
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    AuthorizationServerMetadata(document).validate()


async def test_metadata_lists_every_scope(client: httpx.AsyncClient) -> None:
    """The operator's scope too: a platform may be allowed it, though no merchant grants it."""
    metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["scopes_supported"] == list(ALL_SCOPES)
    assert "read_shop_install_status" in metadata["scopes_supported"]


# --- get_oauth_authorize_url ----------------------------------------------------------------


async def authorize_url(client: httpx.AsyncClient, raw_query: str) -> str:
    data = ok(await client.get(f"{AUTHORIZE_URL}?{raw_query}"))
    assert set(data) == {"authorize_url"}
    return str(data["authorize_url"])


async def test_authorize_url_as_in_the_spec_example(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    platform = await create_platform(ctx)
    # The query exactly as in the spec example (the scope's comma left unencoded).
    raw = (
        f"client_id={platform.client_id}"
        "&redirect_uri=https%3A%2F%2Fapp.example.test%2Foauth%2Fcallback"
        "&state=af0ifjsldkj&scope=read_reviews,write_reviews"
    )
    assert await authorize_url(client, raw) == (
        f"{ISSUER}/oauth/authorize?response_type=code&client_id={platform.client_id}"
        "&redirect_uri=https%3A%2F%2Fapp.example.test%2Foauth%2Fcallback"
        "&scope=read_reviews%2Cwrite_reviews&state=af0ifjsldkj"
    )


async def test_authorize_url_scopes(ctx: AppContext, client: httpx.AsyncClient) -> None:
    platform = await create_platform(
        ctx, allowed_scopes="write_reviews,read_shop_install_status,read_reviews,read_customers"
    )
    base = {"client_id": platform.client_id, "redirect_uri": REDIRECT_URI}
    prefix = (
        f"{ISSUER}/oauth/authorize?response_type=code&client_id={platform.client_id}"
        "&redirect_uri=https%3A%2F%2Fapp.example.test%2Foauth%2Fcallback"
    )
    # Default: every allowed scope except read_shop_install_status, in the canonical order.
    assert await authorize_url(client, urlencode(base)) == (
        prefix + "&scope=read_reviews%2Cwrite_reviews%2Cread_customers"
    )
    # read_shop_install_status is dropped silently; spaces, order and duplicates normalised.
    query = urlencode({**base, "scope": "write_reviews read_shop_install_status,read_reviews "})
    assert await authorize_url(client, query) == prefix + "&scope=read_reviews%2Cwrite_reviews"
    query = urlencode({**base, "scope": "read_customers,read_customers"})
    assert await authorize_url(client, query) == prefix + "&scope=read_customers"


async def test_authorize_url_encodes_every_value(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    platform = await create_platform(ctx, redirect_uris=["https://app.example.test/cb?tenant=a"])
    _, challenge = pkce_pair()
    state = "a b&c=d/é+?#"
    params = {
        "client_id": platform.client_id,
        "redirect_uri": "https://app.example.test/cb?tenant=a",
        "scope": "read_reviews",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    url = await authorize_url(client, urlencode(params))
    assert url == (
        f"{ISSUER}/oauth/authorize?response_type=code&client_id={platform.client_id}"
        "&redirect_uri=https%3A%2F%2Fapp.example.test%2Fcb%3Ftenant%3Da"
        "&scope=read_reviews"
        "&state=a%20b%26c%3Dd%2F%C3%A9%2B%3F%23"
        f"&code_challenge={challenge}&code_challenge_method=S256"
    )
    parts = urlsplit(url)
    assert dict(parse_qsl(parts.query)) == {"response_type": "code", **params}


async def test_authorize_url_limits_are_inclusive(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    platform = await create_platform(ctx)
    for challenge, state in (("A" * 43, "s" * 512), ("-._~" * 32, "")):
        params = {
            "client_id": platform.client_id,
            "redirect_uri": REDIRECT_URI,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": state,
        }
        query = dict(parse_qsl(urlsplit(await authorize_url(client, urlencode(params))).query))
        assert query["code_challenge"] == challenge
        assert query.get("state", "") == state


async def test_a_long_operator_supplied_secret_authenticates(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    """An operator-supplied secret has no maximum length; every client endpoint takes it."""
    secret = "operator-secret-" + "s" * 300
    client_id = "long-" + uuid.uuid4().hex[:12]
    async with ctx.db.session(write=True) as session:
        await platform_service.create(
            ctx,
            session,
            CreatePlatformIn.model_validate(
                {
                    "client_id": client_id,
                    "name": "Long secret",
                    "redirect_uris": [REDIRECT_URI],
                    "allowed_scopes": WITH_STATUS,
                    "client_secret": secret,
                }
            ),
        )
    platform = PlatformCreds(client_id, secret, "", [REDIRECT_URI], WITH_STATUS)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    assert (await introspect(client, platform, tokens["access_token"]))["active"] is True
    ref = platform.client(shop_id=shop.shop_id)
    assert ok(await client.get(AUTH_INFO, params=ref))["is_authorized"] is True
    assert ok(await client.get(INSTALL_STATUS, params=ref))["is_installed"] == 1
    assert ok(await revoke(client, platform, tokens["refresh_token"])) == {}
    assert_revoked(await reviews(client, tokens["access_token"]))
    # A wrong secret of that length is code 16 like any other wrong secret.
    wrong = PlatformCreds(client_id, secret[:-1] + "t", "", [], "")
    body = error(await revoke(client, wrong, tokens["access_token"]), 16, 401)
    assert_oauth_error(body, "invalid_client")
