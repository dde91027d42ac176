"""GET /healthz and GET /readyz (kit/observability): the process answers; the database answers
with the schema this code expects, or the answer says what failed and what to do."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from shopreviews import migrate
from shopreviews.kit.context import AppContext
from shopreviews.kit.logging import build_formatter
from shopreviews.main import create_app
from shopreviews.settings import Settings
from tests.support.databases import FreshDatabases, on_postgres, sqlite_url
from tests.support.metrics import scrape
from tests.support.programs import free_port

HEAD = migrate.revisions().head


@asynccontextmanager
async def app_on(settings: Settings, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app of its own on `database_url`."""
    own = settings.model_copy(update={"database_url": database_url})
    ctx = AppContext.build(own, public_url="http://testserver")
    transport = httpx.ASGITransport(app=create_app(own, ctx=ctx))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await ctx.db.dispose()


@contextmanager
def readiness_log() -> Iterator[io.StringIO]:
    """What the readiness logger writes, as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter(Settings(log_format="json")))
    logger = logging.getLogger("shopreviews.readiness")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _checks(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert set(body) == {"status", "checks"}
    return body


def _unreachable_url(settings: Settings, tmp_path: Path) -> str:
    """A database nobody answers at, of the suite's kind."""
    if on_postgres(settings.database_url):
        return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere"
    return sqlite_url(tmp_path / "no-such-directory" / "shopreviews.db")


async def test_healthz_answers_without_the_database(settings: Settings, tmp_path: Path) -> None:
    async with app_on(settings, _unreachable_url(settings, tmp_path)) as http:
        response = await http.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert response.headers["cache-control"] == "no-store"
        head = await http.head("/healthz")
        assert head.status_code == 200 and head.content == b""


async def test_readyz_names_each_check_when_ready(client: httpx.AsyncClient) -> None:
    assert (await scrape(client)).value("shopreviews_ready") == 1
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert _checks(response) == {
        "status": "ready",
        "checks": {
            "database": {"status": "ok", "detail": "answered"},
            "schema": {"status": "ok", "detail": f"at {HEAD}"},
        },
    }
    assert (await client.head("/readyz")).status_code == 200


async def test_readyz_is_503_when_the_database_is_unreachable(
    settings: Settings, tmp_path: Path
) -> None:
    url = _unreachable_url(settings, tmp_path)
    async with app_on(settings, url) as http:
        response = await http.get("/readyz")
        scraped = await scrape(http)
    assert response.status_code == 503
    # The metrics still answer: not ready, and without the gauges the database would give.
    assert scraped.value("shopreviews_ready") == 0
    assert not scraped.matching("shopreviews_queue_pending_jobs")
    body = _checks(response)
    assert body["status"] == "not ready"
    database = body["checks"]["database"]
    assert database["status"] == "failing"
    assert database["detail"].startswith("unreachable (") and database["detail"].endswith(")")
    assert body["checks"]["schema"] == {
        "status": "failing",
        "detail": "not checked: the database did not answer",
    }
    # Where the database is (host, port, path) is the log's business, not the probe's.
    assert "127.0.0.1" not in response.text and "no-such-directory" not in response.text


async def test_readyz_gives_up_on_a_database_that_never_answers(
    settings: Settings,
) -> None:
    # A listener that never accepts: the connection opens, the database's greeting never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        async with app_on(settings, f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x") as http:
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert _checks(response)["checks"]["database"] == {
        "status": "failing",
        "detail": "no answer within 2 s",
    }


@pytest.fixture
def migrated_url(fresh_databases: FreshDatabases, tmp_path: Path) -> str:
    """A database of the test's own at the head (made outside the test's event loop)."""
    return fresh_databases.migrated(tmp_path)


@pytest.fixture
def empty_url(fresh_databases: FreshDatabases, tmp_path: Path) -> str:
    return fresh_databases.empty(tmp_path)


async def test_readyz_is_503_with_the_command_when_the_schema_is_behind(
    settings: Settings, migrated_url: str
) -> None:
    url = migrated_url
    migrate.downgrade(settings.model_copy(update={"database_url": url}), "0011")
    async with app_on(settings, url) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    body = _checks(response)
    assert body["checks"]["database"] == {"status": "ok", "detail": "answered"}
    assert body["checks"]["schema"] == {
        "status": "failing",
        "detail": f"at 0011, code expects {HEAD}: run `shopreviews migrate`",
    }


async def test_readyz_on_a_database_never_migrated(settings: Settings, empty_url: str) -> None:
    async with app_on(settings, empty_url) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert _checks(response)["checks"]["schema"] == {
        "status": "failing",
        "detail": f"no schema, code expects {HEAD}: run `shopreviews migrate`",
    }


async def test_readyz_on_a_schema_a_newer_version_migrated(
    settings: Settings, migrated_url: str
) -> None:
    url = migrated_url
    own = settings.model_copy(update={"database_url": url})
    ctx = AppContext.build(own, public_url="http://testserver")
    try:
        async with ctx.db.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9001'"))
    finally:
        await ctx.db.dispose()
    async with app_on(settings, url) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert _checks(response)["checks"]["schema"]["detail"] == (
        f"at 9001, which this code does not know (a newer version migrated it); code expects {HEAD}"
    )


async def test_a_change_of_readiness_is_logged_once_with_the_request_id(
    settings: Settings, tmp_path: Path
) -> None:
    directory = tmp_path / "later"
    url = sqlite_url(directory / "shopreviews.db")
    with readiness_log() as log:
        async with app_on(settings, url) as http:
            first = await http.get("/readyz")
            second = await http.get("/readyz")
            assert (first.status_code, second.status_code) == (503, 503)
            directory.mkdir()
            migrate.upgrade(settings.model_copy(update={"database_url": url}))
            recovered = await http.get("/readyz")
            assert recovered.status_code == 200
            assert (await http.get("/readyz")).status_code == 200

    records = _records(log)
    assert [(r["level"], r["event"].split(":")[0]) for r in records] == [
        ("warning", "not ready"),
        ("info", "ready again"),
    ], records
    failing = records[0]
    assert failing["event"].startswith("not ready: database: unreachable (")
    assert "schema: not checked: the database did not answer" in failing["event"]
    # The log gets the failure's own words, which the probe's answer leaves out.
    assert "unable to open database file" in failing["event"]
    # Written while answering a probe: the line names that request.
    assert failing["request_id"] == first.headers["x-request-id"]
    assert records[1]["request_id"] == recovered.headers["x-request-id"]


def test_probes_and_metrics_stay_out_of_the_openapi_document(app: Any) -> None:
    paths = app.openapi()["paths"]
    assert not {"/healthz", "/readyz", "/metrics"} & set(paths)
    assert "/" in paths  # the base URL's probe keeps its place in the partner API


async def test_the_base_url_probe_is_unchanged(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.json()["code"] == 0 and response.json()["data"] == {}
    assert (await client.head("/")).status_code == 200
