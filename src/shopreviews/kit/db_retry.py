"""A request whose database connection died before COMMIT runs again, once.

A database restart, a failover or `pg_terminate_backend` ends the server side of pooled
connections, idle or in use. Nothing a request did on such a connection before COMMIT was sent
is kept (the server rolls the transaction back), so running the whole request again on a fresh
connection is safe, and the client sees no error. Once COMMIT was sent the outcome is unknown:
the request is never run again (it could store a review twice), and the client gets code 13.

`Database._commit` calls `commit_starting` just before it sends COMMIT; `DisconnectRetry`, an
ASGI layer inside the conventions middleware, runs a failed request again when the failure was
a lost connection, no COMMIT was sent, no response has started and the body can be replayed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

import asyncpg
from sqlalchemy.exc import DBAPIError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("shopreviews.errors")

# Driver errors of a connection the server ended or that cannot reach it: class 08 (connection
# exception), 57P01-57P03 (administrator command, crash, starting up), a socket reset, refused
# or broken, and asyncpg's error for a connection it already knows is closed. asyncpg also
# raises InternalClientError ("cannot switch to state 12; another operation (2) is in
# progress") for some connections ended in the middle of a statement: the connection is
# unusable then, as if lost (asyncpg issue 1069, SQLAlchemy issue 13241).
_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.InternalClientError,
    ConnectionError,
)


def is_disconnect(exc: BaseException | None) -> bool:
    """Whether `exc`, or an error it was raised from, is a lost database connection."""
    while exc is not None:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(exc, _LOST):
            return True
        if isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc):
            return True
        exc = exc.__cause__
    return False


class _Attempt:
    """One run of a request; `commit_sent` once a COMMIT went out on its behalf."""

    __slots__ = ("commit_sent",)

    def __init__(self) -> None:
        self.commit_sent = False


# Set by DisconnectRetry around a request's first run. A mutable object, not a flag in the
# variable, so that a COMMIT in a copied context (a task the request started) is still seen.
_attempt: ContextVar[_Attempt | None] = ContextVar("db_attempt", default=None)


def commit_starting() -> None:
    """Called just before COMMIT is sent: from here on the request may have stored something,
    so it must not run again whatever happens next."""
    attempt = _attempt.get()
    if attempt is not None:
        attempt.commit_sent = True


class _RecordedBody:
    """The request messages the app read, kept so a second run reads the same body."""

    def __init__(self, receive: Receive, max_bytes: int) -> None:
        self._receive = receive
        self._max_bytes = max_bytes
        self._messages: list[Message] = []
        self._size = 0
        # False once the body outgrew max_bytes (not kept) or the client went away.
        self.replayable = True

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request":
            self.replayable = False
        elif self.replayable:
            self._size += len(message.get("body", b""))
            if self._size > self._max_bytes:
                self.replayable = False
                self._messages.clear()
            else:
                self._messages.append(message)
        return message

    def replay(self) -> Receive:
        """The kept messages again, then whatever the client still sends."""
        pending = list(self._messages)

        async def receive() -> Message:
            return pending.pop(0) if pending else await self._receive()

        return receive


class DisconnectRetry:
    """Runs an HTTP request a second time when its database connection died before COMMIT."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        # API bodies are at most this large (the conventions middleware refuses larger ones);
        # a larger body (a media upload) is not kept, and its request is not run again.
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = _RecordedBody(receive, self.max_body_bytes)
        attempt = _Attempt()
        started = False

        async def send_first(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        token = _attempt.set(attempt)
        try:
            await self.app(_fresh(scope), body.receive, send_first)
            return
        except Exception as exc:
            if started or attempt.commit_sent or not body.replayable or not is_disconnect(exc):
                raise
            log.warning(
                "database connection lost before commit; running the request again: %s",
                type(exc).__name__,
            )
        finally:
            _attempt.reset(token)
        await self.app(_fresh(scope), body.replay(), send)


def _fresh(scope: Scope) -> Scope:
    """A copy of the request's scope for one run: routing and the framework write into the
    scope (route, endpoint, path parameters, exit stacks) and a second run must not see the
    first run's entries."""
    return dict(scope, state=dict(scope.get("state") or {}))
