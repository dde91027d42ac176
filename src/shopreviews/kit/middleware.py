"""ASGI middleware applying the contract's conventions to every request.

One pure-ASGI layer (no BaseHTTPMiddleware, which buffers and slows responses) that:
- gives each request a fresh request_id (envelope, X-Request-Id header, log lines);
- maps legacy spellings onto canonical paths: one trailing slash, the API's old prefix
  /api/v1/open_api/, and the older paths that routes declare (kit/routes.py);
- reads request bodies up front, refusing more than the body limit as it streams in (or at once
  when Content-Length announces it): code 3 on the API and on the paths whose errors take a
  shape of their own, 413 on the pages; /media uploads keep their own limits (kit/bodies.py);
- refuses bodies that are not UTF-8 on those same paths and API GET requests that carry a body
  (code 3), and marks API POST bodies as JSON whatever their Content-Type says (docs/api.md,
  "Bodies"), but on the routes that also take form bodies (kit/routes.py);
- adds Cache-Control: no-store and the UTF-8 charset to API responses (unless the route set a
  Cache-Control of its own: the storefront's public reads are cacheable);
- enforces the request processing budget (code 4);
- writes the access log, one line per request (client address, request, status, duration, and
  for a refusal its envelope code and message), with secret query values redacted;
  kit/logging.py escapes control characters in every logged value;
- counts the request in the metrics by its route's template (kit/observability).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlencode

from starlette.responses import Response

from shopreviews.kit.bodies import (
    BODY_METHODS,
    BODYLESS_METHODS,
    ASGIApp,
    BodyAbandoned,
    Message,
    Receive,
    Scope,
    Send,
    announces_body,
    declared_length,
    encoding_problem,
    has_own_limit,
    read_capped,
    replay,
)
from shopreviews.kit.envelope import (
    DEADLINE_EXCEEDED,
    INTERNAL,
    ApiError,
    InvalidArgument,
    error_response,
    new_request_id,
    request_id_var,
)
from shopreviews.kit.observability import exchange as exchanges
from shopreviews.kit.observability.metrics import observe_request

access_log = logging.getLogger("shopreviews.access")
error_log = logging.getLogger("shopreviews.errors")

# The contract's older spelling of the partner API's prefix, for every path under it (also
# those no route serves: their 404 names the canonical path).
API_PREFIX = "/api/v1/openapi/"
LEGACY_PREFIX = "/api/v1/open_api/"
# Answers streamed in batches as they are read (the Google product reviews feed).
STREAMED_PREFIX = "/feeds/"
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


def canonical_path(path: str, legacy_paths: Mapping[str, str]) -> str:
    """The path a request is routed by; `legacy_paths` maps the older paths routes declare."""
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    if path.startswith(LEGACY_PREFIX):
        path = API_PREFIX + path[len(LEGACY_PREFIX) :]
    return legacy_paths.get(path, path)


# Paths whose last segment is a credential: the signed links of review-request emails.
_TOKEN_IN_PATH = re.compile(r"^(/email/(?:open|review|unsubscribe)/[0-9]+\.)[^/]+$")
# A video upload URL is itself the credential (its token is signed, not secret-free).
_UPLOAD_TOKEN = re.compile(r"^(/media/upload/)[^/]+$")
# How a path writes a refusal: the envelope unless the path says otherwise (main.create_app).
ErrorShape = Callable[[ApiError], Response]
# The pages (consent, sign-in, email links) are HTML: a refused body gets plain text, not JSON.
PAGE_REFUSAL_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
]


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


class ConventionsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        budget_seconds: float,
        error_shapes: Mapping[str, ErrorShape],
        legacy_paths: Mapping[str, str],
        form_paths: frozenset[str],
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.budget_seconds = budget_seconds
        # Paths whose errors take a shape of their own, each with what writes an error in that
        # shape: the enveloped OAuth endpoints' carry {error, error_description} in `data`, the
        # standard ones' are that object alone (RFC 6749 §5.2), though outside /api/.
        self.error_shapes = error_shapes
        # Older path -> the path of the route that answers it, as the routes declare them.
        self.legacy_paths = legacy_paths
        # Paths whose bodies may also be form-encoded (OAuth); every other API body is JSON.
        self.form_paths = form_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        original_path = scope["path"]
        path = canonical_path(original_path, self.legacy_paths)
        is_api = (path + "/").startswith("/api/")  # "/api/" itself canonicalises to "/api"
        # Refusals in JSON rather than the pages' plain text.
        json_refusals = is_api or path in self.error_shapes
        scope = dict(scope, path=path, raw_path=path.encode())
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        exchange, exchange_token = exchanges.begin(state)
        status_holder = {"status": 0}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                given = message.get("headers", [])
                own_cache = any(k.lower() == b"cache-control" for k, _ in given)
                headers = [
                    (k, v) for k, v in given if not (is_api and k.lower() == b"content-type")
                ]
                if is_api:
                    if message["status"] != 304:  # a 304 has no body to describe
                        headers.append((b"content-type", b"application/json; charset=utf-8"))
                    if not own_cache:
                        headers.append((b"cache-control", b"no-store"))
                headers.append((b"x-request-id", request_id.encode()))
                message = dict(message, headers=headers)
            await send(message)

        async def reply(error: ApiError, *, close: bool = False) -> None:
            response = self.error_shapes.get(path, error_response)(error)
            if close:
                response.headers["connection"] = "close"
            await response(scope, receive, send_wrapper)

        async def too_large() -> None:
            # Connection: close, so the server stops reading the rest of the body.
            if json_refusals:
                limit = InvalidArgument(f"request body larger than {self.max_body_bytes} bytes")
                await reply(limit, close=True)
                return
            text = f"Request body too large: the limit is {self.max_body_bytes} bytes.\n".encode()
            await send_wrapper(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [
                        *PAGE_REFUSAL_HEADERS,
                        (b"content-length", str(len(text)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": text})

        try:
            method = scope["method"]
            if is_api and method in BODYLESS_METHODS and announces_body(scope["headers"]):
                await reply(InvalidArgument(f"{method} requests take no body"))
                return
            if not has_own_limit(path):
                declared = declared_length(scope["headers"]) or 0
                if declared > self.max_body_bytes:
                    await too_large()
                    return
                if method in BODY_METHODS:
                    try:
                        body = await read_capped(receive, self.max_body_bytes)
                    except BodyAbandoned:
                        return  # nobody to answer; logged as 499 (client closed request)
                    if body is None:
                        await too_large()
                        return
                    if json_refusals:
                        problem = encoding_problem(body)
                        if problem is not None:
                            await reply(InvalidArgument(problem))
                            return
                    if is_api and path not in self.form_paths:
                        scope["headers"] = [
                            (k, v) for k, v in scope["headers"] if k.lower() != b"content-type"
                        ] + [(b"content-type", b"application/json")]
                    receive = replay(body)
            # Media transfers (a 200 MiB upload on a slow line, a player streaming a video) are
            # bounded by their size limits, not by the processing budget of API requests; so
            # are streamed feeds, by the size of the shop they list.
            unbounded = has_own_limit(path) or path.startswith(STREAMED_PREFIX)
            budget = asyncio.timeout(None if unbounded else self.budget_seconds)
            try:
                async with budget:
                    await self.app(scope, receive, send_wrapper)
            except Exception:
                if status_holder["status"] != 0:
                    raise  # the response has begun: nothing better to do than drop it
                if budget.expired():
                    await reply(
                        ApiError(
                            DEADLINE_EXCEEDED, "the request took longer than the processing budget"
                        )
                    )
                else:
                    # Starlette's ServerErrorMiddleware sits outside this one: left to it, the
                    # 500 would lack X-Request-Id and carry a request_id no log line knows.
                    error_log.exception("unexpected failure", extra={"request_id": request_id})
                    await reply(ApiError(INTERNAL))
        finally:
            duration = time.perf_counter() - started
            # 499: the client went away before any answer; a status the server sent beside
            # the app (408 for a body that stopped arriving) is the one the client saw.
            status = exchange.status or status_holder["status"] or 499
            observe_request(exchange.route, scope["method"], status, duration)
            self._log_access(scope, original_path, request_id, status, duration, exchange)
            exchanges.end(exchange_token)
            request_id_var.reset(token)

    @staticmethod
    def _log_access(
        scope: Scope,
        original_path: str,
        request_id: str,
        status: int,
        duration: float,
        exchange: exchanges.Exchange,
    ) -> None:
        # The TCP peer, or the client named by a trusted proxy (serve --forwarded-allow-ips).
        client = scope.get("client")
        client_host = client[0] if client else "-"
        query = scope.get("query_string", b"").decode("latin-1")
        extra: dict[str, object] = {
            "request_id": request_id,
            "client": client_host,
            "status": status,
            "duration_ms": round(duration * 1000, 1),
        }
        # Why the request was refused (the envelope's code and message, never the request's
        # body), or why the server cut it short.
        if exchange.code is not None and status >= 400:
            extra["code"], extra["reason"] = exchange.code, exchange.reason
        if exchange.cut:
            extra["reason"] = exchange.cut
        access_log.info(
            "%s %s %s%s %s %.1fms",
            client_host,
            scope["method"],
            redact_path(original_path),
            "?" + redact_query(query) if query else "",
            status,
            duration * 1000,
            extra=extra,
        )
