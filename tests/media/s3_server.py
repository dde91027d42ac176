"""A real S3-compatible server for the tests of the s3 storage backend: moto's standalone
server (`python -m moto.server`) in a subprocess on a free local port.

Import the `moto_endpoint` fixture into a test module by name. The server is started once per
session (the first module that needs it), answers plain HTTP on 127.0.0.1 and is killed at
teardown. Every object lives in memory, so nothing is left behind.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

STARTUP_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(process: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise RuntimeError(f"moto server exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"{endpoint}/moto-api/", timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"moto server did not answer at {endpoint} in {STARTUP_SECONDS} s")


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL (http://127.0.0.1:<port>) of a running moto server."""
    # Its request log goes to a file: a pipe nobody reads would fill up and stall the server.
    log = tmp_path_factory.mktemp("moto") / "server.log"
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # moto accepts any credentials; keep real ones of the environment away from it anyway.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            _wait_until_up(process, endpoint, log)
            yield endpoint
        finally:
            process.kill()
            process.wait(timeout=10)
