"""An SMTP server run as its own process on 127.0.0.1, for the email tests.

    python tests/emails/smtp_server.py --port P --maildir DIR [--delay SECONDS]
                                       [--refuse-rcpt SUBSTRING:CODE ...]

Every accepted message becomes one file DIR/<n>.eml, written under a hidden temporary name and
renamed, so a reader never sees half a message. The envelope is prepended as
`X-Envelope-From` / `X-Envelope-To` header lines (as a mail server adds Return-Path and
Delivered-To), the message itself follows byte for byte.

--refuse-rcpt SUBSTRING:CODE  answer RCPT with CODE (e.g. 550 or 451) for recipients containing
                              SUBSTRING (case-insensitive); may be repeated.
--delay SECONDS               a slow relay: before answering DATA (before the 354), wait SECONDS,
                              taking one message at a time. A client that goes away while it
                              waits leaves nothing behind (its message is never stored).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import signal
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

_counter = itertools.count(1)


class Handler:
    def __init__(self, maildir: Path, refuse: list[tuple[str, int]]) -> None:
        self.maildir = maildir
        self.refuse = refuse

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        for substring, code in self.refuse:
            if substring in address.lower():
                kind = "try again later" if code < 500 else "mailbox unavailable"
                return f"{code} {address}: {kind}"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        head = f"X-Envelope-From: <{envelope.mail_from}>\r\n"
        head += "".join(f"X-Envelope-To: <{rcpt}>\r\n" for rcpt in envelope.rcpt_tos)
        name = f"{os.getpid()}-{next(_counter):06d}-{uuid.uuid4().hex[:8]}.eml"
        temporary = self.maildir / f".{name}.tmp"
        temporary.write_bytes(head.encode() + content)
        temporary.replace(self.maildir / name)
        return "250 2.0.0 Ok: queued"


class SlowSMTP(SMTP):
    """Waits before answering DATA, one message at a time (a slow relay)."""

    delay = 0.0
    lock: asyncio.Lock | None = None

    async def smtp_DATA(self, arg: str) -> None:
        if self.delay > 0 and self.lock is not None:
            # A client that disconnects meanwhile cancels this coroutine (aiosmtpd cancels the
            # handler on connection_lost), which also releases the lock for the next one.
            async with self.lock:
                await asyncio.sleep(self.delay)
        await super().smtp_DATA(arg)


def _refusal(value: str) -> tuple[str, int]:
    substring, _, code = value.rpartition(":")
    if not substring or not code.isdigit() or not 400 <= int(code) <= 599:
        raise argparse.ArgumentTypeError(f"expected SUBSTRING:CODE, got {value!r}")
    return substring.lower(), int(code)


async def serve(args: Any) -> None:
    handler = Handler(Path(args.maildir), args.refuse_rcpt)
    SlowSMTP.delay = args.delay
    SlowSMTP.lock = asyncio.Lock()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SlowSMTP(handler, hostname="smtp.test", timeout=120),
        host="127.0.0.1",
        port=args.port,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--refuse-rcpt", type=_refusal, action="append", default=[])
    args = parser.parse_args()
    Path(args.maildir).mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
