"""Running an application factory under uvicorn with settings the command built once (`serve`,
`demo`, bench/serve.py), in one process or several (`--workers`)."""

from __future__ import annotations

import errno
import functools
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from shopreviews.kit import server
from shopreviews.kit.observability import metrics
from shopreviews.settings import Settings

WORKER_HEALTHCHECK_SECONDS = 60


class SettingsConfig(uvicorn.Config):
    """uvicorn's configuration, carrying the settings to the application factory.

    uvicorn hands its configuration, pickled, to every `--workers` process, and each imports the
    factory by name and calls it. Bound here, the settings reach every process as the command
    built and checked them, rather than each process rebuilding them from an environment the
    command would have to edit for it (its options, the public URL that follows --port)."""

    def __init__(self, settings: Settings, factory: str, **options: Any) -> None:
        super().__init__(factory, factory=True, **options)
        self.settings = settings

    def load_app(self) -> Any:
        return functools.partial(super().load_app(), self.settings)


class PortUnavailable(Exception):
    """The address to serve on cannot be taken; the message says why and what to do."""


def bind(host: str, port: int) -> socket.socket:
    """The listening address taken before anything else starts (migrations included), so a port
    another program holds is reported at once; the server then serves on this socket."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    # As uvicorn does: a port left in TIME_WAIT by a server that just stopped can be taken again.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortUnavailable(_why_not(exc, host, port)) from exc
    sock.set_inheritable(True)  # the --workers processes inherit it
    return sock


def _why_not(error: OSError, host: str, port: int) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use: stop the other program or choose --port"
    if error.errno == errno.EACCES:
        return (
            f"port {port} on {host} needs privileges this user does not have: choose a port "
            "above 1023 (--port) and put a reverse proxy in front"
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: choose another --host"
    if isinstance(error, socket.gaierror):
        return f"host {host} not found: give an address of this machine as --host"
    reason = error.strerror or str(error)
    return f"cannot listen on {host}:{port} ({reason}): choose another --host or --port"


def run(
    settings: Settings,
    factory: str,
    *,
    host: str,
    port: int,
    workers: int,
    sock: socket.socket | None = None,
) -> None:
    """Serve `factory(settings)` (an import string, "module:function") until interrupted, on
    `sock` (from `bind`) or else on a socket bound now."""
    sock = sock if sock is not None else bind(host, port)
    config = SettingsConfig(
        settings,
        factory,
        host=host,
        port=port,
        workers=workers,
        # uvicorn's warnings and errors go through the application's log handler, in its
        # format (kit/logging.py); the access line is the request layer's, so uvicorn's is off.
        log_config=None,
        log_level="warning",
        access_log=False,
        # How long the supervisor of `--workers` processes waits for one to answer its health
        # check before it kills and replaces it. A new process answers only once it has
        # imported the app, which took 7 to 9 s on a busy 2-CPU machine: at uvicorn's 5 s the
        # processes were killed and replaced over and over, never serving.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        # httptools' parser with a head size limit and a head timeout (kit/server.py).
        http=server.protocol(settings),
        ws="none",  # no WebSocket route: an Upgrade header is an ordinary request
        # Forwarded headers only from the named proxies; with none, the TCP peer is the client.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )
    # What uvicorn.run does, which takes no configuration object: several processes share
    # one listening socket under a supervisor; one process serves by itself.
    served = uvicorn.Server(config)
    try:
        if workers > 1:
            # The processes' metrics are added up from files of one fresh directory.
            with metrics.shared_directory():
                Multiprocess(config, sockets=[sock]).run()
            return
        served.run(sockets=[sock])
    except KeyboardInterrupt:  # Ctrl-C, re-raised by uvicorn once it has shut down
        return
    if not served.started:
        sys.exit(STARTUP_FAILURE)
