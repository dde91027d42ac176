"""The answers of an operation besides its success, in the OpenAPI document: one response per
HTTP status the route can answer, each with the error envelope's schema, so a client (or a
fuzzer checking the document) knows every status to expect.

Which statuses: what the route and its dependencies declare they refuse (kit/routes.py), code 3
on the API (the request layer refuses a GET with a body, a body that is not UTF-8 or is over the
size limit, kit/middleware.py; the routes read every query and body), and on every operation an
unexpected failure (code 13) and the processing budget (code 4)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shopreviews.kit.envelope import (
    DEADLINE_EXCEEDED,
    HTTP_STATUS,
    INTERNAL,
    INVALID_ARGUMENT,
    NamedError,
)
from shopreviews.kit.routes import refusal_status

NOT_MODIFIED = 304
DESCRIPTIONS = {
    400: "code 3, invalid argument: a parameter or the body is missing, malformed or out of "
    "range (the message names it), or the body is larger than the server's limit",
    401: "code 16, unauthenticated: missing or wrong credentials",
    403: "code 7, permission denied (a token without the scope, a disabled platform, an origin "
    "or a shop setting that does not allow it), or code 8, rejected by a policy (a limit reached)",
    404: "code 5, not found",
    409: "code 6, already exists",
    429: "code 8, rate limited: Retry-After says how many seconds to wait",
    500: "code 13, internal error (the body never holds a stack trace)",
    504: "code 4, deadline exceeded: the request took longer than the processing budget",
}
ALWAYS = (HTTP_STATUS[INTERNAL], HTTP_STATUS[DEADLINE_EXCEEDED])
NOT_MODIFIED_RESPONSE = {
    "description": "Not Modified: the If-None-Match ETag is still current; no body",
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "the ETag of an answer already held: 304 with no body while it is current",
    "schema": {"type": "string"},
}


def is_api(path: str) -> bool:
    return (path + "/").startswith("/api/")


def error_statuses(path: str, refusals: Iterable[type[NamedError]]) -> list[int]:
    """Every error status an operation at `path` answers, in order."""
    statuses = {*ALWAYS, *(refusal_status(error) for error in refusals)}
    if is_api(path):
        statuses.add(HTTP_STATUS[INVALID_ARGUMENT])
    return sorted(statuses)


def error_responses(statuses: Iterable[int], schema: str) -> dict[str, Any]:
    """The responses of these statuses, each an envelope of `schema` (a component's name)."""
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    responses: dict[str, Any] = {}
    for status in statuses:
        response: dict[str, Any] = {"description": DESCRIPTIONS[status], "content": content}
        if status == 429:
            response["headers"] = {
                "Retry-After": {
                    "description": "seconds until the limit lets a request through",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            }
        responses[str(status)] = response
    return responses
