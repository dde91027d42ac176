"""The standard OAuth endpoints' wire format (spec oauth.md "Standard OAuth endpoints"):
`/oauth/token`, `/oauth/revoke` and `/oauth/introspect` are the enveloped endpoints' operations
in RFC 6749, RFC 7009 and RFC 7662's shapes. Form bodies only, client_secret_basic or
client_secret_post (never both), bare JSON answers and errors that are never cached, and tokens
that work at either twin. Generic client libraries drive the same endpoints in
test_standard_clients.py."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
from sqlalchemy import select

from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import SecretBox
from shopreviews.kit.outbox import DomainEvent
from shopreviews.settings import Settings
from tests.oauth.helpers import Damage, assert_no_store, assert_oauth_error, pkce_pair
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.limited_app import LimitedApp
from tests.support.oauth import (
    API,
    TOKEN_PATH,
    PlatformCreds,
    authorize_code,
    connect,
    create_platform,
    sign_in,
    update_platform,
)
from tests.support.webhooks import Receiver

TOKEN = "/oauth/token"
REVOKE = "/oauth/revoke"
INTROSPECT = "/oauth/introspect"
CHALLENGE = 'Basic realm="ShopReviews"'
TOKEN_KEYS = {
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "refresh_token_expires_in",
    "scope",
    "shop_id",
    "myshopify_domain",
}
WRONG_CLIENT = "unknown client_id or wrong client_secret"


def basic(client_id: str, secret: str) -> dict[str, str]:
    """client_secret_basic as RFC 6749 §2.3.1 writes it: each part form-encoded first."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def basic_of(platform: PlatformCreds) -> dict[str, str]:
    return basic(platform.client_id, platform.client_secret)


def assert_error(response: httpx.Response, status: int, error_name: str) -> str:
    """A bare RFC 6749 §5.2 error, never cached; returns its description."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error_name, body
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert_no_store(response)
    if error_name == "invalid_client":
        assert response.headers["www-authenticate"] == CHALLENGE
    else:
        assert "www-authenticate" not in response.headers
    return str(body["error_description"])


def token_answer(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert_no_store(response)
    body: dict[str, Any] = response.json()
    assert "code" not in body and "data" not in body  # never the envelope
    return body


async def code_for(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ShopApi,
    platform: PlatformCreds,
    scope: str = "read_reviews,write_reviews",
) -> dict[str, str]:
    """The form fields that exchange a fresh authorization code."""
    merchant = await sign_in(ctx, client, shop)
    code = await authorize_code(client, merchant, platform, scope=scope)
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": platform.redirect_uris[0],
    }


async def introspect(
    client: httpx.AsyncClient, platform: PlatformCreds, token: str
) -> dict[str, Any]:
    return token_answer(
        await client.post(INTROSPECT, data={"token": token}, headers=basic_of(platform))
    )


# --- token answers ---------------------------------------------------------------------------


async def test_token_answers_follow_rfc_6749(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    # client_secret_basic
    grant = await code_for(ctx, client, shop, platform)
    first = token_answer(await client.post(TOKEN, data=grant, headers=basic_of(platform)))
    assert set(first) == TOKEN_KEYS
    assert first["token_type"] == "Bearer" and first["scope"] == "read_reviews write_reviews"
    assert first["expires_in"] == 7200 and first["refresh_token_expires_in"] == 7776000
    assert (first["shop_id"], first["myshopify_domain"]) == (shop.shop_id, shop.myshopify_domain)
    ok(await client.get(f"{API}/get_reviews", headers=bearer(first["access_token"])))
    # client_secret_post, narrowing the scope with a space-delimited list
    narrowed = token_answer(
        await client.post(
            TOKEN,
            data=platform.client(
                grant_type="refresh_token",
                refresh_token=first["refresh_token"],
                scope="read_reviews",
            ),
        )
    )
    assert set(narrowed) == TOKEN_KEYS and narrowed["scope"] == "read_reviews"
    # PKCE with a Basic header, and a client_id in the form naming the same client.
    verifier, challenge = pkce_pair()
    merchant = await sign_in(ctx, client, shop)
    code = await authorize_code(client, merchant, platform, code_challenge=challenge)
    pkce = token_answer(
        await client.post(
            TOKEN,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": platform.redirect_uris[0],
                "code_verifier": verifier,
                "client_id": platform.client_id,
            },
            headers=basic_of(platform),
        )
    )
    assert pkce["access_token"].startswith("at_")


async def test_client_credentials_answer_has_no_refresh_token(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(
        ctx, allowed_scopes="read_reviews,read_orders,read_shop_install_status", skip_shop_oauth=1
    )
    form = {"grant_type": "client_credentials", "shop_id": shop.shop_id}
    answer = token_answer(await client.post(TOKEN, data=form, headers=basic_of(platform)))
    # RFC 6749 §4.4.3: no refresh token; its fields are left out rather than empty.
    assert set(answer) == TOKEN_KEYS - {"refresh_token", "refresh_token_expires_in"}
    assert answer["scope"] == "read_reviews read_orders"
    narrowed = token_answer(
        await client.post(TOKEN, data={**form, "scope": "read_orders"}, headers=basic_of(platform))
    )
    assert narrowed["scope"] == "read_orders"


async def test_tokens_work_at_either_twin(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    enveloped = await connect(ctx, client, shop, platform, scope="read_reviews,write_reviews")
    assert enveloped["scope"] == "read_reviews,write_reviews"
    # Rotated at the standard endpoint, then at the enveloped one with the new refresh token.
    standard = token_answer(
        await client.post(
            TOKEN,
            data={"grant_type": "refresh_token", "refresh_token": enveloped["refresh_token"]},
            headers=basic_of(platform),
        )
    )
    again = ok(
        await client.post(
            TOKEN_PATH,
            data=platform.client(
                grant_type="refresh_token", refresh_token=standard["refresh_token"]
            ),
        )
    )
    for token in (enveloped["access_token"], standard["access_token"], again["access_token"]):
        info = await introspect(client, platform, token)
        assert info["active"] is True and info["scope"] == "read_reviews write_reviews"
        twin = ok(await client.post(f"{API}/oauth/introspect", data=platform.client(token=token)))
        assert (twin["token_type"], twin["scope"]) == ("access_token", "read_reviews,write_reviews")
    # Reuse detected across the twins: the standard endpoint's retired token, at the enveloped.
    reused = error(
        await client.post(
            TOKEN_PATH,
            data=platform.client(
                grant_type="refresh_token", refresh_token=standard["refresh_token"]
            ),
        ),
        3,
        400,
    )
    assert_oauth_error(reused, "invalid_grant")
    for token in (standard["access_token"], again["access_token"], again["refresh_token"]):
        assert await introspect(client, platform, token) == {"active": False}


# --- client authentication -------------------------------------------------------------------


async def test_client_secret_basic_is_form_decoded(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    """RFC 6749 §2.3.1: an operator-chosen secret with characters the form encoding changes
    works when the client encodes it, and not when it does not."""
    secret = "s3cret+with:odd %2F&chars"
    platform = await create_platform(ctx, client_secret=secret)
    form = {"grant_type": "refresh_token", "refresh_token": "rt_unknown"}
    encoded = await client.post(TOKEN, data=form, headers=basic(platform.client_id, secret))
    assert assert_error(encoded, 400, "invalid_grant") == "unknown refresh token"
    raw = base64.b64encode(f"{platform.client_id}:{secret}".encode()).decode()
    sent_raw = await client.post(TOKEN, data=form, headers={"Authorization": f"Basic {raw}"})
    assert assert_error(sent_raw, 401, "invalid_client") == WRONG_CLIENT
    # The scheme name is case-insensitive (RFC 7235 §2.1).
    lower = {"Authorization": basic_of(platform)["Authorization"].replace("Basic", "basic")}
    assert_error(await client.post(TOKEN, data=form, headers=lower), 400, "invalid_grant")


async def test_client_authentication_refusals(ctx: AppContext, client: httpx.AsyncClient) -> None:
    platform = await create_platform(ctx)
    other = await create_platform(ctx)
    form = {"grant_type": "refresh_token", "refresh_token": "rt_unknown"}

    async def token(data: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
        return await client.post(TOKEN, data=data, headers=headers)

    for refused in (
        await token(form),  # no credentials at all
        await token(form, basic(platform.client_id, "cs_wrong")),
        await token({**form, "client_id": platform.client_id, "client_secret": "cs_wrong"}),
        await token(form, basic("nobody", platform.client_secret)),
        await token(form, basic("", "")),
    ):
        assert assert_error(refused, 401, "invalid_client") == WRONG_CLIENT
    bearer_scheme = await token(form, {"Authorization": "Bearer at_x"})
    assert assert_error(bearer_scheme, 401, "invalid_client") == (
        "the Authorization header must use the Basic scheme"
    )
    both = await token({**form, "client_secret": platform.client_secret}, basic_of(platform))
    assert assert_error(both, 400, "invalid_request") == (
        "client credentials in both the Authorization header and the body: use one method"
    )
    elsewhere = await token({**form, "client_id": other.client_id}, basic_of(platform))
    assert assert_error(elsewhere, 400, "invalid_request") == (
        "client_id in the body differs from the Authorization header's"
    )
    undecodable = "the Basic Authorization header is not base64 of client_id:client_secret"
    for header in (
        "Basic !!!not-base64",
        "Basic " + base64.b64encode(b"no colon here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:secret").decode(),  # not UTF-8
        "Basic " + base64.b64encode(b"client:%ff").decode(),  # a broken form encoding
    ):
        answer = await token(form, {"Authorization": header})
        assert assert_error(answer, 400, "invalid_request") == undecodable, header
    nul = await token(form, {"Authorization": "Basic " + base64.b64encode(b"a%00:b").decode()})
    assert "U+0000" in assert_error(nul, 400, "invalid_request")

    # A disabled platform fails client authentication here (the enveloped twin says
    # unauthorized_client with code 7).
    await update_platform(ctx, platform.client_id, status="disabled")
    disabled = await token(form, basic_of(platform))
    description = assert_error(disabled, 401, "invalid_client")
    assert description == f"platform {platform.client_id} is disabled"
    twin = error(await client.post(TOKEN_PATH, data=platform.client(**form)), 7, 403)
    assert_oauth_error(twin, "unauthorized_client")


# --- request format --------------------------------------------------------------------------


async def test_form_bodies_only(
    ctx: AppContext, client: httpx.AsyncClient, settings: Settings
) -> None:
    platform = await create_platform(ctx)
    form = {"grant_type": "refresh_token", "refresh_token": "rt_unknown"}
    not_a_form = "the body must be application/x-www-form-urlencoded"
    for path in (TOKEN, REVOKE, INTROSPECT):
        as_json = await client.post(path, json={**form, **platform.client()})
        assert assert_error(as_json, 400, "invalid_request") == not_a_form
        for content_type in ({"Content-Type": "text/plain"}, {"Content-Type": "text/json"}, {}):
            # The form's own encoding under another name, or no name at all.
            answer = await client.post(
                path, content=b"token=x", headers={**basic_of(platform), **content_type}
            )
            assert assert_error(answer, 400, "invalid_request") == not_a_form
    # A charset parameter still names a form.
    charset = await client.post(
        TOKEN,
        content=b"grant_type=refresh_token&refresh_token=rt_unknown",
        headers={
            **basic_of(platform),
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
        },
    )
    assert assert_error(charset, 400, "invalid_grant") == "unknown refresh token"
    form_type = {"Content-Type": "application/x-www-form-urlencoded", **basic_of(platform)}
    repeated = await client.post(TOKEN, content=b"grant_type=a&grant_type=b", headers=form_type)
    assert assert_error(repeated, 400, "invalid_request") == "parameter grant_type is repeated"
    latin1 = await client.post(TOKEN, content=b"grant_type=caf\xe9", headers=form_type)
    assert "UTF-8" in assert_error(latin1, 400, "invalid_request")
    too_large = await client.post(
        TOKEN, content=b"x" * (settings.max_body_bytes + 1), headers=form_type
    )
    assert assert_error(too_large, 400, "invalid_request") == (
        f"request body larger than {settings.max_body_bytes} bytes"
    )


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_only_post(client: httpx.AsyncClient, method: str) -> None:
    for path in (TOKEN, REVOKE, INTROSPECT):
        response = await client.request(method, path)
        assert assert_error(response, 405, "invalid_request") == (
            f"method {method} is not allowed here"
        )
        assert response.headers["allow"] == "POST"


async def test_token_errors(ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi) -> None:
    platform = await create_platform(ctx)
    headers = basic_of(platform)

    async def token(**fields: str) -> httpx.Response:
        return await client.post(TOKEN, data=fields, headers=headers)

    assert assert_error(await token(grant_type=""), 400, "invalid_request") == (
        "grant_type is required"
    )
    assert assert_error(await token(grant_type="password"), 400, "unsupported_grant_type") == (
        "grant_type must be one of authorization_code, refresh_token, client_credentials"
    )
    unknown_code = await token(
        grant_type="authorization_code", code="ac_unknown", redirect_uri=platform.redirect_uris[0]
    )
    assert assert_error(unknown_code, 400, "invalid_grant") == "unknown authorization code"
    # No skip_shop_oauth: RFC 6749's unauthorized_client, HTTP 400 (the twin: code 7, 403).
    refused = await token(grant_type="client_credentials", shop_id=shop.shop_id)
    assert assert_error(refused, 400, "unauthorized_client") == (
        "client_credentials is only for platforms that skip shop OAuth"
    )
    grant = await code_for(ctx, client, shop, platform, scope="read_reviews")
    first = token_answer(await token(**grant))
    wider = await token(
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        scope="read_reviews write_reviews",
    )
    assert assert_error(wider, 400, "invalid_scope") == (
        "scope write_reviews is wider than what was granted"
    )
    used = await token(**grant)
    assert assert_error(used, 400, "invalid_grant") == "authorization code has already been used"
    skipping = await create_platform(ctx, skip_shop_oauth=1)
    nowhere = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "shop_id": "no-such-shop"},
        headers=basic_of(skipping),
    )
    assert assert_error(nowhere, 400, "invalid_request") == "shop not found"


# --- revocation and introspection ------------------------------------------------------------


async def test_revocation(ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi) -> None:
    platform = await create_platform(ctx)
    other = await create_platform(ctx)
    tokens = token_answer(
        await client.post(
            TOKEN, data=await code_for(ctx, client, shop, platform), headers=basic_of(platform)
        )
    )

    async def revoke(data: dict[str, str], who: PlatformCreds = platform) -> httpx.Response:
        return await client.post(REVOKE, data=data, headers=basic_of(who))

    def assert_empty(response: httpx.Response) -> None:
        assert (response.status_code, response.content) == (200, b"")
        assert_no_store(response)

    # Unknown, and another platform's: the same empty success, nothing revoked.
    assert_empty(await revoke({"token": "at_unknown"}))
    assert_empty(await revoke({"token": tokens["access_token"]}, other))
    assert (await introspect(client, platform, tokens["access_token"]))["active"] is True
    # An access token alone; a hint that names the other kind changes nothing.
    hinted = {"token": tokens["access_token"], "token_type_hint": "refresh_token"}
    assert_empty(await revoke(hinted))
    assert await introspect(client, platform, tokens["access_token"]) == {"active": False}
    assert (await introspect(client, platform, tokens["refresh_token"]))["active"] is True
    # A refresh token with its chain, by client_secret_post.
    assert_empty(await client.post(REVOKE, data=platform.client(token=tokens["refresh_token"])))
    assert await introspect(client, platform, tokens["refresh_token"]) == {"active": False}

    hint = await revoke({"token": "at_unknown", "token_type_hint": "id_token"})
    assert assert_error(hint, 400, "unsupported_token_type") == (
        "token_type_hint must be access_token or refresh_token"
    )
    # The client is authenticated before the hint is judged.
    stranger = await client.post(
        REVOKE,
        data={"token": "at_unknown", "token_type_hint": "id_token"},
        headers=basic(platform.client_id, "cs_wrong"),
    )
    assert_error(stranger, 401, "invalid_client")
    assert assert_error(await revoke({"token": ""}), 400, "invalid_request") == (
        "token is required"
    )
    # The enveloped twin still ignores an unknown hint.
    ok(
        await client.post(
            f"{API}/oauth_revoke_token",
            data=platform.client(token="at_unknown", token_type_hint="id_token"),
        )
    )


async def test_introspection(ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi) -> None:
    platform = await create_platform(ctx)
    other = await create_platform(ctx)
    tokens = token_answer(
        await client.post(
            TOKEN, data=await code_for(ctx, client, shop, platform), headers=basic_of(platform)
        )
    )
    access = await introspect(client, platform, tokens["access_token"])
    assert set(access) == {
        "active",
        "token_type",
        "scope",
        "client_id",
        "sub",
        "shop_id",
        "myshopify_domain",
        "iat",
        "exp",
        "iss",
    }
    assert (access["active"], access["token_type"]) == (True, "Bearer")
    assert access["scope"] == "read_reviews write_reviews"
    assert (access["client_id"], access["sub"]) == (platform.client_id, shop.shop_id)
    assert access["exp"] - access["iat"] == 7200 and access["iss"] == "http://testserver"
    refresh = await introspect(client, platform, tokens["refresh_token"])
    assert refresh["token_type"] == "refresh_token" and refresh["scope"] == access["scope"]
    # By client_secret_post, with a hint introspection ignores (RFC 7662 §2.1).
    posted = token_answer(
        await client.post(
            INTROSPECT,
            data=platform.client(token=tokens["access_token"], token_type_hint="id_token"),
        )
    )
    assert posted == access
    assert await introspect(client, other, tokens["access_token"]) == {"active": False}
    assert await introspect(client, platform, "at_unknown") == {"active": False}
    missing = await client.post(INTROSPECT, data={"token": " "}, headers=basic_of(platform))
    assert assert_error(missing, 400, "invalid_request") == "token is required"


# --- what the twins share: events, limits, failures ------------------------------------------


async def revocation_reasons(ctx: AppContext, shop_id: str) -> list[str]:
    async with ctx.db.session(write=False) as session:
        events = await session.scalars(
            select(DomainEvent)
            .where(DomainEvent.shop_id == shop_id, DomainEvent.topic == "app/tokens_revoked")
            .order_by(DomainEvent.id)
        )
        return [event.payload["list"][0]["reason"] for event in events]


async def test_reuse_sends_the_same_events(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, receiver: Receiver
) -> None:
    platform = await create_platform(ctx, webhook_url=receiver.url(receiver.new_path()))
    grant = await code_for(ctx, client, shop, platform)
    first = token_answer(await client.post(TOKEN, data=grant, headers=basic_of(platform)))
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    token_answer(await client.post(TOKEN, data=refresh, headers=basic_of(platform)))
    reused = await client.post(TOKEN, data=refresh, headers=basic_of(platform))
    assert assert_error(reused, 400, "invalid_grant") == (
        "refresh token was already used; every token of this authorization is revoked"
    )
    again = await client.post(TOKEN, data=grant, headers=basic_of(platform))
    assert_error(again, 400, "invalid_grant")
    second = token_answer(
        await client.post(
            TOKEN, data=await code_for(ctx, client, shop, platform), headers=basic_of(platform)
        )
    )
    assert await revocation_reasons(ctx, shop.shop_id) == ["refresh_token_reuse"]
    # A code exchanged again revokes what its first exchange issued.
    code = await code_for(ctx, client, shop, platform)
    third = token_answer(await client.post(TOKEN, data=code, headers=basic_of(platform)))
    code_again = await client.post(TOKEN, data=code, headers=basic_of(platform))
    assert assert_error(code_again, 400, "invalid_grant") == (
        "authorization code has already been used"
    )
    assert await introspect(client, platform, third["access_token"]) == {"active": False}
    assert (await introspect(client, platform, second["access_token"]))["active"] is True
    assert await revocation_reasons(ctx, shop.shop_id) == [
        "refresh_token_reuse",
        "authorization_code_reuse",
    ]


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[LimitedApp]:
    app = LimitedApp(settings)
    yield app
    await app.close()


async def test_rate_limits_answer_429(ctx: AppContext, limited: LimitedApp) -> None:
    platform = await create_platform(ctx)
    attacker = limited.at("203.0.113.77")
    form = {"grant_type": "refresh_token", "refresh_token": "rt_unknown"}
    wrong = basic(platform.client_id, "cs_wrong")
    limit = limited.settings.client_auth_failures_per_minute
    for _ in range(limit):
        assert_error(await attacker.post(TOKEN, data=form, headers=wrong), 401, "invalid_client")
    for path in (TOKEN, REVOKE, INTROSPECT):
        response = await attacker.post(path, data={**form, "token": "x"}, headers=wrong)
        retry_after = int(response.headers["retry-after"])
        assert 1 <= retry_after <= 61
        assert assert_error(response, 429, "invalid_request") == (
            f"rate limit exceeded; retry after {retry_after} s"
        )


async def test_unexpected_failure_is_server_error(
    ctx: AppContext, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, damage: Damage
) -> None:
    platform = await create_platform(ctx)
    # Sealed with another server key: opening it fails (an operator changed the key).
    sealed = SecretBox("another-secret-key-" + "y" * 32).seal("cs_x")
    await damage(platform.client_id, client_secret_encrypted=sealed)
    for path in (TOKEN, REVOKE, INTROSPECT):
        with caplog.at_level(logging.ERROR, logger="shopreviews.errors"):
            caplog.clear()
            form = {"grant_type": "client_credentials", "token": "x"}
            response = await client.post(path, data=form, headers=basic_of(platform))
        assert assert_error(response, 500, "server_error") == "internal error"
        assert "SHOPREVIEWS_SECRET_KEY" not in response.text
        assert any("SHOPREVIEWS_SECRET_KEY" in (r.exc_text or "") for r in caplog.records), path


async def test_the_access_line_names_the_refusal(
    ctx: AppContext, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    platform = await create_platform(ctx)
    secret = "cs_a-guess-no-log-may-show"
    with caplog.at_level(logging.INFO, logger="shopreviews.access"):
        response = await client.post(
            TOKEN,
            data={"grant_type": "client_credentials", "shop_id": "s"},
            headers=basic(platform.client_id, secret),
        )
    assert_error(response, 401, "invalid_client")
    (line,) = [r for r in caplog.records if r.name == "shopreviews.access"]
    assert (line.status, line.code) == (401, 16)
    assert line.reason == f"invalid_client: {WRONG_CLIENT}"
    assert secret not in caplog.text
