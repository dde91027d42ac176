"""The metrics of several processes sharing one directory (what `serve --workers N` sets up):
counters of a process that ended still count; the gauges of a process that ended without
saying so (killed, or replaced by the supervisor) leave the sum."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.metrics import Scrape

PROCESS = textwrap.dedent(
    """
    import os, sys
    from sqlalchemy.ext.asyncio import create_async_engine
    from shopreviews.kit.observability import metrics

    assert metrics.MULTIPROCESS
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    metrics.watch_pool(engine, size=int(sys.argv[1]), overflow=0)
    metrics.observe_request("/api/v1/openapi/get_review", "GET", 200, 0.02)
    if sys.argv[2] == "scrape":
        sys.stdout.write(metrics.exposition([]).decode())
    print(os.getpid(), file=sys.stderr)
    os._exit(0)  # no goodbye: as a killed process would end
    """
)


def _run(directory: Path, size: int, then: str) -> tuple[str, str]:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", PROCESS, str(size), then],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout, done.stderr.strip()


def test_counters_outlive_their_process_and_gauges_do_not(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    _, ended = _run(directory, 3, "exit")
    text, scraper = _run(directory, 5, "scrape")
    scraped = Scrape.parse(text)

    labels = {"route": "/api/v1/openapi/get_review", "method": "GET", "status": "200"}
    assert scraped.value("shopreviews_http_requests_total", **labels) == 2
    assert scraped.value("shopreviews_http_request_duration_seconds_count", **labels) == 2
    assert scraped.matching("shopreviews_db_pool_size") == {frozenset({("pid", scraper)}): 5.0}
    assert ended != scraper
