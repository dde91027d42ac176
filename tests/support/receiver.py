"""A webhook receiver run as its own process on 127.0.0.1 (or ::1), for tests.

POST /<anything>   records the request (path, headers, raw body) and answers with the next
                   scripted response for that path (default 200).
POST /_script      {"path": "/a", "responses": [[500, {}], [200, {"Retry-After": "5"}]]}; a third
                   element sets the response body: a string, or {"bytes": n} for n bytes of "x".
GET  /_log?path=/a every recorded request to that path, as JSON; each entry also says how many
                   response body bytes the receiver managed to write ("response_bytes_written").
POST /_slow        {"path": "/a", "seconds": 5}: delay answers on that path.
POST /_hold        {"path": "/a"}: requests to that path get no answer (a receiver that hangs)
                   until POST /_release {"path": "/a"}; then the held ones are answered.

Start: python -m tests.support.receiver [--host ::1]  (prints "PORT <n>" once listening).
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEFAULT_BODY = b'{"code":0,"message":"success"}'
CHUNK = 16 * 1024

_lock = threading.Lock()
_log: dict[str, list[dict[str, Any]]] = {}
_script: dict[str, list[list[Any]]] = {}
_slow: dict[str, float] = {}
_held: dict[str, threading.Event] = {}  # set on release


def _body(spec: Any) -> bytes:
    if spec is None:
        return DEFAULT_BODY
    if isinstance(spec, dict):
        return b"x" * int(spec["bytes"])
    return str(spec).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
        """Answer; returns how many body bytes were written before the client went away."""
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        written = 0
        try:
            for start in range(0, len(body), CHUNK):
                self.wfile.write(body[start : start + CHUNK])
                written += len(body[start : start + CHUNK])
        except OSError:  # the client stopped reading (e.g. after 64 KiB) or was killed
            self.close_connection = True
        return written

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/_log":
            path = parse_qs(parts.query).get("path", ["/"])[0]
            with _lock:
                data = json.dumps(_log.get(path, [])).encode()
            self._reply(200, data, {"Content-Type": "application/json"})
        else:
            self._reply(404)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        path = urlsplit(self.path).path
        if path == "/_script":
            spec = json.loads(body)
            with _lock:
                _script[spec["path"]] = list(spec["responses"])
            self._reply(200)
            return
        if path == "/_slow":
            spec = json.loads(body)
            with _lock:
                _slow[spec["path"]] = float(spec["seconds"])
            self._reply(200)
            return
        if path in ("/_hold", "/_release"):
            spec = json.loads(body)
            with _lock:
                if path == "/_hold":
                    _held[spec["path"]] = threading.Event()
                elif released := _held.pop(spec["path"], None):
                    released.set()
            self._reply(200)
            return
        entry: dict[str, Any] = {
            "received_at": time.time(),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body_b64": base64.b64encode(body).decode(),
            "response_bytes_written": None,
        }
        with _lock:
            _log.setdefault(path, []).append(entry)
            queue = _script.get(path) or []
            status, headers, *rest = queue.pop(0) if queue else (200, {})
            delay = _slow.get(path, 0.0)
            hold = _held.get(path)
        if hold is not None:
            hold.wait()
        if delay:
            time.sleep(delay)
        written = self._reply(int(status), _body(rest[0] if rest else None), dict(headers))
        with _lock:
            entry["response_bytes_written"] = written


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # clients that vanish mid-request (a killed worker) are part of the tests


class Server6(Server):
    address_family = socket.AF_INET6


def main() -> None:
    host = sys.argv[sys.argv.index("--host") + 1] if "--host" in sys.argv else "127.0.0.1"
    server = (Server6 if ":" in host else Server)((host, 0), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
