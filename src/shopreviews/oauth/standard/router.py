"""The standard OAuth endpoints (RFC 6749, RFC 7009, RFC 7662): the operations of the enveloped
`oauth/token`, `oauth_revoke_token` and `oauth/introspect` (oauth/router.py), one service, in the
wire format generic OAuth clients expect, which the authorization server metadata names."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from shopreviews.kit.context import AppContext
from shopreviews.kit.dependencies import Ctx, WriteSession
from shopreviews.kit.forms import Fields
from shopreviews.kit.routes import form_body
from shopreviews.oauth import service as oauth_service
from shopreviews.oauth.schemas import IntrospectionOut
from shopreviews.oauth.standard import reading
from shopreviews.oauth.standard.answers import (
    CHALLENGE,
    StandardRoute,
    introspection_answer,
    token_answer,
)
from shopreviews.oauth.standard.schemas import (
    StandardErrorOut,
    StandardTokenHandle,
    StandardTokenOut,
    StandardTokenRequest,
)

# Every error status they answer (RFC 6749 §5.2's body for each), as the API document lists the
# statuses of every operation.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": StandardErrorOut, "description": "RFC 6749 §5.2 error"},
    401: {
        "model": StandardErrorOut,
        "description": "invalid_client: wrong or missing client credentials, disabled platform",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": CHALLENGE}}},
    },
    429: {
        "model": StandardErrorOut,
        "description": "invalid_request: rate limited",
        "headers": {
            "Retry-After": {
                "description": "seconds until the limit lets a request through",
                "required": True,
                "schema": {"type": "integer"},
            }
        },
    },
    500: {"model": StandardErrorOut, "description": "server_error: the server failed"},
    504: {
        "model": StandardErrorOut,
        "description": "temporarily_unavailable: longer than the processing budget",
    },
}
# client_secret_basic, or the credentials in the form (client_secret_post).
CLIENT_AUTH: dict[str, Any] = {"security": [{"ClientBasic": []}, {}]}

router = APIRouter(tags=["oauth"], route_class=StandardRoute, responses=ERRORS)

StandardTokenForm = Annotated[Fields, form_body(StandardTokenRequest)]
StandardTokenHandleForm = Annotated[Fields, form_body(StandardTokenHandle)]


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _body_limit(ctx: AppContext) -> int:
    """Client credentials are bounded by the body limit alone (no secret maximum length)."""
    return ctx.settings.max_body_bytes


@router.post(
    "/oauth/token",
    response_model=StandardTokenOut,
    response_model_exclude_none=True,
    responses={200: {"description": "RFC 6749 §5.1 token answer, never cached"}},
    openapi_extra=CLIENT_AUTH,
)
async def token(
    request: Request, ctx: Ctx, session: WriteSession, fields: StandardTokenForm
) -> StandardTokenOut:
    """Exchange a code, rotate a refresh token, or issue client_credentials (RFC 6749) [ext]."""
    exchange = reading.token_exchange(
        request.headers.get("authorization"), fields, body_limit=_body_limit(ctx)
    )
    return token_answer(await oauth_service.token(ctx, session, exchange, ip=_ip(request)))


@router.post(
    "/oauth/revoke",
    response_class=Response,
    responses={200: {"description": "Revoked, or nothing to revoke: an empty body"}},
    openapi_extra=CLIENT_AUTH,
)
async def revoke(
    request: Request, ctx: Ctx, session: WriteSession, fields: StandardTokenHandleForm
) -> Response:
    """Revoke an access token, or a refresh token with its whole chain (RFC 7009) [ext]."""
    presented = reading.revocation(
        request.headers.get("authorization"), fields, body_limit=_body_limit(ctx)
    )
    await oauth_service.revoke(ctx, session, presented, ip=_ip(request))
    return Response(status_code=200)


@router.post(
    "/oauth/introspect",
    response_model=IntrospectionOut,
    responses={200: {"description": 'RFC 7662 §2.2; {"active": false} for any other token'}},
    openapi_extra=CLIENT_AUTH,
)
async def introspect(
    request: Request, ctx: Ctx, session: WriteSession, fields: StandardTokenHandleForm
) -> IntrospectionOut:
    """Whether a token is current, and what it may do (RFC 7662) [ext]."""
    presented = reading.introspection(
        request.headers.get("authorization"), fields, body_limit=_body_limit(ctx)
    )
    found = await oauth_service.introspect(ctx, session, presented, ip=_ip(request))
    return introspection_answer(found)
