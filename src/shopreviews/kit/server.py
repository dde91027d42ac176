"""The HTTP/1.1 protocol `serve` runs: uvicorn's httptools protocol (its fast parser) with the two
limits it lacks.

- **Head size.** httptools gathers a header line whole before handing it over, with no limit
  (uvicorn has `h11_max_incomplete_event_size` for h11 only): a 256 MiB header was held in memory
  and blocked the event loop for seconds. The bytes of a request line and headers are counted
  as they arrive; past `max_header_bytes` the answer is 431 and nothing more is parsed.
- **Head time.** uvicorn's keep-alive timer runs only between requests and stops at the first
  byte, so a connection that never sends its headers stayed open. A timer armed when a
  connection opens and when a request begins closes it unless the headers are complete within
  `header_timeout` seconds (a request being answered is never cut).
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

from shopreviews.settings import Settings

access_log = logging.getLogger("shopreviews.access")


def protocol(settings: Settings) -> type[asyncio.Protocol]:
    """The protocol for uvicorn's `http=`, with this deployment's limits. A partial rather than
    a class made on the fly: it pickles, so `--workers` processes receive it."""
    factory = functools.partial(
        GuardedHttpToolsProtocol,
        max_header_bytes=settings.max_header_bytes,
        header_timeout=settings.header_timeout_seconds,
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
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_header_bytes = max_header_bytes
        self.header_timeout = header_timeout
        self._in_head = True  # waiting for, or reading, a request line and headers
        self._head_bytes = 0
        # When the head being read must be complete (None: no head pending). One timer checks
        # it, re-armed only when it fires early: no timer is made and cancelled per request.
        self._head_deadline: float | None = None
        self._head_timer: TimerHandle | None = None
        self._refused = False  # answered 431: what still arrives is dropped

    # Connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
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

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_head_clock()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_deadline = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0

    # Limits

    def _refuse_head(self) -> None:
        self._refused = True
        access_log.info(
            "%s request head over %d bytes: 431", self._client_host(), self.max_header_bytes
        )
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # mid-answer on a pipelined connection: no room for a 431
            return
        text = f"Request header fields too large: the limit is {self.max_header_bytes} bytes.\n"
        content = [STATUS_LINE[431]]
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
        # its header still arriving would reset the connection, and the reset can destroy the
        # answer before the client reads it. The head timer ends the connection either way.
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._start_head_clock()
        else:
            self.transport.close()

    def _start_head_clock(self) -> None:
        self._head_deadline = self.loop.time() + self.header_timeout
        if self._head_timer is None:
            self._head_timer = self.loop.call_at(self._head_deadline, self._check_head)

    def _check_head(self) -> None:
        self._head_timer = None
        if self._head_deadline is None or self.transport.is_closing():
            return
        if self.loop.time() < self._head_deadline:  # a later head's clock: check again then
            self._head_timer = self.loop.call_at(self._head_deadline, self._check_head)
            return
        if not self._refused and self.cycle is not None and not self.cycle.response_complete:
            # A pipelined head stalls behind a request still being answered: the answer first.
            self._start_head_clock()
            return
        if self._head_bytes and not self._refused:
            access_log.info(
                "%s request head not complete within %gs: connection closed",
                self._client_host(),
                self.header_timeout,
            )
        self.transport.close()

    def _client_host(self) -> str:
        return self.client[0] if self.client else "-"
