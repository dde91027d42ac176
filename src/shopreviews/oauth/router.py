"""OAuth endpoints of the API (docs/api.md, "OAuth endpoints"), the merchant's platform
management and the authorization server metadata. The consent pages are in oauth/pages/router.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from shopreviews.auth.dependencies import Bearer, Merchant, authenticate_merchant, merchant_token
from shopreviews.kit.context import AppContext
from shopreviews.kit.dependencies import Ctx, Query, ReadSession, WriteSession
from shopreviews.kit.envelope import (
    EmptyData,
    Envelope,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from shopreviews.kit.forms import Fields
from shopreviews.kit.openapi_params import param, query_doc
from shopreviews.kit.routes import DocumentedRoute, fields_body, refuses
from shopreviews.oauth import authorize, reading
from shopreviews.oauth import service as oauth_service
from shopreviews.oauth.errors import OAuthError, OAuthRoute
from shopreviews.oauth.schemas import (
    AuthorizationInfo,
    AuthorizedPlatform,
    AuthorizeUrlOut,
    CodeOut,
    DisconnectPlatformIn,
    InstallStatus,
    IntrospectionOut,
    ShopRefIn,
    TokenIn,
    TokenOut,
    TokenRequest,
)

# Endpoints whose errors carry {error, error_description} (docs/api.md, "OAuth endpoints").
oauth_errors = APIRouter(tags=["oauth"], route_class=OAuthRoute)
router = APIRouter(tags=["oauth"], route_class=DocumentedRoute)

# The client endpoints' bodies, JSON or form-encoded; their fields are read in the service's
# order (oauth/reading.py), so the documenting models do not validate them.
TokenForm = Annotated[Fields, fields_body(TokenRequest, form=True)]
TokenHandleForm = Annotated[Fields, fields_body(TokenIn, form=True)]
ShopRefForm = Annotated[Fields, fields_body(ShopRefIn, form=True)]

# The client endpoints' own refusals: unknown client or wrong secret (16), a disabled platform
# or one not allowed the operation (7), the client's failure and call limits (8, HTTP 429).
CLIENT_REFUSALS = (Unauthenticated, PermissionDenied, RateLimited)
CLIENT_PARAMS = (
    param("client_id", "the platform's client id", required=True),
    param("client_secret", "the platform's client secret", required=True),
    param("shop_id", "the shop (or give myshopify_domain)"),
    param("myshopify_domain", "the shop's domain (or give shop_id)"),
)
AUTHORIZE_PARAMS = (
    param("client_id", "a registered platform", required=True),
    param("redirect_uri", "one of the platform's redirect URIs, exactly", required=True),
    param("scope", "comma/space separated; default: every scope the platform may ask for"),
    param("state", "echoed back unchanged (at most 512 characters)"),
    param("code_challenge", "PKCE challenge: BASE64URL(SHA256(code_verifier))"),
    param("code_challenge_method", "S256 (required with code_challenge)", enum=["S256"]),
)


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _body_limit(ctx: AppContext) -> int:
    """Client credentials are bounded by the body limit alone (no secret maximum length)."""
    return ctx.settings.max_body_bytes


@oauth_errors.get(
    "/api/v1/openapi/get_oauth_authorize_url",
    response_model=Envelope[AuthorizeUrlOut],
    openapi_extra=query_doc(*AUTHORIZE_PARAMS),
)
@refuses(PermissionDenied)
async def get_oauth_authorize_url(
    query: Query, ctx: Ctx, session: ReadSession
) -> Envelope[AuthorizeUrlOut]:
    """The consent page URL to send the merchant's browser to."""
    request = await authorize.check(session, reading.authorize_params(query))
    return Envelope(data=AuthorizeUrlOut(authorize_url=authorize.consent_url(ctx, request)))


@oauth_errors.get(
    "/api/v1/openapi/oauth/authorize",
    response_model=Envelope[CodeOut],
    openapi_extra=query_doc(param("response_type", "code", enum=["code"]), *AUTHORIZE_PARAMS),
)
@refuses(Unauthenticated, PermissionDenied)
async def oauth_authorize_json(
    request: Request, query: Query, ctx: Ctx, session: WriteSession
) -> Envelope[CodeOut]:
    """Approve for a signed-in merchant (session JWT) and get the code [ext]."""
    try:
        merchant = await authenticate_merchant(request, session, merchant_token(request))
    except Unauthenticated as exc:
        raise OAuthError("invalid_token", exc.detail) from exc
    auth_request = await authorize.check(session, reading.authorize_params(query))
    code = await authorize.approve(ctx, session, auth_request, merchant)
    return Envelope(
        data=CodeOut(
            code=code,
            redirect_url=authorize.final_redirect(
                ctx, auth_request.redirect_uri, [("code", code)], auth_request.state
            ),
            state=auth_request.state or "",
        )
    )


@oauth_errors.post("/api/v1/openapi/oauth/token", response_model=Envelope[TokenOut])
@refuses(*CLIENT_REFUSALS, NotFound)
async def oauth_token(
    request: Request, ctx: Ctx, session: WriteSession, fields: TokenForm
) -> Envelope[TokenOut]:
    """Exchange a code, rotate a refresh token, or issue a client_credentials token."""
    exchange = reading.token_exchange(fields, body_limit=_body_limit(ctx))
    return Envelope(data=await oauth_service.token(ctx, session, exchange, ip=_ip(request)))


@oauth_errors.post("/api/v1/openapi/oauth_revoke_token", response_model=Envelope[EmptyData])
@refuses(*CLIENT_REFUSALS)
async def oauth_revoke_token(
    request: Request, ctx: Ctx, session: WriteSession, fields: TokenHandleForm
) -> Envelope[EmptyData]:
    """Revoke an access token, or a refresh token with its whole chain (RFC 7009)."""
    presented = reading.presented_token(fields, body_limit=_body_limit(ctx))
    await oauth_service.revoke(ctx, session, presented, ip=_ip(request))
    return Envelope(data=EmptyData())


@oauth_errors.post("/api/v1/openapi/oauth/introspect", response_model=Envelope[IntrospectionOut])
@refuses(*CLIENT_REFUSALS)
async def oauth_introspect(
    request: Request, ctx: Ctx, session: WriteSession, fields: TokenHandleForm
) -> Envelope[IntrospectionOut]:
    """Whether a token is current, and what it may do (RFC 7662) [ext]."""
    presented = reading.presented_token(fields, body_limit=_body_limit(ctx))
    data = await oauth_service.introspect(ctx, session, presented, ip=_ip(request))
    return Envelope(data=IntrospectionOut(**data))


@router.post("/api/v1/openapi/oauth/disconnect", response_model=Envelope[EmptyData])
async def oauth_disconnect(caller: Bearer, ctx: Ctx, session: WriteSession) -> Envelope[EmptyData]:
    """End the grant of the bearer token: tokens revoked, the platform's webhooks removed."""
    await oauth_service.disconnect(ctx, session, caller)
    return Envelope(data=EmptyData())


@router.post("/api/v1/openapi/oauth/cancel", response_model=Envelope[EmptyData])
@refuses(*CLIENT_REFUSALS, NotFound)
async def oauth_cancel(
    request: Request, ctx: Ctx, session: WriteSession, fields: ShopRefForm
) -> Envelope[EmptyData]:
    """End the shop's grant by client credentials (e.g. the app was uninstalled)."""
    shop_request = reading.client_shop_request(fields, body_limit=_body_limit(ctx))
    await oauth_service.cancel(ctx, session, shop_request, ip=_ip(request))
    return Envelope(data=EmptyData())


@router.get(
    "/api/v1/openapi/get_shop_authorization_info",
    response_model=Envelope[AuthorizationInfo],
    openapi_extra=query_doc(*CLIENT_PARAMS),
)
@refuses(*CLIENT_REFUSALS)
async def get_shop_authorization_info(
    request: Request, query: Query, ctx: Ctx, session: ReadSession
) -> Envelope[AuthorizationInfo]:
    """Whether the shop has authorized the platform, and with which scopes."""
    shop_request = reading.client_shop_request(
        reading.query_fields(query), body_limit=_body_limit(ctx)
    )
    info = await oauth_service.authorization_info(ctx, session, shop_request, ip=_ip(request))
    return Envelope(data=info)


@router.get(
    "/api/v1/openapi/get_shop_install_status",
    response_model=Envelope[InstallStatus],
    openapi_extra=query_doc(*CLIENT_PARAMS),
)
@refuses(*CLIENT_REFUSALS)
async def get_shop_install_status(
    request: Request, query: Query, ctx: Ctx, session: ReadSession
) -> Envelope[InstallStatus]:
    """Whether the platform is installed in the shop (an active grant exists)."""
    shop_request = reading.client_shop_request(
        reading.query_fields(query), body_limit=_body_limit(ctx)
    )
    status = await oauth_service.install_status(ctx, session, shop_request, ip=_ip(request))
    return Envelope(data=status)


@router.get(
    "/api/v1/merchant/get_authorized_platforms", response_model=Envelope[list[AuthorizedPlatform]]
)
@refuses(PermissionDenied)
async def get_authorized_platforms(
    caller: Merchant, session: ReadSession
) -> Envelope[list[AuthorizedPlatform]]:
    """The platforms this shop has authorized [ext]."""
    return Envelope(data=await oauth_service.authorized_platforms(session, caller))


@router.post("/api/v1/merchant/disconnect_platform", response_model=Envelope[EmptyData])
@refuses(NotFound, PermissionDenied)
async def disconnect_platform(
    body: DisconnectPlatformIn, caller: Merchant, ctx: Ctx, session: WriteSession
) -> Envelope[EmptyData]:
    """End a platform's access to this shop [ext]."""
    await oauth_service.merchant_disconnect(ctx, session, caller, body.client_id)
    return Envelope(data=EmptyData())


@router.get("/.well-known/oauth-authorization-server", include_in_schema=True)
async def authorization_server_metadata(ctx: Ctx) -> JSONResponse:
    """RFC 8414 authorization server metadata (bare JSON) [ext]."""
    return JSONResponse(
        oauth_service.metadata(ctx), headers={"Cache-Control": "public, max-age=3600"}
    )
