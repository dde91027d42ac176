"""What the layers of one request learn for its access line and its metrics.

The request layer (kit/middleware.py) writes the access line and counts the request, but it sits
outside the routing, and what it needs is learnt further in: which route answered (the router
writes it into a copy of the request's scope: kit/db_retry.py runs each attempt on a fresh
copy), and which refusal was sent (written where every error envelope is, kit/envelope.py).
So one `Exchange` per request is shared by reference: through a context variable for the code
that runs in the request's task, and through the scope's state for the HTTP server's protocol,
which runs outside it (a body that stops arriving is answered 408 there: kit/server.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from shopreviews.kit.bodies import ASGIApp, Receive, Scope, Send

# The route label of requests no route answered: unknown paths, and requests refused before
# routing (a body over the limit). Not a path, so it never collides with a route's template.
UNMATCHED = "unmatched"
# The key of the request's exchange in the scope's state.
STATE_KEY = "shopreviews.exchange"


@dataclass
class Exchange:
    route: str = UNMATCHED  # the template of the route that answered, e.g. /api/v1/x/{id}
    code: int | None = None  # the refusal's envelope code, when one was sent
    reason: str = ""  # the refusal's envelope message
    cut: str = ""  # why the HTTP server cut the request short (kit/server.py)
    status: int = 0  # the status the server sent itself, beside the app (408), if it did


_current: ContextVar[Exchange | None] = ContextVar("exchange", default=None)


def begin(state: dict[str, Any]) -> tuple[Exchange, Token[Exchange | None]]:
    """A new exchange for the request whose scope state is `state`; the token ends it."""
    exchange = Exchange()
    state[STATE_KEY] = exchange
    return exchange, _current.set(exchange)


def end(token: Token[Exchange | None]) -> None:
    _current.reset(token)


def of_scope(scope: Mapping[str, Any]) -> Exchange | None:
    """The exchange of a request, from its ASGI scope (for the HTTP server's protocol)."""
    state = scope.get("state")
    found = state.get(STATE_KEY) if isinstance(state, dict) else None
    return found if isinstance(found, Exchange) else None


def refused(code: int, message: str) -> None:
    """The request is answered with this error envelope."""
    exchange = _current.get()
    if exchange is not None:
        exchange.code, exchange.reason = code, message


class RecordRoute:
    """The innermost layer: once the router has run, the template of the route it chose."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            exchange = _current.get()
            route = scope.get("route")
            template = getattr(route, "path_format", None)
            if exchange is not None and isinstance(template, str):
                exchange.route = template
