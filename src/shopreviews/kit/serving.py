"""Running an application factory under uvicorn with settings the command built once (`serve`,
`demo`, bench/serve.py), in one process or several (`--workers`)."""

from __future__ import annotations

import functools
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


def run(settings: Settings, factory: str, *, host: str, port: int, workers: int) -> None:
    """Serve `factory(settings)` (an import string, "module:function") until interrupted."""
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
                Multiprocess(config, sockets=[config.bind_socket()]).run()
            return
        served.run()
    except KeyboardInterrupt:  # Ctrl-C, re-raised by uvicorn once it has shut down
        return
    if not served.started:
        sys.exit(STARTUP_FAILURE)
