"""`shopreviews serve --workers 2` as an operator runs it: whichever process answers a scrape,
the counters are the totals of both; every request is one access line; the log holds nothing
but JSON lines with SHOPREVIEWS_LOG_FORMAT=json, uvicorn's own lines included."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.live_serve import Served, serve
from tests.support.metrics import Scrape, scrape_sync

REQUESTS = 40
SCRAPES = 8


def _worker_pids(workdir: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            in_workdir = (entry / "cwd").resolve() == workdir.resolve()
            forked = b"--multiprocessing-fork" in (entry / "cmdline").read_bytes()
        except OSError:  # ended meanwhile, or not ours to read
            continue
        if in_workdir and forked:
            found.append(int(entry.name))
    return found


def _environment(pid: int) -> dict[str, str]:
    items = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in items if b"=" in item)


def _records(served: Served) -> list[dict[str, Any]]:
    return [json.loads(line) for line in served.log_lines() if line.startswith("{")]


def test_counters_are_the_totals_of_every_process(tmp_path: Path) -> None:
    with serve(tmp_path, "--workers", "2", log_format="json") as served:
        markers = [f"m{time.monotonic_ns()}-{i}" for i in range(REQUESTS)]
        with httpx.Client(base_url=served.base, timeout=30) as http:
            for marker in markers:
                # A new connection each time, so both processes answer some.
                answer = http.get(f"/healthz?{marker}", headers={"Connection": "close"})
                assert answer.json() == {"status": "ok"}
            scrapes: list[Scrape] = []
            for _ in range(SCRAPES):
                with httpx.Client(base_url=served.base, timeout=30) as fresh:
                    scrapes.append(scrape_sync(fresh))
        workers = _worker_pids(tmp_path)
        directories = {_environment(pid)["PROMETHEUS_MULTIPROC_DIR"] for pid in workers}
        served.wait_for_log(markers[-1])
        records = _records(served)

    assert len(workers) == 2, workers
    for scraped in scrapes:
        healthz = {"route": "/healthz", "method": "GET", "status": "200"}
        assert scraped.value("shopreviews_http_requests_total", **healthz) == REQUESTS
        assert scraped.value("shopreviews_http_request_duration_seconds_count", **healthz) == (
            REQUESTS
        )
        # Each process's own pool, told apart by its process id.
        pools = scraped.matching("shopreviews_db_pool_size")
        assert {dict(labels)["pid"] for labels in pools} == {str(pid) for pid in workers}
        # Read from the database by the process that answers, not added up.
        queue = scraped.matching("shopreviews_queue_pending_jobs")
        assert queue == {frozenset({("queue", "webhook_deliveries")}): 0.0}

    # One access line per request, the request layer's: uvicorn's access log stays off.
    for marker in markers:
        lines = [r for r in records if marker in r["event"]]
        assert len(lines) == 1, lines
        assert lines[0]["logger"] == "shopreviews.access" and lines[0]["status"] == 200
    assert not [r for r in records if r["logger"] == "uvicorn.access"]

    # One directory, shared by both processes, removed once they have stopped.
    (directory,) = directories
    assert not Path(directory).exists()


def test_every_log_line_is_json_with_the_log_format_json(tmp_path: Path) -> None:
    with serve(tmp_path, log_format="json") as served:
        with httpx.Client(base_url=served.base, timeout=30) as http:
            assert http.get("/readyz").status_code == 200
            assert http.get("/api/v1/openapi/get_reviews").status_code == 401
        # Bytes that are no HTTP request: uvicorn's own warning.
        with served.connect() as sock:
            sock.sendall(b"\x16\x03\x01 this is not HTTP\r\n\r\n")
            sock.recv(1024)
        lines = served.wait_for_log("Invalid HTTP request received.")

    # What the command says before it serves (its startup facts: a title, then indented lines)
    # is its output, not log lines.
    logged = [line for line in lines if not line.startswith(("ShopReviews ", "  "))]
    records = [json.loads(line) for line in logged]  # each line parses
    for record in records:
        assert {"timestamp", "level", "logger", "event"} <= set(record), record
    (invalid,) = [r for r in records if r["event"] == "Invalid HTTP request received."]
    assert (invalid["logger"], invalid["level"]) == ("uvicorn.error", "warning")
    (refused,) = [r for r in records if "/api/v1/openapi/get_reviews" in r["event"]]
    assert (refused["status"], refused["code"]) == (401, 16)
    assert refused["request_id"]
