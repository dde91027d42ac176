"""Fuzzing every API endpoint: no 500s, and nothing outside the envelope (README §3.2-3.3), but
for the standard OAuth endpoints, whose every answer is RFC 6749's bare JSON.

The app under test runs in uvicorn on a free 127.0.0.1 port in a background thread (its own
event loop and engine, the same database as the rest of the suite), so schemathesis and plain
HTTP clients drive it exactly as a real client would. Each request carries the credential its
operation takes, so it gets past authentication: an HMAC signature over the final query string
and body (partner API), a merchant session, the admin token, a platform's client credentials
(OAuth client endpoints, in HTTP Basic on the standard ones) or access token, or a Shopify
webhook signature.

Two parts:
- schemathesis generates schema-valid and schema-invalid requests for every documented
  operation and checks the responses against the document: no server error, every status
  documented (the document has no catch-all), content type, headers and schema;
- a hypothesis fuzzer sends hostile raw requests (any method, legacy paths, broken
  percent-encoding, huge numbers, deep nesting, non-JSON bodies) to every API path.
Both are derandomized, so CI sees the same examples on every run.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
import pytest
import requests
import schemathesis
import uvicorn
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.merchants import service as merchant_service
from shopreviews.settings import Settings
from tests.support import signer
from tests.support.admin import ADMIN_TOKEN
from tests.support.api import create_shop, ok
from tests.support.oauth import client_credentials, create_platform

PASSWORD = "fuzz password 123"
SHOPIFY_SECRET = "fuzz-shopify-app-secret-0123"
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
ENVELOPE_KEYS = {"code", "message", "time", "request_id", "data"}
# README §3.3: code -> HTTP status (8 is 429 when rate limited, otherwise 403).
STATUS_FOR_CODE: dict[int, set[int]] = {
    0: {200},
    1: {499},
    3: {400},
    4: {504},
    5: {404},
    6: {409},
    7: {403},
    8: {403, 429},
    13: {500},
    16: {401},
}
# Totals shared by all operations, so the run stays bounded (the whole file within about a
# minute on 2 CPUs) as endpoints are added; each operation still gets a floor of cases.
SCHEMATHESIS_BUDGET = 360  # cases over all operations and both generation modes
SCHEMATHESIS_FLOOR = 5
SLOW_EXAMPLES = 3  # sign-in and the admin's password endpoints hash with argon2 per request
SLOW_PATHS = ("/login", "/create_merchant_user", "/set_merchant_password")
# Operations whose credential the document cannot name: the platform access token of
# oauth/disconnect, and the merchant session the JSON authorize endpoint reads itself.
BEARER_PATHS = {"/api/v1/openapi/oauth/disconnect"}
MERCHANT_PATHS = {"/api/v1/openapi/oauth/authorize"}
SHOPIFY_PATHS = {"/api/v1/integrations/shopify/orders"}
# The standard OAuth endpoints answer bare JSON (RFC 6749 §5.1, §5.2, RFC 7009, RFC 7662) and
# take form bodies alone.
STANDARD_OAUTH = frozenset({"/oauth/token", "/oauth/revoke", "/oauth/introspect"})
FORM_TYPE = "application/x-www-form-urlencoded"
OAUTH_ERROR_KEYS = {"error", "error_description"}
# The status of each error the standard endpoints send, besides 405 and 429 (RFC 6749 §5.2).
OAUTH_ERROR_STATUS = {"invalid_client": 401, "server_error": 500, "temporarily_unavailable": 504}


# --- the live server ------------------------------------------------------------------------


@dataclass
class Credentials:
    shop_id: str
    public_token: str
    private_token: str
    email: str
    domain: str
    merchant_token: str = ""
    logout_token: str = ""  # a session of its own: logging out must not end the main one
    client_id: str = ""  # a platform that may use client_credentials for the shop
    client_secret: str = ""
    access_token: str = ""  # the platform's, for the shop
    shopify_secret: str = SHOPIFY_SECRET

    def client(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def basic(self) -> str:
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(pair).decode()


@dataclass
class Live:
    base_url: str
    doc: dict[str, Any]
    routes: list[APIRoute]
    creds: Credentials
    security: dict[tuple[str, str], str] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def fuzz_credentials(ctx: AppContext, client: httpx.AsyncClient) -> Credentials:
    shop = await create_shop(ctx, client)
    email = f"fuzz-{uuid.uuid4().hex[:10]}@example.com"
    async with ctx.db.session(write=True) as session:
        await merchant_service.create_user(
            session, shop_id=shop.shop_id, email=email, password=PASSWORD
        )
    platform = await create_platform(
        ctx,
        skip_shop_oauth=1,
        allowed_scopes="read_reviews,write_reviews,read_shop_install_status",
    )
    token = ok(await client_credentials(client, platform, shop_id=shop.shop_id))
    return Credentials(
        shop.shop_id,
        shop.public_token,
        shop.private_token,
        email,
        shop.myshopify_domain,
        client_id=platform.client_id,
        client_secret=platform.client_secret,
        access_token=token["access_token"],
    )


def credential_kind(doc: dict[str, Any], path: str, operation: dict[str, Any]) -> str:
    """The credential an operation takes, as its document says."""
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    query, body = operation_fields(doc, operation)
    if "PublicToken" in schemes:
        return "hmac"
    if "AdminToken" in schemes:
        return "admin"
    if "MerchantSession" in schemes or path in MERCHANT_PATHS:
        return "merchant"
    if "ClientBasic" in schemes:
        return "client_basic"
    if "client_secret" in query or "client_secret" in body:
        return "client"
    if path in BEARER_PATHS:
        return "bearer"
    if path in SHOPIFY_PATHS:
        return "shopify"
    return "public"


@pytest.fixture(scope="module")
def live(settings: Settings, fuzz_credentials: Credentials) -> Iterator[Live]:
    # With an admin token, so the admin endpoints exist and are fuzzed signed.
    live_settings = settings.model_copy(update={"admin_token": ADMIN_TOKEN})
    live_ctx = AppContext.build(live_settings, public_url="http://testserver")
    app = create_app(live_settings, ctx=live_ctx)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    base_url = f"http://127.0.0.1:{port}"
    creds = fuzz_credentials
    with httpx.Client(base_url=base_url) as http:
        body = {"email": creds.email, "password": PASSWORD}
        creds.merchant_token = http.post("/api/v1/merchant/login", json=body).json()["data"][
            "token"
        ]
        creds.logout_token = http.post("/api/v1/merchant/login", json=body).json()["data"]["token"]
        secret = {"shopify_app_secret": SHOPIFY_SECRET}
        headers = {"Authorization": f"Bearer {creds.merchant_token}"}
        assert http.post("/api/v1/merchant/settings", json=secret, headers=headers).is_success
    doc = app.openapi()
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    live = Live(base_url, doc, routes, creds)
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            live.security[(method.upper(), path)] = credential_kind(doc, path, operation)
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


# --- signing and the envelope check ---------------------------------------------------------


def sign_headers(creds: Credentials, raw_query: str, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    pairs = signer.decode_query(raw_query)
    return {
        "Public-Token": creds.public_token,
        "Timestamp": ts,
        "Sign": signer.sign(creds.private_token, ts, pairs, body),
    }


def credential_headers(
    creds: Credentials, kind: str, path: str, raw_query: str, body: bytes
) -> dict[str, str]:
    """The headers that carry the credential of `kind` for this request as it is sent (client
    credentials travel in the query or body: with_client_credentials)."""
    if kind == "hmac":
        return sign_headers(creds, raw_query, body)
    if kind == "merchant":
        # Logging out ends a session of its own, never the one the other requests use.
        token = creds.logout_token if path.endswith("/logout") else creds.merchant_token
        return {"Authorization": f"Bearer {token}"}
    if kind == "admin":
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if kind == "bearer":
        return {"Authorization": f"Bearer {creds.access_token}"}
    if kind == "client_basic":
        return {"Authorization": creds.basic()}
    if kind == "shopify":
        mac = hmac.new(creds.shopify_secret.encode(), body, hashlib.sha256).digest()
        return {
            "X-Shopify-Shop-Domain": creds.domain,
            "X-Shopify-Hmac-Sha256": base64.b64encode(mac).decode(),
        }
    return {}


class SignedAuth(requests.auth.AuthBase):
    """Adds the credential to the prepared request, signed over the final query string and
    body as they go on the wire."""

    def __init__(self, creds: Credentials, kind: str, path: str) -> None:
        self.creds, self.kind, self.path = creds, kind, path

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.pop("Authorization", None)
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else body
        assert isinstance(raw, bytes)
        query = urlsplit(request.url or "").query
        request.headers.update(credential_headers(self.creds, self.kind, self.path, query, raw))
        return request


def with_client_credentials(case: Any, creds: Credentials, query_names: list[str]) -> None:
    """The platform's client credentials, and the fuzz shop where the case names a shop, in
    the query or body the case sends (a body that is no object is left as generated)."""
    values = creds.client()
    if "client_secret" in query_names:
        shop = {k: v for k, v in shop_fields(creds).items() if k in (case.query or {})}
        case.query = {**(case.query or {}), **values, **shop}
    elif isinstance(case.body, dict):
        shop = {k: v for k, v in shop_fields(creds).items() if k in case.body}
        case.body = {**case.body, **values, **shop}


def shop_fields(creds: Credentials) -> dict[str, str]:
    return {"shop_id": creds.shop_id, "myshopify_domain": creds.domain}


def canonical(path: str) -> str:
    path = path[:-1] if len(path) > 1 and path.endswith("/") else path
    return path.replace("/api/v1/open_api/", "/api/v1/openapi/")


# The storefront's public reads are meant to be cached (by browsers and a CDN in front of the
# service); their refusals, and every other API answer, are not.
PUBLIC_CACHE = "public, max-age=60, stale-while-revalidate=600"
PUBLIC_READS = re.compile(
    r"^/api/v1/(storefront/shops/[^/]+/(reviews|rating|ratings)|reviews/get_products_rating)$"
)


def is_public_read(method: str, path: str, status: int) -> bool:
    return (
        method in ("GET", "HEAD")
        and status in (200, 304)
        and bool(PUBLIC_READS.match(canonical(path)))
    )


def oauth_problems(method: str, status: int, headers: Any, content: bytes) -> list[str]:
    """Everything wrong with one answer of a standard OAuth endpoint: bare JSON, never cached,
    errors as RFC 6749 §5.2 has them."""
    problems: list[str] = []
    if headers.get("cache-control") != "no-store" or headers.get("pragma") != "no-cache":
        problems.append("cacheable")
    if not REQUEST_ID.match(headers.get("x-request-id", "")):
        problems.append("no X-Request-Id")
    if method == "HEAD":
        return problems  # no body to check
    try:
        body = json.loads(content) if content else {}
    except ValueError:
        return [*problems, f"body is not JSON: {content[:120]!r}"]
    if not isinstance(body, dict):
        return [*problems, f"body is not an object: {content[:120]!r}"]
    if status == 200:
        return problems
    if set(body) != OAUTH_ERROR_KEYS:
        return [*problems, f"not an RFC 6749 error: {content[:120]!r}"]
    expected = 405 if headers.get("allow") else 429 if headers.get("retry-after") else 0
    expected = expected or OAUTH_ERROR_STATUS.get(body["error"], 400)
    if status != expected or status >= 500:
        problems.append(f"HTTP {status} for {body['error']}")
    challenge = headers.get("www-authenticate")
    if (body["error"] == "invalid_client") != (challenge == 'Basic realm="ShopReviews"'):
        problems.append(f"{body['error']} with WWW-Authenticate {challenge!r}")
    return problems


def oauth_code(content: bytes) -> int:
    """A standard OAuth answer as the envelope's code: 0, 16 (invalid_client) or 3."""
    error = json.loads(content).get("error") if content else None
    return 0 if error is None else 16 if error == "invalid_client" else 3


def envelope_problems(
    method: str, path: str, status: int, headers: Any, content: bytes
) -> list[str]:
    """Everything wrong with one response of an /api path (or the / probe; the standard OAuth
    endpoints: oauth_problems)."""
    if canonical(path) in STANDARD_OAUTH:
        return oauth_problems(method, status, headers, content)
    problems: list[str] = []
    if status >= 500:
        problems.append(f"HTTP {status}")
    is_api = (path + "/").startswith("/api/")
    if status == 304:
        # A cacheable read whose If-None-Match is current: no body, the same cache headers.
        if not is_public_read(method, path, status) or not headers.get("etag"):
            problems.append("304 outside the storefront's reads, or without ETag")
        if headers.get("cache-control") != PUBLIC_CACHE:
            problems.append(f"cache-control {headers.get('cache-control')!r}")
        return problems if content == b"" else [*problems, "304 with a body"]
    if is_api:
        if headers.get("content-type") != "application/json; charset=utf-8":
            problems.append(f"content-type {headers.get('content-type')!r}")
        cache = PUBLIC_CACHE if is_public_read(method, path, status) else "no-store"
        if headers.get("cache-control") != cache:
            problems.append(f"cache-control {headers.get('cache-control')!r}")
    request_id = headers.get("x-request-id", "")
    if not REQUEST_ID.match(request_id):
        problems.append(f"X-Request-Id {request_id!r}")
    if method == "HEAD":
        return problems  # no body to check
    if path == "/.well-known/oauth-authorization-server":
        return problems  # RFC 8414 document: bare JSON, no envelope
    try:
        body = json.loads(content)
    except ValueError:
        return [*problems, f"body is not JSON: {content[:120]!r}"]
    if not isinstance(body, dict):
        return [*problems, f"body is not an object: {content[:120]!r}"]
    extra = set(body) - ENVELOPE_KEYS
    if set(body) < ENVELOPE_KEYS or extra - {"id"}:
        problems.append(f"envelope keys {sorted(body)}")
    code = body.get("code")
    if type(code) is not int or code not in STATUS_FOR_CODE:
        return [*problems, f"code {code!r}"]
    if status == 405:
        if code != 3 or not headers.get("allow"):
            problems.append("405 without code 3 and Allow")
    elif status not in STATUS_FOR_CODE[code]:
        problems.append(f"HTTP {status} for code {code}")
    if code == 8 and status == 429 and not headers.get("retry-after"):
        problems.append("429 without Retry-After")
    if type(body.get("message")) is not str or (code == 0) != (body.get("message") == "success"):
        problems.append(f"message {body.get('message')!r}")
    if type(body.get("time")) is not int:
        problems.append(f"time {body.get('time')!r}")
    if body.get("request_id") != request_id:
        problems.append("request_id differs from X-Request-Id")
    data = body.get("data")
    if code == 0 and not isinstance(data, dict | list):
        problems.append(f"success data {data!r}")
    oauth_error = isinstance(data, dict) and {"error", "error_description"} <= set(data)
    if code != 0 and data is not None and not oauth_error:
        problems.append(f"error data {data!r}")
    if "id" in extra and not (code == 0 and canonical(path).endswith("/create_review")):
        problems.append("top-level id outside create_review")
    return problems


def fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )


# --- schemathesis ---------------------------------------------------------------------------


def test_every_endpoint_is_documented_for_the_fuzzer(live: Live) -> None:
    documented = set(live.security)
    for route in live.routes:
        if route.include_in_schema:
            for method in route.methods or ():
                assert (method, route.path) in documented
    assert ("POST", "/api/v1/openapi/create_review") in documented
    assert live.security[("POST", "/api/v1/openapi/create_review")] == "hmac"
    assert live.security[("GET", "/api/v1/openapi/get_open_api_private_token")] == "merchant"
    assert live.security[("POST", "/api/v1/merchant/login")] == "public"
    assert live.security[("GET", "/api/v1/admin/get_shops")] == "admin"
    assert live.security[("POST", "/api/v1/openapi/oauth/token")] == "client"
    assert live.security[("GET", "/api/v1/openapi/get_shop_install_status")] == "client"
    assert live.security[("POST", "/api/v1/openapi/oauth/disconnect")] == "bearer"
    assert live.security[("POST", "/api/v1/integrations/shopify/orders")] == "shopify"
    for path in STANDARD_OAUTH:
        assert live.security[("POST", path)] == "client_basic"


SCHEMATHESIS_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class Outcome:
    """What the cases of one operation got: envelope codes, and how many were sent."""

    codes: set[int] = field(default_factory=set)
    sent: int = 0


def fuzz_operation(
    live: Live, operation: Any, mode: GenerationMode, failures: list[str], outcome: Outcome
) -> None:
    """Run schemathesis cases of one operation in one mode; collect problems and codes."""
    method, path = operation.method.upper(), operation.path
    kind = live.security[(method, path)]
    auth = SignedAuth(live.creds, kind, path)
    query_names, _ = operation_fields(live.doc, live.doc["paths"][path][method.lower()])
    per_operation = SCHEMATHESIS_BUDGET // (2 * len(live.security))
    examples = (
        SLOW_EXAMPLES if path.endswith(SLOW_PATHS) else max(SCHEMATHESIS_FLOOR, per_operation)
    )

    def check(case: Any) -> None:
        if kind == "client":
            with_client_credentials(case, live.creds, query_names)
        if "myshopify_domain" in (case.path_parameters or {}):
            # The storefront's pages call for their own shop; a made-up one is only a 404.
            case.path_parameters = {**case.path_parameters, "myshopify_domain": live.creds.domain}
        response = case.call(auth=auth, timeout=30)
        outcome.sent += 1
        # schemathesis gives each header as a list of values
        headers = {k.lower(): ", ".join(v) for k, v in response.headers.items()}
        problems = envelope_problems(method, path, response.status_code, headers, response.content)
        try:
            case.validate_response(response, checks=SCHEMATHESIS_CHECKS)
        except Exception as exc:  # a group of failed checks
            problems.append(" | ".join(str(exc).strip().splitlines()[:8]))
        if problems:
            failures.append(
                f"{operation.label} [{mode.value}] {problems} <- {case.as_curl_command()}"
            )
            return
        if response.status_code == 304:
            return  # a current ETag: no body
        if path in STANDARD_OAUTH:
            outcome.codes.add(oauth_code(response.content))
            return
        body = response.json()
        outcome.codes.add(body.get("code", 0))  # the RFC 8414 document has no envelope
        if path.endswith("/reset_private_token") and body["code"] == 0:
            live.creds.private_token = body["data"]["private_token"]
        if path == "/api/v1/merchant/settings" and body["code"] == 0:
            # The fuzzer may have set a new Shopify app secret: the webhooks sign with it.
            sent = case.body.get("shopify_app_secret") if isinstance(case.body, dict) else None
            if isinstance(sent, str) and sent.strip():
                live.creds.shopify_secret = sent.strip()

    if mode is GenerationMode.POSITIVE:
        # First the request the document's examples make, as a client reading it would send.
        for strategy in operation.get_strategies_from_examples():
            check(find(strategy, lambda _: True, settings=fuzz_settings(1)))
    # derandomize: a fixed seed, so every run sends the same cases.
    run = fuzz_settings(examples)(given(case=operation.as_strategy(generation_mode=mode))(check))
    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid (no parameters and no body): positive cases only.
        assert mode is GenerationMode.NEGATIVE and not operation.body


def test_schemathesis_every_operation(live: Live) -> None:
    schema = schemathesis.openapi.from_dict(live.doc)
    schema.config.update(base_url=live.base_url)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) == len(live.security)
    failures: list[str] = []
    seen: dict[str, Outcome] = {}
    for operation in operations:
        outcome = seen.setdefault(operation.label, Outcome())
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz_operation(live, operation, mode, failures, outcome)
    assert not failures, "\n".join(failures[:30])
    # Each operation was called (one without parameters or body has a single distinct case).
    assert all(outcome.sent for outcome in seen.values()), seen
    # The credentials got requests past authentication: every signed endpoint saw something
    # other than code 16, and the data endpoints answered successes.
    for operation in operations:
        kind = live.security[(operation.method.upper(), operation.path)]
        codes = seen[operation.label].codes
        if kind != "public" and not operation.path.endswith("/logout"):
            assert codes - {16}, (operation.label, codes)
    for name in (
        "get_reviews",
        "create_review",
        "get_rating",
        "get_open_api_information",
        "get_shops",
        "get_shop_install_status",
        "disconnect",
    ):
        label = next(o.label for o in operations if o.path.endswith("/" + name))
        assert 0 in seen[label].codes, (label, seen[label])


# --- seeded mutation fuzzing ---------------------------------------------------------------
#
# Random requests rarely get past signing and validation, so each request starts from one the
# operation accepts (field names from the OpenAPI document, plausible values, ids of existing
# reviews) and then has some fields, the encoding or the whole body replaced by hostile values.
# A per-operation seed keeps the requests the same on every run.

MUTATION_BUDGET = 900  # requests over all operations
MUTATION_FLOOR = 40
SLOW_MUTATION_REQUESTS = 8  # argon2 per request (SLOW_PATHS)
DEPTHS = [3, 50, 400, 700, 900, 950, 980, 990, 1000, 1100, 5000]

PLAUSIBLE: dict[str, list[Any]] = {
    "rating": [5, 4, "3", 1],
    "ratings": ["5", "4,5", "1"],
    "author": ["Jane", "Zoë ✓"],
    "product_id": ["p-1", 123, "0", "p-2"],
    "product_ids": ["p-1", "p-1,p-2", "0"],
    "product_handle": ["linen-shirt"],
    "content": ["Très bien", "ok"],
    "title": ["Nice"],
    "is_published": [0, 1, "1", True, "all"],
    "is_verified": [0, 1],
    "is_featured": [0, 1],
    "is_top": [0, 1],
    "is_store_review": ["0", "1"],
    "is_store_rating": ["1"],
    "is_all_rating": ["1"],
    "is_all_products_rating": ["1"],
    "commented_at": ["2026-06-05 07:21:56", 1780644116, "2026-06-05T09:21:56+02:00"],
    "media": [[{"url": "https://cdn.example.net/a.jpg"}], {"images": ["https://x.example/a.png"]}],
    "reply": [{"content": "Thanks"}, None],
    "source": ["Shop", "Amazon"],
    "sources": ["Shop", "Shop,Amazon"],
    "sort_by": ["created-descending", "rating-ascending"],
    "keyword": ["bien"],
    "page": ["1", "2"],
    "page_size": ["10", "100", "500"],
    "author_email": ["jane@example.com"],
    "order_id": ["o-1", 42],
    "grant_type": ["client_credentials", "refresh_token", "authorization_code", "password"],
    "scope": ["read_reviews", "read_reviews write_reviews", "read_reviews,nope"],
    "token": ["at_unknown", "rt_unknown"],
    "token_type_hint": ["access_token", "refresh_token", "id_token"],
}
HOSTILE: list[Any] = [
    None,
    "",
    " ",
    "null",
    "undefined",
    0,
    -1,
    2**63,
    2**63 - 1,
    "9" * 25,
    "9" * 5000,
    1.5,
    1e308,
    True,
    False,
    [],
    {},
    [1, [2, [3]]],
    {"a": {"b": None}},
    "\x00",
    "a\x00b",
    "é✓日本",
    "\u202e",
    "x" * 20000,
    ",".join(str(i) for i in range(101)),
    ",,,",
    " 5 ",
    "٣",
    "1e3",
    "0x10",
    "2026-02-30",
    "<script>",
    "' OR 1=1 --",
]
BAD_QUERY_VALUES = ["%ff", "%C3", "%zz", "%", "%00", "%ED%A0%80"]


def deep(depth: int, rng: random.Random) -> str:
    opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
    return opener * depth + "1" + closer * depth


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def operation_fields(doc: dict[str, Any], operation: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(query parameter names, body property names) documented for one operation."""
    query = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
    body: list[str] = []
    if "requestBody" in operation:
        content = operation["requestBody"]["content"]
        schema = content.get("application/json", content.get(FORM_TYPE))["schema"]
        body = list(_resolve(doc, schema).get("properties", {}))
    return query, body


class MutationFuzzer:
    def __init__(self, live: Live, http: httpx.Client, review_ids: list[str]) -> None:
        self.live, self.http = live, http
        self.plausible = {**PLAUSIBLE, "id": review_ids, "review_id": review_ids}
        self.plausible["email"] = [live.creds.email, live.creds.email.upper()]
        self.plausible["password"] = [PASSWORD]
        self.plausible["shop_id"] = [live.creds.shop_id]
        self.plausible["myshopify_domain"] = [live.creds.domain]
        self.plausible["client_id"] = [live.creds.client_id]
        self.plausible["client_secret"] = [live.creds.client_secret]
        self.raw = RawSender(live, http)

    def value(self, name: str, rng: random.Random) -> Any:
        if rng.random() < 0.3:
            return rng.choice(HOSTILE)
        return rng.choice(self.plausible.get(name, ["x", 1]))

    def query(self, names: list[str], rng: random.Random) -> str:
        chosen = [n for n in names if rng.random() < 0.5]
        if rng.random() < 0.2:
            chosen.append(rng.choice([*self.plausible, "timestamp", "token", "x[0]", "é"]))
        parts: list[str] = []
        for name in chosen:
            value = self.value(name, rng)
            text = value if isinstance(value, str) else json.dumps(value)
            key = name
            if name.endswith("s") and rng.random() < 0.5:  # array forms
                key = rng.choice(
                    [f"{name}[]", f"{name}[{rng.randint(0, 10 ** rng.randint(1, 30))}]"]
                )
            encoded = quote(text, safe="")
            if rng.random() < 0.1:
                encoded = rng.choice(BAD_QUERY_VALUES)
            parts.append(quote(key, safe="[]" if rng.random() < 0.5 else "") + "=" + encoded)
        rng.shuffle(parts)
        return "&".join(parts)

    def body(self, names: list[str], rng: random.Random, *, form: bool = False) -> bytes:
        roll = rng.random()
        if roll < 0.12:  # a hostile body as a whole
            return rng.choice(
                [
                    b"",
                    b"{",
                    b"[]",
                    b"null",
                    b'"text"',
                    b"\xff\xfe",
                    b'{"a": 1,}',
                    ("{" * 3000).encode(),
                    b'{"id": ' + b"9" * rng.choice([19, 20, 400, 5000]) + b"}",
                    b'{"id": "\\ud800"}',
                    b'{"email": "a", "email": "b"}',
                    '{"rating": 5, "author": "\u0000"}'.encode(),
                ]
            )
        fields = {n: self.value(n, rng) for n in names if rng.random() < 0.7}
        if form and rng.random() < 0.8:
            pairs = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in fields.items()]
            return urlencode(pairs).encode()
        if rng.random() < 0.15:
            fields[rng.choice([*names, "extra"])] = "@@DEEP@@"
        text = json.dumps(fields, ensure_ascii=rng.random() < 0.3)
        if "@@DEEP@@" in text:
            text = text.replace('"@@DEEP@@"', deep(rng.choice(DEPTHS), rng))
        return text.encode()

    def run(self, method: str, path: str, kind: str, count: int) -> None:
        rng = random.Random(zlib.crc32(f"{method} {path}".encode()))
        operation = self.live.doc["paths"][path][method.lower()]
        query_names, body_names = operation_fields(self.live.doc, operation)
        form = path in STANDARD_OAUTH  # form bodies only
        for _ in range(count):
            # The storefront endpoint names its shop in the path: the fuzz shop, so requests
            # get past the shop lookup.
            url_path = rng.choice(path_variants(path)).replace(
                "{myshopify_domain}", self.live.creds.domain
            )
            query = self.query(query_names, rng)
            body = self.body(body_names, rng, form=form) if method != "GET" else b""
            auth = (
                kind
                if rng.random() < 0.85
                else rng.choice(["none", "garbage", "hmac", "merchant", "admin"])
            )
            content_type = rng.choice([None, "application/json", "text/plain", FORM_TYPE])
            if form and rng.random() < 0.7:
                content_type = FORM_TYPE
            self.raw.send(method, url_path, query, body, auth, content_type)


def path_variants(path: str) -> list[str]:
    if not path.startswith("/api/"):
        return [path]
    return [path, path, path + "/", path.replace("/api/v1/openapi/", "/api/v1/open_api/")]


class RawSender:
    """Sends one raw request to the live server, signed as asked, and checks the envelope."""

    def __init__(self, live: Live, http: httpx.Client) -> None:
        self.live, self.http = live, http
        self.failures: list[str] = []
        self.codes: dict[str, set[int]] = {}

    def send(
        self, method: str, path: str, query: str, body: bytes, auth: str, content_type: str | None
    ) -> None:
        url = path + (f"?{query}" if query else "")
        request = self.http.build_request(method, url, content=body)
        if content_type:
            request.headers["Content-Type"] = content_type
        creds = self.live.creds
        if auth == "garbage":
            request.headers.update({"Authorization": "Bearer x", "Sign": "zz"})
        else:
            sent_query = request.url.query.decode("ascii")
            request.headers.update(
                credential_headers(creds, auth, canonical(path), sent_query, body)
            )
        if auth == "shopify":
            request.headers["X-Shopify-Topic"] = "orders/create"
        try:
            response = self.http.send(request)
        except httpx.TransportError as exc:  # the server dropped the connection: no answer at all
            self.failures.append(f"{exc!r} <- {method} {url[:300]} body={body[:300]!r}")
            return
        problems = envelope_problems(
            method, path, response.status_code, response.headers, response.content
        )
        if problems:
            self.failures.append(f"{problems} <- {method} {url[:300]} body={body[:300]!r}")
            return
        if method != "HEAD" and canonical(path) in STANDARD_OAUTH:
            self.codes.setdefault(canonical(path), set()).add(oauth_code(response.content))
        elif method != "HEAD":
            reply = response.json()
            self.codes.setdefault(canonical(path), set()).add(reply.get("code", 0))
            if canonical(path).endswith("/reset_private_token") and reply["code"] == 0:
                creds.private_token = reply["data"]["private_token"]


@pytest.fixture(scope="module")
def review_ids(live: Live) -> list[str]:
    ids = []
    with httpx.Client(base_url=live.base_url) as http:
        for rating in (5, 3, 1):
            body = json.dumps({"rating": rating, "author": "Seed", "product_id": "p-1"}).encode()
            headers = sign_headers(live.creds, "", body)
            response = http.post("/api/v1/openapi/create_review", content=body, headers=headers)
            ids.append(response.json()["data"]["id"])
    return ids


def test_mutated_requests_per_operation(live: Live, review_ids: list[str]) -> None:
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        fuzzer = MutationFuzzer(live, http, review_ids)
        # Deletions last: they remove the seed reviews the other operations use.
        order = sorted(live.security.items(), key=lambda item: ("delete" in item[0][1], item[0]))
        for (method, path), kind in order:
            count = max(MUTATION_FLOOR, MUTATION_BUDGET // len(order))
            slow = path.endswith(SLOW_PATHS)
            fuzzer.run(method, path, kind, SLOW_MUTATION_REQUESTS if slow else count)
    failures, codes = fuzzer.raw.failures, fuzzer.raw.codes
    assert not failures, "\n".join(failures[:40])
    # The requests got past signing and validation, not only into error paths.
    for name in ("get_reviews", "get_rating", "create_review", "update_review"):
        assert 0 in codes[f"/api/v1/openapi/{name}"], (name, codes)
    assert 0 in codes["/api/v1/openapi/get_open_api_private_token"]
    storefront = f"/api/v1/storefront/shops/{live.creds.domain}/events"
    assert codes[storefront] - {5}, codes[storefront]  # past the shop lookup
    for path in STANDARD_OAUTH:
        assert codes[path] - {16}, (path, codes[path])  # past client authentication
    assert {0, 3, 5, 16} <= set().union(*codes.values())


def test_any_method_on_any_path(live: Live) -> None:
    paths = {v for _, path in live.security for v in path_variants(path)}
    legacy = ["orders", "customer_events", "get_customer_exclude_list", "get_review_list"]
    paths |= {f"/api/v1/open_api/{name}" for name in legacy}
    paths |= {"/api/v1/openapi/nope", "/api/v1/openapi/get_reviews//", "/api/v1/", "/api/"}
    methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"]
    rng = random.Random(20260605)
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        sender = RawSender(live, http)
        for path in sorted(paths):
            for method in methods:
                if (method, canonical(path)) in live.security:
                    continue  # the real operations are fuzzed above
                body = rng.choice([b"", b"{}", b"{bad", b'{"id": 1}'])
                auth = rng.choice(["hmac", "merchant", "none", "garbage"])
                sender.send(method, path, "page=1", body, auth, None)
    assert not sender.failures, "\n".join(sender.failures[:40])
    assert {3, 5} <= set().union(*sender.codes.values())
