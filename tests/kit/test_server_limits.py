"""The HTTP server as `shopreviews serve` runs it (kit/server.py, cli.py), over raw sockets: the
request head's size limit and read timeout, and forwarded headers from named proxies only."""

from __future__ import annotations

import json
import select
import socket
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from shopreviews.settings import Settings
from tests.support.live_serve import Served, read_all, read_response, serve

HEAD_LIMIT = 64 * 1024
# A failure guard for connections the server should close, not a measurement.
GIVE_UP = 30.0


def _probe(served: Served) -> None:
    """An ordinary request on a connection of its own is answered."""
    response = httpx.get(served.base + "/", timeout=GIVE_UP)
    assert response.status_code == 200
    assert response.json()["code"] == 0


def test_a_header_over_the_limit_gets_431_while_other_connections_are_answered(
    tmp_path: Path,
) -> None:
    with serve(tmp_path) as served:
        big = served.connect()
        big.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        for i in range(17):  # 1 MiB and more of one header value
            big.sendall(b"a" * 65536)
            if i == 8:
                _probe(served)  # half-way through the big header
        big.sendall(b"\r\n\r\n")
        answer = read_all(big)  # the server ends the connection after its answer
        big.close()
        _probe(served)

        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer[:200]
        assert b"connection: close" in head.lower()
        expected = f"Request header fields too large: the limit is {HEAD_LIMIT} bytes.\n"
        assert body == expected.encode()
        served.wait_for_log(f"request head over {HEAD_LIMIT} bytes: 431")


def test_a_head_within_the_limit_is_answered(tmp_path: Path) -> None:
    with serve(tmp_path, max_header_bytes=str(HEAD_LIMIT)) as served:
        sock = served.connect()
        filler = b"b" * (HEAD_LIMIT - 200)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + filler + b"\r\n")
        sock.sendall(b"Connection: close\r\n\r\n")
        answer = read_all(sock)
        sock.close()

    assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer[:200]
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["code"] == 0


def _closed_by_server(sock: socket.socket, trickle: bool = False) -> bool:
    """Whether the server ends the connection (before GIVE_UP seconds) without answering; with
    trickle, one more header byte is sent every 0.2 s meanwhile."""
    deadline = time.monotonic() + GIVE_UP
    while time.monotonic() < deadline:
        if trickle:
            try:
                sock.sendall(b"x")
            except OSError:  # reset: the server has closed it
                return True
        readable, _, _ = select.select([sock], [], [], 0.2)
        if readable:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                return True
            assert data == b"", f"the server answered: {data[:200]!r}"
            return True
    return False


def test_connections_that_do_not_finish_their_head_are_closed(tmp_path: Path) -> None:
    with serve(tmp_path, header_timeout_seconds="1") as served:
        stalled = served.connect()
        stalled.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Partial: ")
        silent = served.connect()
        trickling = served.connect()
        trickling.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")

        assert _closed_by_server(stalled)
        assert _closed_by_server(silent)
        assert _closed_by_server(trickling, trickle=True)
        # A request sent whole is answered, and its connection kept for the next one.
        kept = served.connect()
        for _ in range(2):
            kept.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            head, body = read_response(kept)
            assert head.startswith(b"HTTP/1.1 200 OK\r\n")
            assert json.loads(body)["code"] == 0
        for sock in (stalled, silent, trickling, kept):
            sock.close()
        served.wait_for_log("request head not complete within 1s: connection closed")


# --- request bodies that stall -----------------------------------------------------------------

BODY_IDLE = "1"  # seconds without a body byte before the server gives up on the request
UNSIGNED_POST = (
    b"POST /api/v1/openapi/create_review HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\n"
)
TIMEOUT_TEXT = b"Request timeout: no bytes of the request body for 1 s.\n"


def _answer_or_close(sock: socket.socket) -> bytes:
    """What the server sends before it ends the connection (b"" if it sends nothing)."""
    sock.settimeout(GIVE_UP)
    try:
        return read_all(sock)
    except ConnectionResetError:
        return b""


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(b"Content-Length: 1000\r\n\r\n" + b'{"product_', id="content-length"),
        pytest.param(
            b"Transfer-Encoding: chunked\r\n\r\n" + b'5\r\n{"a":\r\na\r\n12345',
            id="chunked-mid-chunk",
        ),
    ],
)
def test_a_request_body_that_stalls_gets_408_while_other_connections_are_answered(
    tmp_path: Path, start: bytes
) -> None:
    with serve(tmp_path, body_idle_timeout_seconds=BODY_IDLE) as served:
        stalled = served.connect()
        stalled.sendall(UNSIGNED_POST + start)
        _probe(served)
        answer = _answer_or_close(stalled)
        stalled.close()
        _probe(served)

        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer[:200]
        assert b"connection: close" in head.lower()
        assert body == TIMEOUT_TEXT
        # One access line for the request, with the status the client got and why.
        lines = served.wait_for_log("POST /api/v1/openapi/create_review 408")
        request_lines = [line for line in lines if "/api/v1/openapi/create_review" in line]
        assert len(request_lines) == 1, request_lines
        assert "reason='request body idle for 1s'" in request_lines[0]


def test_a_request_body_trickled_with_short_pauses_is_answered(tmp_path: Path) -> None:
    body = json.dumps({"product_id": "1", "content": "Trickled in slowly, but steadily."})
    pieces = [body[:10], body[10:20], body[20:]]
    with serve(tmp_path, body_idle_timeout_seconds=BODY_IDLE) as served:
        sock = served.connect()
        sock.sendall(UNSIGNED_POST + f"Content-Length: {len(body)}\r\n\r\n".encode())
        for piece in pieces:  # each pause well within the idle timeout
            time.sleep(0.3)
            sock.sendall(piece.encode())
        head, answer = read_response(sock)
        sock.close()

    assert head.startswith(b"HTTP/1.1 401 Unauthorized\r\n"), head
    envelope = json.loads(answer)
    assert envelope["code"] == 16  # the app read the whole body and refused the missing signature
    assert envelope["message"].startswith("unauthenticated: ")


def test_a_slow_answer_to_a_complete_body_is_not_cut(tmp_path: Path) -> None:
    admin = "admin-token-" + "a" * 32
    with serve(tmp_path, body_idle_timeout_seconds=BODY_IDLE, admin_token=admin) as served:
        body = json.dumps({"shop_id": "70000000001", "myshopify_domain": "slow.myshopify.com"})
        # The server's database is locked by another writer for a few idle timeouts: the
        # request, whose body is complete, waits for the lock (the app's turn, not the client's).
        lock = sqlite3.connect(tmp_path / "serve.db", isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            sock = served.connect()
            sock.sendall(
                b"POST /api/v1/admin/create_shop HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Authorization: Bearer " + admin.encode() + b"\r\n"
                b"Content-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
            )
            readable, _, _ = select.select([sock], [], [], 3.0)
            assert not readable, "the server answered or closed while the database was locked"
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        head, answer = read_response(sock)
        sock.close()

    assert head.startswith(b"HTTP/1.1 200 OK\r\n"), head
    envelope = json.loads(answer)
    assert envelope["code"] == 0, envelope
    assert envelope["data"]["shop"]["myshopify_domain"] == "slow.myshopify.com"


# --- forwarded headers -------------------------------------------------------------------------


def _client_in_access_log(served: Served, forwarded_for: str) -> str:
    """The client address the access log gives a request carrying X-Forwarded-For."""
    marker = f"probe={time.monotonic_ns()}"
    response = httpx.get(
        f"{served.base}/?{marker}", headers={"X-Forwarded-For": forwarded_for}, timeout=GIVE_UP
    )
    assert response.json()["code"] == 0
    for line in served.wait_for_log(marker):
        if line.startswith("{") and marker in line:
            record = json.loads(line)
            assert record["logger"] == "shopreviews.access"
            assert record["event"].startswith(f"{record['client']} GET /?{marker} 200 ")
            client: str = record["client"]
            return client
    raise AssertionError("unreachable: wait_for_log found the line")


@pytest.mark.parametrize("how", ["setting", "option"])
def test_forwarded_for_from_a_named_proxy_is_the_client(tmp_path: Path, how: str) -> None:
    args = ("--forwarded-allow-ips", "127.0.0.1") if how == "option" else ()
    settings = {"forwarded_allow_ips": "127.0.0.1"} if how == "setting" else {}
    with serve(tmp_path, *args, log_json="true", **settings) as served:
        assert _client_in_access_log(served, "203.0.113.9") == "203.0.113.9"
        # A chain: the nearest address the proxy did not add itself (its own is trusted).
        assert _client_in_access_log(served, "198.51.100.7, 203.0.113.9") == "203.0.113.9"


def test_forwarded_for_is_ignored_by_default(tmp_path: Path) -> None:
    with serve(tmp_path, log_json="true") as served:
        assert _client_in_access_log(served, "203.0.113.9") == "127.0.0.1"


def test_forwarded_for_from_an_address_not_named_is_ignored(tmp_path: Path) -> None:
    with serve(tmp_path, log_json="true", forwarded_allow_ips="10.0.0.0/8") as served:
        assert _client_in_access_log(served, "203.0.113.9") == "127.0.0.1"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("*", "name the proxies' addresses or networks, not *"),
        ("127.0.0.1, proxy.internal", "'proxy.internal' is not an IP address or network"),
    ],
)
def test_proxy_addresses_must_be_addresses_or_networks(value: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem.replace("*", r"\*")):
        Settings(forwarded_allow_ips=value)


def test_proxy_addresses_are_read_in_canonical_form() -> None:
    settings = Settings(forwarded_allow_ips=" 10.1.2.3/8 , ::1,192.0.2.1 ")
    assert settings.forwarded_allow_ips == "10.0.0.0/8,::1,192.0.2.1"
