"""The authorization request: its checks (shared by get_oauth_authorize_url, the consent page
and the JSON authorize), the consent page URL, and issuing the code on approval."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.auth.scopes import (
    MERCHANT_SCOPES,
    OPERATOR_SCOPE,
    join_scopes,
    parse_scopes,
    split_scopes,
)
from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import sha256_hex
from shopreviews.kit.envelope import PERMISSION_DENIED, ApiError, InvalidArgument
from shopreviews.oauth import grants
from shopreviews.oauth.errors import OAuthError
from shopreviews.oauth.models import AuthorizationCode
from shopreviews.oauth.repository import OAuthRepository
from shopreviews.oauth.tokens import new_credential
from shopreviews.platforms import service as platforms
from shopreviews.platforms.service import Platform
from shopreviews.shops import service as shops
from shopreviews.shops.service import Shop

MAX_STATE = 512
PKCE_VALUE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


@dataclass(frozen=True)
class AuthorizeParams:
    """An authorization request's parameters as sent (a query, or the consent form's fields);
    None when not given."""

    response_type: str | None = None
    client_id: str | None = None
    redirect_uri: str | None = None
    scope: str | None = None
    state: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None


@dataclass(frozen=True)
class AuthorizeRequest:
    platform: Platform
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str | None

    def params(self) -> list[tuple[str, str]]:
        """The query of the consent page URL (also the hidden fields of its forms)."""
        pairs = [
            ("response_type", "code"),
            ("client_id", self.platform.client_id),
            ("redirect_uri", self.redirect_uri),
            ("scope", join_scopes(self.scopes)),
        ]
        if self.state is not None:
            pairs.append(("state", self.state))
        if self.code_challenge is not None:
            pairs += [("code_challenge", self.code_challenge), ("code_challenge_method", "S256")]
        return pairs


def encode(pairs: list[tuple[str, str]]) -> str:
    """Percent-encoding of every reserved character (`,` as %2C, `/` as %2F)."""
    return urlencode(pairs, quote_via=quote, safe="")


def with_query(uri: str, pairs: list[tuple[str, str]]) -> str:
    return uri + ("&" if "?" in uri else "?") + encode(pairs)


async def check_client(
    session: AsyncSession, client_id: str | None, redirect_uri: str | None
) -> Platform:
    """Step 1: a registered, active platform and one of its redirect URIs, character for
    character. Failures here must never redirect (the URI is not trusted)."""
    platform = await platforms.active_platform(session, client_id)
    if not redirect_uri:
        raise InvalidArgument("redirect_uri is required")
    if redirect_uri not in platform.redirect_uris:
        raise InvalidArgument("redirect_uri is not registered for this client")
    return platform


def check_scopes(platform: Platform, scope: str | None) -> list[str]:
    allowed = split_scopes(platform.allowed_scopes) - {OPERATOR_SCOPE}
    try:
        requested = parse_scopes(scope) if scope is not None else None
    except ApiError as exc:
        raise OAuthError("invalid_scope", exc.detail) from exc
    if requested is None:
        scopes = [s for s in MERCHANT_SCOPES if s in allowed]
    else:
        # read_shop_install_status is never granted by a merchant: dropped, not refused.
        requested = [s for s in requested if s != OPERATOR_SCOPE]
        outside = [s for s in requested if s not in allowed]
        if outside:
            raise OAuthError("invalid_scope", f"scope {outside[0]} is not allowed for this client")
        scopes = requested
    if not scopes:
        raise OAuthError("invalid_scope", "the requested scope is empty")
    return scopes


def check_rest(platform: Platform, params: AuthorizeParams) -> AuthorizeRequest:
    """Step 2, for the platform check_client found: response_type, scope, state and PKCE
    (RFC 7636, S256 only)."""
    if params.response_type is not None and params.response_type != "code":
        raise OAuthError("unsupported_response_type", "response_type must be code")
    scopes = check_scopes(platform, params.scope)
    state, challenge = params.state, params.code_challenge
    if state is not None and len(state) > MAX_STATE:
        raise OAuthError("invalid_request", f"state is longer than {MAX_STATE} characters")
    if challenge is not None:
        if not PKCE_VALUE.match(challenge):
            raise OAuthError(
                "invalid_request", "code_challenge must be 43-128 characters of A-Z a-z 0-9 - . _ ~"
            )
        if params.code_challenge_method != "S256":
            raise OAuthError("invalid_request", "code_challenge_method must be S256")
    elif params.code_challenge_method is not None:
        raise OAuthError("invalid_request", "code_challenge_method given without code_challenge")
    return AuthorizeRequest(platform, params.redirect_uri or "", scopes, state, challenge)


async def check(session: AsyncSession, params: AuthorizeParams) -> AuthorizeRequest:
    platform = await check_client(session, params.client_id, params.redirect_uri)
    return check_rest(platform, params)


def consent_url(ctx: AppContext, request: AuthorizeRequest) -> str:
    return f"{ctx.public_url}/oauth/authorize?{encode(request.params())}"


def final_redirect(
    ctx: AppContext, redirect_uri: str, pairs: list[tuple[str, str]], state: str | None
) -> str:
    """redirect_uri with the answer, `state` (when sent) and `iss` (RFC 9207)."""
    if state is not None:
        pairs = [*pairs, ("state", state)]
    return with_query(redirect_uri, [*pairs, ("iss", ctx.public_url)])


async def merchant_shop(session: AsyncSession, merchant: Caller) -> Shop:
    """The shop of a signed-in merchant (sessions end with their shop)."""
    shop = await shops.find(session, merchant.shop_id)
    assert shop is not None
    return shop


STAFF_CANNOT_CONNECT = "only the shop's owner can connect an app; staff users moderate and reply"


async def approve(
    ctx: AppContext, session: AsyncSession, request: AuthorizeRequest, merchant: Caller
) -> str:
    """The merchant approved: create or update the grant and issue a single-use code. Only
    the shop's owner connects an app (code 7 for staff): it gives the app the shop's data."""
    if not merchant.is_owner:
        # RFC 6749's name for a resource owner's refusal; the envelope's code 7 as for staff
        # elsewhere.
        raise OAuthError("access_denied", STAFF_CANNOT_CONNECT, code=PERMISSION_DENIED)
    shop = await merchant_shop(session, merchant)
    grant = await grants.approve(
        ctx,
        session,
        shop=shop,
        platform=request.platform,
        scopes=request.scopes,
        grant_type="authorization_code",
    )
    code = new_credential("ac")
    now = ctx.now_datetime()
    await OAuthRepository(session).add(
        AuthorizationCode(
            code_sha256=sha256_hex(code),
            grant_id=grant.id,
            client_id=request.platform.client_id,
            shop_id=shop.shop_id,
            redirect_uri=request.redirect_uri,
            scopes=join_scopes(request.scopes),
            code_challenge=request.code_challenge or "",
            expires_at=now + timedelta(seconds=ctx.settings.oauth_code_seconds),
        )
    )
    return code
