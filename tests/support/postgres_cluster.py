"""A PostgreSQL server of a test's own, made from the installed server binaries in a temporary
directory: for what the suite's server cannot show, a password refused (the suite's server
trusts its local connections). Skipped where no server binaries are installed."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.programs import free_port

START_TIMEOUT = 60


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return installed[-1].parent if installed else None


def _as_server_user() -> dict[str, Any]:
    """PostgreSQL refuses to run as root: then it runs as the postgres user."""
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root without a postgres user to run a server as")
    return {"user": "postgres", "group": "postgres"}


@contextlib.contextmanager
def password_server(password: str, *options: str) -> Iterator[int]:
    """A server on 127.0.0.1 whose user `postgres` signs in with `password` (SCRAM), with
    server `options` ("name=value"); its port. Stopped and removed when the block ends."""
    binaries = _binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb) installed")
    run_as = _as_server_user()
    home = Path(tempfile.mkdtemp(prefix="shopreviews-pg-"))
    try:
        (home / "password").write_text(password + "\n")
        if run_as:
            for path in (home, home / "password"):
                shutil.chown(path, "postgres", "postgres")
        subprocess.run(
            [
                str(binaries / "initdb"), "-D", str(home / "data"), "-U", "postgres",
                f"--pwfile={home / 'password'}", "--auth-host=scram-sha-256",
                "--auth-local=trust", "--no-sync", "-E", "UTF8",
            ],
            check=True, capture_output=True, timeout=START_TIMEOUT, **run_as,
        )  # fmt: skip
        port = free_port()
        server = subprocess.Popen(
            [
                str(binaries / "postgres"), "-D", str(home / "data"), "-p", str(port),
                "-h", "127.0.0.1", "-k", str(home), "-c", "fsync=off",
                *(part for option in options for part in ("-c", option)),
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **run_as,
        )  # fmt: skip
        try:
            _wait_for(binaries, port, server)
            yield port
        finally:
            server.send_signal(signal.SIGINT)  # fast shutdown
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _wait_for(binaries: Path, port: int, server: subprocess.Popen[bytes]) -> None:
    """Until the server accepts connections (pg_isready: not merely listening, started)."""
    deadline = time.monotonic() + START_TIMEOUT
    ready = [str(binaries / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)]
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the PostgreSQL server exited with {server.returncode}")
        if subprocess.run(ready, check=False, timeout=START_TIMEOUT).returncode == 0:
            return
        time.sleep(0.1)
    pytest.fail(f"the PostgreSQL server did not start within {START_TIMEOUT} s")
