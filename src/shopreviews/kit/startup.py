"""What `serve`, `demo` and `worker` say when they start: which version runs on which database
with which key, where it listens and who runs the jobs. An operator reading the first lines of
a log (or the --json object) knows what the process is, without reading its configuration."""

from __future__ import annotations

import socket
from typing import Any

from shopreviews import __version__
from shopreviews.settings import Settings, shown_database_url

ENVIRONMENT_KEY = "SHOPREVIEWS_SECRET_KEY from the environment"


def key_source(settings: Settings) -> str:
    """Where the server key comes from: the setting, or the key file's absolute path."""
    return ENVIRONMENT_KEY if settings.secret_key else str(settings.key_file.resolve())


def listen_url(host: str, sock: socket.socket) -> str:
    """The address a bound socket serves on (its real port, also when 0 asked for any)."""
    port = sock.getsockname()[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def server_facts(
    settings: Settings, *, listen: str, workers: int, schema: dict[str, Any]
) -> dict[str, Any]:
    """The API server's facts, as the --json object gives them."""
    return {
        "version": __version__,
        "listen": listen,
        "public_url": settings.base_url(),
        "database": shown_database_url(settings.database_url),
        "schema": schema,
        "key": key_source(settings),
        "workers": workers,
        "worker_in_process": settings.run_worker,
    }


def worker_facts(settings: Settings, *, schema: dict[str, Any]) -> dict[str, Any]:
    """The job worker's facts: no address, but the links it writes and the mail it sends."""
    return {
        "version": __version__,
        "database": shown_database_url(settings.database_url),
        "schema": schema,
        "key": key_source(settings),
        "public_url": settings.base_url(),
        "concurrency": settings.worker_concurrency,
        "smtp": f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else None,
    }


def schema_text(schema: dict[str, Any]) -> str:
    applied = schema["applied"]
    if applied:
        return f"{schema['current']} (applied now: {', '.join(applied)})"
    return f"{schema['current']} (nothing to apply)"


def server_text(facts: dict[str, Any]) -> str:
    worker = (
        "in each API process (--no-worker to run it apart)"
        if facts["worker_in_process"]
        else "not in these processes: run `shopreviews worker`"
    )
    return _lines(
        f"ShopReviews {facts['version']} serving on {facts['listen']} "
        f"(API reference: {facts['listen']}/docs)",
        [
            ("public URL", facts["public_url"]),
            ("database", facts["database"]),
            ("schema", schema_text(facts["schema"])),
            ("server key", facts["key"]),
            ("API processes", str(facts["workers"])),
            ("job worker", worker),
        ],
    )


def worker_text(facts: dict[str, Any]) -> str:
    return _lines(
        f"ShopReviews {facts['version']} worker running; stop with Ctrl-C or SIGTERM",
        [
            ("database", facts["database"]),
            ("schema", schema_text(facts["schema"])),
            ("server key", facts["key"]),
            ("public URL", f"{facts['public_url']} (the links in emails)"),
            ("jobs at once", str(facts["concurrency"])),
            ("email", facts["smtp"] or "no SMTP host: review requests wait until one is set"),
        ],
    )


def _lines(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows) + 1
    return "\n".join([title, *(f"  {name + ':':<{width}} {value}" for name, value in rows)])
