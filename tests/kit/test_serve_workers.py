"""`shopreviews serve --workers N`: every worker process serves with the settings the command
built (its options and the public URL that follows --port), handed to it through uvicorn's
configuration rather than through an environment the command edited for it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from tests.support.live_serve import Served, serve

FORWARDED = "203.0.113.9"


def _processes_in(workdir: Path) -> list[int]:
    """The processes running in `workdir`: the serve command and what it started."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cwd").resolve() == workdir.resolve():
                    found.append(int(entry.name))
            except OSError:  # ended meanwhile, or not ours to read
                continue
    return found


def _settings_in_environment(pid: int) -> set[str]:
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return {item.split(b"=", 1)[0].decode() for item in environ if item.startswith(b"SHOPREVIEWS_")}


def _clients_in_access_log(served: Served, requests: int) -> set[str]:
    markers = [f"probe={time.monotonic_ns()}-{i}" for i in range(requests)]
    with httpx.Client(base_url=served.base, timeout=30) as http:
        for marker in markers:
            # A new connection each time, so both worker processes answer some.
            response = http.get(
                f"/?{marker}", headers={"X-Forwarded-For": FORWARDED, "Connection": "close"}
            )
            assert response.json()["code"] == 0
    lines = served.wait_for_log(markers[-1])
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return {
        r["client"]
        for r in records
        if r.get("logger") == "shopreviews.access" and "probe=" in r["event"]
    }


def test_worker_processes_serve_with_the_commands_settings(tmp_path: Path) -> None:
    with serve(
        tmp_path, "--workers", "2", "--forwarded-allow-ips", "127.0.0.1", log_json="true"
    ) as served:
        # --forwarded-allow-ips reached the processes that answer.
        assert _clients_in_access_log(served, requests=20) == {FORWARDED}
        # The public URL follows --port (SHOPREVIEWS_PUBLIC_URL is unset).
        metadata = httpx.get(f"{served.base}/.well-known/oauth-authorization-server", timeout=30)
        assert metadata.json()["issuer"] == served.base

        workers = [
            pid
            for pid in _processes_in(tmp_path)
            if b"--multiprocessing-fork" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert len(workers) == 2, workers
        for pid in workers:
            # Exactly what the operator's environment held: nothing added by the command.
            assert _settings_in_environment(pid) == {
                "SHOPREVIEWS_DATABASE_URL",
                "SHOPREVIEWS_SECRET_KEY",
                "SHOPREVIEWS_RUN_WORKER",
                "SHOPREVIEWS_LOG_JSON",
            }
