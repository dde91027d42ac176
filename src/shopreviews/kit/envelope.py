"""The response envelope {code, message, time, request_id, data} and the errors that fill it."""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from typing import Any, Generic, TypeVar

import pydantic_core
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("shopreviews.errors")

OK = 0
CANCELLED = 1
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
REJECTED = 8
INTERNAL = 13
UNAUTHENTICATED = 16

HTTP_STATUS = {
    OK: 200,
    CANCELLED: 499,
    INVALID_ARGUMENT: 400,
    DEADLINE_EXCEEDED: 504,
    NOT_FOUND: 404,
    ALREADY_EXISTS: 409,
    PERMISSION_DENIED: 403,
    REJECTED: 403,
    INTERNAL: 500,
    UNAUTHENTICATED: 401,
}

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    return request_id_var.get() or new_request_id()


class EnvelopeResponse(JSONResponse):
    """JSON with an explicit charset, as the contract's Content-Type requires."""

    media_type = "application/json; charset=utf-8"


T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """Every /api/v1 answer. `data` is the payload; errors carry code != 0 and data null."""

    # Every field is always in the output: say so in the OpenAPI response schemas.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    code: int = Field(default=OK, examples=[0])
    message: str = Field(default="success", examples=["success"])
    time: int = Field(default_factory=lambda: int(time.time()), examples=[1780644116])
    request_id: str = Field(
        default_factory=current_request_id, examples=["760276786c8548b878b1e041f50ab56b"]
    )
    data: T


class EmptyData(BaseModel):
    """`data` of calls that have nothing to return: `{}`."""


class ApiError(Exception):
    """A business error carrying its envelope code."""

    code = INTERNAL
    default_message = "internal error"

    def __init__(
        self,
        message: str | None = None,
        *,
        data: Any = None,
        headers: dict[str, str] | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.data = data
        self.headers = headers or {}
        self.http_status = http_status or HTTP_STATUS[self.code]


class InvalidArgument(ApiError):
    code = INVALID_ARGUMENT
    default_message = "invalid argument"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        text = message or ""
        super().__init__(
            text
            if text.startswith("invalid argument")
            else f"invalid argument: {text}".rstrip(": "),
            **kwargs,
        )


class NotFound(ApiError):
    code = NOT_FOUND
    default_message = "not found"


class AlreadyExists(ApiError):
    code = ALREADY_EXISTS
    default_message = "already exists"


class PermissionDenied(ApiError):
    code = PERMISSION_DENIED
    default_message = "permission denied"


class Rejected(ApiError):
    code = REJECTED
    default_message = "rejected"


class RateLimited(Rejected):
    default_message = "rate limit exceeded"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"rate limit exceeded; retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
            http_status=429,
        )


class Unauthenticated(ApiError):
    code = UNAUTHENTICATED
    default_message = "unauthenticated"


def error_response(
    code: int,
    message: str,
    *,
    data: Any = None,
    status: int | None = None,
    headers: dict[str, str] | None = None,
) -> EnvelopeResponse:
    body = {
        "code": code,
        "message": message,
        "time": int(time.time()),
        "request_id": current_request_id(),
        "data": data,
    }
    return EnvelopeResponse(body, status_code=status or HTTP_STATUS[code], headers=headers)


def success_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A code-0 envelope built by hand, for routes that answer with their own status."""
    return success_json(pydantic_core.to_json(data), status=status, headers=headers)


def success_json(
    data: bytes, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A code-0 envelope around `data` already serialised as JSON (kit/read_cache.py keeps
    such bytes); the same bytes FastAPI writes for an Envelope model."""
    head = (
        f'{{"code":{OK},"message":"success","time":{int(time.time())},'
        f'"request_id":"{current_request_id()}","data":'
    )
    return Response(
        b"".join((head.encode(), data, b"}")),
        status_code=status,
        headers=headers,
        media_type=EnvelopeResponse.media_type,
    )


def describe_validation_error(err: dict[str, Any]) -> str:
    """One error of Pydantic/FastAPI as 'field: problem', naming the field as the client sent it."""
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query")]
    # Pydantic adds the validator name for tagged/function validators; drop those parts.
    loc = [p for p in loc if not p.startswith("function-") and "[" not in p]
    field = ".".join(loc)
    msg = str(err.get("msg", "invalid value"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if err.get("type") == "json_invalid":
        return "body is not valid JSON"
    if err.get("type") == "missing":
        # No field: the body itself is missing (an empty POST body where one is required).
        return f"{field} is required" if field else "request body is required (a JSON object)"
    if err.get("type") == "model_attributes_type" or (err.get("type") == "dict_type" and not field):
        return "body must be a JSON object"
    return f"{field}: {msg}" if field else msg


def install_exception_handlers(app: FastAPI) -> None:
    async def on_api_error(request: Request, exc: Exception) -> EnvelopeResponse:
        assert isinstance(exc, ApiError)
        return error_response(
            exc.code, exc.message, data=exc.data, status=exc.http_status, headers=exc.headers
        )

    async def on_validation_error(request: Request, exc: Exception) -> EnvelopeResponse:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        message = "; ".join(describe_validation_error(e) for e in errors[:3]) or "invalid request"
        return error_response(INVALID_ARGUMENT, f"invalid argument: {message}")

    async def on_http_error(request: Request, exc: Exception) -> EnvelopeResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return error_response(NOT_FOUND, f"not found: no endpoint at {request.url.path}")
        if exc.status_code == 405:
            headers = dict(exc.headers or {})
            return error_response(
                INVALID_ARGUMENT,
                f"invalid argument: method {request.method} is not allowed here",
                status=405,
                headers=headers,
            )
        code = {401: UNAUTHENTICATED, 403: PERMISSION_DENIED, 429: REJECTED}.get(
            exc.status_code, INVALID_ARGUMENT if exc.status_code < 500 else INTERNAL
        )
        message = str(exc.detail)
        if exc.status_code == 400 and message == "There was an error parsing the body":
            # FastAPI's words for a body json.loads refused with something other than a
            # JSONDecodeError: nesting beyond the parser's depth, an integer of > 4300 digits.
            message = "body is not valid JSON (nested too deeply or a number too long)"
        if code == INVALID_ARGUMENT and not message.startswith("invalid argument"):
            message = f"invalid argument: {message}"
        # The status follows the code (README §3.3); only a rate limit keeps its 429.
        return error_response(
            code,
            message,
            status=429 if exc.status_code == 429 else None,
            headers=dict(exc.headers or {}),
        )

    async def on_unexpected(request: Request, exc: Exception) -> EnvelopeResponse:
        log.exception("unexpected failure", exc_info=exc)
        return error_response(INTERNAL, "internal error")

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
