"""Every OAuth error case of the contract in one table (spec oauth.md "OAuth errors", the rules of
get_oauth_authorize_url and oauth/token, README §4.2 and §4.6 for bearer tokens).

Each case builds one request against a fresh platform and shop and names the expected `code`,
HTTP status and OAuth `error` (None: an API error whose `data` is null). OAuth errors must carry
`data` = {error, error_description} and `message` = "<error>: <error_description>"; token
endpoint answers are never cached.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from shopreviews.kit.context import AppContext
from tests.oauth.helpers import assert_no_store, assert_oauth_error, pkce_pair
from tests.support.api import Clock, ShopApi, bearer, error, ok
from tests.support.oauth import (
    API,
    REDIRECT_URI,
    TOKEN_PATH,
    Merchant,
    PlatformCreds,
    authorize_code,
    client_credentials,
    create_platform,
    exchange,
    refresh,
    sign_in,
    update_platform,
)

# A second registered redirect URI that carries a query of its own.
QUERY_URI = "https://app.example.test/cb?tenant=a"
AUTHORIZE_URL = f"{API}/get_oauth_authorize_url"
INVALID_TOKEN = 'Bearer error="invalid_token"'


@dataclass
class World:
    """A fresh platform, two shops and (on demand) a signed-in merchant of the first shop."""

    ctx: AppContext
    client: httpx.AsyncClient
    shop: ShopApi
    other_shop: ShopApi
    clock: Clock
    platform: PlatformCreds
    stash: dict[str, Any] = field(default_factory=dict)
    _merchant: Merchant | None = None

    async def merchant(self) -> Merchant:
        if self._merchant is None:
            self._merchant = await sign_in(self.ctx, self.client, self.shop)
        return self._merchant

    async def code(
        self, *, scope: str | None = None, challenge: str | None = None, uri: str = REDIRECT_URI
    ) -> str:
        return await authorize_code(
            self.client,
            await self.merchant(),
            self.platform,
            scope=scope,
            code_challenge=challenge,
            redirect_uri=uri,
        )

    async def tokens(self, scope: str | None = None) -> dict[str, Any]:
        """A code exchanged for tokens; kept in stash["tokens"] for the after-checks."""
        tokens = dict(ok(await exchange(self.client, self.platform, await self.code(scope=scope))))
        self.stash["tokens"] = tokens
        return tokens

    async def authorize_url(self, **params: str | None) -> httpx.Response:
        query = {"client_id": self.platform.client_id, "redirect_uri": REDIRECT_URI, **params}
        return await self.client.get(
            AUTHORIZE_URL, params={k: v for k, v in query.items() if v is not None}
        )

    async def token(self, **fields: Any) -> httpx.Response:
        """oauth/token as a form body (RFC 6749 clients) with the platform's credentials."""
        return await self.client.post(TOKEN_PATH, data=self.platform.client(**fields))

    async def disable_platform(self) -> None:
        await update_platform(self.ctx, self.platform.client_id, status="disabled")


@pytest.fixture
async def world(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ShopApi,
    other_shop: ShopApi,
    clock: Clock,
) -> World:
    platform = await create_platform(ctx, redirect_uris=[REDIRECT_URI, QUERY_URI])
    return World(ctx, client, shop, other_shop, clock, platform)


Send = Callable[[World], Awaitable[httpx.Response]]
After = Callable[[World], Awaitable[None]]


@dataclass(frozen=True)
class Case:
    desc: str
    send: Send
    code: int
    status: int
    error: str | None  # the OAuth `error`; None for an API error with `data` null
    www_authenticate: str | None = None
    after: After | None = None


# --- builders -------------------------------------------------------------------------------


async def exchange_with(world: World, registered: str, presented: str) -> httpx.Response:
    code = await world.code(uri=registered)
    return await exchange(world.client, world.platform, code, redirect_uri=presented)


async def unknown_client_token(world: World) -> httpx.Response:
    code = await world.code()
    body = {
        "grant_type": "authorization_code",
        "client_id": "no-such-client",
        "client_secret": world.platform.client_secret,
        "code": code,
        "redirect_uri": REDIRECT_URI,
    }
    return await world.client.post(TOKEN_PATH, data=body)


async def wrong_secret(world: World) -> httpx.Response:
    code = await world.code()
    return await world.token(
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        client_secret=world.platform.client_secret + "x",
    )


async def missing_secret(world: World) -> httpx.Response:
    code = await world.code()
    body = {
        "grant_type": "authorization_code",
        "client_id": world.platform.client_id,
        "code": code,
        "redirect_uri": REDIRECT_URI,
    }
    return await world.client.post(TOKEN_PATH, data=body)


async def reused_code(world: World) -> httpx.Response:
    code = await world.code()
    world.stash["tokens"] = ok(await exchange(world.client, world.platform, code))
    return await exchange(world.client, world.platform, code)


async def first_tokens_revoked(world: World) -> None:
    """A reused code revokes what its first exchange issued (RFC 6749 §4.1.2)."""
    tokens = world.stash["tokens"]
    response = await world.client.get(f"{API}/get_reviews", headers=bearer(tokens["access_token"]))
    body = error(response, 16, 401)
    assert body["data"] is None
    assert response.headers["www-authenticate"] == INVALID_TOKEN
    refused = error(await refresh(world.client, world.platform, tokens["refresh_token"]), 3, 400)
    assert_oauth_error(refused, "invalid_grant")


async def expired_code(world: World) -> httpx.Response:
    code = await world.code()
    world.clock.set(time.time() + 601)
    return await exchange(world.client, world.platform, code)


async def code_of_another_client(world: World) -> httpx.Response:
    other = await create_platform(world.ctx)
    code = await authorize_code(world.client, await world.merchant(), other)
    return await exchange(world.client, world.platform, code)


async def unknown_code(world: World) -> httpx.Response:
    return await exchange(world.client, world.platform, "ac_" + "A" * 43)


async def pkce_exchange(world: World, *, challenge: bool, verifier: str | None) -> httpx.Response:
    real_verifier, real_challenge = pkce_pair()
    code = await world.code(challenge=real_challenge if challenge else None)
    sent = real_verifier if verifier == "real" else verifier
    return await exchange(world.client, world.platform, code, verifier=sent)


async def access_token_as_refresh(world: World) -> httpx.Response:
    tokens = await world.tokens()
    return await refresh(world.client, world.platform, tokens["access_token"])


async def refresh_with_scope(world: World, scope: str) -> httpx.Response:
    tokens = await world.tokens(scope="read_reviews,write_reviews")
    return await refresh(world.client, world.platform, tokens["refresh_token"], scope=scope)


async def refresh_after_disconnect(world: World) -> httpx.Response:
    tokens = await world.tokens()
    ok(await world.client.post(f"{API}/oauth/disconnect", headers=bearer(tokens["access_token"])))
    return await refresh(world.client, world.platform, tokens["refresh_token"])


async def skip_platform(world: World) -> PlatformCreds:
    return await create_platform(world.ctx, skip_shop_oauth=1)


async def client_credentials_scope(world: World, scope: str) -> httpx.Response:
    platform = await skip_platform(world)
    return await client_credentials(world.client, platform, shop_id=world.shop.shop_id, scope=scope)


async def client_credentials_without_skip(world: World) -> httpx.Response:
    return await client_credentials(world.client, world.platform, shop_id=world.shop.shop_id)


async def disabled_on_exchange(world: World) -> httpx.Response:
    code = await world.code()
    await world.disable_platform()
    return await exchange(world.client, world.platform, code)


async def disabled_on_refresh(world: World) -> httpx.Response:
    tokens = await world.tokens()
    await world.disable_platform()
    return await refresh(world.client, world.platform, tokens["refresh_token"])


async def disabled_on_client_credentials(world: World) -> httpx.Response:
    platform = await skip_platform(world)
    await update_platform(world.ctx, platform.client_id, status="disabled")
    return await client_credentials(world.client, platform, shop_id=world.shop.shop_id)


async def disabled_on_authorize_url(world: World) -> httpx.Response:
    await world.disable_platform()
    return await world.authorize_url()


async def repeated_form_field(world: World, name: str) -> httpx.Response:
    """A form body naming `name` twice, the second time with the same value."""
    fields = world.platform.client(
        grant_type="authorization_code", code=await world.code(), redirect_uri=REDIRECT_URI
    )
    body = urlencode([*fields.items(), (name, fields[name])])
    return await world.client.post(
        TOKEN_PATH,
        content=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


async def repeated_json_field(world: World) -> httpx.Response:
    code = await world.code()
    p = world.platform
    raw = (
        f'{{"grant_type": "authorization_code", "client_id": "{p.client_id}", '
        f'"client_secret": "{p.client_secret}", "code": "{code}", "code": "{code}", '
        f'"redirect_uri": "{REDIRECT_URI}"}}'
    )
    return await world.client.post(
        TOKEN_PATH, content=raw.encode(), headers={"Content-Type": "application/json"}
    )


async def read_token_creates_review(world: World) -> httpx.Response:
    tokens = await world.tokens(scope="read_reviews")
    return await world.client.post(
        f"{API}/create_review",
        json={"rating": 5, "author": "Ann", "content": "Fine"},
        headers=bearer(tokens["access_token"]),
    )


async def no_review_created(world: World) -> None:
    page = ok(await world.shop.get("get_reviews", {"is_published": "all"}))
    assert page["list"] == [] and page["page"]["count"] == 0


async def other_shops_review(world: World, call: str) -> httpx.Response:
    mine = ok(await world.shop.post("create_review", {"rating": 4, "author": "Mine"}))
    theirs = ok(await world.other_shop.post("create_review", {"rating": 2, "author": "Theirs"}))
    world.stash.update(mine=mine["id"], theirs=theirs["id"])
    tokens = await world.tokens(scope="read_reviews,write_reviews")
    headers = bearer(tokens["access_token"])
    if call == "get_review":
        return await world.client.get(
            f"{API}/get_review", params={"id": theirs["id"]}, headers=headers
        )
    if call == "update_review":
        return await world.client.post(
            f"{API}/update_review", json={"id": theirs["id"], "title": "Mine now"}, headers=headers
        )
    return await world.client.post(
        f"{API}/delete_review", json={"id": theirs["id"]}, headers=headers
    )


async def only_own_shop_visible(world: World) -> None:
    """The token lists only its own shop's reviews; the other shop's review is untouched."""
    headers = bearer(world.stash["tokens"]["access_token"])
    page = ok(
        await world.client.get(
            f"{API}/get_reviews", params={"is_published": "all"}, headers=headers
        )
    )
    assert [r["id"] for r in page["list"]] == [world.stash["mine"]]
    assert page["page"]["count"] == 1
    rating = ok(
        await world.client.get(f"{API}/get_rating", params={"is_all_rating": 1}, headers=headers)
    )
    assert rating["review_count"] == 1 and rating["rating_value"] == "4.0"
    theirs = ok(await world.other_shop.get("get_review", {"id": world.stash["theirs"]}))
    assert theirs["author"] == "Theirs" and theirs["title"] == ""


async def after_grant_end(world: World, how: str) -> httpx.Response:
    tokens = await world.tokens()
    if how == "disconnect":
        headers = bearer(tokens["access_token"])
        ok(await world.client.post(f"{API}/oauth/disconnect", headers=headers))
    elif how == "cancel":
        body = world.platform.client(shop_id=world.shop.shop_id)
        ok(await world.client.post(f"{API}/oauth/cancel", json=body))
    else:
        merchant = await world.merchant()
        ok(
            await world.client.post(
                "/api/v1/merchant/disconnect_platform",
                json={"client_id": world.platform.client_id},
                headers=bearer(merchant.token),
            )
        )
    return await world.client.get(f"{API}/get_reviews", headers=bearer(tokens["access_token"]))


async def refresh_refused_too(world: World) -> None:
    tokens = world.stash["tokens"]
    refused = error(await refresh(world.client, world.platform, tokens["refresh_token"]), 3, 400)
    assert_oauth_error(refused, "invalid_grant")


# --- the table ------------------------------------------------------------------------------

# (description, registered redirect URI the code is issued for, URI presented instead)
REDIRECT_MISMATCHES = [
    ("prefix of the registered URI", REDIRECT_URI, "https://app.example.test/oauth/call"),
    ("parent path of the registered URI", REDIRECT_URI, "https://app.example.test/oauth"),
    ("host in another case", REDIRECT_URI, "https://APP.example.test/oauth/callback"),
    ("path in another case", REDIRECT_URI, "https://app.example.test/OAuth/callback"),
    ("scheme in another case", REDIRECT_URI, "HTTPS://app.example.test/oauth/callback"),
    ("extra trailing slash", REDIRECT_URI, REDIRECT_URI + "/"),
    ("extra query parameter", REDIRECT_URI, REDIRECT_URI + "?x=1"),
    ("empty query", REDIRECT_URI, REDIRECT_URI + "?"),
    ("encoded question mark", REDIRECT_URI, REDIRECT_URI + "%3Fx=1"),
    ("fragment", REDIRECT_URI, REDIRECT_URI + "#x"),
    ("registered query plus a parameter", QUERY_URI, QUERY_URI + "&x=1"),
    ("registered query, parameter in front", QUERY_URI, "https://app.example.test/cb?x=1&tenant=a"),
    ("registered query with another value", QUERY_URI, "https://app.example.test/cb?tenant=b"),
    ("registered query dropped", QUERY_URI, "https://app.example.test/cb"),
    ("a different path", REDIRECT_URI, "https://app.example.test/oauth/other"),
    ("percent-encoded path", REDIRECT_URI, "https://app.example.test/oauth/%63allback"),
    ("dot segment", REDIRECT_URI, "https://app.example.test/oauth/../oauth/callback"),
    ("explicit default port", REDIRECT_URI, "https://app.example.test:443/oauth/callback"),
    ("http instead of https", REDIRECT_URI, "http://app.example.test/oauth/callback"),
    (
        "userinfo: registered host as user",
        REDIRECT_URI,
        "https://app.example.test@evil.test/oauth/callback",
    ),
    (
        "userinfo before the registered host",
        REDIRECT_URI,
        "https://evil.test@app.example.test/oauth/callback",
    ),
    (
        "registered host as a subdomain",
        REDIRECT_URI,
        "https://app.example.test.evil.test/oauth/callback",
    ),
    ("scheme-relative", REDIRECT_URI, "//app.example.test/oauth/callback"),
    ("another registered URI", QUERY_URI, REDIRECT_URI),
]

AUTHORIZE_URL_CASES = [
    Case(
        "authorize url: unknown client_id",
        lambda w: w.authorize_url(client_id="no-such-client"),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "authorize url: missing client_id",
        lambda w: w.authorize_url(client_id=None),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "authorize url: missing redirect_uri",
        lambda w: w.authorize_url(redirect_uri=None),
        3,
        400,
        "invalid_request",
    ),
    *(
        Case(
            f"authorize url: redirect_uri {desc}",
            (lambda uri: lambda w: w.authorize_url(redirect_uri=uri))(presented),
            3,
            400,
            "invalid_request",
        )
        for desc, registered, presented in REDIRECT_MISMATCHES
        if presented not in (REDIRECT_URI, QUERY_URI)
    ),
    Case(
        "authorize url: PKCE method plain",
        lambda w: w.authorize_url(code_challenge=pkce_pair()[1], code_challenge_method="plain"),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "authorize url: PKCE method without challenge",
        lambda w: w.authorize_url(code_challenge_method="S256"),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "authorize url: PKCE challenge without method",
        lambda w: w.authorize_url(code_challenge=pkce_pair()[1]),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "authorize url: PKCE challenge of 42 characters",
        lambda w: w.authorize_url(code_challenge="a" * 42, code_challenge_method="S256"),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "authorize url: PKCE challenge of 129 characters",
        lambda w: w.authorize_url(code_challenge="a" * 129, code_challenge_method="S256"),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "authorize url: PKCE challenge with a character outside the set",
        lambda w: w.authorize_url(code_challenge="a" * 42 + "+", code_challenge_method="S256"),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "authorize url: state of 513 characters",
        lambda w: w.authorize_url(state="s" * 513),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "authorize url: unknown scope",
        lambda w: w.authorize_url(scope="read_reviews,read_everything"),
        3,
        400,
        "invalid_scope",
    ),
    Case(
        "authorize url: scope not allowed for the platform",
        lambda w: w.authorize_url(scope="read_reviews,write_customers"),
        3,
        400,
        "invalid_scope",
    ),
    Case(
        "authorize url: only read_shop_install_status (empty after dropping it)",
        lambda w: w.authorize_url(scope="read_shop_install_status"),
        3,
        400,
        "invalid_scope",
    ),
    Case(
        "authorize url: disabled platform",
        disabled_on_authorize_url,
        7,
        403,
        "unauthorized_client",
    ),
]

TOKEN_CASES = [
    Case("token: unknown client_id", unknown_client_token, 16, 401, "invalid_client"),
    Case(
        "token: missing client_id",
        lambda w: w.client.post(
            TOKEN_PATH,
            data={"grant_type": "client_credentials", "client_secret": w.platform.client_secret},
        ),
        16,
        401,
        "invalid_client",
    ),
    Case(
        "token: client_id longer than any registered one",
        lambda w: w.client.post(
            TOKEN_PATH,
            data={
                "grant_type": "client_credentials",
                "client_id": w.platform.client_id + "x" * 64,
                "client_secret": w.platform.client_secret,
            },
        ),
        16,
        401,
        "invalid_client",
    ),
    Case("token: wrong client_secret", wrong_secret, 16, 401, "invalid_client"),
    Case("token: missing client_secret", missing_secret, 16, 401, "invalid_client"),
    *(
        Case(
            f"token: redirect_uri {desc}",
            (lambda r, p: lambda w: exchange_with(w, r, p))(registered, presented),
            3,
            400,
            "invalid_grant",
        )
        for desc, registered, presented in REDIRECT_MISMATCHES
    ),
    Case(
        "token: reused code (and the first exchange's tokens are revoked)",
        reused_code,
        3,
        400,
        "invalid_grant",
        after=first_tokens_revoked,
    ),
    Case("token: expired code (601 s)", expired_code, 3, 400, "invalid_grant"),
    Case("token: code of another client", code_of_another_client, 3, 400, "invalid_grant"),
    Case("token: unknown code", unknown_code, 3, 400, "invalid_grant"),
    Case(
        "token: PKCE wrong verifier",
        lambda w: pkce_exchange(w, challenge=True, verifier=pkce_pair()[0]),
        3,
        400,
        "invalid_grant",
    ),
    Case(
        "token: PKCE verifier missing for a code with a challenge",
        lambda w: pkce_exchange(w, challenge=True, verifier=None),
        3,
        400,
        "invalid_grant",
    ),
    Case(
        "token: PKCE verifier for a code without challenge",
        lambda w: pkce_exchange(w, challenge=False, verifier=pkce_pair()[0]),
        3,
        400,
        "invalid_grant",
    ),
    Case(
        "token: PKCE verifier of 42 characters",
        lambda w: pkce_exchange(w, challenge=True, verifier="v" * 42),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "token: PKCE verifier with a character outside the set",
        lambda w: pkce_exchange(w, challenge=True, verifier="v" * 50 + "/"),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "token: unsupported grant_type",
        lambda w: w.token(grant_type="password", username="a", password="b"),
        3,
        400,
        "unsupported_grant_type",
    ),
    Case(
        "token: missing grant_type",
        lambda w: w.token(code="ac_x", redirect_uri=REDIRECT_URI),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "token: missing code",
        lambda w: w.token(grant_type="authorization_code", redirect_uri=REDIRECT_URI),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "token: missing refresh_token",
        lambda w: w.token(grant_type="refresh_token"),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "token: repeated grant_type in a form body",
        lambda w: repeated_form_field(w, "grant_type"),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "token: repeated redirect_uri in a form body",
        lambda w: repeated_form_field(w, "redirect_uri"),
        3,
        400,
        "invalid_request",
    ),
    Case("token: repeated key in a JSON body", repeated_json_field, 3, 400, "invalid_request"),
    Case(
        "token: body neither JSON nor a form",
        lambda w: w.client.post(
            TOKEN_PATH, content=b"{grant_type", headers={"Content-Type": "application/json"}
        ),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "token: JSON body that is not an object",
        lambda w: w.client.post(TOKEN_PATH, json=[w.platform.client()]),
        3,
        400,
        "invalid_request",
    ),
    Case(
        "token: access token presented as a refresh token",
        access_token_as_refresh,
        3,
        400,
        "invalid_grant",
    ),
    Case(
        "token: refresh token of an ended grant",
        refresh_after_disconnect,
        3,
        400,
        "invalid_grant",
    ),
    Case(
        "token: refresh with an unknown scope",
        lambda w: refresh_with_scope(w, "read_reviews,read_everything"),
        3,
        400,
        "invalid_scope",
    ),
    Case(
        "token: refresh with a scope wider than the token's",
        lambda w: refresh_with_scope(w, "read_reviews,read_orders"),
        3,
        400,
        "invalid_scope",
    ),
    Case(
        "token: client_credentials with a scope the platform is not allowed",
        lambda w: client_credentials_scope(w, "read_reviews,write_customers"),
        3,
        400,
        "invalid_scope",
    ),
    Case(
        "token: client_credentials with an unknown scope",
        lambda w: client_credentials_scope(w, "read_everything"),
        3,
        400,
        "invalid_scope",
    ),
    Case(
        "token: client_credentials without skip_shop_oauth",
        client_credentials_without_skip,
        7,
        403,
        "unauthorized_client",
    ),
    Case(
        "token: disabled platform, code exchange",
        disabled_on_exchange,
        7,
        403,
        "unauthorized_client",
    ),
    Case(
        "token: disabled platform, refresh",
        disabled_on_refresh,
        7,
        403,
        "unauthorized_client",
    ),
    Case(
        "token: disabled platform, client_credentials",
        disabled_on_client_credentials,
        7,
        403,
        "unauthorized_client",
    ),
]

BEARER_CASES = [
    Case(
        "bearer: read_reviews token calls create_review",
        read_token_creates_review,
        7,
        403,
        None,
        www_authenticate='Bearer error="insufficient_scope", scope="write_reviews"',
        after=no_review_created,
    ),
    *(
        Case(
            f"bearer: token of shop A calls {call} on a review of shop B",
            (lambda c: lambda w: other_shops_review(w, c))(call),
            5,
            404,
            None,
            after=only_own_shop_visible,
        )
        for call in ("get_review", "update_review", "delete_review")
    ),
    *(
        Case(
            f"bearer: token after {how}",
            (lambda h: lambda w: after_grant_end(w, h))(how),
            16,
            401,
            None,
            www_authenticate=INVALID_TOKEN,
            after=refresh_refused_too,
        )
        for how in ("disconnect", "cancel", "merchant disconnect")
    ),
]

CASES = AUTHORIZE_URL_CASES + TOKEN_CASES + BEARER_CASES


@pytest.mark.parametrize("case", CASES, ids=[c.desc for c in CASES])
async def test_error_case(world: World, case: Case) -> None:
    response = await case.send(world)
    body = error(response, case.code, case.status)
    if case.error is None:
        assert body["data"] is None, body
    else:
        assert_oauth_error(body, case.error)
    if response.url.path == TOKEN_PATH:
        assert_no_store(response)
    assert response.headers["cache-control"] == "no-store"
    if case.www_authenticate is not None:
        assert response.headers["www-authenticate"] == case.www_authenticate
    world.clock.set(time.time())  # the after-checks run at the real time again
    if case.after is not None:
        await case.after(world)


def test_the_table_has_unique_descriptions() -> None:
    assert len({c.desc for c in CASES}) == len(CASES)


async def test_private_token_reset_leaves_bearer_tokens_working(world: World) -> None:
    """The shop's HMAC key and the platform's bearer tokens are separate credentials."""
    ok(await world.shop.post("create_review", {"rating": 5, "author": "Ann"}))
    tokens = await world.tokens(scope="read_reviews")
    merchant = await world.merchant()
    reset = ok(
        await world.client.post(f"{API}/reset_private_token", headers=bearer(merchant.token))
    )
    assert reset["private_token"] != world.shop.private_token
    # HMAC with the old private token: 16 at once.
    error(await world.shop.get("get_reviews"), 16, 401)
    # The bearer token is untouched, and so is the refresh token.
    page = ok(await world.client.get(f"{API}/get_reviews", headers=bearer(tokens["access_token"])))
    assert [r["author"] for r in page["list"]] == ["Ann"]
    rotated = ok(await refresh(world.client, world.platform, tokens["refresh_token"]))
    page = ok(await world.client.get(f"{API}/get_reviews", headers=bearer(rotated["access_token"])))
    assert [r["author"] for r in page["list"]] == ["Ann"]
