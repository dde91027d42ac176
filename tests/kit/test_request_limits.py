"""Request bodies at the edge (kit/middleware.py, kit/bodies.py): the 1 MiB limit on every path
that reads a body, refused as the body streams in or at once from Content-Length; media uploads
keep their own limits; API bodies are UTF-8 only; API GET requests take no body."""

from __future__ import annotations

import codecs
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.api import ShopApi, error, ok
from tests.support.reviews import list_ids

LIMIT = 1024 * 1024
CHUNK = 64 * 1024
# More chunks than a body within the limit can have: reading stopped as soon as it went over.
MOST_CHUNKS_READ = LIMIT // CHUNK + 1
PAGES = ["/oauth/login", "/oauth/authorize", "/email/review/1.abc", "/email/unsubscribe/1.abc"]
TOO_LARGE_API = f"invalid argument: request body larger than {LIMIT} bytes"


class Exchange:
    """One request sent straight to the ASGI app, its body streamed in CHUNK-sized pieces, with
    a count of the pieces the app asked for."""

    def __init__(self, body_size: int) -> None:
        self.remaining = body_size
        self.chunks_read = 0
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""

    async def receive(self) -> dict[str, Any]:
        if self.remaining <= 0:
            return {"type": "http.disconnect"}
        self.chunks_read += 1
        size = min(CHUNK, self.remaining)
        self.remaining -= size
        return {"type": "http.request", "body": b"a" * size, "more_body": self.remaining > 0}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        else:
            self.body += message.get("body", b"")


async def exchange(
    app: Any,
    method: str,
    path: str,
    body_size: int,
    headers: list[tuple[bytes, bytes]],
    done: Exchange | None = None,
) -> Exchange:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    done = done or Exchange(body_size)
    await app(scope, done.receive, done.send)
    return done


FORM = (b"content-type", b"application/x-www-form-urlencoded")
CHUNKED = (b"transfer-encoding", b"chunked")


def _page_refusal(done: Exchange) -> None:
    assert done.status == 413, done.body
    assert done.headers["content-type"] == "text/plain; charset=utf-8"
    assert done.headers["connection"] == "close"
    assert done.body == f"Request body too large: the limit is {LIMIT} bytes.\n".encode()


@pytest.mark.parametrize("path", PAGES)
async def test_pages_refuse_a_streamed_body_over_the_limit_before_reading_it_all(
    app: Any, path: str
) -> None:
    done = await exchange(app, "POST", path, 8 * LIMIT, [FORM, CHUNKED])

    _page_refusal(done)
    assert done.chunks_read <= MOST_CHUNKS_READ


@pytest.mark.parametrize("path", PAGES)
async def test_pages_refuse_a_declared_length_over_the_limit_without_reading(
    app: Any, path: str
) -> None:
    length = str(1024 * 1024 * 1024).encode()
    done = await exchange(app, "POST", path, 8 * LIMIT, [FORM, (b"content-length", length)])

    _page_refusal(done)
    assert done.chunks_read == 0


async def test_a_page_body_within_the_limit_reaches_the_page(app: Any) -> None:
    done = await exchange(app, "POST", "/oauth/login", LIMIT, [FORM, CHUNKED])

    # The sign-in page itself answers (an HTML page about the incomplete form), not the limit.
    assert done.status == 400, done.body
    assert done.headers["content-type"].startswith("text/html")
    assert done.chunks_read == LIMIT // CHUNK


async def test_api_refuses_a_declared_length_over_the_limit_without_reading(app: Any) -> None:
    length = str(LIMIT + 1).encode()
    done = await exchange(
        app, "POST", "/api/v1/openapi/create_review", LIMIT + 1, [(b"content-length", length)]
    )

    assert done.status == 400
    assert done.headers["connection"] == "close"
    envelope = json.loads(done.body)
    assert (envelope["code"], envelope["message"]) == (3, TOO_LARGE_API)
    assert done.chunks_read == 0


async def test_api_refuses_a_streamed_body_over_the_limit_before_reading_it_all(
    app: Any,
) -> None:
    done = await exchange(app, "POST", "/api/v1/openapi/create_review", 8 * LIMIT, [CHUNKED])

    envelope = json.loads(done.body)
    assert (done.status, envelope["code"], envelope["message"]) == (400, 3, TOO_LARGE_API)
    assert done.chunks_read <= MOST_CHUNKS_READ


async def test_media_uploads_keep_their_own_limit(app: Any) -> None:
    # 2 MiB, over the general limit but within the image limit: read whole by the upload route,
    # which answers about the upload itself (it has no policy), with its CORS headers.
    boundary = b"b0undary"
    head = (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="x.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n"
    )
    body = head + b"a" * (2 * LIMIT) + b"\r\n--" + boundary + b"--\r\n"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post(
            "/media",
            content=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary.decode()}"},
        )

    envelope = response.json()
    assert response.headers["access-control-allow-origin"] == "*"
    assert (envelope["code"], envelope["message"]) == (
        16,
        "unauthenticated: the upload policy or its signature is not valid",
    )


# --- API bodies are UTF-8 only ---------------------------------------------------------------

REVIEW = json.dumps({"rating": 5, "author": "Jane", "content": "Très bien"}, ensure_ascii=False)
NOT_UTF16 = "invalid argument: the body must be UTF-8, not UTF-16 or UTF-32"
ENCODINGS = [
    pytest.param(REVIEW.encode("utf-16-le"), NOT_UTF16, id="utf-16-le"),
    pytest.param(REVIEW.encode("utf-16-be"), NOT_UTF16, id="utf-16-be"),
    pytest.param(REVIEW.encode("utf-16"), NOT_UTF16, id="utf-16-with-bom"),
    pytest.param(REVIEW.encode("utf-32"), NOT_UTF16, id="utf-32-with-bom"),
    pytest.param(
        codecs.BOM_UTF8 + REVIEW.encode(),
        "invalid argument: the body must be UTF-8 without a byte order mark",
        id="utf-8-with-bom",
    ),
    pytest.param(
        REVIEW.encode("latin-1"),
        f"invalid argument: the body is not valid UTF-8 (at byte {REVIEW.index('è')})",
        id="latin-1",
    ),
]


@pytest.mark.parametrize(("body", "message"), ENCODINGS)
async def test_signed_api_bodies_that_are_not_utf8_are_refused(
    shop: ShopApi, body: bytes, message: str
) -> None:
    response = await shop.post("create_review", raw=body)  # signed over these exact bytes

    refused = error(response, 3, 400)
    assert refused["message"] == message
    assert await list_ids(shop, {"is_published": "all"}) == []


async def test_the_same_review_in_utf8_is_created(shop: ShopApi) -> None:
    review = ok(await shop.post("create_review", raw=REVIEW.encode()))

    assert review["content"] == "Très bien"
    assert await list_ids(shop, {"is_published": "all"}) == [review["id"]]


# --- API GET requests take no body -----------------------------------------------------------


async def _chunks() -> AsyncIterator[bytes]:
    yield b'{"page": 2}'


@pytest.mark.parametrize("kind", ["content-length", "chunked"])
async def test_an_api_get_with_a_body_is_refused(
    shop: ShopApi, client: httpx.AsyncClient, kind: str
) -> None:
    content: bytes | AsyncIterator[bytes] = (
        b'{"page": 2}' if kind == "content-length" else _chunks()
    )
    response = await client.request(
        "GET",
        "/api/v1/openapi/get_reviews",
        content=content,
        headers=shop.headers([], b'{"page": 2}'),
    )

    refused = error(response, 3, 400)
    assert refused["message"] == "invalid argument: GET requests take no body"


async def test_an_api_get_with_a_body_is_refused_whatever_the_endpoint(
    client: httpx.AsyncClient,
) -> None:
    # Before routing and authentication: the rule is the API's, not one endpoint's.
    response = await client.request("GET", "/api/v1/openapi/no_such_endpoint", content=b"{}")

    refused = error(response, 3, 400)
    assert refused["message"] == "invalid argument: GET requests take no body"


async def test_an_api_get_with_an_empty_content_length_is_answered(
    shop: ShopApi, client: httpx.AsyncClient
) -> None:
    response = await client.get(
        "/api/v1/openapi/get_reviews", headers={**shop.headers([]), "Content-Length": "0"}
    )

    assert ok(response)["list"] == []


async def test_oauth_endpoints_get_their_error_shape_from_these_refusals(
    app: Any, client: httpx.AsyncClient
) -> None:
    """The OAuth endpoints' errors always name an RFC 6749 error in `data`, whichever layer
    refuses the request (their OpenAPI schema promises it; clients branch on data.error)."""
    length = str(LIMIT + 1).encode()
    too_large = await exchange(
        app, "POST", "/api/v1/openapi/oauth/token", LIMIT + 1, [(b"content-length", length)]
    )
    utf16 = await client.post(
        "/api/v1/openapi/oauth/token",
        content="grant_type=refresh_token".encode("utf-16"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    get_body = await client.request(
        "GET", "/api/v1/openapi/oauth/authorize", content=b"{}", params={"client_id": "x"}
    )

    for status, body in (
        (too_large.status, json.loads(too_large.body)),
        (utf16.status_code, utf16.json()),
        (get_body.status_code, get_body.json()),
    ):
        assert (status, body["code"], body["data"]["error"]) == (400, 3, "invalid_request")
        assert body["message"] == "invalid_request: " + body["data"]["error_description"]
    assert json.loads(too_large.body)["data"]["error_description"] == (
        f"request body larger than {LIMIT} bytes"
    )
    assert "UTF-16" in utf16.json()["data"]["error_description"]
    assert get_body.json()["data"]["error_description"] == "GET requests take no body"


class Abandoned(Exchange):
    """A client that sends the start of its body, then goes away."""

    def __init__(self, start: bytes) -> None:
        super().__init__(len(start))
        self.start = start

    async def receive(self) -> dict[str, Any]:
        self.chunks_read += 1
        if self.chunks_read == 1:
            return {"type": "http.request", "body": self.start, "more_body": True}
        return {"type": "http.disconnect"}


@pytest.mark.parametrize(
    ("path", "start", "headers"),
    [
        ("/oauth/login", b"email=owner%40example.com&password=secret", [FORM]),
        ("/api/v1/openapi/create_review", b'{"rating": 5}', []),
    ],
)
async def test_a_body_cut_off_by_a_disconnect_never_reaches_a_handler(
    app: Any, caplog: pytest.LogCaptureFixture, path: str, start: bytes, headers: Any
) -> None:
    """The start of a body can parse on its own (a form, a JSON object): handled as if whole,
    it would act on what the client never finished sending."""
    caplog.set_level("INFO", logger="shopreviews.access")
    declared = (b"content-length", str(len(start) + 100).encode())
    done = await exchange(app, "POST", path, 0, [declared, *headers], Abandoned(start))

    assert (done.status, done.body) == (0, b"")  # nothing answered: nobody is there
    (line,) = [r.getMessage() for r in caplog.records if r.name == "shopreviews.access"]
    assert f"POST {path} 499 " in line
