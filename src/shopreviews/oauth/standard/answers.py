"""What the standard OAuth endpoints answer: RFC 6749 §5.1 token bodies, RFC 7662 bodies and
RFC 6749 §5.2 errors, all bare JSON (never the envelope), and the route class that writes every
refusal of these endpoints that way."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pydantic_core
from fastapi import Request, Response
from starlette.types import Receive, Scope, Send

from shopreviews.kit.envelope import (
    DEADLINE_EXCEEDED,
    INTERNAL,
    MEDIA_TYPE,
    PERMISSION_DENIED,
    UNAUTHENTICATED,
    ApiError,
    InvalidArgument,
)
from shopreviews.kit.observability import exchange
from shopreviews.kit.routes import DocumentedRoute
from shopreviews.oauth.errors import NO_CACHE, OAuthError
from shopreviews.oauth.schemas import IntrospectionOut, TokenOut
from shopreviews.oauth.standard.schemas import StandardTokenOut

# The challenge of an invalid_client answer (RFC 6749 §5.2: HTTP 401 with WWW-Authenticate).
CHALLENGE = 'Basic realm="ShopReviews"'
# The error name of a refusal that is not an OAuthError: client authentication's (a wrong
# secret; a disabled platform, which the enveloped endpoints call unauthorized_client with code
# 7, is a failed client authentication here) and the request layer's. Anything else, rate limits
# included, is invalid_request.
ERROR_FOR_CODE = {
    UNAUTHENTICATED: "invalid_client",
    PERMISSION_DENIED: "invalid_client",
    DEADLINE_EXCEEDED: "temporarily_unavailable",
    INTERNAL: "server_error",
}
# Statuses a refusal keeps; every other one is HTTP 400 (RFC 6749 §5.2).
KEPT_STATUSES = {405, 429}


def _error_name(error: ApiError) -> str:
    if isinstance(error, OAuthError):
        return error.error
    return ERROR_FOR_CODE.get(error.code, "invalid_request")


def error_answer(error: ApiError) -> Response:
    """`error` as RFC 6749 §5.2 has it: {error, error_description}, HTTP 400 but for
    invalid_client (401 with its challenge), a rate limit (429, Retry-After), a refused method
    (405, Allow) and a failure on the server's side (5xx)."""
    name = _error_name(error)
    headers = {**error.headers, **NO_CACHE}
    if name == "invalid_client":
        status = 401
        headers["WWW-Authenticate"] = CHALLENGE
    elif error.http_status in KEPT_STATUSES or error.http_status >= 500:
        status = error.http_status
    else:
        status = 400
    # The access line names the refusal as it does an envelope's: its code and words.
    exchange.refused(error.code, f"{name}: {error.description}")
    body = pydantic_core.to_json({"error": name, "error_description": error.description})
    return Response(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def _space_delimited(scope: str) -> str:
    """RFC 6749 §3.3: the stored comma list with spaces between the names."""
    return " ".join(name for name in scope.split(",") if name)


def token_answer(out: TokenOut) -> StandardTokenOut:
    """RFC 6749 §5.1: no refresh token fields at all when none was issued (client_credentials)."""
    refreshable = bool(out.refresh_token)
    return StandardTokenOut(
        access_token=out.access_token,
        token_type=out.token_type,
        expires_in=out.expires_in,
        refresh_token=out.refresh_token if refreshable else None,
        refresh_token_expires_in=out.refresh_token_expires_in if refreshable else None,
        scope=_space_delimited(out.scope),
        shop_id=out.shop_id,
        myshopify_domain=out.myshopify_domain,
    )


def introspection_answer(found: dict[str, Any]) -> IntrospectionOut:
    """RFC 7662 §2.2: the scope space-delimited and an access token's type "Bearer" (the
    enveloped endpoint says "access_token"); a refresh token keeps "refresh_token"."""
    if not found["active"]:
        return IntrospectionOut(active=False)
    kind = found["token_type"]
    return IntrospectionOut(
        **{
            **found,
            "token_type": "Bearer" if kind == "access_token" else kind,
            "scope": _space_delimited(found["scope"]),
        }
    )


class StandardRoute(DocumentedRoute):
    """Every answer of these endpoints is bare JSON that is never cached: the route's own, each
    refusal in RFC 6749 §5.2's shape, a method the route does not take included (the app's
    handlers would write the envelope). The request layer's refusals take the same shape
    (kit/middleware.py, main.create_app); an unexpected failure is left to it (server_error)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            # The write session has ended by now (committed, or rolled back) as for any route.
            try:
                response = await handler(request)
            except ApiError as exc:
                return error_answer(exc)
            response.headers.update(NO_CACHE)
            return response

        return route

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if self.methods and method not in self.methods:
            allowed = ", ".join(sorted(self.methods))
            refusal = InvalidArgument(
                f"method {method} is not allowed here", http_status=405, headers={"Allow": allowed}
            )
            await error_answer(refusal)(scope, receive, send)
            return
        await super().handle(scope, receive, send)
