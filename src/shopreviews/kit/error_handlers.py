"""The app's exception handlers: whatever a route lets through is answered as an error
envelope, written by kit/envelope.py like every other."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from shopreviews.kit.envelope import (
    INTERNAL,
    INVALID_ARGUMENT,
    PERMISSION_DENIED,
    REJECTED,
    UNAUTHENTICATED,
    ApiError,
    InvalidArgument,
    NotFound,
    error_response,
)
from shopreviews.kit.schemas import describe_validation_error

log = logging.getLogger("shopreviews.errors")


def http_error(request: Request, exc: HTTPException) -> ApiError:
    """A refusal of FastAPI or Starlette (no route, wrong method, an unreadable body)."""
    if exc.status_code == 404:
        return NotFound(f"no endpoint at {request.url.path}")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        return InvalidArgument(
            f"method {request.method} is not allowed here", http_status=405, headers=headers
        )
    code = {401: UNAUTHENTICATED, 403: PERMISSION_DENIED, 429: REJECTED}.get(
        exc.status_code, INVALID_ARGUMENT if exc.status_code < 500 else INTERNAL
    )
    detail = str(exc.detail)
    if exc.status_code == 400 and detail == "There was an error parsing the body":
        # FastAPI's words for a body json.loads refused with something other than a
        # JSONDecodeError: nesting beyond the parser's depth, an integer of > 4300 digits.
        detail = "body is not valid JSON (nested too deeply or a number too long)"
    # The status follows the code (docs/api.md, "Errors"); only a rate limit keeps its 429.
    # Starlette's words are the whole message of a code other than 3 ("Unauthorized").
    return ApiError(
        code,
        detail,
        headers=headers,
        http_status=429 if exc.status_code == 429 else None,
        prefixed=code == INVALID_ARGUMENT,
    )


def install_exception_handlers(app: FastAPI) -> None:
    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        detail = "; ".join(describe_validation_error(e) for e in errors[:3]) or "invalid request"
        return error_response(InvalidArgument(detail))

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error_response(http_error(request, exc))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected failure", exc_info=exc)
        return error_response(ApiError(INTERNAL))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
