"""moto's standalone S3-compatible server in a subprocess, for the tests of the s3 storage
backend (the media tests, and the web review tests of storefront photo uploads)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.programs import free_port

# Seconds moto's server may take to answer after it started.
MOTO_STARTUP_SECONDS = 30.0


def wait_for_moto(process: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
    """Until moto's server at `endpoint` answers (its output is in `log`)."""
    deadline = time.monotonic() + MOTO_STARTUP_SECONDS
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
    raise RuntimeError(f"moto server did not answer at {endpoint} in {MOTO_STARTUP_SECONDS} s")


@contextmanager
def running_moto(log: Path) -> Iterator[str]:
    """The base URL (http://127.0.0.1:<port>) of a moto server that runs while the block does.
    It answers plain HTTP, keeps every object in memory (nothing is left behind) and is killed
    at the end; its request log goes to `log` (a pipe nobody reads would fill up and stall
    it)."""
    port = free_port()
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
            wait_for_moto(process, endpoint, log)
            yield endpoint
        finally:
            process.kill()
            process.wait(timeout=10)
