"""Request bodies at the edge, before any route sees them: the size limit (as declared in
Content-Length and as streamed) and the UTF-8 rule of API bodies."""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Methods whose body a route may read; the middleware reads it first, within the limit.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Methods that take no body on the API (docs/api.md, "Bodies": GET parameters are in
# the query string).
BODYLESS_METHODS = frozenset({"GET", "HEAD"})
# Media uploads are read by their own routes under their own documented limits (docs/api.md,
# "Media uploads").
OWN_LIMIT_PREFIX = "/media"


def has_own_limit(path: str) -> bool:
    return path == OWN_LIMIT_PREFIX or path.startswith(OWN_LIMIT_PREFIX + "/")


def declared_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The Content-Length as an integer; None when absent (the server has checked its syntax)."""
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def announces_body(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether the request says a body follows: Content-Length above 0, or Transfer-Encoding."""
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"transfer-encoding":
            return True
        if lowered == b"content-length" and value.strip() not in (b"", b"0"):
            return True
    return False


class BodyAbandoned(Exception):
    """The client went away before its body was complete."""


async def read_capped(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as more than `limit` bytes have arrived (the rest is never
    read, so a 1 GiB body costs at most `limit` bytes of memory). BodyAbandoned when the client
    disconnects first: a cut-off body must never reach a handler as if it were whole (a
    truncated form can still parse)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BodyAbandoned
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def encoding_problem(body: bytes) -> str | None:
    """Why an API body is not UTF-8, or None. json.loads on bytes would guess UTF-16 and UTF-32
    and skip a byte order mark: the contract says UTF-8, so each is refused by name."""
    if body.startswith(codecs.BOM_UTF8):
        return "the body must be UTF-8 without a byte order mark"
    # UTF-16 and UTF-32 put NUL bytes beside every ASCII character (with or without a byte
    # order mark); valid UTF-8 JSON or form data never holds a raw NUL byte.
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in body:
        return "the body must be UTF-8, not UTF-16 or UTF-32"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the body is not valid UTF-8 (at byte {exc.start})"
    return None


def replay(body: bytes) -> Receive:
    """A receive channel that hands out a body already read."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # like a real server: nothing more until disconnect
        return {"type": "http.disconnect"}

    return receive
