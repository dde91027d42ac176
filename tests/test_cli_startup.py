"""What `serve`, `demo` and `worker` say when they start (the version, the database with its
password hidden, the key's source, the addresses, who runs the jobs), and a port another
program holds, reported before anything starts: no migration runs, no demo shop is seeded."""

from __future__ import annotations

import json
import select
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from shopreviews import __version__
from shopreviews.migrate import MIGRATIONS
from shopreviews.settings import shown_database_url
from tests.support.cli import Cli, ConsoleScript
from tests.support.databases import configured_url, on_postgres
from tests.support.programs import free_port

ON_POSTGRES = on_postgres(configured_url() or "")
SECRET_KEY = "startup-test-secret-key-" + "k" * 32
REVISIONS = sorted(path.stem for path in (MIGRATIONS / "versions").glob("[0-9]*.py"))
START_TIMEOUT = 60


@contextmanager
def _held_port() -> Iterator[int]:
    """A port of 127.0.0.1 another program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def test_a_busy_port_is_reported_before_anything_starts(cli_on_empty_database: Cli) -> None:
    cli = cli_on_empty_database
    cli.extra_env["SHOPREVIEWS_SECRET_KEY"] = SECRET_KEY
    with _held_port() as port:
        busy = (
            f"port {port} on 127.0.0.1 is already in use: stop the other program or choose --port"
        )
        assert cli.error("serve", "--port", str(port)) == f"error: {busy}"
        assert cli.json_error("serve", "--port", str(port)) == busy
        assert cli.error("demo", "--port", str(port)) == f"error: {busy}"
    # Nothing ran before: every migration is still to apply, and no demo shop was made.
    assert cli.json("migrate")["applied"] == REVISIONS
    assert cli.json("shop", "list") == {"shops": []}


def test_a_port_that_cannot_be_taken_says_why(cli_on_empty_database: Cli) -> None:
    cli = cli_on_empty_database
    cli.extra_env["SHOPREVIEWS_SECRET_KEY"] = SECRET_KEY
    # 192.0.2.1 (TEST-NET-1) is nobody's address, so no interface of this machine has it.
    assert cli.error("serve", "--host", "192.0.2.1", "--port", str(free_port())) == (
        "error: 192.0.2.1 is not an address of this machine: choose another --host"
    )


def _line(process: subprocess.Popen[bytes], stream: Any, log: list[str]) -> str:
    """The next line the process writes on `stream`, waiting for it."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.2)
        if ready:
            line = stream.readline().decode()
            if line:
                log.append(line)
                return line.rstrip("\n")
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode}:\n{''.join(log)}")
    pytest.fail(f"no line within {START_TIMEOUT} s:\n{''.join(log)}")


@contextmanager
def _started(console: ConsoleScript, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [console.script, *args],
        cwd=console.cwd,
        env=console.process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,  # unbuffered: a line read leaves nothing behind that select cannot see
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def _key(console: ConsoleScript) -> str:
    if "SHOPREVIEWS_SECRET_KEY" in console.extra_env:
        return "SHOPREVIEWS_SECRET_KEY from the environment"
    return str((console.cwd / "shopreviews.key").resolve())


def test_serve_says_what_it_serves(console: ConsoleScript) -> None:
    if ON_POSTGRES:
        console.extra_env["SHOPREVIEWS_SECRET_KEY"] = SECRET_KEY
    console.extra_env["SHOPREVIEWS_PUBLIC_URL"] = "https://reviews.example.com"
    port = free_port()
    listen = f"http://127.0.0.1:{port}"
    log: list[str] = []
    with _started(console, "serve", "--port", str(port), "--no-worker") as process:
        lines = []
        while not (line := _line(process, process.stderr, log)).startswith("  job worker:"):
            if not line.startswith("20"):  # a log line (the key file's notice) has its time
                lines.append(line)
        lines.append(line)
    assert lines == [
        f"ShopReviews {__version__} serving on {listen} (API reference: {listen}/docs)",
        "  public URL:    https://reviews.example.com",
        f"  database:      {shown_database_url(console.database_url)}",
        f"  schema:        {REVISIONS[-1]} (nothing to apply)",
        f"  server key:    {_key(console)}",
        "  API processes: 1",
        "  job worker:    not in these processes: run `shopreviews worker`",
    ]


def test_the_worker_says_what_it_runs_on(console: ConsoleScript) -> None:
    if ON_POSTGRES:
        console.extra_env["SHOPREVIEWS_SECRET_KEY"] = SECRET_KEY
    console.extra_env["SHOPREVIEWS_SMTP_HOST"] = "smtp.example.com"
    log: list[str] = []
    with _started(console, "worker", "--json") as process:
        facts = json.loads(_line(process, process.stdout, log))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert process.stdout is not None
        assert json.loads(process.stdout.read()) == {"stopped": True}
    assert facts == {
        "version": __version__,
        "database": shown_database_url(console.database_url),
        "schema": {"current": REVISIONS[-1], "applied": []},
        "key": _key(console),
        "public_url": "http://127.0.0.1:8000",
        "concurrency": 10,
        "smtp": "smtp.example.com:587",
    }

    with _started(console, "worker") as process:
        title = _line(process, process.stderr, log)
        rows = [_line(process, process.stderr, log) for _ in range(6)]
    assert title == f"ShopReviews {__version__} worker running; stop with Ctrl-C or SIGTERM"
    assert rows[-1] == "  email:        smtp.example.com:587"


def test_demo_json_is_one_object_with_the_server(console: ConsoleScript) -> None:
    if ON_POSTGRES:
        console.extra_env["SHOPREVIEWS_SECRET_KEY"] = SECRET_KEY
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log: list[str] = []
    with _started(console, "demo", "--port", str(port), "--json") as process:
        announced = json.loads(_line(process, process.stdout, log))
    assert announced["storefront_url"] == f"{base}/demo/storefront"
    assert announced["review_count"] == 200
    assert announced["server"] == {
        "version": __version__,
        "listen": base,
        "public_url": base,
        "database": shown_database_url(console.database_url),
        "schema": {"current": REVISIONS[-1], "applied": []},
        "key": _key(console),
        "workers": 1,
        "worker_in_process": True,
    }
