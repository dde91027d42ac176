"""The response envelope {code, message, time, request_id, data}: its codes, the error that
fills it, and the one function that writes its bytes."""

from __future__ import annotations

import contextvars
import time
import uuid
from typing import Any, Generic, TypedDict, TypeVar, Unpack

import pydantic_core
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from shopreviews.kit.observability import exchange

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
# The words an error's message starts with: "<category>: <detail>" (docs/api.md, "Errors").
CATEGORY = {
    CANCELLED: "cancelled",
    INVALID_ARGUMENT: "invalid argument",
    DEADLINE_EXCEEDED: "deadline exceeded",
    NOT_FOUND: "not found",
    ALREADY_EXISTS: "already exists",
    PERMISSION_DENIED: "permission denied",
    REJECTED: "rejected",
    INTERNAL: "internal error",
    UNAUTHENTICATED: "unauthenticated",
}
SUCCESS = "success"
MEDIA_TYPE = "application/json; charset=utf-8"  # the contract's Content-Type names the charset

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    return request_id_var.get() or new_request_id()


def envelope_message(category: str | None, detail: str) -> str:
    """An error's message: "<category>: <detail>", the bare category when there is no detail,
    the bare detail when the error has no category (a sentence that says it in its own words).

    The category is written here and nowhere else, and the detail is taken as given, never
    searched for one: it may hold a client's own words, which are echoed unaltered (a detail
    starting "invalid argument: " gets the category in front like any other)."""
    if category is None:
        return detail
    return f"{category}: {detail}" if detail else category


# The contract's key order, without spaces.
_ENVELOPE = b'{"code":%d,"message":%b,"time":%d,"request_id":%b,"data":%b}'


def envelope_bytes(code: int, message: str, data: bytes = b"null") -> bytes:
    """The envelope as sent, around `data` already serialised as JSON: the one writer of its
    bytes (error answers, the refusals of kit/middleware.py, hand-built and cached successes).
    Its strings go through Pydantic's JSON encoder, the one FastAPI uses for an Envelope
    response model, so both write the same bytes (tests/kit/test_envelope.py)."""
    return _ENVELOPE % (
        code,
        pydantic_core.to_json(message),
        int(time.time()),
        pydantic_core.to_json(current_request_id()),
        data,
    )


class ErrorOptions(TypedDict, total=False):
    data: Any
    headers: dict[str, str] | None
    http_status: int | None
    prefixed: bool


class ApiError(Exception):
    """A refusal: its envelope code, and the detail its message gives after the code's
    category ("invalid argument: rating must be 1-5" has the detail "rating must be 1-5").

    `prefixed=False` sends the detail alone as the message, for the few refusals the contract
    words as one sentence that names the problem itself ("review 5 not found"). `data`,
    `headers` and `http_status` (by default the code's) go into the answer as they are."""

    def __init__(
        self,
        code: int,
        detail: str = "",
        *,
        data: Any = None,
        headers: dict[str, str] | None = None,
        http_status: int | None = None,
        prefixed: bool = True,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.category: str | None = CATEGORY[code] if prefixed else None
        self.data = data
        self.headers = dict(headers or {})
        self.http_status = http_status or HTTP_STATUS[code]

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        return envelope_message(self.category, self.detail)

    @property
    def description(self) -> str:
        """The refusal in words for a reader that shows no category (OAuth's
        error_description, the consent pages): its detail, or its category when it has none."""
        return self.detail or self.message


class NamedError(ApiError):
    """An ApiError whose class names its code: `InvalidArgument("rating must be 1-5")`."""

    code: int

    def __init__(self, detail: str = "", **options: Unpack[ErrorOptions]) -> None:
        super().__init__(self.code, detail, **options)


class InvalidArgument(NamedError):
    code = INVALID_ARGUMENT


class InvalidValue(InvalidArgument):
    """Code 3 for one named value, "<field> <problem>"; `problem` alone is what a request model
    hands Pydantic, which names the field itself (kit/schemas.py)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.problem = problem


class NotFound(NamedError):
    code = NOT_FOUND


class AlreadyExists(NamedError):
    code = ALREADY_EXISTS


class PermissionDenied(NamedError):
    code = PERMISSION_DENIED


class Rejected(NamedError):
    code = REJECTED


class RateLimited(Rejected):
    """Code 8 with HTTP 429 and Retry-After; the message is one sentence of its own."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"rate limit exceeded; retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
            http_status=429,
            prefixed=False,
        )


class Unauthenticated(NamedError):
    code = UNAUTHENTICATED


def error_body(error: ApiError) -> bytes:
    # Every error envelope is written here: the access line names the refusal it answered.
    exchange.refused(error.code, error.message)
    return envelope_bytes(error.code, error.message, pydantic_core.to_json(error.data))


def error_response(error: ApiError, *, headers: dict[str, str] | None = None) -> Response:
    """The error's envelope with its status and headers (`headers` replaces the error's own:
    a caller adding some passes both)."""
    return Response(
        error_body(error),
        status_code=error.http_status,
        headers=error.headers if headers is None else headers,
        media_type=MEDIA_TYPE,
    )


def success_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A code-0 envelope built by hand, for routes that answer with their own status."""
    return success_json(pydantic_core.to_json(data), status=status, headers=headers)


def success_json(
    data: bytes, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A code-0 envelope around `data` already serialised as JSON (kit/read_cache.py keeps
    such bytes)."""
    return Response(
        envelope_bytes(OK, SUCCESS, data),
        status_code=status,
        headers=headers,
        media_type=MEDIA_TYPE,
    )


T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """Every /api/v1 answer, as FastAPI's response model: the OpenAPI schema, and what routes
    return. FastAPI writes it with Pydantic's JSON encoder, byte for byte what envelope_bytes
    writes (tests/kit/test_envelope.py compares). Errors carry code != 0 and data null."""

    # Every field is always in the output: say so in the OpenAPI response schemas.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    code: int = Field(default=OK, examples=[0])
    message: str = Field(default=SUCCESS, examples=[SUCCESS])
    time: int = Field(default_factory=lambda: int(time.time()), examples=[1780644116])
    request_id: str = Field(
        default_factory=current_request_id, examples=["760276786c8548b878b1e041f50ab56b"]
    )
    data: T


class EmptyData(BaseModel):
    """`data` of calls that have nothing to return: `{}`."""
