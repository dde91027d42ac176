"""Generic OAuth clients against the standard endpoints (spec oauth.md "Standard OAuth
endpoints", "Authorization server metadata"): Authlib's OAuth2 client (its requests integration)
and requests-oauthlib's OAuth2Session, each configured from the metadata document alone, with no
compliance hook, drive the whole flow against the app in uvicorn: authorize with PKCE S256, token
with HTTP Basic and with the credentials in the form, a data call, refresh and rotation, reuse
detection, introspection, revocation, and the RFC 6749 §5.2 errors each library reads.

The merchant's approval goes through the JSON authorize endpoint (the browser takes the same
step in test_browser_flow.py), with the very query the library built for the consent page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError as AuthlibError
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from oauthlib.oauth2 import InvalidClientError, InvalidGrantError, OAuth2Error
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from shopreviews.kit.context import AppContext
from shopreviews.settings import Settings
from tests.support.api import ShopApi, bearer, ok
from tests.support.browser import LiveServer, live_server
from tests.support.oauth import REDIRECT_URI, Merchant, PlatformCreds, create_platform, sign_in

SCOPES = ["read_reviews", "write_reviews"]
REVIEWS = "/api/v1/openapi/get_reviews"
CHALLENGE = 'Basic realm="ShopReviews"'


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[LiveServer]:
    with live_server(settings) as server:
        yield server


@pytest.fixture(scope="module")
async def http(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def metadata(http: httpx.AsyncClient) -> dict[str, Any]:
    """The one thing a client is told: where the metadata is. Authlib validates it (RFC 8414)."""
    response = await http.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    document = AuthorizationServerMetadata(response.json())
    document.validate()
    return dict(document)


@pytest.fixture(autouse=True)
def _strict_oauthlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """oauthlib as an integrator runs it: a changed scope is an error. Only plain http is
    allowed, because the test server has no TLS."""
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
async def platform(ctx: AppContext) -> PlatformCreds:
    return await create_platform(ctx)


@pytest.fixture
async def merchant(ctx: AppContext, http: httpx.AsyncClient, shop: ShopApi) -> Merchant:
    ok(await shop.post("create_review", {"rating": 5, "author": "Ann", "content": "Great"}))
    return await sign_in(ctx, http, shop)


async def approve(
    http: httpx.AsyncClient, metadata: dict[str, Any], merchant: Merchant, url: str
) -> str:
    """The merchant approves the request the library built; returns the URL the browser would
    be sent back to (code, state, iss)."""
    endpoint, _, query = url.partition("?")
    assert endpoint == metadata["authorization_endpoint"]
    params = dict(parse_qsl(query, strict_parsing=True))
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]
    assert params["scope"] == " ".join(SCOPES)
    answer = ok(
        await http.get(
            "/api/v1/openapi/oauth/authorize", params=params, headers=bearer(merchant.token)
        )
    )
    callback = str(answer["redirect_url"])
    assert callback.startswith(REDIRECT_URI + "?")
    returned = dict(parse_qsl(urlsplit(callback).query))
    assert returned["state"] == params["state"] and returned["iss"] == metadata["issuer"]
    return callback


def assert_token(token: dict[str, Any], shop: ShopApi) -> None:
    """RFC 6749 §5.1 with the scope space-delimited, plus the extension fields."""
    assert token["token_type"] == "Bearer"
    assert token["access_token"].startswith("at_") and token["refresh_token"].startswith("rt_")
    assert token["expires_in"] == 7200 and token["refresh_token_expires_in"] == 7776000
    assert token["scope"] in ("read_reviews write_reviews", SCOPES)  # oauthlib makes a list
    assert (token["shop_id"], token["myshopify_domain"]) == (shop.shop_id, shop.myshopify_domain)


async def reviews_with(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await http.get(REVIEWS, headers=bearer(access_token))


async def assert_reads(http: httpx.AsyncClient, access_token: str) -> None:
    page = ok(await reviews_with(http, access_token))
    assert [review["author"] for review in page["list"]] == ["Ann"]


# --- Authlib ---------------------------------------------------------------------------------


def authlib_client(
    platform: PlatformCreds, method: str, *, secret: str | None = None
) -> AuthlibSession:
    return AuthlibSession(
        client_id=platform.client_id,
        client_secret=secret or platform.client_secret,
        scope=" ".join(SCOPES),
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method=method,
        revocation_endpoint_auth_method=method,
        default_timeout=30,
    )


async def authlib_token(
    oauth: AuthlibSession, http: httpx.AsyncClient, metadata: dict[str, Any], merchant: Merchant
) -> dict[str, Any]:
    verifier = generate_token(48)
    url, _ = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )
    callback = await approve(http, metadata, merchant, url)
    token = oauth.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    return dict(token)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
async def test_authlib_whole_flow(
    http: httpx.AsyncClient,
    metadata: dict[str, Any],
    platform: PlatformCreds,
    merchant: Merchant,
    shop: ShopApi,
    method: str,
) -> None:
    assert method in metadata["token_endpoint_auth_methods_supported"]
    with authlib_client(platform, method) as oauth:
        first = await authlib_token(oauth, http, metadata, merchant)
        assert_token(first, shop)
        await assert_reads(http, first["access_token"])

        # Refresh rotates: a new pair, the earlier access token still valid.
        second = dict(oauth.refresh_token(metadata["token_endpoint"]))
        assert_token(second, shop)
        assert second["refresh_token"] != first["refresh_token"]
        await assert_reads(http, first["access_token"])

        introspected = oauth.introspect_token(
            metadata["introspection_endpoint"], token=second["access_token"]
        )
        assert introspected.status_code == 200
        assert introspected.headers["cache-control"] == "no-store"
        info = introspected.json()
        assert info["active"] is True
        assert (info["token_type"], info["scope"]) == ("Bearer", "read_reviews write_reviews")
        assert (info["client_id"], info["sub"]) == (platform.client_id, shop.shop_id)
        refresh_info = oauth.introspect_token(
            metadata["introspection_endpoint"], token=second["refresh_token"]
        ).json()
        assert refresh_info["active"] is True and refresh_info["token_type"] == "refresh_token"

        # Reuse of the retired refresh token: invalid_grant, and every token of the grant ends.
        with pytest.raises(AuthlibError) as reused:
            oauth.refresh_token(metadata["token_endpoint"], refresh_token=first["refresh_token"])
        assert reused.value.error == "invalid_grant"
        for token in (first["access_token"], second["access_token"], second["refresh_token"]):
            answer = oauth.introspect_token(metadata["introspection_endpoint"], token=token)
            assert answer.json() == {"active": False}
        assert (await reviews_with(http, second["access_token"])).status_code == 401

        # A new authorization; revoking its refresh token ends its access token too.
        third = await authlib_token(oauth, http, metadata, merchant)
        revoked = oauth.revoke_token(
            metadata["revocation_endpoint"],
            token=third["refresh_token"],
            token_type_hint="refresh_token",
        )
        assert (revoked.status_code, revoked.content) == (200, b"")
        assert (await reviews_with(http, third["access_token"])).status_code == 401
        # An unknown token: the same empty success (RFC 7009 §2.2).
        unknown = oauth.revoke_token(metadata["revocation_endpoint"], token="rt_unknown")
        assert (unknown.status_code, unknown.content) == (200, b"")


async def test_authlib_reads_the_errors(
    http: httpx.AsyncClient,
    metadata: dict[str, Any],
    platform: PlatformCreds,
    merchant: Merchant,
) -> None:
    token_endpoint = metadata["token_endpoint"]
    with authlib_client(platform, "client_secret_basic", secret="cs_wrong") as wrong:
        with pytest.raises(AuthlibError) as refused:
            wrong.fetch_token(token_endpoint, grant_type="client_credentials")
        assert refused.value.error == "invalid_client"
    with authlib_client(platform, "client_secret_basic") as oauth:
        with pytest.raises(AuthlibError) as refused:
            oauth.fetch_token(token_endpoint, grant_type="password", username="a", password="b")
        assert refused.value.error == "unsupported_grant_type"
        with pytest.raises(AuthlibError) as refused:
            oauth.refresh_token(token_endpoint, refresh_token="rt_never_issued")
        assert refused.value.error == "invalid_grant"
        # The secret in the form as well as in the Basic header: two methods at once.
        with pytest.raises(AuthlibError) as refused:
            oauth.fetch_token(
                token_endpoint,
                grant_type="client_credentials",
                client_id=platform.client_id,
                client_secret=platform.client_secret,
            )
        assert refused.value.error == "invalid_request"
        assert "use one method" in str(refused.value.description)


# --- requests-oauthlib -----------------------------------------------------------------------


def oauthlib_session(platform: PlatformCreds) -> OAuth2Session:
    return OAuth2Session(
        platform.client_id, redirect_uri=REDIRECT_URI, scope=list(SCOPES), pkce="S256"
    )


async def oauthlib_token(
    session: OAuth2Session,
    http: httpx.AsyncClient,
    metadata: dict[str, Any],
    merchant: Merchant,
    platform: PlatformCreds,
    *,
    in_form: bool,
) -> dict[str, Any]:
    url, _ = session.authorization_url(metadata["authorization_endpoint"])
    callback = await approve(http, metadata, merchant, url)
    token = session.fetch_token(
        metadata["token_endpoint"],
        authorization_response=callback,
        client_secret=platform.client_secret,
        # requests-oauthlib's default is HTTP Basic; this puts both credentials in the form.
        include_client_id=in_form or None,
    )
    return dict(token)


@pytest.mark.parametrize("in_form", [False, True], ids=["client_secret_basic", "post"])
async def test_requests_oauthlib_whole_flow(
    http: httpx.AsyncClient,
    metadata: dict[str, Any],
    platform: PlatformCreds,
    merchant: Merchant,
    shop: ShopApi,
    in_form: bool,
) -> None:
    basic = HTTPBasicAuth(platform.client_id, platform.client_secret)
    in_body = platform.client() if in_form else {}
    auth = None if in_form else basic
    with oauthlib_session(platform) as session:
        # oauthlib stops here with "Scope has changed" unless the answer's scope is the
        # requested one, space-delimited.
        first = await oauthlib_token(session, http, metadata, merchant, platform, in_form=in_form)
        assert_token(first, shop)
        await assert_reads(http, first["access_token"])
        # The session itself calls the API with its bearer token.
        page = session.get(str(http.base_url.join(REVIEWS))).json()
        assert [review["author"] for review in page["data"]["list"]] == ["Ann"]

        second = dict(session.refresh_token(metadata["token_endpoint"], auth=auth, **in_body))
        assert_token(second, shop)
        assert second["refresh_token"] != first["refresh_token"]

        def introspect(token: str) -> dict[str, Any]:
            response = session.post(
                metadata["introspection_endpoint"],
                data={"token": token, **in_body},
                auth=auth,
                withhold_token=True,
            )
            assert response.status_code == 200 and response.headers["pragma"] == "no-cache"
            answer: dict[str, Any] = response.json()
            return answer

        info = introspect(second["access_token"])
        assert (info["active"], info["token_type"]) == (True, "Bearer")
        assert info["scope"] == "read_reviews write_reviews"

        with pytest.raises(InvalidGrantError):
            session.refresh_token(
                metadata["token_endpoint"],
                refresh_token=first["refresh_token"],
                auth=auth,
                **in_body,
            )
        assert introspect(second["access_token"]) == {"active": False}
        assert introspect(second["refresh_token"]) == {"active": False}

        third = await oauthlib_token(session, http, metadata, merchant, platform, in_form=in_form)
        revoked = session.post(
            metadata["revocation_endpoint"],
            data={"token": third["access_token"], "token_type_hint": "access_token", **in_body},
            auth=auth,
            withhold_token=True,
        )
        assert (revoked.status_code, revoked.content) == (200, b"")
        assert introspect(third["access_token"]) == {"active": False}
        assert introspect(third["refresh_token"])["active"] is True  # only the access token


async def test_requests_oauthlib_reads_the_errors(
    http: httpx.AsyncClient,
    metadata: dict[str, Any],
    platform: PlatformCreds,
    merchant: Merchant,
) -> None:
    with oauthlib_session(platform) as session:
        url, _ = session.authorization_url(metadata["authorization_endpoint"])
        callback = await approve(http, metadata, merchant, url)
        with pytest.raises(InvalidClientError):
            session.fetch_token(
                metadata["token_endpoint"], authorization_response=callback, client_secret="bad"
            )
        # Both methods at once: the form's credentials and a Basic header.
        with pytest.raises(OAuth2Error) as refused:
            session.fetch_token(
                metadata["token_endpoint"],
                authorization_response=callback,
                client_secret=platform.client_secret,
                include_client_id=True,
                auth=HTTPBasicAuth(platform.client_id, platform.client_secret),
            )
        assert refused.value.error == "invalid_request"
        # The code was never redeemed above: it still works once, then is invalid_grant.
        token = session.fetch_token(
            metadata["token_endpoint"],
            authorization_response=callback,
            client_secret=platform.client_secret,
        )
        assert token["access_token"].startswith("at_")
        with pytest.raises(InvalidGrantError):
            session.fetch_token(
                metadata["token_endpoint"],
                authorization_response=callback,
                client_secret=platform.client_secret,
            )


# --- what the libraries do not show: the raw answers -----------------------------------------


async def test_errors_on_the_wire(
    http: httpx.AsyncClient, metadata: dict[str, Any], platform: PlatformCreds
) -> None:
    """The headers and bodies behind the errors the libraries raised above."""
    token_endpoint = metadata["token_endpoint"]
    grant = {"grant_type": "client_credentials", "shop_id": "s"}

    wrong = await http.post(token_endpoint, data=grant, auth=(platform.client_id, "cs_wrong"))
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == CHALLENGE
    assert wrong.json() == {
        "error": "invalid_client",
        "error_description": "unknown client_id or wrong client_secret",
    }
    as_json = await http.post(token_endpoint, json={**grant, **platform.client()})
    assert as_json.status_code == 400
    assert as_json.json() == {
        "error": "invalid_request",
        "error_description": "the body must be application/x-www-form-urlencoded",
    }
    both = await http.post(
        token_endpoint,
        data={**grant, **platform.client()},
        auth=(platform.client_id, platform.client_secret),
    )
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    for response in (wrong, as_json, both):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["pragma"] == "no-cache"
        assert response.headers["content-type"].startswith("application/json")
