"""The envelope's bytes have one writer (kit/envelope.py envelope_bytes): FastAPI's answer for
an Envelope response model, hand-built and cached successes, the exception handlers' errors and
the request layer's early refusals are the same bytes for the same input, in the contract's key
order, without spaces, with the UTF-8 charset in the media type."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import httpx
import pydantic_core
import pytest
from fastapi import FastAPI, Response
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter

from shopreviews.kit.envelope import (
    CATEGORY,
    HTTP_STATUS,
    ApiError,
    Envelope,
    InvalidArgument,
    envelope_bytes,
    error_response,
    request_id_var,
    success_json,
    success_response,
)
from shopreviews.kit.error_handlers import install_exception_handlers
from shopreviews.kit.middleware import ConventionsMiddleware

NOW = 1780644116
REQUEST_ID = "760276786c8548b878b1e041f50ab56b"
# Text JSON must escape (quotes, backslash, control characters) or may leave as it is.
TRICKY = 'say "hi" \\ tab\t nul\x00 esc\x1b line\u2028 naïve ✓ 𝄞'
texts = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


@contextmanager
def pinned() -> Iterator[None]:
    """The envelope's time and request_id fixed, so two writings can be compared whole."""
    token = request_id_var.set(REQUEST_ID)
    try:
        with mock.patch.object(time, "time", return_value=NOW + 0.7):
            yield
    finally:
        request_id_var.reset(token)


def test_the_bytes_are_the_contracts() -> None:
    with pinned():
        assert envelope_bytes(3, "invalid argument: x") == (
            b'{"code":3,"message":"invalid argument: x","time":1780644116,'
            b'"request_id":"760276786c8548b878b1e041f50ab56b","data":null}'
        )
        response = success_response({"b": [1, 2.5], "a": TRICKY})
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.body == (
        b'{"code":0,"message":"success","time":1780644116,'
        b'"request_id":"760276786c8548b878b1e041f50ab56b","data":{"b":[1,2.5],"a":'
        + '"say \\"hi\\" \\\\ tab\\t nul\\u0000 esc\\u001b line\u2028 naïve ✓ 𝄞"'.encode()
        + b"}}"
    )


@given(code=st.sampled_from(sorted(HTTP_STATUS)), message=texts, data=json_values)
def test_an_envelope_model_is_written_as_envelope_bytes_writes_it(
    code: int, message: str, data: Any
) -> None:
    with pinned():
        model = Envelope[Any](code=code, message=message, data=data)
        written = TypeAdapter(Envelope[Any]).dump_json(model, by_alias=True)
        assert written == envelope_bytes(code, message, pydantic_core.to_json(data))


class Item(BaseModel):
    text: str
    number: float
    nested: dict[str, list[int]]


ITEM = Item(text=TRICKY, number=1e16, nested={"a": [1, 2]})


def _app() -> FastAPI:
    app = FastAPI()
    install_exception_handlers(app)

    @app.get("/api/v1/model", response_model=Envelope[Item])
    async def model() -> Envelope[Item]:
        return Envelope(data=ITEM)

    @app.get("/api/v1/by_hand")
    async def by_hand() -> Response:
        return success_response(ITEM)

    @app.get("/api/v1/cached")
    async def cached() -> Response:
        return success_json(pydantic_core.to_json(ITEM))

    @app.get("/api/v1/refused")
    async def refused() -> None:
        raise InvalidArgument("GET requests take no body")

    app.add_middleware(
        ConventionsMiddleware,
        max_body_bytes=1024,
        budget_seconds=5,
        error_shapes={},
        legacy_paths={},
        form_paths=frozenset(),
    )
    return app


def _pinned_body(response: httpx.Response) -> bytes:
    """The body with its request id (fresh per request, also in X-Request-Id) replaced."""
    request_id = response.headers["x-request-id"]
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.content.replace(f'"request_id":"{request_id}"'.encode(), b'"request_id":"-"')
    assert body.count(b'"request_id":"-"') == 1
    return body


async def test_every_path_writes_the_same_bytes() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        with mock.patch.object(time, "time", return_value=NOW + 0.7):
            paths = ("model", "by_hand", "cached")
            successes = [await http.get(f"/api/v1/{path}") for path in paths]
            # The same refusal raised by a route (the exception handlers) and by the request
            # layer before any route (a GET with a body).
            raised = await http.get("/api/v1/refused")
            early = await http.request("GET", "/api/v1/refused", content=b"{}")
    with pinned():
        success = envelope_bytes(0, "success", pydantic_core.to_json(ITEM))
        refusal = envelope_bytes(3, "invalid argument: GET requests take no body")
        direct = error_response(InvalidArgument("GET requests take no body")).body
    assert direct == refusal
    assert [_pinned_body(r) for r in successes] == [_as_sent(success)] * 3
    assert raised.status_code == early.status_code == 400
    assert _pinned_body(raised) == _pinned_body(early) == _as_sent(refusal)


def _as_sent(written: bytes) -> bytes:
    return written.replace(REQUEST_ID.encode(), b"-")


@pytest.mark.parametrize("code", sorted(CATEGORY))
def test_errors_are_written_with_their_status(code: int) -> None:
    response = error_response(ApiError(code, "x"))
    assert response.status_code == HTTP_STATUS[code]
    assert response.headers["content-type"] == "application/json; charset=utf-8"
