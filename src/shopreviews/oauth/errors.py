"""OAuth errors: the envelope's `data` is {error, error_description} and its message
"<error>: <description>" (docs/api.md, "OAuth endpoints"), and the route class that gives them to
the OAuth endpoints."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from shopreviews.kit.envelope import (
    DEADLINE_EXCEEDED,
    INTERNAL,
    INVALID_ARGUMENT,
    NOT_FOUND,
    PERMISSION_DENIED,
    REJECTED,
    UNAUTHENTICATED,
    ApiError,
    error_response,
)
from shopreviews.kit.routes import DocumentedRoute

log = logging.getLogger("shopreviews.errors")

ERROR_CODES = {
    "invalid_request": INVALID_ARGUMENT,
    "invalid_client": UNAUTHENTICATED,
    "invalid_token": UNAUTHENTICATED,
    "unauthorized_client": PERMISSION_DENIED,
    "invalid_grant": INVALID_ARGUMENT,
    "unsupported_grant_type": INVALID_ARGUMENT,
    # The JSON authorize endpoints refuse response_type other than code with code 3; the
    # consent page sends it back to the client as a redirect (oauth/pages/router.py).
    "unsupported_response_type": INVALID_ARGUMENT,
    "invalid_scope": INVALID_ARGUMENT,
    # Only the standard revocation endpoint refuses a token_type_hint it does not know
    # (RFC 7009 §2.2.1); the enveloped one ignores it.
    "unsupported_token_type": INVALID_ARGUMENT,
    "server_error": INTERNAL,
    "temporarily_unavailable": REJECTED,
}
# The error name for an ApiError raised by shared code (validation, client authentication) or
# by the request layer (kit/middleware.py: an unreadable body, the processing budget).
ERROR_FOR_CODE = {
    INVALID_ARGUMENT: "invalid_request",
    DEADLINE_EXCEEDED: "temporarily_unavailable",
    NOT_FOUND: "invalid_request",
    UNAUTHENTICATED: "invalid_client",
    PERMISSION_DENIED: "unauthorized_client",
    REJECTED: "temporarily_unavailable",
    INTERNAL: "server_error",
}
NO_CACHE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(ApiError):
    """An ApiError whose category is the RFC 6749 error name and whose detail is the
    error_description; both also go into `data`. The code is the error's own unless given."""

    def __init__(
        self,
        error: str,
        description: str,
        *,
        code: int | None = None,
        headers: dict[str, str] | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(
            ERROR_CODES[error] if code is None else code,
            description,
            data={"error": error, "error_description": description},
            headers={**NO_CACHE, **(headers or {})},
            http_status=http_status,
        )
        # The error name stands where the code's category would: "<error>: <description>".
        self.category = self.error = error


def as_oauth_error(exc: ApiError) -> ApiError:
    """The OAuth error that says what `exc` says, with its code, status and headers."""
    if isinstance(exc, OAuthError):
        return exc
    return OAuthError(
        ERROR_FOR_CODE.get(exc.code, "invalid_request"),
        exc.description,
        code=exc.code,
        headers=exc.headers,
        http_status=exc.http_status,
    )


def oauth_error_response(exc: ApiError) -> Response:
    """The OAuth error envelope of a refusal made before the route runs (kit/middleware.py)."""
    return error_response(as_oauth_error(exc))


class OAuthRoute(DocumentedRoute):
    """Errors of these endpoints carry the OAuth error object (an unexpected failure is
    server_error); answers are never cached."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except ApiError as exc:
                raise as_oauth_error(exc) from exc
            except (HTTPException, RequestValidationError):
                raise  # the app's handlers answer these like on every other endpoint
            except Exception as exc:
                # Clients of these endpoints read data.error; the app-wide handler's envelope
                # (data null) would leave them nothing to branch on. The cause stays in the log.
                log.exception("unexpected failure", exc_info=exc)
                raise OAuthError("server_error", "internal error") from exc
            response.headers.update(NO_CACHE)
            return response

        return route
