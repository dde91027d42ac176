"""The HTTP/1.1 protocol `serve` runs: uvicorn's httptools protocol (its fast parser) with the
limits it lacks.

- **Head size.** httptools gathers a header line whole before handing it over, with no limit
  (uvicorn has `h11_max_incomplete_event_size` for h11 only): a 256 MiB header was held in memory
  and blocked the event loop for seconds. The bytes of a request line and headers are counted
  as they arrive; past `max_header_bytes` the answer is 431 and nothing more is parsed.
- **Head time.** uvicorn's keep-alive timer runs only between requests and stops at the first
  byte, so a connection that never sends its headers stayed open. A timer armed when a
  connection opens and when a request begins closes it unless the headers are complete within
  `header_timeout` seconds (a request being answered is never cut).
- **Body idleness.** Once the head is complete, uvicorn waits for the body forever: a client
  could hold connections by trickling or stopping its bodies. While a body is incomplete, each
  arrival of bytes restarts its clock; `body_idle_timeout` seconds without one and the answer
  is 408 (or, a response already begun, the connection is closed). Idle, not total: a large
  upload on a slow but steady line is never cut, nor is a request whose body is complete, nor
  one whose body the server itself is not reading yet.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from asyncio import TimerHandle
from typing import Any, cast

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from shopreviews.kit.observability import exchange as exchanges
from shopreviews.settings import Settings

access_log = logging.getLogger("shopreviews.access")


def protocol(settings: Settings) -> type[asyncio.Protocol]:
    """The protocol for uvicorn's `http=`, with this deployment's limits. A partial rather than
    a class made on the fly: it pickles, so `--workers` processes receive it."""
    factory = functools.partial(
        GuardedHttpToolsProtocol,
        max_header_bytes=settings.max_header_bytes,
        header_timeout=settings.header_timeout_seconds,
        body_idle_timeout=settings.body_idle_timeout_seconds,
    )
    # uvicorn only calls it with the protocol's keyword arguments, as it would the class.
    return cast(type[asyncio.Protocol], factory)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        max_header_bytes: int,
        header_timeout: float,
        body_idle_timeout: float,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_header_bytes = max_header_bytes
        self.header_timeout = header_timeout
        self.body_idle_timeout = body_idle_timeout
        # Waiting for, or reading, a request line and headers; False: reading a request's body.
        self._in_head = True
        self._head_bytes = 0
        # When the head being read must be complete, or the body being read is idle too long
        # (None: neither pending). One timer checks it, re-armed only when it fires early: no
        # timer is made and cancelled per request or per chunk of a body.
        self._deadline: float | None = None
        self._timer: TimerHandle | None = None
        self._refused = False  # answered 431 or 408: what still arrives is dropped

    # Connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_clock(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        # The head is fed in slices that keep it within the limit, so a huge header is refused
        # after max_header_bytes, never parsed (or held) whole.
        while self._in_head and data:
            room = self.max_header_bytes - self._head_bytes
            if room <= 0:
                self._refuse_head()
                return
            part, data = data[:room], data[room:]
            self._head_bytes += len(part)
            super().data_received(part)
            if self.transport.is_closing():
                return
        if data:
            super().data_received(data)
        if not self._in_head:
            # A body is still incomplete and bytes came: its idle clock starts again. (Requests
            # read whole in one piece, the usual case, never get here.)
            self._start_clock(self.body_idle_timeout)

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_clock(self.header_timeout)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._deadline = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0
        self._deadline = None  # the body is whole: the app's time is the budget's business

    # Limits

    def _refuse_head(self) -> None:
        self._refused = True
        access_log.info(
            "%s request head over %d bytes: 431", self._client_host(), self.max_header_bytes
        )
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # mid-answer on a pipelined connection: no room for a 431
            return
        self._refuse(
            431, f"Request header fields too large: the limit is {self.max_header_bytes} bytes.\n"
        )

    def _refuse(self, status: int, text: str) -> None:
        """Answer `status` in plain text and end the connection; what still arrives is dropped."""
        self._refused = True
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: " + str(len(text)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                text.encode("ascii"),
            ]
        )
        self.transport.write(b"".join(content))
        # Half-close: the client reads the answer, then end of stream. Closing outright with
        # its request still arriving would reset the connection, and the reset can destroy the
        # answer before the client reads it. The clock ends the connection either way.
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._start_clock(self.header_timeout)
        else:
            self.transport.close()

    def _start_clock(self, seconds: float) -> None:
        deadline = self._deadline = self.loop.time() + seconds
        timer = self._timer
        # A deadline earlier than the timer (a body's clock shorter than the head's) re-arms it
        # once; a later one waits for the timer to fire early.
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self._timer = self.loop.call_at(deadline, self._check_clock)

    def _check_clock(self) -> None:
        self._timer = None
        if self._deadline is None or self.transport.is_closing():
            return
        if self.loop.time() < self._deadline:  # progress since it was armed: check again then
            self._timer = self.loop.call_at(self._deadline, self._check_clock)
            return
        if self._refused:  # the refusal has had its time to be read
            self.transport.close()
        elif self._in_head:
            self._head_timed_out()
        else:
            self._body_timed_out()

    def _head_timed_out(self) -> None:
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined head stalls behind a request still being answered: the answer first.
            self._start_clock(self.header_timeout)
            return
        if self._head_bytes:
            access_log.info(
                "%s request head not complete within %gs: connection closed",
                self._client_host(),
                self.header_timeout,
            )
        self.transport.close()

    def _body_timed_out(self) -> None:
        cycle = self.cycle
        if self.flow.read_paused or self.pipeline or cycle.waiting_for_100_continue:
            # The server's turn, not the client's: the body is not being read (uvicorn's buffer
            # is full until the app reads, or an earlier pipelined request is being answered)
            # or not asked for yet (the client awaits 100 Continue until the app reads).
            self._start_clock(self.body_idle_timeout)
            return
        # Told to the request's access line, which the request layer writes once the app
        # lets go of the request: one line per request.
        exchange = exchanges.of_scope(cycle.scope)
        cut = f"request body idle for {self.body_idle_timeout:g}s"
        if cycle.response_started:  # no room for a 408 in an answer already begun
            if exchange is not None:
                exchange.cut = f"{cut}: connection closed"
            self.transport.close()
            return
        if exchange is not None:
            exchange.cut, exchange.status = cut, 408
        # As when the client disconnects: the app stops waiting for the body, and what it may
        # still send is dropped instead of following the 408.
        cycle.disconnected = True
        cycle.message_event.set()
        idle = self.body_idle_timeout
        self._refuse(408, f"Request timeout: no bytes of the request body for {idle:g} s.\n")

    def _client_host(self) -> str:
        return self.client[0] if self.client else "-"
