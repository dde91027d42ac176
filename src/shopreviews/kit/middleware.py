"""ASGI middleware applying the contract's conventions to every request.

One pure-ASGI layer (no BaseHTTPMiddleware, which buffers and slows responses) that:
- gives each request a fresh request_id (envelope, X-Request-Id header, log lines);
- maps legacy spellings onto canonical paths (/api/v1/open_api/, legacy endpoint names,
  one trailing slash);
- reads API bodies up front, refusing more than the body limit with code 3, and marks POST
  bodies as JSON whatever their Content-Type says (spec README §3.1);
- adds Cache-Control: no-store and the UTF-8 charset to API responses;
- enforces the request processing budget (code 4);
- writes the access log, with secret query values redacted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from shopreviews.kit.envelope import (
    DEADLINE_EXCEEDED,
    HTTP_STATUS,
    INTERNAL,
    INVALID_ARGUMENT,
    new_request_id,
    request_id_var,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("shopreviews.access")
error_log = logging.getLogger("shopreviews.errors")

API_PREFIX = "/api/v1/openapi/"
LEGACY_PREFIX = "/api/v1/open_api/"
LEGACY_NAMES = {
    "orders": "get_orders",
    "customer_events": "get_customer_events",
    "get_customer_exclude_list": "get_customer_excludes",
    "get_review_list": "get_reviews",
}
# Endpoints that also accept form-encoded bodies (OAuth); every other API body is JSON.
FORM_PATHS = frozenset(
    API_PREFIX + name
    for name in ("oauth/token", "oauth_revoke_token", "oauth/introspect", "oauth/cancel")
)
SECRET_QUERY_KEYS = frozenset(
    {
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "code",
        "code_verifier",
        "password",
        "private_token",
        "secret",
        "sign",
        "signature",
        "state",
    }
)


def canonical_path(path: str) -> str:
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    if path.startswith(LEGACY_PREFIX):
        path = API_PREFIX + path[len(LEGACY_PREFIX) :]
    if path.startswith(API_PREFIX):
        name = path[len(API_PREFIX) :]
        if name in LEGACY_NAMES:
            path = API_PREFIX + LEGACY_NAMES[name]
    return path


# Paths whose last segment is a credential: the signed links of review-request emails.
_TOKEN_IN_PATH = re.compile(r"^(/email/(?:open|review|unsubscribe)/[0-9]+\.)[^/]+$")
# A video upload URL is itself the credential (its token is signed, not secret-free).
_UPLOAD_TOKEN = re.compile(r"^(/media/upload/)[^/]+$")
# Media transfers (a 200 MiB upload on a slow line, a player streaming a video) are bounded by
# their size limits, not by the processing budget of API requests.
UNBUDGETED_PREFIX = "/media"


def redact_path(path: str) -> str:
    """The path with a link or upload token replaced, for logs."""
    return _UPLOAD_TOKEN.sub(r"\1[redacted]", _TOKEN_IN_PATH.sub(r"\1[redacted]", path))


def redact_query(query: str) -> str:
    """The query string with secret values replaced, for logs."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [
            (k, "[redacted]" if k.strip().lower().strip("[]0123456789") in SECRET_QUERY_KEYS else v)
            for k, v in pairs
        ],
        safe="[]",
    )


def _envelope_bytes(code: int, message: str, request_id: str) -> bytes:
    body = {
        "code": code,
        "message": message,
        "time": int(time.time()),
        "request_id": request_id,
        "data": None,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class ConventionsMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, budget_seconds: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.budget_seconds = budget_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        original_path = scope["path"]
        path = canonical_path(original_path)
        is_api = (path + "/").startswith("/api/")  # "/api/" itself canonicalises to "/api"
        scope = dict(scope, path=path, raw_path=path.encode())
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status_holder = {"status": 0}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if not (is_api and k.lower() in (b"content-type", b"cache-control"))
                ]
                if is_api:
                    headers.append((b"content-type", b"application/json; charset=utf-8"))
                    headers.append((b"cache-control", b"no-store"))
                headers.append((b"x-request-id", request_id.encode()))
                message = dict(message, headers=headers)
            await send(message)

        async def reply(status: int, code: int, message: str) -> None:
            body = _envelope_bytes(code, message, request_id)
            await send_wrapper(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", b"application/json; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})

        try:
            if is_api and scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
                body = await self._read_body(receive)
                if body is None:
                    await reply(
                        HTTP_STATUS[INVALID_ARGUMENT],
                        INVALID_ARGUMENT,
                        f"invalid argument: request body larger than {self.max_body_bytes} bytes",
                    )
                    return
                if path not in FORM_PATHS:
                    scope["headers"] = [
                        (k, v) for k, v in scope["headers"] if k.lower() != b"content-type"
                    ] + [(b"content-type", b"application/json")]
                receive = _replay(body)
            unbudgeted = path == UNBUDGETED_PREFIX or path.startswith(UNBUDGETED_PREFIX + "/")
            budget = asyncio.timeout(None if unbudgeted else self.budget_seconds)
            try:
                async with budget:
                    await self.app(scope, receive, send_wrapper)
            except Exception:
                if status_holder["status"] != 0:
                    raise  # the response has begun: nothing better to do than drop it
                if budget.expired():
                    await reply(
                        HTTP_STATUS[DEADLINE_EXCEEDED],
                        DEADLINE_EXCEEDED,
                        "deadline exceeded: the request took longer than the processing budget",
                    )
                else:
                    # Starlette's ServerErrorMiddleware sits outside this one: left to it, the
                    # 500 would lack X-Request-Id and carry a request_id no log line knows.
                    error_log.exception("unexpected failure", extra={"request_id": request_id})
                    await reply(HTTP_STATUS[INTERNAL], INTERNAL, "internal error")
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            access_log.info(
                "%s %s%s %s %.1fms",
                scope["method"],
                redact_path(original_path),
                "?" + redact_query(scope.get("query_string", b"").decode("latin-1"))
                if scope.get("query_string")
                else "",
                status_holder["status"] or 499,
                duration_ms,
                extra={
                    "request_id": request_id,
                    "status": status_holder["status"],
                    "duration_ms": round(duration_ms, 1),
                },
            )
            request_id_var.reset(token)

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # like a real server: nothing more until disconnect
        return {"type": "http.disconnect"}

    return receive
