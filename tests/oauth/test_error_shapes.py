"""Error shapes of the OAuth endpoints (spec oauth.md "OAuth errors", "Consent page"): an
unsupported response_type is an OAuth error on the JSON endpoints and an error redirect on the
consent page (RFC 6749 §4.1.2.1); an unexpected failure is `server_error` in the OAuth error
envelope on the JSON endpoints and an HTML page on the consent pages, never the JSON envelope.

The unexpected failures are real ones, not patched in: a platform row the code cannot use (its
client secret sealed with another server key, its redirect URIs not a list), as a database
restored from elsewhere or edited by hand would hold.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import SecretBox
from shopreviews.oauth.models import AuthorizationCode, Grant
from tests.oauth.helpers import Damage, assert_no_store, assert_oauth_error
from tests.support.api import ShopApi, bearer, error
from tests.support.oauth import (
    API,
    REDIRECT_URI,
    TOKEN_PATH,
    PlatformCreds,
    create_platform,
    sign_in,
)

ISSUER = "http://testserver"
PAGE_HEADERS = {
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}
PAGE_FAILURE = "Something went wrong on our side. Start again from the app in a moment."


def authorize_params(platform: PlatformCreds, **extra: str) -> dict[str, str]:
    return {"client_id": platform.client_id, "redirect_uri": REDIRECT_URI, **extra}


def assert_html_page(response: httpx.Response, status: int, message: str) -> None:
    """An HTML page of the consent flow with its headers and message; never the envelope."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert {k: response.headers.get(k) for k in PAGE_HEADERS} == PAGE_HEADERS
    assert f'<p class="error" id="error">{message}</p>' in response.text
    assert '"code"' not in response.text and "request_id" not in response.text


def login_csrf(ctx: AppContext, nonce: str) -> str:
    """The sign-in form's token for the nonce of its cookie (an HMAC keyed by the session key)."""
    return hmac.new(ctx.session_key, f"csrf:login:{nonce}".encode(), hashlib.sha256).hexdigest()


async def stored(ctx: AppContext, shop_id: str) -> tuple[int, int]:
    """(grants, authorization codes) of the shop."""
    async with ctx.db.session(write=False) as session:
        grants = await session.scalar(select(func.count()).where(Grant.shop_id == shop_id))
        codes = await session.scalar(
            select(func.count()).where(AuthorizationCode.shop_id == shop_id)
        )
    return int(grants or 0), int(codes or 0)


# --- response_type=token ----------------------------------------------------------------------


async def test_consent_page_sends_unsupported_response_type_back_to_the_client(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    params = authorize_params(platform, response_type="token", state="st 1/2")
    response = await client.get("/oauth/authorize", params=params)
    assert response.status_code == 302, response.text
    assert {k: response.headers.get(k) for k in PAGE_HEADERS} == PAGE_HEADERS
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    assert parse_qsl(urlsplit(location).query) == [
        ("error", "unsupported_response_type"),
        ("error_description", "response_type must be code"),
        ("state", "st 1/2"),
        ("iss", ISSUER),
    ]

    # The consent form re-runs the same checks (before the session and CSRF checks).
    posted = await client.post("/oauth/authorize", data={**params, "decision": "approve"})
    assert posted.status_code == 302, posted.text
    assert posted.headers["location"] == location
    assert await stored(ctx, shop.shop_id) == (0, 0)


async def test_consent_page_never_redirects_to_an_unregistered_uri_whatever_response_type(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    platform = await create_platform(ctx)
    params = authorize_params(platform, response_type="token")
    params["redirect_uri"] = "https://evil.example/cb"
    response = await client.get("/oauth/authorize", params=params)
    assert_html_page(response, 400, "redirect_uri is not registered for this client")


@pytest.mark.parametrize("path", ["oauth/authorize", "get_oauth_authorize_url"])
async def test_json_authorize_endpoints_answer_unsupported_response_type(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, path: str
) -> None:
    platform = await create_platform(ctx)
    merchant = await sign_in(ctx, client, shop)
    response = await client.get(
        f"{API}/{path}",
        params=authorize_params(platform, response_type="token"),
        headers=bearer(merchant.token),
    )
    body = error(response, 3, 400)
    assert assert_oauth_error(body, "unsupported_response_type") == "response_type must be code"
    assert_no_store(response)
    assert await stored(ctx, shop.shop_id) == (0, 0)


# --- unexpected failures ------------------------------------------------------------------------


async def test_token_endpoints_answer_server_error_for_an_unexpected_failure(
    ctx: AppContext, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, damage: Damage
) -> None:
    platform = await create_platform(ctx)
    # Sealed with another server key: opening it fails (an operator changed the key).
    other_key = SecretBox("another-secret-key-" + "y" * 32)
    await damage(platform.client_id, client_secret_encrypted=other_key.seal("cs_x"))
    requests = {
        TOKEN_PATH: platform.client(grant_type="client_credentials", shop_id="1"),
        f"{API}/oauth_revoke_token": platform.client(token="at_unknown"),
        f"{API}/oauth/introspect": platform.client(token="at_unknown"),
    }
    for path, form in requests.items():
        with caplog.at_level(logging.ERROR, logger="shopreviews.errors"):
            caplog.clear()
            response = await client.post(path, data=form)
        body = error(response, 13, 500)
        assert body["data"] == {"error": "server_error", "error_description": "internal error"}
        assert body["message"] == "server_error: internal error"
        assert_no_store(response)
        # The cause is logged for the operator, never sent to the client.
        assert "SHOPREVIEWS_SECRET_KEY" not in response.text
        assert any("SHOPREVIEWS_SECRET_KEY" in (r.exc_text or "") for r in caplog.records), path


async def test_authorize_endpoints_answer_their_own_shape_for_an_unexpected_failure(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, damage: Damage
) -> None:
    platform = await create_platform(ctx)
    merchant = await sign_in(ctx, client, shop)
    await damage(platform.client_id, redirect_uris=5)  # JSON, but not a list
    params = authorize_params(platform, state="s")

    for path in ("oauth/authorize", "get_oauth_authorize_url"):
        response = await client.get(f"{API}/{path}", params=params, headers=bearer(merchant.token))
        body = error(response, 13, 500)
        assert assert_oauth_error(body, "server_error") == "internal error"
        assert_no_store(response)

    # The consent pages are HTML whatever fails (the redirect_uri cannot be validated, so
    # nothing goes back to the client).
    page = await client.get("/oauth/authorize", params=params)
    assert_html_page(page, 500, PAGE_FAILURE)
    posted = await client.post("/oauth/authorize", data={**params, "decision": "approve"})
    assert_html_page(posted, 500, PAGE_FAILURE)
    assert await stored(ctx, shop.shop_id) == (0, 0)


async def test_sign_in_form_is_an_html_page_for_an_unexpected_failure(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, damage: Damage
) -> None:
    platform = await create_platform(ctx)
    await damage(platform.client_id, redirect_uris=5)
    nonce = "n" * 32
    return_to = "/oauth/authorize?" + urlencode(authorize_params(platform))
    response = await client.post(
        "/oauth/login",
        data={
            "email": "owner@example.test",
            "password": "whatever it is",
            "csrf_token": login_csrf(ctx, nonce),
            "return_to": return_to,
        },
        headers={"Cookie": f"oauth_login={nonce}"},
    )
    assert_html_page(response, 500, PAGE_FAILURE)
