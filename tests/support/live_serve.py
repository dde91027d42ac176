"""`shopreviews serve` as an operator runs it, in a subprocess on a free port, for the tests where
the HTTP server itself is the point (limits of the connection, forwarded headers, the log).

The server gets a SQLite file of its own whatever database the suite runs on: these tests are
about the server's handling of bytes and connections, which no database takes part in.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.programs import console_script, free_port

START_TIMEOUT = 60


@dataclass
class Served:
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        return sock

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()

    def wait_for_log(self, needle: str) -> list[str]:
        """The log's lines once one holds `needle` (the access log is written after the answer)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            lines = self.log_lines()
            if any(needle in line for line in lines):
                return lines
            time.sleep(0.05)
        pytest.fail(f"no log line with {needle!r}:\n" + "\n".join(self.log_lines()))


@contextmanager
def serve(workdir: Path, *args: str, **settings: str) -> Iterator[Served]:
    """Run `shopreviews serve` with these SHOPREVIEWS_ settings (keyword names in lower case,
    without the prefix) until the block ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPREVIEWS_")}
    env["SHOPREVIEWS_DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir / 'serve.db'}"
    env["SHOPREVIEWS_SECRET_KEY"] = "live-serve-test-key-" + "s" * 32
    env["SHOPREVIEWS_RUN_WORKER"] = "false"
    env.update({f"SHOPREVIEWS_{name.upper()}": value for name, value in settings.items()})
    served = Served(free_port(), workdir / "serve.log")
    with served.log.open("wb") as err:
        process = subprocess.Popen(
            [console_script(), "serve", "--port", str(served.port), *args],
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        _wait_until_up(served, process)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(served: Served, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{served.log.read_text()}")
        try:
            response = httpx.get(served.base + "/", timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        assert response.json()["code"] == 0, response.text
        return
    pytest.fail(f"serve did not answer within {START_TIMEOUT} s:\n{served.log.read_text()}")


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    """One response (head, body) of a keep-alive connection, its body sized by Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection ended mid-response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, f"the connection ended mid-response: {data!r}"
        body += chunk
    assert len(body) == length, "more than one response"
    return head, body
