"""kit/database_errors.py: the errors the database drivers really raise, read as the one line
the operator gets, and every other error left alone (None: its traceback still shows). The
commands' end-to-end answers are in tests/test_cli_database.py."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from shopreviews.kit.database_errors import explain
from tests.support.postgres_cluster import password_server
from tests.support.programs import free_port


async def _connect_error(dsn: str, seconds: float = 60) -> BaseException:
    try:
        connection = await asyncpg.connect(dsn, timeout=seconds)
    except BaseException as exc:
        return exc
    await connection.close()
    raise AssertionError(f"{dsn} connected")


@contextmanager
def _silent_server() -> Iterator[int]:
    """A port whose server accepts connections and never says a word."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


async def test_a_server_that_never_answers_is_a_timeout() -> None:
    with _silent_server() as port:
        error = await _connect_error(f"postgresql://shop@127.0.0.1:{port}/db", seconds=0.5)
    assert isinstance(error, TimeoutError)
    assert explain(error, f"postgresql+asyncpg://shop:pw@127.0.0.1:{port}/db") == (
        "cannot use the database of SHOPREVIEWS_DATABASE_URL "
        f"(postgresql+asyncpg://shop:***@127.0.0.1:{port}/db): no answer from 127.0.0.1:{port} "
        "(timed out): check the host and port, and that no firewall drops the connection"
    )


async def test_a_refused_connection_names_the_address() -> None:
    port = free_port()
    error = await _connect_error(f"postgresql://shop@127.0.0.1:{port}/db")
    assert isinstance(error, ConnectionRefusedError)
    line = explain(error, f"postgresql+asyncpg://shop@127.0.0.1:{port}/db")
    assert line is not None and line.endswith(
        f"connection refused by 127.0.0.1:{port}: start PostgreSQL there, or correct the host "
        "and port in the URL"
    )


def test_errors_from_elsewhere_are_left_alone(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://shop@127.0.0.1:5432/db"
    # Not raised by the driver: a file the command reads, a refused socket of its own.
    try:
        (tmp_path / "missing.jsonl").read_text()
    except OSError as exc:
        assert explain(exc, url) is None
    with socket.socket() as sock:
        try:
            sock.connect(("127.0.0.1", free_port()))
        except ConnectionRefusedError as exc:
            assert explain(exc, url) is None
    assert explain(ValueError("a bug"), url) is None
    # A SQLite error about the data, not the file: a bug or a conflict, with its traceback.
    with sqlite3.connect(":memory:") as db:
        try:
            db.execute("SELECT * FROM no_such_table")
        except sqlite3.OperationalError as exc:
            assert explain(exc, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}") is None


def test_a_sqlite_error_behind_another_is_found(tmp_path: Path) -> None:
    path = tmp_path / "gone" / "x.db"
    try:
        sqlite3.connect(path)
    except sqlite3.OperationalError as cause:
        try:
            raise RuntimeError("migration failed") from cause
        except RuntimeError as wrapped:
            error = wrapped
    assert explain(error, f"sqlite+aiosqlite:///{path}") == (
        f"cannot use the database of SHOPREVIEWS_DATABASE_URL (sqlite+aiosqlite:///{path}): "
        f"directory {path.parent} does not exist: create it, or correct the path in the URL"
    )


async def test_a_full_server_says_how_to_need_fewer_connections() -> None:
    with password_server("pw", "max_connections=2", "superuser_reserved_connections=0") as port:
        dsn = f"postgresql://postgres:pw@127.0.0.1:{port}/postgres"
        held = [await asyncpg.connect(dsn), await asyncpg.connect(dsn)]
        try:
            error = await _connect_error(dsn)
        finally:
            for connection in held:
                await connection.close()
    assert explain(error, f"postgresql+asyncpg://postgres:pw@127.0.0.1:{port}/postgres") == (
        "cannot use the database of SHOPREVIEWS_DATABASE_URL "
        f"(postgresql+asyncpg://postgres:***@127.0.0.1:{port}/postgres): sorry, too many clients "
        "already: the server has no connection to spare; lower SHOPREVIEWS_DB_POOL_SIZE or raise "
        "the server's max_connections"
    )
