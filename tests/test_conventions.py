"""Cross-cutting API conventions (spec README §2, §3, §8) and the kit helpers behind them."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import ApiError
from shopreviews.kit.middleware import redact_query
from shopreviews.kit.pagination import PageRequest, Pagination
from shopreviews.kit.params import (
    QueryParams,
    parse_external_id,
    parse_flag,
    parse_id,
    parse_query,
)
from shopreviews.kit.timefmt import parse_time
from shopreviews.main import create_app
from shopreviews.merchants import service as merchant_service
from shopreviews.settings import Settings
from tests.support import signer
from tests.support.api import ShopApi, error, ok

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
ENVELOPE_KEYS = {"code", "message", "time", "request_id", "data"}
SPEC_CODES = {0, 1, 3, 4, 5, 6, 7, 8, 13, 16}
MIB = 1024 * 1024
REVIEW = {"rating": 5, "author": "Jane", "product_id": "p-1"}


def assert_envelope(response: httpx.Response) -> dict[str, Any]:
    """Every field of the envelope with its type, plus the /api response headers."""
    body: dict[str, Any] = response.json()
    assert set(body) == ENVELOPE_KEYS | ({"id"} if "id" in body else set()), body
    assert type(body["code"]) is int and body["code"] in SPEC_CODES
    assert type(body["message"]) is str and body["message"]
    assert type(body["time"]) is int
    assert abs(body["time"] - time.time()) < 300
    assert type(body["request_id"]) is str and REQUEST_ID.match(body["request_id"])
    assert response.headers["x-request-id"] == body["request_id"]
    if body["code"] == 0:
        assert body["message"] == "success"
        assert isinstance(body["data"], dict | list)
    else:
        assert body["message"] != "success"
    return body


def assert_api_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"


async def signed_get(shop: ShopApi, path: str, pairs: list[tuple[str, str]]) -> httpx.Response:
    query = signer.encode_query(pairs)
    url = path + (f"?{query}" if query else "")
    return await shop.client.get(url, headers=shop.headers(pairs))


async def signed_post(
    shop: ShopApi, path: str, body: bytes, content_type: str | None = "application/json"
) -> httpx.Response:
    headers = shop.headers([], body)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return await shop.client.post(path, content=body, headers=headers)


# --- envelope, request id, headers ---------------------------------------------------------


async def test_success_envelope_fields_and_types(shop: ShopApi) -> None:
    response = await shop.get("get_rating", {"product_id": "p-1"})
    body = assert_envelope(response)
    assert body["code"] == 0 and response.status_code == 200
    assert body["data"]["review_count"] == 0
    assert_api_headers(response)


async def test_error_envelope_fields_and_types(shop: ShopApi) -> None:
    response = await shop.get("get_review", {"id": "abc"})
    body = assert_envelope(response)
    assert response.status_code == 400 and body["code"] == 3
    assert body["data"] is None
    assert body["message"].startswith("invalid argument")
    assert_api_headers(response)


async def test_unauthenticated_envelope_has_api_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/openapi/get_reviews")
    body = error(response, 16, 401)
    assert body["data"] is None
    assert_api_headers(response)


async def test_request_id_fresh_per_request_and_not_taken_from_client(
    client: httpx.AsyncClient,
) -> None:
    incoming = "0123456789abcdef0123456789abcdef"
    seen = set()
    for _ in range(3):
        response = await client.get("/", headers={"X-Request-Id": incoming})
        body = assert_envelope(response)
        seen.add(body["request_id"])
        assert body["request_id"] != incoming
        assert response.headers["x-request-id"] == body["request_id"]
    assert len(seen) == 3


async def test_request_id_on_api_error(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/v1/openapi/get_rating", headers={"X-Request-Id": "abc"})
    second = await client.get("/api/v1/openapi/get_rating")
    ids = {assert_envelope(first)["request_id"], assert_envelope(second)["request_id"]}
    assert len(ids) == 2


async def test_non_ascii_output_is_raw_utf8(shop: ShopApi) -> None:
    review = {**REVIEW, "author": "Zoë", "content": "Très bien — 日本語 ✓"}
    response = await shop.post("create_review", review)
    data = ok(response)
    assert data["content"] == review["content"]
    assert "Très bien — 日本語 ✓".encode() in response.content
    assert "Zoë".encode() in response.content
    assert b"\\u" not in response.content
    assert_api_headers(response)


# --- unknown paths and methods -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/openapi/no_such_endpoint",
        "/api/v1/open_api/no_such_endpoint",
        "/api/v1/merchant/no_such_endpoint",
        "/api/v2/openapi/get_reviews",
        "/api/v1/openapi/Get_Reviews",  # paths are case-sensitive
        "/no-such-page",
        "/oauth/nothing-here",
    ],
)
async def test_unknown_path_is_404_code_5_envelope(client: httpx.AsyncClient, path: str) -> None:
    for method in ("GET", "POST"):
        response = await client.request(method, path)
        body = error(response, 5, 404)
        assert body["data"] is None
        assert response.headers["content-type"].startswith("application/json")
        assert "<html" not in response.text.lower()


async def test_unknown_api_path_has_api_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/openapi/no_such_endpoint")
    assert_envelope(response)
    assert_api_headers(response)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/v1/openapi/create_review", "POST"),
        ("PUT", "/api/v1/openapi/create_review", "POST"),
        ("POST", "/api/v1/openapi/get_reviews", "GET"),
        ("DELETE", "/api/v1/openapi/get_rating", "GET"),
        ("OPTIONS", "/api/v1/openapi/get_review", "GET"),
        ("GET", "/api/v1/merchant/login", "POST"),
        ("POST", "/api/v1/openapi/get_open_api_information", "GET"),
        ("GET", "/api/v1/open_api/create_review", "POST"),
        ("POST", "/", "GET"),
    ],
)
async def test_wrong_method_is_405_code_3_with_allow(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path)
    body = error(response, 3, 405)
    assert body["data"] is None
    allow = {m.strip() for m in response.headers["allow"].split(",")}
    assert allowed in allow
    assert method not in allow
    assert method in body["message"]


# --- request bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{bad json", "not valid JSON"),
        (b'{"rating": 5,}', "not valid JSON"),
        (b"\xff\xfe{}", "must be UTF-8, not UTF-16 or UTF-32"),
        (b"[1, 2]", "JSON object"),
        (b'[{"rating": 5}]', "JSON object"),
        (b"null", "JSON object"),
        (b'"text"', "JSON object"),
        (b"42", "JSON object"),
        (b"", "body is required"),
    ],
)
async def test_bad_bodies_are_code_3_naming_the_problem(
    shop: ShopApi, raw: bytes, fragment: str
) -> None:
    response = await shop.post("create_review", raw=raw)
    body = error(response, 3, 400)
    assert fragment in body["message"], body["message"]
    assert body["message"].startswith("invalid argument")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [(b"{bad", "not valid JSON"), (b"[]", "JSON object"), (b"", "body is required")],
)
async def test_bad_bodies_on_public_endpoint(
    client: httpx.AsyncClient, raw: bytes, fragment: str
) -> None:
    response = await client.post("/api/v1/merchant/login", content=raw)
    body = error(response, 3, 400)
    assert fragment in body["message"]


async def test_too_deeply_nested_body_is_code_3(shop: ShopApi) -> None:
    deep = b'{"rating": 5, "author": "a", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    body = error(await shop.post("create_review", raw=deep), 3, 400)
    assert body["message"].startswith("invalid argument")


async def test_moderately_nested_unknown_field_is_ignored(shop: ShopApi) -> None:
    # Within the JSON parser's depth: the body is valid and the unknown field is ignored.
    nested = b'{"rating": 5, "author": "a", "extra": ' + b"[" * 700 + b"]" * 700 + b"}"
    assert ok(await shop.post("create_review", raw=nested))["rating"] == 5


async def test_nul_anywhere_in_body_is_code_3(shop: ShopApi) -> None:
    body = error(await shop.post("create_review", {**REVIEW, "extra": [["a\x00"]]}), 3, 400)
    assert "U+0000" in body["message"]


async def test_missing_field_is_named(shop: ShopApi) -> None:
    body = error(await shop.post("create_review", {"author": "Jane"}), 3, 400)
    assert "rating" in body["message"]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        None,
        "application/x-www-form-urlencoded",
        "application/json; charset=utf-8",
        "multipart/form-data; boundary=xyz",
    ],
)
async def test_post_body_is_json_whatever_the_content_type(
    shop: ShopApi, content_type: str | None
) -> None:
    raw = json.dumps({**REVIEW, "author": "Typed Author"}).encode()
    response = await signed_post(shop, "/api/v1/openapi/create_review", raw, content_type)
    if content_type is None:
        assert "content-type" not in response.request.headers
    data = ok(response)
    assert data["author"] == "Typed Author" and data["product_id"] == "p-1"


async def test_body_over_one_mib_is_code_3(shop: ShopApi) -> None:
    raw = json.dumps({**REVIEW, "content": "a" * MIB}).encode()
    assert len(raw) > MIB
    body = error(await signed_post(shop, "/api/v1/openapi/create_review", raw), 3, 400)
    assert "larger" in body["message"]


async def test_body_of_exactly_one_mib_is_accepted(client: httpx.AsyncClient) -> None:
    prefix = b'{"email": "nobody@example.com", "password": "wrong-password", "pad": "'
    raw = prefix + b"a" * (MIB - len(prefix) - 2) + b'"}'
    assert len(raw) == MIB
    # Parsed and answered by the route (wrong credentials), not refused for its size.
    error(await client.post("/api/v1/merchant/login", content=raw), 16, 401)
    error(await client.post("/api/v1/merchant/login", content=raw + b" "), 3, 400)


async def _chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_chunked_body_over_one_mib_is_code_3(client: httpx.AsyncClient) -> None:
    parts = [b'{"email": "a@example.com", "password": "x", "pad": "'] + [b"a" * 65536] * 17
    response = await client.post("/api/v1/merchant/login", content=_chunks([*parts, b'"}']))
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    body = error(response, 3, 400)
    assert "larger" in body["message"]
    assert_api_headers(response)


async def test_chunked_body_under_limit_is_reassembled(client: httpx.AsyncClient) -> None:
    parts = [b'{"email": "nobody@exa', b'mple.com", "pass', b'word": "wrong-password"}']
    response = await client.post("/api/v1/merchant/login", content=_chunks(parts))
    assert "content-length" not in response.request.headers
    error(response, 16, 401)  # parsed: wrong credentials, not a body error


# --- paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/openapi/get_rating",
        "/api/v1/open_api/get_rating",
        "/api/v1/openapi/get_rating/",
        "/api/v1/open_api/get_rating/",
    ],
)
async def test_legacy_prefix_and_one_trailing_slash(shop: ShopApi, path: str) -> None:
    ok(await shop.post("create_review", {**REVIEW, "rating": 4}))
    data = ok(await signed_get(shop, path, [("product_id", "p-1")]))
    assert data["review_count"] == 1 and data["star4_count"] == 1


@pytest.mark.parametrize("path", ["/api/v1/openapi/get_rating//", "/api/v1/open_api/get_rating//"])
async def test_two_trailing_slashes_are_not_found(shop: ShopApi, path: str) -> None:
    error(await signed_get(shop, path, [("product_id", "p-1")]), 5, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/openapi/get_review_list",
        "/api/v1/open_api/get_review_list",
        "/api/v1/open_api/get_reviews",
    ],
)
async def test_legacy_list_name(shop: ShopApi, path: str) -> None:
    created = ok(await shop.post("create_review", REVIEW))
    data = ok(await signed_get(shop, path, []))
    assert [r["id"] for r in data["list"]] == [created["id"]]


async def test_legacy_prefix_post(shop: ShopApi) -> None:
    raw = json.dumps(REVIEW).encode()
    data = ok(await signed_post(shop, "/api/v1/open_api/create_review", raw))
    assert data["product_id"] == "p-1"


async def test_probe_get_and_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    body = assert_envelope(response)
    assert response.status_code == 200 and body["code"] == 0 and body["data"] == {}
    head = await client.head("/")
    assert head.status_code == 200
    assert head.content == b""
    assert REQUEST_ID.match(head.headers["x-request-id"])


# --- unexpected failures --------------------------------------------------------------------


async def test_unexpected_exception_is_code_13_without_stack_trace(
    settings: Settings, ctx: AppContext, caplog: pytest.LogCaptureFixture, monkeypatch: Any
) -> None:
    app = create_app(settings, ctx=ctx)

    @app.get("/api/v1/openapi/test_boom")
    async def boom() -> None:
        raise RuntimeError("kaboom-detail-4711")

    @app.get("/test_boom_outside_api")
    async def boom_outside() -> None:
        raise KeyError("kaboom-detail-4712")

    # Keep the (slow, locals-rendering) console traceback out of the test output.
    monkeypatch.setattr(logging.getLogger("shopreviews"), "handlers", [])
    caplog.set_level(logging.INFO, logger="shopreviews")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for path in ("/api/v1/openapi/test_boom", "/test_boom_outside_api"):
            response = await http.get(path)
            body = error(response, 13, 500)
            assert body["data"] is None
            text = response.text
            for leak in ("Traceback", "kaboom", "RuntimeError", "KeyError", 'File "'):
                assert leak not in text
            # The one request_id of this request: body, header and the error log agree.
            logged = [r for r in caplog.records if r.name == "shopreviews.errors"]
            assert logged and getattr(logged[-1], "request_id", None) == body["request_id"]
            access = [r for r in caplog.records if r.name == "shopreviews.access"]
            assert getattr(access[-1], "status", None) == 500
            caplog.clear()
        assert_api_headers(await http.get("/api/v1/openapi/test_boom"))


async def test_processing_budget_is_code_4(
    settings: Settings, ctx: AppContext, monkeypatch: Any
) -> None:
    quick = settings.model_copy(update={"request_budget_seconds": 0.05})
    app = create_app(quick, ctx=ctx)

    @app.get("/api/v1/openapi/test_slow")
    async def slow() -> None:
        await asyncio.sleep(30)

    @app.get("/api/v1/openapi/test_own_timeout")
    async def own_timeout() -> None:
        raise TimeoutError("an upstream call timed out")  # not the budget: code 13

    monkeypatch.setattr(logging.getLogger("shopreviews"), "handlers", [])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/api/v1/openapi/test_slow")
        body = error(response, 4, 504)
        assert body["data"] is None and body["message"].startswith("deadline exceeded")
        assert_api_headers(response)
        error(await http.get("/api/v1/openapi/test_own_timeout"), 13, 500)


async def test_media_transfers_are_not_cut_off_by_the_budget(
    settings: Settings, ctx: AppContext
) -> None:
    # A large upload on a slow line takes as long as it takes (the size limits bound it).
    quick = settings.model_copy(update={"request_budget_seconds": 0.05})
    app = create_app(quick, ctx=ctx)

    @app.put("/media/test_slow_transfer")
    async def slow_transfer() -> dict[str, str]:
        await asyncio.sleep(0.3)
        return {"done": "yes"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.put("/media/test_slow_transfer")
        assert (response.status_code, response.json()) == (200, {"done": "yes"})


# --- access log -----------------------------------------------------------------------------


async def test_access_log_redacts_secret_query_values(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="shopreviews")
    response = await client.get(
        "/api/v1/openapi/get_rating?token=tok-SECRET-1&client_secret=cs-SECRET-2"
        "&refresh_token%5B0%5D=rt-SECRET-3&Code=code-SECRET-4&product_id=visible-77"
    )
    request_id = response.headers["x-request-id"]
    lines = [r for r in caplog.records if r.name == "shopreviews.access"]
    assert len(lines) == 1
    record = lines[0]
    message = record.getMessage()
    everything = message + repr(record.__dict__)
    for secret in ("tok-SECRET-1", "cs-SECRET-2", "rt-SECRET-3", "code-SECRET-4"):
        assert secret not in everything
    assert "token=[redacted]" in message and "client_secret=[redacted]" in message
    assert "product_id=visible-77" in message  # other values are kept
    assert "/api/v1/openapi/get_rating" in message and " 401 " in message
    assert getattr(record, "request_id", None) == request_id


async def test_logs_never_contain_the_private_token(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="shopreviews")
    email = f"log-{shop.shop_id}@example.com"
    async with ctx.db.session(write=True) as session:
        await merchant_service.create_user(
            session, shop_id=shop.shop_id, email=email, password="log test password"
        )
    login = await client.post(
        "/api/v1/merchant/login", json={"email": email, "password": "log test password"}
    )
    headers = {"Authorization": f"Bearer {ok(login)['token']}"}
    tokens = {shop.private_token}
    read = await client.get("/api/v1/openapi/get_open_api_private_token", headers=headers)
    assert ok(read)["private_token"] == shop.private_token
    reset = await client.post("/api/v1/openapi/reset_private_token", headers=headers)
    tokens.add(ok(reset)["private_token"])
    # A client that puts secrets in the query (wrongly) does not get them logged either.
    for token in tokens:
        await client.get(
            "/api/v1/openapi/get_rating?private_token=" + quote(token, safe=""), headers=headers
        )
        await client.get("/api/v1/merchant/nothing?secret=" + quote(token, safe=""))
    assert len([r for r in caplog.records if r.name == "shopreviews.access"]) == 7
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    for token in tokens:
        for form in {token, quote(token, safe=""), quote(token)}:
            assert form not in logged
    assert "log test password" not in logged


@pytest.mark.parametrize(
    "path",
    [
        "/email/review/41.SIGNATUREsignature1234",
        "/email/unsubscribe/41.SIGNATUREsignature1234",
        "/email/open/41.SIGNATUREsignature1234.gif",
        "/media/upload/eyJrIjoi.SIGNATUREsignature1234",
    ],
)
async def test_access_log_redacts_email_link_tokens(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    # The token of an email link is the customer's credential (review as them, unsubscribe).
    caplog.set_level(logging.INFO, logger="shopreviews")
    response = await client.get(path)
    assert response.status_code in (404, 405)  # not a genuine token (uploads are PUT)
    lines = [r.getMessage() for r in caplog.records if r.name == "shopreviews.access"]
    assert len(lines) == 1
    assert "SIGNATUREsignature1234" not in lines[0]
    assert "[redacted]" in lines[0]


def test_redact_query_unit() -> None:
    assert redact_query("") == ""
    redacted = redact_query("a=1&password=hunter2&Sign=abc&state=s&code_verifier=v&b=2")
    assert "hunter2" not in redacted and "abc" not in redacted
    assert redacted.startswith("a=1&password=[redacted]") and redacted.endswith("&b=2")
    assert "s&" not in redacted.replace("[redacted]", "") and "=v" not in redacted


# --- kit.params -----------------------------------------------------------------------------


def q(raw: str) -> QueryParams:
    return QueryParams.from_raw(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("p=111&p=222", ["111", "222"]),
        ("p[]=111&p[]=222", ["111", "222"]),
        ("p%5B%5D=111&p%5b%5d=222", ["111", "222"]),
        ("p[0]=111&p[1]=222", ["111", "222"]),
        ("p[1]=b&p[0]=a", ["a", "b"]),
        ("p[10]=d&p[2]=c&p[1]=b&p[0]=a", ["a", "b", "c", "d"]),
        ("p%5B1%5D=b&p%5B0%5D=a", ["a", "b"]),
        ("p[01]=b&p[0]=a", ["a", "b"]),
        ("p[99999999999999999999999999]=z&p[3]=a", ["a", "z"]),
        ("p=111,222", ["111", "222"]),
        ("p[]=1,2&p[1]=5,6&p[0]=3,4&p=7", ["1", "2", "3", "4", "5", "6", "7"]),
        # Mixed forms merge in order of appearance; indexed items sit where the first appeared.
        ("p=1&p[1]=4&p[]=2&p[0]=3&p=5", ["1", "3", "4", "2", "5"]),
        ("p=2,1&p[]=2&p=3,1", ["2", "1", "3"]),
        ("p=+1+,,%201%20,+2+,", ["1", "2"]),
        ("p=&p=undefined&p=null&p", []),
        ("p=&p=7", ["7"]),
        ("px=1&p_x=2&p[x]=3&P=4&p[٣]=5", []),
        ("", []),
    ],
)
def test_array_forms(raw: str, expected: list[str]) -> None:
    assert q(raw).array("p") == expected


def test_array_limit_is_100_distinct_items() -> None:
    hundred = ",".join(str(i) for i in range(100))
    assert len(q("p=" + hundred).array("p")) == 100
    assert len(q(f"p={hundred}&p[]=0,1,2").array("p")) == 100  # duplicates do not count
    for raw in (
        "p=" + ",".join(str(i) for i in range(101)),
        "&".join(f"p[]={i}" for i in range(101)),
        "&".join(f"p[{i}]={i}" for i in range(60)) + "&p=" + ",".join(f"x{i}" for i in range(41)),
    ):
        with pytest.raises(ApiError) as caught:
            q(raw).array("p")
        assert caught.value.code == 3 and "100" in caught.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a=1&a=2&a=", "2"),
        ("a=1&a=null&a=undefined", "1"),
        ("a=", None),
        ("a", None),
        ("a=null", None),
        ("a=undefined", None),
        ("a=+", None),
        ("b=1", None),
        ("a=+x+", "x"),
        ("a=x+y", "x y"),
        ("a=%2B1", "+1"),
        ("a=%E2%9C%93", "✓"),
        ("a=Zo%C3%AB", "Zoë"),
        ("a=1%262", "1&2"),
        ("%61=enc", "enc"),
    ],
)
def test_scalar_reading(raw: str, expected: str | None) -> None:
    assert q(raw).scalar("a") == expected


def test_parse_query_keeps_order_and_empty_values() -> None:
    assert parse_query("a&b=&=c&&d=1=2&e=%20") == [
        ("a", ""),
        ("b", ""),
        ("", "c"),
        ("d", "1=2"),
        ("e", " "),
    ]


@pytest.mark.parametrize("raw", ["a=%ff", "%ff=1", "a=%C3", "a=%ED%A0%80", "a=%C0%AF"])
def test_invalid_utf8_is_code_3(raw: str) -> None:
    with pytest.raises(ApiError) as caught:
        q(raw)
    assert caught.value.code == 3 and "UTF-8" in caught.value.message


@pytest.mark.parametrize("raw", ["a=x%00y", "a=%00", "a=1&a=%00", "a[]=%00"])
def test_nul_in_a_read_query_value_is_code_3(raw: str) -> None:
    params = q(raw)  # decoding itself accepts it (the signature covers any decodable query)
    with pytest.raises(ApiError) as caught:
        params.array("a") if "[" in raw else params.scalar("a")
    assert caught.value.code == 3 and "U+0000" in caught.value.message
    assert q(raw).scalar("b") is None  # other parameters still read


@pytest.mark.parametrize(
    "pairs",
    [
        [("keyword", "a\x00b")],
        [("product_handle", "\x00")],
        [("sources", "Shop,\x00")],
        [("product_ids[0]", "p\x00")],
    ],
)
async def test_nul_in_query_over_http_is_code_3(
    shop: ShopApi, pairs: list[tuple[str, str]]
) -> None:
    # PostgreSQL cannot store or compare U+0000 in text: without this rule it answered 500.
    body = error(await signed_get(shop, "/api/v1/openapi/get_reviews", pairs), 3, 400)
    assert "U+0000" in body["message"]


async def test_invalid_utf8_query_over_http_is_code_3(shop: ShopApi) -> None:
    headers = shop.headers([("keyword", "x")])  # any signature: decoding fails first
    response = await shop.client.get("/api/v1/openapi/get_reviews?keyword=%ff", headers=headers)
    body = error(response, 3, 400)
    assert "UTF-8" in body["message"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, False), (1, True), ("0", False), ("1", True), (True, True), (False, False)],
)
def test_parse_flag_json(value: Any, expected: bool) -> None:
    assert parse_flag(value, "f") is expected


@pytest.mark.parametrize(
    ("value", "expected"), [("0", False), ("1", True), ("true", True), ("false", False)]
)
def test_parse_flag_query(value: str, expected: bool) -> None:
    assert parse_flag(value, "f", query=True) is expected


@pytest.mark.parametrize(
    ("value", "query"),
    [
        (2, False),
        (-1, False),
        (1.0, False),
        (None, False),
        ("true", False),
        ("false", False),
        ("yes", False),
        ("", False),
        ("2", True),
        ("True", True),
        ("on", True),
        ("", True),
        ([1], False),
    ],
)
def test_parse_flag_rejects(value: Any, query: bool) -> None:
    with pytest.raises(ApiError) as caught:
        parse_flag(value, "is_top", query=query)
    assert caught.value.code == 3 and "is_top" in caught.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("1", 1),
        (" 42 ", 42),
        ("0007", 7),
        (2**63 - 1, 2**63 - 1),
        (str(2**63 - 1), 2**63 - 1),
    ],
)
def test_parse_id_accepts(value: Any, expected: int) -> None:
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        0,
        -1,
        "0",
        "-1",
        2**63,
        str(2**63),
        "9" * 5000,
        True,
        False,
        1.0,
        "1.0",
        "1e3",
        "abc",
        "",
        " ",
        None,
        "١٢",
        "²",
        [1],
        {"id": 1},
    ],
)
def test_parse_id_rejects(value: Any) -> None:
    with pytest.raises(ApiError) as caught:
        parse_id(value, "review_id")
    assert caught.value.code == 3 and "review_id" in caught.value.message


def test_parse_external_id() -> None:
    assert parse_external_id(123, "product_id") == "123"
    assert parse_external_id(" abc-1 ", "product_id") == "abc-1"
    assert parse_external_id("x" * 64, "product_id") == "x" * 64
    for bad in (True, None, 1.5, "", "x" * 65, "a b", "a,b", "é", "a\tb"):
        with pytest.raises(ApiError):
            parse_external_id(bad, "product_id")


def test_page_request() -> None:
    assert PageRequest.from_query(q("")) == PageRequest(1, 20)
    assert PageRequest.from_query(q("page=3&page_size=7")) == PageRequest(3, 7)
    assert PageRequest.from_query(q("page=&page_size=null")) == PageRequest(1, 20)
    assert PageRequest.from_query(q("page_size=101")).page_size == 100
    assert PageRequest.from_query(q("page_size=" + "9" * 5000)).page_size == 100
    assert PageRequest.from_query(q("page=2&page_size=10")).offset == 10
    for raw in ("page=0", "page=-1", "page=1.5", "page_size=0", "page_size=x", "page=٣"):
        with pytest.raises(ApiError) as caught:
            PageRequest.from_query(q(raw))
        assert caught.value.code == 3
    with pytest.raises(ApiError):
        PageRequest.from_query(q("page=" + "9" * 5000))


def test_pagination_total_page() -> None:
    request = PageRequest(2, 20)
    assert Pagination.of(request, 0).model_dump() == {
        "page": 2,
        "page_size": 20,
        "total_page": 0,
        "count": 0,
    }
    assert Pagination.of(request, 47).total_page == 3
    assert Pagination.of(request, 40).total_page == 2
    assert Pagination.of(request, 1).total_page == 1


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("id=" + "9" * 5000, 3),
        ("id=9223372036854775808", 3),
        ("id=0", 3),
        ("id=9223372036854775807", 5),
    ],
)
async def test_ids_over_http(shop: ShopApi, raw: str, code: int) -> None:
    pairs = signer.decode_query(raw)
    error(
        await signed_get(shop, "/api/v1/openapi/get_review", pairs), code, 400 if code == 3 else 404
    )


async def test_huge_numbers_over_http(shop: ShopApi) -> None:
    for pairs in (
        [("page", "9" * 5000)],
        [("product_ids[" + "9" * 5000 + "]", "p")],
    ):
        response = await signed_get(shop, "/api/v1/openapi/get_reviews", pairs)
        assert response.status_code in (200, 400), response.text
    data = ok(await signed_get(shop, "/api/v1/openapi/get_reviews", [("page_size", "9" * 50)]))
    assert data["page"]["page_size"] == 100
    body = b'{"id": "' + b"9" * 5000 + b'"}'
    message = error(await shop.post("delete_review", raw=body), 3, 400)["message"]
    assert "4300" not in message and "int_max_str_digits" not in message


# --- kit.timefmt ----------------------------------------------------------------------------


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-06-05 07:21:56", utc(2026, 6, 5, 7, 21, 56)),
        (" 2026-06-05 07:21:56 ", utc(2026, 6, 5, 7, 21, 56)),
        ("2026-06-05", utc(2026, 6, 5)),
        ("1780644116", utc(2026, 6, 5, 7, 21, 56)),
        (1780644116, utc(2026, 6, 5, 7, 21, 56)),
        ("0", utc(1970, 1, 1)),
        (0, utc(1970, 1, 1)),
        ("9999999999", utc(2286, 11, 20, 17, 46, 39)),
        ("2026-06-05T07:21:56Z", utc(2026, 6, 5, 7, 21, 56)),
        ("2026-06-05t07:21:56z", utc(2026, 6, 5, 7, 21, 56)),
        ("2026-06-05T09:21:56+02:00", utc(2026, 6, 5, 7, 21, 56)),
        ("2026-06-05T01:51:56-05:30", utc(2026, 6, 5, 7, 21, 56)),
        ("2026-06-05T00:30:00+01:00", utc(2026, 6, 4, 23, 30)),
        ("2026-06-05T07:21:56.999999Z", utc(2026, 6, 5, 7, 21, 56)),
        ("2026-06-05T09:21:56.5+02:00", utc(2026, 6, 5, 7, 21, 56)),
    ],
)
def test_parse_time_forms(value: Any, expected: datetime) -> None:
    parsed = parse_time(value)
    assert parsed == expected
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert parsed.microsecond == 0


def test_parse_time_end_of_day_only_for_bare_dates() -> None:
    assert parse_time("2026-06-05", end_of_day=True) == utc(2026, 6, 5, 23, 59, 59)
    assert parse_time("2026-06-05 00:00:00", end_of_day=True) == utc(2026, 6, 5)
    assert parse_time("2026-06-05T00:00:00Z", end_of_day=True) == utc(2026, 6, 5)
    assert parse_time("1780617600", end_of_day=True) == utc(2026, 6, 5)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "yesterday",
        "2026-13-01",
        "2026-02-30",
        "2026-06-05 25:00:00",
        "2026-06-05T07:21",
        "2026-06-05T07:21:56",  # RFC 3339 needs Z or an offset
        "2026-06-05T07:21:56+0200",
        "2026-06-05T07:21:56+25:00",
        "2026/06/05",
        "12345678901",
        "-1",
        "1.5",
        -1,
        10**10,
        1.5,
        True,
        None,
        [2026],
    ],
)
def test_parse_time_rejects(value: Any) -> None:
    with pytest.raises(ValueError):
        parse_time(value)


def test_parse_time_rejects_non_ascii_digits() -> None:
    with pytest.raises(ValueError):
        parse_time("١٧٨٠٦٤٤١١٦")
